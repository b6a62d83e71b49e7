"""The django-q2 schedules the engines need, kept in step with the code after ``migrate``.

Every schedule names its cluster explicitly: django-q2 runs a schedule without a
cluster only on the default-named cluster, and we only run the two named engines.
"""

from __future__ import annotations

from typing import Any

from .conf import app_settings
from .enums import Queue

SWEEP_NAME = "omnium_integration: sweep {queue}"
POLL_NAME = "omnium_integration: poll Omnium orders"
ALERTS_NAME = "omnium_integration: alerts from {queue}"
PRUNE_NAME = "omnium_integration: prune old records"


def wanted_schedules() -> list[dict[str, Any]]:
    from django_q.models import Schedule

    sweeps = [
        {
            "name": SWEEP_NAME.format(queue=queue.value),
            "func": "omnium_integration.tasks.drain",
            "args": repr(queue.value),
            "schedule_type": Schedule.MINUTES,
            "minutes": 1,
            "cluster": queue.value,
        }
        for queue in Queue
    ]
    # The safety net under the Omnium webhook (see sync/order_poll.py).
    poll = {
        "name": POLL_NAME,
        "func": "omnium_integration.tasks.poll_orders",
        "args": None,
        "schedule_type": Schedule.MINUTES,
        "minutes": app_settings.POLL_INTERVAL_MINUTES,
        "cluster": Queue.ORDER.value,
    }
    # Health and alert digests from both engines: one engine down is told by the other.
    alerts = [
        {
            "name": ALERTS_NAME.format(queue=queue.value),
            "func": "omnium_integration.tasks.send_alerts",
            "args": None,
            "schedule_type": Schedule.MINUTES,
            "minutes": 1,
            "cluster": queue.value,
        }
        for queue in Queue
    ]
    prune = {
        "name": PRUNE_NAME,
        "func": "omnium_integration.tasks.prune",
        "args": None,
        "schedule_type": Schedule.HOURLY,
        "minutes": None,
        "cluster": Queue.ORDER.value,
    }
    return [*sweeps, poll, *alerts, prune]


def ensure_schedules(**_: Any) -> int:
    """Create or update the app's schedules; return how many were written."""
    from django_q.models import Schedule

    written = 0
    for spec in wanted_schedules():
        name = spec.pop("name")
        schedule, created = Schedule.objects.get_or_create(name=name, defaults=spec)
        changed = [key for key, value in spec.items() if getattr(schedule, key) != value]
        if changed:
            for key in changed:
                setattr(schedule, key, spec[key])
            schedule.save(update_fields=changed)
        written += int(created or bool(changed))
    return written
