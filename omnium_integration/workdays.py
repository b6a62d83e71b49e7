"""Working-day arithmetic for Click & Collect pickup deadlines.

Flow documents the deadline as ``OMNIUM_CLICK_COLLECT_EXPIRY_DAYS`` *working days* from
the current date. The rule here: working days are Monday to Friday in the tenant's
time zone; today does not count; the deadline is the end (23:59:59) of the last working
day. An order imported on a Friday with 2 days is due Tuesday 23:59:59 local time.
Public holidays are the host's to add: the adapter's ``is_working_day`` is the hook.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta, tzinfo
from zoneinfo import ZoneInfo

from django.conf import settings

# The time zone of each Omnium market country; other countries use settings.TIME_ZONE.
COUNTRY_TIME_ZONES: dict[str, str] = {
    "NO": "Europe/Oslo",
    "SE": "Europe/Stockholm",
    "DK": "Europe/Copenhagen",
    "FI": "Europe/Helsinki",
}
END_OF_DAY = time(23, 59, 59)


def time_zone_for(country_code: str) -> tzinfo:
    """The time zone a store operator in ``country_code`` lives by."""
    name = COUNTRY_TIME_ZONES.get((country_code or "").strip().upper(), settings.TIME_ZONE)
    return ZoneInfo(name)


def is_weekday(day: date) -> bool:
    return day.weekday() < 5


def add_working_days(
    start: date, days: int, is_working_day: Callable[[date], bool] = is_weekday
) -> date:
    """The date ``days`` working days after ``start`` (``start`` itself never counts)."""
    day, remaining = start, max(days, 0)
    while remaining:
        day += timedelta(days=1)
        if is_working_day(day):
            remaining -= 1
    return day


def pickup_deadline(
    now: datetime,
    days: int,
    zone: tzinfo,
    is_working_day: Callable[[date], bool] = is_weekday,
) -> datetime:
    """End of the ``days``-th working day after ``now``'s local date, as an aware datetime."""
    local_today = now.astimezone(zone).date()
    return datetime.combine(add_working_days(local_today, days, is_working_day), END_OF_DAY, zone)
