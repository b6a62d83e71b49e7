"""Success hooks: what a job kind writes with its success, in the same transaction.

:func:`.manager.finish` calls :func:`run_success_hooks` after recording a batch's attempts;
the hooks are registered with :func:`.registry.on_success` (the erasure jobs scrub the
integration's rows this way).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import F

from ..enums import AttemptOutcome, JobStatus
from ..models import ExternalSyncJob, JobAttempt
from ..redaction import redact
from . import clock, registry
from .backoff import retry_delay_seconds

if TYPE_CHECKING:
    from .manager import AttemptResult

logger = logging.getLogger(__name__)


def run_success_hooks(recorded: list[AttemptResult]) -> None:
    """Run the success hook of each recorded success, in the transaction that recorded it.

    A hook that raises is rolled back (its savepoint), and its job's success becomes a
    retry: due again on the retry table, with the error on the job and on its attempt.
    """
    for r in recorded:
        hook = registry.get_success_hook(r.job.kind)
        if r.outcome != AttemptOutcome.SUCCEEDED or hook is None:
            continue
        try:
            with transaction.atomic():
                hook(r.job, r.result)
        except Exception as exc:
            # The type only: the text of a database error can quote the row's values.
            logger.error(
                "a job's success hook failed (%s); the job will retry",
                type(exc).__name__,
                extra={"job_id": r.job.pk, "extension_id": r.job.extension_id, "kind": r.job.kind},
            )
            r.outcome = AttemptOutcome.RETRY
            r.error = redact(f"After the job's work, {type(exc).__name__}: {exc}")
            delay = retry_delay_seconds(r.job.failures + 1, None)
            r.next_attempt_at = clock.now() + clock.scaled(delay)
            ExternalSyncJob.objects.filter(pk=r.job.pk).update(
                status=JobStatus.PENDING,
                failures=F("failures") + 1,
                last_error=r.error,
                next_attempt_at=r.next_attempt_at,
            )
            JobAttempt.objects.filter(job_id=r.job.pk, number=r.job.attempts).update(
                outcome=AttemptOutcome.RETRY, error=r.error
            )
