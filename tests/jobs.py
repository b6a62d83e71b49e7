"""Running the order queue in a test, and finding a Flow object's job and Omnium fields."""

from __future__ import annotations

from django.utils import timezone

from omnium_integration.enums import ACTIVE_STATUSES, JobKind, Queue
from omnium_integration.jobs import worker
from omnium_integration.models import ExternalSyncJob


def drain(rounds: int = 40, queue: str = Queue.ORDER) -> None:
    """Run ``queue`` until no job is active, making every retry due at once."""
    for _ in range(rounds):
        worker.drain(queue)
        active = ExternalSyncJob.objects.filter(status__in=ACTIVE_STATUSES)
        if not active.exists():
            return
        active.update(next_attempt_at=timezone.now())
    raise AssertionError(f"jobs still active after {rounds} rounds: {list(active)}")


def props(document: dict) -> dict[str, str]:
    """An Omnium document's ``properties`` as a dict."""
    return {p["key"]: p["value"] for p in document.get("properties") or []}


def job_of(obj, kind: str = JobKind.ORDER_EXPORT) -> ExternalSyncJob:
    """The latest job of ``kind`` for a Flow object."""
    return ExternalSyncJob.objects.filter(kind=kind, object_id=str(obj.pk)).latest("pk")
