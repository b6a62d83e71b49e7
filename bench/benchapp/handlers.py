"""Handlers and tasks that do nothing, to measure the machinery around them."""

from omnium_integration.enums import Direction, Queue
from omnium_integration.jobs.registry import handles

NOOP = "bench.noop"


@handles(NOOP, queue=Queue.ORDER, direction=Direction.OUTBOUND)
def noop_handler(job):
    return None


def noop_task(*args):
    """The django-q2 side of P6: one task per job, doing nothing."""
    return
