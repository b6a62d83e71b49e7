"""Periods (``Period``: ``[since, until)``), and periods as operators name them: dates are
days in the tenant's time zone.

``--since 2026-11-01`` starts at midnight in the tenant's zone (Oslo for a Norwegian
tenant); ``--until 2026-11-01`` includes that day (ends at the next midnight); a
date-time is taken as written (in the tenant's zone when it has no offset). Without
``--until`` the period runs to now.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from django.utils.dateparse import parse_date, parse_datetime


@dataclass(frozen=True)
class Period:
    """``[since, until)``: aware datetimes."""

    since: datetime
    until: datetime

    def __post_init__(self) -> None:
        if self.until <= self.since:
            raise ValueError(f"The period ends ({self.until}) before it begins ({self.since}).")

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        return self.since, self.until

    def widened(self, margin: timedelta) -> Period:
        return Period(self.since - margin, self.until + margin)

    def holds(self, moment: datetime | None) -> bool:
        return moment is not None and self.since <= moment < self.until


def _midnight(day: date, zone: tzinfo) -> datetime:
    return datetime.combine(day, time.min, tzinfo=zone)


def bound(value: str, zone: tzinfo, *, end: bool) -> datetime:
    """One end of a period from ``value`` (a date or a date-time)."""
    day = parse_date(value)
    if day is not None:
        return _midnight(day + timedelta(days=1) if end else day, zone)
    moment = parse_datetime(value)
    if moment is None:
        raise ValueError(f"{value!r} is neither a date (2026-11-01) nor a date-time.")
    return moment if moment.tzinfo else moment.replace(tzinfo=zone)


def period_between(since: str, until: str | None, zone: tzinfo, now: datetime) -> Period:
    return Period(bound(since, zone, end=False), bound(until, zone, end=True) if until else now)


def previous_day(zone: tzinfo, now: datetime) -> Period:
    """Yesterday in ``zone``, midnight to midnight."""
    today = now.astimezone(zone).date()
    return Period(_midnight(today - timedelta(days=1), zone), _midnight(today, zone))
