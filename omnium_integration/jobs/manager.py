"""The job queue's database side: enqueue, claim, finish, release, and the operators' actions.

The life of a job::

    enqueue()  --(caller's transaction commits)-->  pending
    claim()    pending/expired --> running, with a lease (owner, token, expiry)
    run        (:mod:`.worker`) the kind's handler reads current state, talks to Omnium
    finish()   running --> succeeded | pending (retry, or rerun) | failed

Guarantees, and how they are kept:

* A job is written in the caller's transaction: ``enqueue`` is an INSERT on the caller's
  connection, so a rolled-back change leaves no job.
* At most one active job per (extension, kind, object): a partial unique index. A Flow
  change while the job waits is absorbed by it (the handler reads current state), and
  holds the job's row lock until it commits, so no worker runs the job without it; a
  change while it runs sets ``rerun`` so it runs once more.
* No job runs in two workers at once: the claim takes due rows with ``SELECT ... FOR
  UPDATE SKIP LOCKED`` on PostgreSQL; where the database has no row locks (SQLite) the
  claim is a compare-and-swap UPDATE that re-checks "still due" on every row, and
  SQLite runs one writer at a time.
* A job is finished only by the worker that holds its lease: every finishing UPDATE is
  conditional on the claim's ``lease_token``. A worker whose lease expired and was taken
  over changes nothing and logs that it lost the job.
* A worker that dies leaves its jobs ``running`` with a lease that expires; the next
  claim on that queue takes them over (the django-q2 sweeper schedule runs one a minute).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import IntegrityError, connections, transaction
from django.db.models import Case, F, JSONField, QuerySet, Value, When

from .. import signals
from ..conf import app_settings
from ..enums import ACTIVE_STATUSES, AttemptOutcome, JobStatus
from ..exceptions import LeaseLost
from ..models import ExternalSyncJob, JobAttempt, JobSource
from ..models.tenants import ENCRYPTED_FIELDS
from . import clock, dispatch, registry
from .success import run_success_hooks

logger = logging.getLogger(__name__)


def log_extra(job: ExternalSyncJob, **more: Any) -> dict[str, Any]:
    """The job context every log record about a job carries (see ``logs.JobContextFormatter``)."""
    return {
        "job_id": job.pk,
        "extension_id": job.extension_id,
        "kind": job.kind,
        "attempt": job.attempts,
        **more,
    }


# --------------------------------------------------------------------------- enqueue


def enqueue(
    kind: str,
    *,
    extension_id: int,
    object_id: Any,
    payload: dict[str, Any] | None = None,
    source: str = JobSource.SIGNAL,
) -> tuple[int, bool]:
    """Write a job for ``object_id`` in the caller's transaction; return ``(job id, created)``.

    When the object already has an active job no second job is written: a pending job
    will read the new state when it runs, and a running one is flagged to run again.
    The engine is kicked when the caller's transaction commits.
    """
    spec = registry.get_handler(kind)
    object_id = str(object_id)
    job = ExternalSyncJob(
        queue=spec.queue,
        direction=spec.direction,
        kind=spec.kind,
        extension_id=extension_id,
        object_id=object_id,
        payload=payload or {},
        source=source,
        next_attempt_at=clock.now(),
    )
    for _ in range(3):
        job_id = ExternalSyncJob.objects.insert_unless_active(job)
        if job_id is not None:
            dispatch.kick_on_commit(spec.queue)
            return job_id, True
        # Built only now: the common path (a new job) costs no query building.
        active = ExternalSyncJob.objects.filter(
            extension_id=extension_id,
            kind=spec.kind,
            object_id=object_id,
            status__in=ACTIVE_STATUSES,
        )
        if source == JobSource.SIGNAL:
            # The caller changed the object. A running job is flagged to run again; a
            # pending one is row-locked until the caller commits, so no worker claims it
            # (SKIP LOCKED) and reads the object without this change. The kick makes
            # sure a drain that skipped it comes back.
            active.update(
                rerun=Case(When(status=JobStatus.RUNNING, then=Value(True)), default=F("rerun"))
            )
            dispatch.kick_on_commit(spec.queue)
        else:
            # A command, the poll or a webhook changed nothing in Flow: a pending job reads
            # the same state either way, and bulk callers hold no locks on other jobs.
            active.filter(status=JobStatus.RUNNING).update(rerun=True)
        existing = active.values_list("pk", flat=True).first()
        if existing is not None:
            return existing, False
        # The active job finished between our INSERT and our look: insert again.
    raise RuntimeError(f"Could not enqueue {kind} {object_id}: the active job kept changing.")


# ----------------------------------------------------------------------------- claim


@dataclass
class Claim:
    """Jobs taken by one worker in one go; all share the lease token."""

    token: uuid.UUID
    worker: str
    jobs: list[ExternalSyncJob]


def claim(queue: str, *, worker: str, limit: int | None = None) -> Claim:
    """Take up to ``limit`` due jobs of ``queue`` (oldest due first) for ``worker``."""
    limit = limit or app_settings.CLAIM_BATCH_SIZE
    now = clock.now()
    token = uuid.uuid4()
    due = ExternalSyncJob.objects.due(queue, now)
    connection = connections[due.db]
    with transaction.atomic(using=due.db):
        candidates = due.order_by("next_attempt_at", "pk")
        if connection.features.has_select_for_update_skip_locked:
            candidates = candidates.select_for_update(skip_locked=True)
        rows = list(
            candidates.values_list("pk", "status", "lease_owner", "attempts", "started_at")[:limit]
        )
        if not rows:
            return Claim(token, worker, [])
        ids = [row[0] for row in rows]
        # Re-checking "still due" in the UPDATE makes this a compare-and-swap where there
        # are no row locks: a row another worker took meanwhile no longer matches.
        due.filter(pk__in=ids).update(
            status=JobStatus.RUNNING,
            lease_owner=worker,
            lease_token=token,
            lease_expires_at=now + clock.scaled(app_settings.LEASE_SECONDS),
            attempts=F("attempts") + 1,
            rerun=False,
            started_at=now,
        )
        jobs = list(
            ExternalSyncJob.objects.filter(pk__in=ids, lease_token=token)
            .select_related("extension")
            # Decrypted when a handler needs them: one tenant whose secrets no key opens
            # fails its own jobs, with the reason, not the whole claim.
            .defer(*(f"extension__{name}" for name in ENCRYPTED_FIELDS))
            .order_by("next_attempt_at", "pk")
        )
        claimed = {job.pk for job in jobs}
        # Attempts whose worker vanished (their lease expired) go into the history now.
        JobAttempt.objects.bulk_create(
            JobAttempt(
                job_id=pk,
                number=attempts,
                worker=owner,
                started_at=started_at or now,
                finished_at=now,
                outcome=AttemptOutcome.LEASE_EXPIRED,
                error="The worker's lease expired before it finished; the job was taken over.",
            )
            for pk, status, owner, attempts, started_at in rows
            if status == JobStatus.RUNNING and pk in claimed
        )
    return Claim(token, worker, jobs)


@contextmanager
def leased(job: ExternalSyncJob) -> Iterator[None]:
    """A transaction that commits only while the worker still holds ``job``'s lease.

    Handlers that write to Flow's database do it inside this block, so a worker that
    lost its lease (and whose job now runs elsewhere) writes nothing.
    """
    with transaction.atomic():
        held = ExternalSyncJob.objects.filter(
            pk=job.pk, lease_token=job.lease_token, status=JobStatus.RUNNING
        )
        if connections[held.db].features.has_select_for_update:
            held = held.select_for_update()
        if not list(held.values_list("pk", flat=True)):
            raise LeaseLost(f"job #{job.pk} is no longer leased to this worker")
        yield


# ---------------------------------------------------------------------------- finish


@dataclass
class AttemptResult:
    """What one attempt of a job came to, as the worker hands it to :func:`finish`."""

    job: ExternalSyncJob
    outcome: str  # an AttemptOutcome
    started_at: datetime
    finished_at: datetime
    result: dict[str, Any] = field(default_factory=dict)
    error: str = ""
    status_code: int | None = None
    next_attempt_at: datetime | None = None


def finish(claim: Claim, results: list[AttemptResult]) -> list[AttemptResult]:
    """Record attempts of jobs still leased to ``claim``; return the ones recorded.

    One transaction: the jobs' new states and every attempt's history row. An attempt
    whose job is no longer leased to the claim (taken over after its lease expired)
    changes nothing and is recorded as ``lease_lost``.
    """
    if not results:
        return []
    leased_rows = ExternalSyncJob.objects.filter(lease_token=claim.token, status=JobStatus.RUNNING)
    with transaction.atomic():
        ok = [r for r in results if r.outcome == AttemptOutcome.SUCCEEDED]
        recorded = _record_successes(leased_rows, ok, claim.token)
        recorded += [
            r
            for r in results
            if r.outcome != AttemptOutcome.SUCCEEDED and _record_failure(leased_rows, r)
        ]
        recorded_ids = {r.job.pk for r in recorded}
        JobAttempt.objects.bulk_create(
            JobAttempt(
                job_id=r.job.pk,
                number=r.job.attempts,
                worker=claim.worker,
                started_at=r.started_at,
                finished_at=r.finished_at,
                outcome=r.outcome if r.job.pk in recorded_ids else AttemptOutcome.LEASE_LOST,
                error=r.error,
                status_code=r.status_code,
            )
            for r in results
        )
        run_success_hooks(recorded)
    for r in results:
        if r.job.pk not in recorded_ids:
            logger.warning(
                "job lease was lost; its result was discarded",
                extra=log_extra(r.job, outcome=r.outcome),
            )
    for r in recorded:
        _report(r)
    return recorded


# Finishing a job gives its lease back.
_RELEASED = {"lease_owner": "", "lease_expires_at": None}


def _record_successes(
    leased_rows: QuerySet, ok: list[AttemptResult], token: uuid.UUID
) -> list[AttemptResult]:
    """One UPDATE for every success of the batch; a job flagged ``rerun`` goes back to pending."""
    if not ok:
        return []
    now = clock.now()
    ids = [r.job.pk for r in ok]
    results = [When(pk=r.job.pk, then=Value(r.result, JSONField())) for r in ok if r.result]
    updated = leased_rows.filter(pk__in=ids).update(
        status=Case(
            When(rerun=True, then=Value(JobStatus.PENDING)),
            default=Value(JobStatus.SUCCEEDED),
        ),
        next_attempt_at=now,
        failures=0,
        last_error="",
        last_status_code=None,
        result=Case(*results, default=F("result")) if results else F("result"),
        finished_at=now,
        **_RELEASED,
    )
    if updated == len(ok):
        return list(ok)
    # Some leases were lost: the rows this UPDATE wrote are the ones with its timestamp.
    mine = set(
        ExternalSyncJob.objects.filter(pk__in=ids, lease_token=token, finished_at=now).values_list(
            "pk", flat=True
        )
    )
    return [r for r in ok if r.job.pk in mine]


def _record_failure(leased_rows: QuerySet, r: AttemptResult) -> bool:
    """Record a retry or a permanent failure; ``False`` when the lease was lost."""
    common = {
        "failures": F("failures") + 1,
        "last_error": r.error,
        "last_status_code": r.status_code,
        "finished_at": r.finished_at,
        **_RELEASED,
    }
    if r.outcome == AttemptOutcome.RETRY:
        status: Any = JobStatus.PENDING
        common["next_attempt_at"] = r.next_attempt_at
    elif r.outcome in (AttemptOutcome.WAITING, AttemptOutcome.INTERRUPTED):
        # Not a failure: the retry table stays put (a dependency, or a worker stopping).
        status = JobStatus.PENDING
        common["next_attempt_at"] = r.next_attempt_at
        del common["failures"]
    elif r.outcome == AttemptOutcome.FAILED:
        # A change that arrived during the failed run may be the fix: run again.
        status = Case(
            When(rerun=True, then=Value(JobStatus.PENDING)), default=Value(JobStatus.FAILED)
        )
    else:  # lease_lost: the handler found out itself; nothing to write
        return False
    return bool(leased_rows.filter(pk=r.job.pk).update(status=status, **common))


def _report(r: AttemptResult) -> None:
    extra = log_extra(r.job, outcome=r.outcome, status_code=r.status_code)
    if r.outcome == AttemptOutcome.SUCCEEDED:
        logger.info("job succeeded", extra=extra)
        signals.job_succeeded.send(ExternalSyncJob, job=r.job, result=r.result)
    elif r.outcome in (AttemptOutcome.RETRY, AttemptOutcome.WAITING, AttemptOutcome.INTERRUPTED):
        logger.warning("job will retry at %s: %s", r.next_attempt_at, r.error, extra=extra)
    else:
        logger.error("job failed: %s", r.error, extra=extra)
        signals.job_failed.send(ExternalSyncJob, job=r.job, error=r.error)


def release(claim: Claim, jobs: list[ExternalSyncJob]) -> int:
    """Give back claimed jobs that were not started (time budget or lease running out)."""
    if not jobs:
        return 0
    return ExternalSyncJob.objects.filter(
        pk__in=[j.pk for j in jobs], lease_token=claim.token, status=JobStatus.RUNNING
    ).update(
        status=JobStatus.PENDING,
        attempts=F("attempts") - 1,
        lease_owner="",
        lease_expires_at=None,
    )


# ------------------------------------------------------------------ operator actions


def retry_now(queryset) -> int:
    """Make failed or waiting jobs due now (admin "retry now", ``omnium_jobs --retry-failed``).

    A failed job whose object meanwhile got a newer active job is left alone: the
    newer job reads the object's current state and covers it.
    """
    count = 0
    for job in queryset.filter(status__in=[JobStatus.FAILED, JobStatus.PENDING]):
        try:
            with transaction.atomic():
                count += ExternalSyncJob.objects.filter(
                    pk=job.pk, status__in=[JobStatus.FAILED, JobStatus.PENDING]
                ).update(status=JobStatus.PENDING, next_attempt_at=clock.now(), failures=0)
        except IntegrityError:
            continue
        dispatch.kick_on_commit(job.queue)
    return count


def cancel(queryset) -> int:
    """Cancel pending or failed jobs; running jobs finish their attempt first."""
    return queryset.filter(status__in=[JobStatus.PENDING, JobStatus.FAILED]).update(
        status=JobStatus.CANCELLED, finished_at=clock.now()
    )
