"""Pruning what the integration keeps, so its tables stay the size of their usefulness.

A daily schedule (``schedules.py``) and ``omnium_jobs --prune`` call :func:`prune`. Ages
are settings (``*_RETENTION_DAYS``). Failed jobs are never pruned, nor their attempts:
they stay until someone retries or cancels them. Pending and running jobs are work in
progress. Deletes go in batches of ``BATCH`` rows so no transaction holds a large lock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import QuerySet

from .conf import app_settings
from .enums import JobStatus
from .jobs import clock
from .models import Alert, ExternalSyncJob, InboundEvent, JobAttempt, RefusedDelivery

BATCH = 1000


@dataclass
class Pruned:
    succeeded_jobs: int = 0
    cancelled_jobs: int = 0
    attempts: int = 0
    events: int = 0
    refused_deliveries: int = 0
    alerts: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(self.__dict__)

    def __str__(self) -> str:
        return ", ".join(f"{n} {name.replace('_', ' ')}" for name, n in self.as_dict().items())


def _days(setting: str, now: datetime) -> datetime:
    return now - timedelta(days=float(getattr(app_settings, setting)))


def prune(now: datetime | None = None) -> Pruned:
    """Delete what is older than its retention age; return how many rows of each."""
    now = now or clock.now()
    jobs = ExternalSyncJob.objects
    pruned = Pruned(
        succeeded_jobs=_delete(
            jobs.filter(
                status=JobStatus.SUCCEEDED,
                finished_at__lt=_days("SUCCEEDED_RETENTION_DAYS", now),
            )
        ),
        cancelled_jobs=_delete(
            jobs.filter(
                status=JobStatus.CANCELLED,
                finished_at__lt=_days("CANCELLED_RETENTION_DAYS", now),
            )
        ),
        attempts=_delete(
            JobAttempt.objects.filter(finished_at__lt=_days("ATTEMPT_RETENTION_DAYS", now)).exclude(
                job__status=JobStatus.FAILED
            )
        ),
        events=_delete(
            InboundEvent.objects.filter(received_at__lt=_days("EVENT_RETENTION_DAYS", now))
        ),
        refused_deliveries=_delete(
            RefusedDelivery.objects.filter(
                received_at__lt=_days("REFUSED_DELIVERY_RETENTION_DAYS", now)
            )
        ),
    )
    # An alert row only remembers when its cause was last told; after a quiet day beyond
    # the interval it has nothing left to suppress.
    quiet = now - timedelta(seconds=float(app_settings.ALERT_INTERVAL)) - timedelta(days=1)
    pruned.alerts = _delete(Alert.objects.filter(last_seen_at__lt=quiet))
    return pruned


def _delete(queryset: QuerySet) -> int:
    """Delete ``queryset``'s rows in batches; return how many (cascaded rows not counted)."""
    model = queryset.model
    total = 0
    while True:
        ids = list(queryset.order_by().values_list("pk", flat=True)[:BATCH])
        if not ids:
            return total
        model.objects.filter(pk__in=ids).delete()
        total += len(ids)
