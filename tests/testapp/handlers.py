"""Job handlers for engine tests. They record every run in a file shared across processes.

``payload`` options: ``path`` (file to append "<job id> <worker pid>" to), ``sleep``
(seconds), ``fail`` ("retry" / "permanent" / "crash"), ``fail_times`` (fail only the
first N attempts), ``retry_after`` (seconds, with ``fail=retry``).
"""

from __future__ import annotations

import os
import time

from omnium_integration.enums import Direction, Queue
from omnium_integration.exceptions import PermanentError, RetryableError
from omnium_integration.jobs.registry import handles, on_success

RECORD = "test.record"
RECORD_RECEIVEMENT = "test.record_receivement"
SETTLED = "test.settled"  # records like RECORD, then a success hook marks the job


def _record(job):
    payload = job.payload
    if payload.get("sleep"):
        time.sleep(payload["sleep"])
    fail = payload.get("fail")
    if fail and job.attempts <= payload.get("fail_times", 10**9):
        if fail == "retry":
            raise RetryableError(
                "Omnium answered 503", status_code=503, retry_after=payload.get("retry_after")
            )
        if fail == "permanent":
            raise PermanentError(
                "Omnium answered 400", status_code=400, body='{"title": "MarketId is required"}'
            )
        if fail == "crash":
            raise KeyError("lineItems")
    if payload.get("path"):
        # O_APPEND writes of one short line are atomic across processes.
        with open(payload["path"], "a") as f:
            f.write(f"{job.pk} {os.getpid()}\n")
    return {"ran": job.pk}


handles(RECORD, queue=Queue.ORDER, direction=Direction.OUTBOUND)(_record)
handles(RECORD_RECEIVEMENT, queue=Queue.RECEIVEMENT, direction=Direction.OUTBOUND)(_record)
handles(SETTLED, queue=Queue.ORDER, direction=Direction.OUTBOUND)(_record)


@on_success(SETTLED)
def _settle(job, result):
    """Marks the job's payload in the success's transaction; ``hook_fail`` makes it raise
    after writing (its first ``hook_fail_times`` attempts)."""
    from omnium_integration.models import ExternalSyncJob

    ExternalSyncJob.objects.filter(pk=job.pk).update(payload={**job.payload, "settled": result})
    if job.payload.get("hook_fail") and job.attempts <= job.payload.get("hook_fail_times", 10**9):
        raise RuntimeError("the scrub could not finish")
