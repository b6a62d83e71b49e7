"""Per-queue health: what an on-call operator checks first."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count, Max, Min, Q

from .conf import app_settings
from .enums import JobStatus, Queue
from .jobs import clock
from .models import ExternalSyncJob


@dataclass
class QueueHealth:
    queue: str
    pending: int
    running: int
    failed: int
    oldest_pending_age: float | None  # seconds since the oldest pending job was created
    oldest_due_age: float | None  # seconds the most overdue job has waited past its due time
    last_success_at: datetime | None
    healthy: bool

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["last_success_at"] = self.last_success_at.isoformat() if self.last_success_at else None
        return data


def queue_health(now: datetime | None = None) -> list[QueueHealth]:
    """One row per queue. A queue is unhealthy when a due job has waited too long:
    the engine is not running (or cannot keep up)."""
    now = now or clock.now()
    pending = Q(status=JobStatus.PENDING)
    rows = {
        row["queue"]: row
        for row in ExternalSyncJob.objects.values("queue")
        .annotate(
            pending=Count("pk", filter=pending),
            running=Count("pk", filter=Q(status=JobStatus.RUNNING)),
            failed=Count("pk", filter=Q(status=JobStatus.FAILED)),
            oldest_created=Min("created_at", filter=pending),
            oldest_due=Min("next_attempt_at", filter=pending & Q(next_attempt_at__lte=now)),
            last_success=Max("finished_at", filter=Q(status=JobStatus.SUCCEEDED)),
        )
        .order_by()
    }
    limit = app_settings.HEALTH_MAX_DUE_AGE
    report = []
    for queue in Queue:
        row = rows.get(queue.value, {})
        oldest_created, oldest_due = row.get("oldest_created"), row.get("oldest_due")
        due_age = (now - oldest_due).total_seconds() if oldest_due else None
        report.append(
            QueueHealth(
                queue=queue.value,
                pending=row.get("pending", 0),
                running=row.get("running", 0),
                failed=row.get("failed", 0),
                oldest_pending_age=(now - oldest_created).total_seconds()
                if oldest_created
                else None,
                oldest_due_age=due_age,
                last_success_at=row.get("last_success"),
                healthy=due_age is None or due_age <= limit,
            )
        )
    return report
