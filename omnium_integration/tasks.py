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
