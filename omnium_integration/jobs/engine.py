"""Enqueue, claim, run and finish sync jobs.

The life of a job::

    enqueue()  --(caller's transaction commits)-->  pending
    claim()    pending/expired --> running, with a lease (owner, token, expiry)
    run        the kind's handler reads current state and talks to Omnium
               (a kind may read ahead once per claimed batch: ``registry.prepares``)
    finish     running --> succeeded | pending (retry, or rerun) | failed

Guarantees, and how they are kept:

* A job is written in the caller's transaction: ``enqueue`` is an INSERT on the caller's
  connection (inside a savepoint), so a rolled-back change leaves no job.
* At most one active job per (tenant, kind, object): a partial unique index. A Flow
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
import os
import socket
import threading
import time
import traceback
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db import IntegrityError, connections, transaction
from django.db.models import Case, F, JSONField, Value, When

from .. import signals
from ..conf import app_settings
from ..enums import ACTIVE_STATUSES, AttemptOutcome, JobStatus
from ..exceptions import LeaseLost, PermanentError, RetryableError
from ..models import ExternalSyncJob, JobAttempt, JobSource
from ..redaction import redact
from . import clock, dispatch, registry
from .backoff import retry_delay_seconds

logger = logging.getLogger(__name__)

# After its first claim a drain claims about this much work at a time, judged by how long
# its jobs have taken so far (at most CLAIM_BATCH_SIZE jobs). Slow jobs (a slow Omnium)
# then come a few at a time, so several workers share a backlog evenly and none sits on
# jobs the others could run; fast jobs still come CLAIM_BATCH_SIZE at a time.
CLAIM_SECONDS = 0.5  # seconds, wall clock

# Successful jobs are finished together at the end of their batch, so a queue costs one
# UPDATE per batch rather than one per job; a batch that runs longer than this (the first
# claim, or Omnium slowing down) also finishes the jobs done so far every FLUSH_INTERVAL.
# A failed or retried job is finished at once, with the successes before it.
FLUSH_INTERVAL = 1.0  # seconds, wall clock


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_native_id()}"


def _log_extra(job: ExternalSyncJob, **more: Any) -> dict[str, Any]:
    return {
        "job_id": job.pk,
        "tenant_id": job.tenant_id,
        "kind": job.kind,
        "attempt": job.attempts,
        **more,
    }


# --------------------------------------------------------------------------- enqueue


def enqueue(
    kind: str,
    *,
    tenant_id: int,
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
        tenant_id=tenant_id,
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
            tenant_id=tenant_id, kind=spec.kind, object_id=object_id, status__in=ACTIVE_STATUSES
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
            .select_related("tenant")
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


# ------------------------------------------------------------------------------- run


@dataclass
class Outcome:
    job: ExternalSyncJob
    outcome: str
    started_at: datetime
    finished_at: datetime
    result: dict[str, Any] = field(default_factory=dict)
    error: str = ""
    status_code: int | None = None
    next_attempt_at: datetime | None = None


def execute(job: ExternalSyncJob) -> Outcome:
    """Run the job's handler once and classify what happened. Never raises."""
    started = clock.now()

    def done(outcome: str, **kwargs: Any) -> Outcome:
        return Outcome(job, outcome, started, clock.now(), **kwargs)

    try:
        spec = registry.get_handler(job.kind)
        result = spec.func(job) or {}
    except LeaseLost as exc:
        return done(AttemptOutcome.LEASE_LOST, error=str(exc))
    except PermanentError as exc:
        return _failed(done, exc, status_code=exc.status_code)
    except RetryableError as exc:
        return _retry(job, done, redact(str(exc)), exc.status_code, exc.retry_after)
    except Exception as exc:
        # A bug or an unexpected outage (database, DNS...): keep the traceback for the
        # operator and retry on the schedule; a deploy or a recovery may fix it.
        logger.exception("job raised unexpectedly", extra=_log_extra(job))
        text = redact(f"{type(exc).__name__}: {exc}\n\n{traceback.format_exc()}")
        return _retry(job, done, text, None, None)
    return done(AttemptOutcome.SUCCEEDED, result=result)


def _failed(done, exc: PermanentError, status_code: int | None) -> Outcome:
    error = redact(str(exc))
    if exc.body:
        error = f"{error}\n\nOmnium said: {redact(exc.body)[:4000]}"
    return done(AttemptOutcome.FAILED, error=error, status_code=status_code)


def _retry(job, done, error: str, status_code, retry_after) -> Outcome:
    limit = app_settings.MAX_ATTEMPTS
    if limit and job.attempts >= limit:
        return done(
            AttemptOutcome.FAILED,
            error=f"Gave up after {job.attempts} attempts. Last error: {error}",
            status_code=status_code,
        )
    delay = retry_delay_seconds(job.failures + 1, retry_after)
    outcome = done(AttemptOutcome.RETRY, error=error, status_code=status_code)
    outcome.next_attempt_at = outcome.finished_at + clock.scaled(delay)
    return outcome


# ---------------------------------------------------------------------------- finish


def finish(claim: Claim, outcomes: list[Outcome]) -> list[Outcome]:
    """Record outcomes for jobs still leased to ``claim``; return those that were recorded."""
    if not outcomes:
        return []
    now = clock.now()
    token = claim.token
    leased_rows = ExternalSyncJob.objects.filter(lease_token=token, status=JobStatus.RUNNING)
    released = {"lease_owner": "", "lease_expires_at": None}
    recorded: list[Outcome] = []
    with transaction.atomic():
        ok = [o for o in outcomes if o.outcome == AttemptOutcome.SUCCEEDED]
        if ok:
            ids = [o.job.pk for o in ok]
            results = [When(pk=o.job.pk, then=Value(o.result, JSONField())) for o in ok if o.result]
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
                **released,
            )
            if updated == len(ok):
                recorded += ok
            else:
                mine = set(
                    ExternalSyncJob.objects.filter(
                        pk__in=ids, lease_token=token, finished_at=now
                    ).values_list("pk", flat=True)
                )
                recorded += [o for o in ok if o.job.pk in mine]
        for o in outcomes:
            if o.outcome == AttemptOutcome.RETRY:
                changed = leased_rows.filter(pk=o.job.pk).update(
                    status=JobStatus.PENDING,
                    next_attempt_at=o.next_attempt_at,
                    failures=F("failures") + 1,
                    last_error=o.error,
                    last_status_code=o.status_code,
                    finished_at=o.finished_at,
                    **released,
                )
            elif o.outcome == AttemptOutcome.FAILED:
                # A change that arrived during the failed run may be the fix: run again.
                changed = leased_rows.filter(pk=o.job.pk).update(
                    status=Case(
                        When(rerun=True, then=Value(JobStatus.PENDING)),
                        default=Value(JobStatus.FAILED),
                    ),
                    failures=F("failures") + 1,
                    last_error=o.error,
                    last_status_code=o.status_code,
                    finished_at=o.finished_at,
                    **released,
                )
            else:
                continue
            if changed:
                recorded.append(o)
        recorded_ids = {o.job.pk for o in recorded}
        lost = [o for o in outcomes if o.job.pk not in recorded_ids]
        JobAttempt.objects.bulk_create(
            JobAttempt(
                job_id=o.job.pk,
                number=o.job.attempts,
                worker=claim.worker,
                started_at=o.started_at,
                finished_at=o.finished_at,
                outcome=o.outcome if o.job.pk in recorded_ids else AttemptOutcome.LEASE_LOST,
                error=o.error,
                status_code=o.status_code,
            )
            for o in outcomes
        )
    for o in lost:
        logger.warning(
            "job lease was lost; its result was discarded",
            extra=_log_extra(o.job, outcome=o.outcome),
        )
    for o in recorded:
        _report(o)
    return recorded


def _report(o: Outcome) -> None:
    extra = _log_extra(o.job, outcome=o.outcome, status_code=o.status_code)
    if o.outcome == AttemptOutcome.SUCCEEDED:
        logger.info("job succeeded", extra=extra)
        signals.job_succeeded.send(ExternalSyncJob, job=o.job, result=o.result)
    elif o.outcome == AttemptOutcome.RETRY:
        logger.warning("job will retry at %s: %s", o.next_attempt_at, o.error, extra=extra)
    else:
        logger.error("job failed: %s", o.error, extra=extra)
        signals.job_failed.send(ExternalSyncJob, job=o.job, error=o.error)


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


# ----------------------------------------------------------------------------- drain


@dataclass
class DrainStats:
    claimed: int = 0
    succeeded: int = 0
    retried: int = 0
    failed: int = 0
    lost: int = 0
    released: int = 0
    budget_exhausted: bool = False

    def add(self, recorded: list[Outcome], attempted: int) -> None:
        for o in recorded:
            if o.outcome == AttemptOutcome.SUCCEEDED:
                self.succeeded += 1
            elif o.outcome == AttemptOutcome.RETRY:
                self.retried += 1
            else:
                self.failed += 1
        self.lost += attempted - len(recorded)

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


def drain(
    queue: str,
    *,
    worker: str | None = None,
    batch_size: int | None = None,
    time_budget: float | None = None,
    max_jobs: int | None = None,
) -> DrainStats:
    """Claim and run due jobs of ``queue`` until none is due (or the budget is spent).

    Each claim takes ``batch_size`` jobs if given; otherwise the first takes
    ``CLAIM_BATCH_SIZE`` and the next ones about ``CLAIM_SECONDS`` of work (see there).
    """
    worker = worker or worker_name()
    deadline = time.monotonic() + time_budget if time_budget else None
    stats = DrainStats()
    seconds_per_job: float | None = None  # a moving average of this drain's batches
    while max_jobs is None or stats.claimed < max_jobs:
        limit = batch_size or _claim_size(seconds_per_job)
        if max_jobs is not None:
            limit = min(limit, max_jobs - stats.claimed)
        batch = claim(queue, worker=worker, limit=limit)
        if not batch.jobs:
            break
        stats.claimed += len(batch.jobs)
        started, released = time.monotonic(), stats.released
        _run_batch(batch, stats, deadline)
        ran = len(batch.jobs) - (stats.released - released)
        if ran:
            took = (time.monotonic() - started) / ran
            seconds_per_job = took if seconds_per_job is None else (seconds_per_job + took) / 2
        if deadline is not None and time.monotonic() >= deadline:
            stats.budget_exhausted = True
            break
    return stats


def _claim_size(seconds_per_job: float | None) -> int:
    """How many jobs to claim next: ``CLAIM_BATCH_SIZE``, or about ``CLAIM_SECONDS`` of work."""
    most = int(app_settings.CLAIM_BATCH_SIZE)
    if seconds_per_job is None:
        return most
    return max(1, min(most, round(CLAIM_SECONDS / max(seconds_per_job, 1e-6))))


def _prepare(jobs: list[ExternalSyncJob]) -> None:
    """Let each kind's preparer read ahead for its jobs of the batch (see ``prepares``)."""
    by_kind: dict[str, list[ExternalSyncJob]] = {}
    for job in jobs:
        by_kind.setdefault(job.kind, []).append(job)
    for kind, group in by_kind.items():
        preparer = registry.get_preparer(kind)
        if preparer is None:
            continue
        try:
            preparer(group)
        except Exception:
            # Only a shortcut is lost: each handler reads its own data instead.
            logger.exception("reading ahead for a batch of %s jobs failed", kind)


def _run_batch(batch: Claim, stats: DrainStats, deadline: float | None) -> None:
    _prepare(batch.jobs)
    pending: list[Outcome] = []
    last_flush = time.monotonic()
    for index, job in enumerate(batch.jobs):
        out_of_time = deadline is not None and time.monotonic() >= deadline
        # Leave half the lease for the job itself: a slow Omnium must not let the lease
        # run out under a job that has not even started.
        lease_left = (job.lease_expires_at - clock.now()).total_seconds()
        lease_short = lease_left < clock.scaled(app_settings.LEASE_SECONDS).total_seconds() / 2
        if out_of_time or lease_short:
            stats.released += release(batch, batch.jobs[index:])
            stats.budget_exhausted = stats.budget_exhausted or out_of_time
            break
        outcome = execute(job)
        pending.append(outcome)
        if (
            outcome.outcome != AttemptOutcome.SUCCEEDED
            or time.monotonic() - last_flush >= FLUSH_INTERVAL
        ):
            stats.add(finish(batch, pending), len(pending))
            pending, last_flush = [], time.monotonic()
    stats.add(finish(batch, pending), len(pending))


# ------------------------------------------------------------------ operator actions


def retry_now(queryset) -> int:
    """Make failed or waiting jobs due now (admin "retry now", ``omnium_jobs --retry``).

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


__all__ = [
    "Claim",
    "DrainStats",
    "Outcome",
    "cancel",
    "claim",
    "drain",
    "enqueue",
    "execute",
    "finish",
    "leased",
    "release",
    "retry_now",
    "worker_name",
]
