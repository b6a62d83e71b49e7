"""Health: what an on-call operator checks first, for the endpoint, the command and alerts.

Three statuses, worst first:

* ``down``: a queue has a due job waiting longer than ``HEALTH_MAX_DUE_AGE`` (its engine
  is not running or cannot keep up), or the database cannot be reached. Syncs are not
  happening: page someone. The endpoint answers 503.
* ``degraded``: syncs run, but something needs a person: failed jobs (they stay failed
  until retried or cancelled), or an active tenant whose token cannot be had (no
  credentials, or Omnium refused them). The endpoint answers 200.
* ``ok``: nothing to do.

Everything here is read from the database; nothing calls Omnium, so probing is cheap.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Count, Max, Min, Q

from .conf import app_settings
from .enums import JobStatus, Queue
from .jobs import clock
from .models import ExternalSyncJob, TenantExtension
from .redaction import redact

OK, DEGRADED, DOWN = "ok", "degraded", "down"
_RANK = {OK: 0, DEGRADED: 1, DOWN: 2}


def worst(statuses: list[str]) -> str:
    return max(statuses, key=_RANK.__getitem__, default=OK)


@dataclass
class QueueHealth:
    queue: str
    pending: int
    running: int
    failed: int
    oldest_pending_age: float | None  # seconds since the oldest pending job was created
    oldest_due_age: float | None  # seconds the most overdue job has waited past its due time
    last_success_at: datetime | None
    status: str = OK
    reasons: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["last_success_at"] = self.last_success_at.isoformat() if self.last_success_at else None
        return data


@dataclass
class TenantHealth:
    tenant: str  # the Flow tenant's key (uid)
    failed: int
    status: str = OK
    reasons: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class HealthReport:
    status: str
    queues: list[QueueHealth]
    tenants: list[TenantHealth]
    reasons: list[str]  # every reason, prefixed with its queue or tenant

    @property
    def http_status(self) -> int:
        return 503 if self.status == DOWN else 200

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "reasons": self.reasons,
            "queues": [q.as_dict() for q in self.queues],
            "tenants": [t.as_dict() for t in self.tenants],
        }


def unreachable_database(error: Exception) -> HealthReport:
    """The report when the database cannot be asked (the error's class only: its text may
    name the host and user)."""
    return HealthReport(DOWN, [], [], [f"database unreachable ({type(error).__name__})"])


def health_report(now: datetime | None = None) -> HealthReport:
    now = now or clock.now()
    queues = queue_health(now)
    tenants = tenant_health()
    reasons = [f"{q.queue}: {reason}" for q in queues for reason in q.reasons]
    reasons += [f"tenant {t.tenant}: {reason}" for t in tenants for reason in t.reasons]
    status = worst([q.status for q in queues] + [t.status for t in tenants])
    return HealthReport(status, queues, tenants, reasons)


def queue_health(now: datetime | None = None) -> list[QueueHealth]:
    """One row per queue, with its status and the reasons for it."""
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
    report = []
    for queue in Queue:
        row = rows.get(queue.value, {})
        oldest_created, oldest_due = row.get("oldest_created"), row.get("oldest_due")
        health = QueueHealth(
            queue=queue.value,
            pending=row.get("pending", 0),
            running=row.get("running", 0),
            failed=row.get("failed", 0),
            oldest_pending_age=(now - oldest_created).total_seconds() if oldest_created else None,
            oldest_due_age=(now - oldest_due).total_seconds() if oldest_due else None,
            last_success_at=row.get("last_success"),
        )
        _judge_queue(health)
        report.append(health)
    return report


def _judge_queue(health: QueueHealth) -> None:
    limit = app_settings.HEALTH_MAX_DUE_AGE
    if health.oldest_due_age is not None and health.oldest_due_age > limit:
        health.status = DOWN
        health.reasons.append(
            f"a due job has waited {health.oldest_due_age:.0f}s (more than {limit}s): "
            "is the engine running?"
        )
    if health.failed:
        health.status = worst([health.status, DEGRADED])
        health.reasons.append(f"{health.failed} failed job(s)")


def tenant_health() -> list[TenantHealth]:
    """Active tenants, and any tenant with failed jobs, with what needs a person."""
    from .host import get_adapter

    failed = dict(
        ExternalSyncJob.objects.filter(status=JobStatus.FAILED)
        .values_list("extension")
        .annotate(n=Count("pk"))
        .order_by()
    )
    extensions = (
        TenantExtension.objects.without_secrets()
        .filter(Q(is_active=True) | Q(pk__in=list(failed)))
        .select_related("tenant")
        .order_by("pk")
    )
    adapter = get_adapter()
    report = []
    for extension in extensions:
        health = TenantHealth(adapter.tenant_key(extension), failed.get(extension.pk, 0))
        for reason in credential_problems(extension):
            health.reasons.append(reason)
        if health.failed:
            health.reasons.append(f"{health.failed} failed job(s)")
        health.status = DEGRADED if health.reasons else OK
        report.append(health)
    return report


def credential_problems(extension: TenantExtension) -> list[str]:
    """Why an active tenant cannot have a token, from what the client last recorded."""
    if not extension.is_active:
        return []
    if not extension.has_credentials:
        return ["no Omnium credentials (client id and secret)"]
    if extension.credentials_failed_at:
        when = extension.credentials_failed_at.isoformat(timespec="seconds")
        return [f"Omnium refused its credentials at {when}: {redact(extension.credentials_error)}"]
    return []
