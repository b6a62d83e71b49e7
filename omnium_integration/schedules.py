"""The django-q2 schedules the engines need, kept in step with the code after ``migrate``.

Every schedule names its cluster explicitly: django-q2 runs a schedule without a
cluster only on the default-named cluster, and we only run the two named engines.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django.utils import timezone

from .conf import app_settings
from .enums import Queue

SWEEP_NAME = "omnium_integration: sweep {queue}"
POLL_NAME = "omnium_integration: poll Omnium orders"
ALERTS_NAME = "omnium_integration: alerts from {queue}"
PRUNE_NAME = "omnium_integration: prune old records"
RECONCILE_NAME = "omnium_integration: reconcile the previous day"
STOCK_CHECK_NAME = "omnium_integration: daily stock check"
# How often the stock check's schedule looks for stores due (their check runs once a day).
STOCK_CHECK_EVERY = 10  # minutes


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
    return [*sweeps, poll, *alerts, prune, *stock_check_schedules()]


def stock_check_schedules() -> list[dict[str, Any]]:
    """The daily drift check's schedule, only while ``STOCK_CHECK_TIME`` is set."""
    from django_q.models import Schedule

    if not app_settings.STOCK_CHECK_TIME:
        return []
    return [
        {
            "name": STOCK_CHECK_NAME,
            "func": "omnium_integration.tasks.check_stock",
            "args": None,
            "schedule_type": Schedule.MINUTES,
            "minutes": STOCK_CHECK_EVERY,
            "cluster": Queue.RECEIVEMENT.value,
        }
    ]


# Schedules the app writes only while a setting asks for them; removed when it no longer does.
OPTIONAL_SCHEDULES = (STOCK_CHECK_NAME,)


def ensure_schedules(**_: Any) -> int:
    """Create or update the app's schedules; return how many were written."""
    from django_q.models import Schedule

    written = _ensure_reconcile_schedule()
    wanted = wanted_schedules()
    names = {spec["name"] for spec in wanted}
    unwanted = Schedule.objects.filter(name__in=OPTIONAL_SCHEDULES).exclude(name__in=names)
    written += unwanted.delete()[0]
    for spec in wanted:
        name = spec.pop("name")
        schedule, created = Schedule.objects.get_or_create(name=name, defaults=spec)
        changed = [key for key, value in spec.items() if getattr(schedule, key) != value]
        if changed:
            for key in changed:
                setattr(schedule, key, spec[key])
            schedule.save(update_fields=changed)
        written += int(created or bool(changed))
    return written


def _ensure_reconcile_schedule() -> int:
    """The nightly reconciliation (``RECONCILE_NIGHTLY``), daily at ``RECONCILE_NIGHTLY_AT``
    in ``TIME_ZONE``; removed when switched off. Returns how many schedules it wrote."""
    from django_q.models import Schedule

    existing = Schedule.objects.filter(name=RECONCILE_NAME).first()
    if not app_settings.RECONCILE_NIGHTLY:
        if existing is not None:
            existing.delete()
            return 1
        return 0
    at = time.fromisoformat(app_settings.RECONCILE_NIGHTLY_AT)
    spec = {
        "func": "omnium_integration.tasks.reconcile_previous_day",
        "args": None,
        "schedule_type": Schedule.DAILY,
        "cluster": Queue.ORDER.value,
    }
    if existing is not None:
        local = timezone.localtime(existing.next_run) if existing.next_run else None
        same_time = local is not None and local.time().replace(second=0, microsecond=0) == at
        if same_time and all(getattr(existing, k) == v for k, v in spec.items()):
            return 0
        existing.delete()
    Schedule.objects.create(name=RECONCILE_NAME, next_run=next_occurrence(at), **spec)
    return 1


def next_occurrence(at: time, now: datetime | None = None) -> datetime:
    """The next ``at`` o'clock in ``TIME_ZONE`` after ``now``."""
    now = timezone.localtime(now or timezone.now())
    moment = timezone.make_aware(datetime.combine(now.date(), at))
    return (
        moment
        if moment > now
        else timezone.make_aware(datetime.combine(now.date() + timedelta(days=1), at))
    )
