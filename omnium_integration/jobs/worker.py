"""The job queue's running side: run claimed jobs, and drain a queue in bounded batches.

A drain claims due jobs (:func:`.manager.claim`), lets each kind read ahead once per batch
(``registry.prepares``), runs every job's handler (:func:`execute`, which never raises),
and hands the results to :func:`.manager.finish` in batches.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import traceback
from dataclasses import dataclass
from typing import Any

from .. import metrics, stopping
from ..conf import app_settings
from ..enums import AttemptOutcome, Direction
from ..exceptions import (
    LeaseLost,
    PermanentError,
    RetryableError,
    WaitingForDependency,
    WorkerStopping,
)
from ..models import ExternalSyncJob
from ..redaction import redact
from . import clock, registry
from .backoff import retry_delay_seconds
from .manager import AttemptResult, Claim, claim, finish, log_extra, release

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


# ------------------------------------------------------------------------------- run


def execute(job: ExternalSyncJob) -> AttemptResult:
    """Run the job's handler once and classify what happened. Never raises."""
    started = clock.now()

    def done(outcome: str, **kwargs: Any) -> AttemptResult:
        return AttemptResult(job, outcome, started, clock.now(), **kwargs)

    try:
        spec = registry.get_handler(job.kind)
        result = spec.func(job) or {}
    except LeaseLost as exc:
        return done(AttemptOutcome.LEASE_LOST, error=str(exc))
    except WorkerStopping as exc:  # SIGTERM: back to pending at once (see stopping.py)
        result = done(AttemptOutcome.INTERRUPTED, error=str(exc))
        result.next_attempt_at = result.finished_at
        return result
    except WaitingForDependency as exc:
        result = done(AttemptOutcome.WAITING, error=redact(str(exc)))
        result.next_attempt_at = result.finished_at + clock.scaled(app_settings.DEPENDENCY_WAIT)
        return result
    except PermanentError as exc:
        return _failed(done, exc)
    except RetryableError as exc:
        return _retry(job, done, redact(str(exc)), exc.status_code, exc.retry_after)
    except Exception as exc:
        # A bug or an unexpected outage (database, DNS...): keep the traceback for the
        # operator and retry on the schedule; a deploy or a recovery may fix it.
        logger.exception("job raised unexpectedly", extra=log_extra(job))
        text = redact(f"{type(exc).__name__}: {exc}\n\n{traceback.format_exc()}")
        return _retry(job, done, text, None, None)
    return done(AttemptOutcome.SUCCEEDED, result=result)


def _failed(done, exc: PermanentError) -> AttemptResult:
    error = redact(str(exc))
    if exc.body:
        error = f"{error}\n\nOmnium said: {redact(exc.body)[:4000]}"
    return done(AttemptOutcome.FAILED, error=error, status_code=exc.status_code)


def _retry(job, done, error: str, status_code, retry_after) -> AttemptResult:
    limit = app_settings.MAX_ATTEMPTS
    if limit and job.attempts >= limit:
        return done(
            AttemptOutcome.FAILED,
            error=f"Gave up after {job.attempts} attempts. Last error: {error}",
            status_code=status_code,
        )
    delay = retry_delay_seconds(job.failures + 1, retry_after)
    result = done(AttemptOutcome.RETRY, error=error, status_code=status_code)
    result.next_attempt_at = result.finished_at + clock.scaled(delay)
    return result


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

    def add(self, recorded: list[AttemptResult], attempted: int) -> None:
        for r in recorded:
            if r.outcome == AttemptOutcome.SUCCEEDED:
                self.succeeded += 1
            elif r.outcome in (AttemptOutcome.RETRY, AttemptOutcome.WAITING):
                self.retried += 1
            elif r.outcome == AttemptOutcome.INTERRUPTED:
                self.released += 1
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
    while (max_jobs is None or stats.claimed < max_jobs) and not stopping.requested():
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
    pending: list[AttemptResult] = []
    last_flush = time.monotonic()
    for index, job in enumerate(batch.jobs):
        out_of_time = deadline is not None and time.monotonic() >= deadline
        if stopping.requested():  # SIGTERM: give back what has not started
            stats.released += release(batch, batch.jobs[index:])
            break
        # Leave half the lease for the job itself: a slow Omnium must not let the lease
        # run out under a job that has not even started.
        lease_left = (job.lease_expires_at - clock.now()).total_seconds()
        lease_short = lease_left < clock.scaled(app_settings.LEASE_SECONDS).total_seconds() / 2
        if out_of_time or lease_short:
            stats.released += release(batch, batch.jobs[index:])
            stats.budget_exhausted = stats.budget_exhausted or out_of_time
            break
        result = execute(job)
        pending.append(result)
        if (
            result.outcome != AttemptOutcome.SUCCEEDED
            or time.monotonic() - last_flush >= FLUSH_INTERVAL
        ):
            _finish(batch, pending, stats)
            pending, last_flush = [], time.monotonic()
    _finish(batch, pending, stats)


def _finish(batch: Claim, results: list[AttemptResult], stats: DrainStats) -> None:
    recorded = finish(batch, results)
    stats.add(recorded, len(results))
    kept = {r.job.pk for r in recorded}
    for r in results:
        outcome = r.outcome if r.job.pk in kept else AttemptOutcome.LEASE_LOST
        metrics.job_attempt(r.job.queue, r.job.kind, outcome)
        if outcome == AttemptOutcome.SUCCEEDED and r.job.direction == Direction.OUTBOUND:
            metrics.outbound_synced(r.job.kind, r.job.created_at, r.finished_at)
