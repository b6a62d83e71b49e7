"""Wake the engine up: a django-q2 task per queue when a transaction that wrote jobs commits.

The kick is only a trigger. If it is lost (broker down, process killed after commit)
the job is still in the database and the sweeper schedule picks it up within a minute.
"""

from __future__ import annotations

import logging

from django.db import transaction

from ..conf import app_settings

logger = logging.getLogger(__name__)

DRAIN_TASK = "omnium_integration.tasks.drain"


class _Kick:
    """An on-commit callback that knows its queue, so a transaction kicks each queue once."""

    def __init__(self, queue: str):
        self.queue = queue

    def __call__(self) -> None:
        kick(self.queue)


def kick_on_commit(queue: str, using: str | None = None) -> None:
    if not app_settings.DISPATCH_ON_COMMIT:
        return
    connection = transaction.get_connection(using)
    if connection.in_atomic_block and any(
        isinstance(func, _Kick) and func.queue == queue
        for _sids, func, _robust in connection.run_on_commit
    ):
        return
    # robust: a broker hiccup must never surface as an error in Flow's request.
    transaction.on_commit(_Kick(queue), using=using, robust=True)


def kick(queue: str) -> None:
    """Ask the queue's cluster to drain it now."""
    from django_q.tasks import async_task

    async_task(DRAIN_TASK, queue, cluster=queue, save=False, ack_failure=True)
