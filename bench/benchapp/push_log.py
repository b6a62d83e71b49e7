"""Where a benchmark wants it (``BENCH_PUSH_LOG``): one JSON line per successful stock push.

Connected in the engines' processes by the bench app; P9 reads the file to bound the
``UpdateMany`` calls by what each push had to send. Lines are short single writes in
append mode, so the workers of both clusters can share the file.
"""

from __future__ import annotations

import json
import os

from omnium_integration.enums import JobKind
from omnium_integration.signals import job_succeeded

ENV = "BENCH_PUSH_LOG"


def record_push(sender, job, result, **kwargs) -> None:
    if job.kind != JobKind.STOCK_EXPORT or not result.get("skus"):
        return
    line = json.dumps({"store": job.object_id, "skus": result["skus"], "calls": result["calls"]})
    with open(os.environ[ENV], "a", encoding="utf-8") as log:
        log.write(line + "\n")


def connect() -> None:
    if os.environ.get(ENV):
        job_succeeded.connect(record_push, dispatch_uid="bench.push_log")
