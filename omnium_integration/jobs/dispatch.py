"""Wake the engine up: a django-q2 drain task for the queue when jobs are written.

The kick is only a trigger. If it is lost (broker down, process killed) the job is still in
the database and the queue's sweeper schedule picks it up within a minute.

With django-q2's ORM broker (the default) the broker is a table in the same database, so
the kick is written in the caller's transaction: it commits or rolls back with the job,
nothing runs after the commit, and a transaction that writes many jobs kicks each queue
once. Other brokers (Redis...) are kicked after the commit, so a worker can never look
for a job that is not committed yet.
"""

from __future__ import annotations

import logging
from contextlib import nullcontext

from django.db import DEFAULT_DB_ALIAS, transaction

from ..conf import app_settings

logger = logging.getLogger(__name__)

DRAIN_TASK = "omnium_integration.tasks.drain"

_brokers: dict[str, object] = {}


class _Kick:
    """An on-commit callback that knows its queue, so a transaction kicks each queue once.

    ``send=False`` marks a queue already kicked inside the transaction (ORM broker); the
    marker is discarded with the savepoint that wrote it, like the kick row itself.
    """

    def __init__(self, queue: str, send: bool):
        self.queue = queue
        self.send = send

    def __call__(self) -> None:
        if self.send:
            kick(self.queue)


def _orm_broker_alias() -> str | None:
    """The database alias of django-q2's ORM broker, when that is the broker in use."""
    from django_q.conf import Conf

    if Conf.BROKER_CLASS or Conf.IRON_MQ or isinstance(Conf.SQS, dict) or Conf.SYNC:
        return None
    return Conf.ORM or None


def _broker(queue: str):
    broker = _brokers.get(queue)
    if broker is None:
        from django_q.brokers import get_broker

        with _no_connection_recycling():
            broker = _brokers[queue] = get_broker(queue)
    return broker


def _no_connection_recycling():
    # django-q2's ORM broker calls close_old_connections() whenever it runs outside a
    # transaction, which with CONN_MAX_AGE=0 closes the caller's connection and makes the
    # next query reconnect (tens of ms). Inside an atomic block it leaves it alone.
    # savepoint=False: inside the caller's transaction this adds no SAVEPOINT round trips.
    alias = _orm_broker_alias()
    return transaction.atomic(using=alias, savepoint=False) if alias else nullcontext()


def kick_on_commit(queue: str, using: str | None = None) -> None:
    """Make sure the queue's cluster drains it once the caller's transaction commits."""
    if not app_settings.DISPATCH_ON_COMMIT:
        return
    connection = transaction.get_connection(using)
    if connection.in_atomic_block and any(
        isinstance(func, _Kick) and func.queue == queue
        for _sids, func, _robust in connection.run_on_commit
    ):
        return
    if _orm_broker_alias() == (using or DEFAULT_DB_ALIAS):
        kick(queue)
        if connection.in_atomic_block:
            transaction.on_commit(_Kick(queue, send=False), using=using)
    else:
        # robust: a broker hiccup must never surface as an error in Flow's request.
        transaction.on_commit(_Kick(queue, send=True), using=using, robust=True)


def kick(queue: str) -> None:
    """Ask the queue's cluster to drain it now."""
    from django_q.tasks import async_task

    with _no_connection_recycling():
        async_task(
            DRAIN_TASK, queue, cluster=queue, save=False, ack_failure=True, broker=_broker(queue)
        )


def submit(func: str, *args: object, queue: str, timeout: float | None = None) -> None:
    """Run ``func(*args)`` as a django-q2 task of the queue's cluster (``timeout``: seconds
    it may run, instead of the cluster's)."""
    from django_q.tasks import async_task

    options = {"timeout": int(timeout)} if timeout else {}
    with _no_connection_recycling():
        async_task(func, *args, cluster=queue, ack_failure=True, broker=_broker(queue), **options)
