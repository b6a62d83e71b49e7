"""django-q2 entry points. Each one is short, idempotent and safe to run twice at once."""

from __future__ import annotations

from typing import Any

from . import stopping
from .conf import app_settings
from .jobs import dispatch, worker


def drain(queue: str) -> dict[str, Any]:
    """Run the queue's due jobs (retries and expired leases included) for a bounded time.

    Used both by the on-commit kick and by the per-engine sweeper schedule. When the
    time budget runs out the task queues its own successor, so a long backlog keeps
    draining without any single django-q2 task outliving the cluster's ``timeout``.
    """
    stats = worker.drain(queue, time_budget=app_settings.DRAIN_TIME_BUDGET)
    if stopping.requested():
        # SIGTERM: what it held is finished or released; end the worker process now
        # (django-q2 replaces it, or is stopping it anyway). See stopping.py.
        raise SystemExit(0)
    if stats.budget_exhausted:
        dispatch.kick(queue)
    return stats.as_dict()


def poll_orders() -> dict[str, Any]:
    """The safety-net delta poll of Omnium orders, for every active tenant.

    Scheduled every ``POLL_INTERVAL_MINUTES`` on the ``external_order_sync`` cluster; it
    only enqueues ``order.import`` jobs (the engine runs them).
    """
    from .sync.order_poll import poll_all

    return poll_all()


def send_alerts() -> int:
    """Raise an alert for each queue that is down, and mail the due digest (every minute);
    return how many causes the digest held."""
    from . import alerts
    from .health import health_report

    return alerts.notice_health(health_report())


def prune() -> dict[str, int]:
    """Delete records past their retention age (hourly; see ``retention.py``)."""
    from .retention import prune as prune_records

    return prune_records().as_dict()


def reconcile_previous_day() -> dict[str, Any]:
    """The nightly reconciliation: one task per active tenant, each for its previous day.

    Scheduled daily at ``RECONCILE_NIGHTLY_AT``. A tenant's run may outlast the cluster's
    ``timeout``, so each gets a task of its own with ``RECONCILE_TASK_TIMEOUT``.
    """
    from .enums import Queue
    from .models import TenantExtension

    if not app_settings.RECONCILE_NIGHTLY:
        return {"tenants": 0}
    extensions = list(TenantExtension.objects.active().values_list("pk", flat=True))
    for extension_id in extensions:
        dispatch.submit(
            "omnium_integration.tasks.reconcile_tenant",
            extension_id,
            queue=Queue.ORDER.value,
            timeout=app_settings.RECONCILE_TASK_TIMEOUT,
        )
    return {"tenants": len(extensions)}


def reconcile_tenant(extension_id: int, now: str | None = None) -> dict[str, Any]:
    """Reconcile one tenant's previous day (in its time zone); heal if so configured.

    A second delivery of the same task finds the day's scheduled run already there
    (a unique constraint) and does nothing.
    """
    from datetime import datetime

    from django.utils import timezone

    from .host import get_adapter
    from .models import ReconciliationRun, TenantExtension
    from .reconcile.dates import previous_day
    from .reconcile.run import RunExists, reconcile

    extension = TenantExtension.objects.select_related("tenant").get(pk=extension_id)
    zone = get_adapter().tenant_time_zone(extension.tenant)
    period = previous_day(zone, datetime.fromisoformat(now) if now else timezone.now())
    try:
        run = reconcile(
            extension,
            period,
            trigger=ReconciliationRun.Trigger.SCHEDULE,
            heal_differences=bool(app_settings.RECONCILE_NIGHTLY_HEAL),
        )
    except RunExists:
        return {"extension": extension_id, "skipped": "the day is already reconciled or running"}
    return {"extension": extension_id, "run": run.pk, "differences": run.difference_count}


def check_stock() -> dict[str, Any]:
    """The daily stock drift check (``STOCK_CHECK_TIME``), of every Flow-master store not
    checked since the day's slot. Scheduled every few minutes on the
    ``external_receivement_sync`` cluster while the setting is on; only due stores are read.
    """
    from .sync.stock_check import scheduled_check

    return scheduled_check()
