"""django-q2 entry points. Each one is short, idempotent and safe to run twice at once."""

from __future__ import annotations

from typing import Any

from .conf import app_settings
from .jobs import dispatch, worker


def drain(queue: str) -> dict[str, Any]:
    """Run the queue's due jobs (retries and expired leases included) for a bounded time.

    Used both by the on-commit kick and by the per-engine sweeper schedule. When the
    time budget runs out the task queues its own successor, so a long backlog keeps
    draining without any single django-q2 task outliving the cluster's ``timeout``.
    """
    stats = worker.drain(queue, time_budget=app_settings.DRAIN_TIME_BUDGET)
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


def check_stock() -> dict[str, Any]:
    """The daily stock drift check (``STOCK_CHECK_TIME``), of every Flow-master store not
    checked since the day's slot. Scheduled every few minutes on the
    ``external_receivement_sync`` cluster while the setting is on; only due stores are read.
    """
    from .sync.stock_check import scheduled_check

    return scheduled_check()
