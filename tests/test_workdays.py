"""Working days for Click & Collect pickup deadlines, and the Omnium date rule."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from omnium_integration.transform import gross_cents, parse_omnium_datetime
from omnium_integration.workdays import add_working_days, pickup_deadline, time_zone_for

OSLO = ZoneInfo("Europe/Oslo")


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        ("2026-03-02", 1, "2026-03-03"),  # Monday -> Tuesday
        ("2026-03-06", 1, "2026-03-09"),  # Friday -> Monday
        ("2026-03-06", 2, "2026-03-10"),  # Friday -> Tuesday
        ("2026-03-07", 1, "2026-03-09"),  # Saturday -> Monday
        ("2026-03-08", 5, "2026-03-13"),  # Sunday -> Friday
        ("2026-03-02", 10, "2026-03-16"),  # two whole weeks
        ("2026-03-07", 0, "2026-03-07"),  # zero days: today
    ],
)
def test_working_days_are_monday_to_friday_and_today_does_not_count(start, days, expected):
    assert add_working_days(date.fromisoformat(start), days) == date.fromisoformat(expected)


def test_a_holiday_hook_skips_more_days():
    easter_monday = date(2026, 4, 6)
    result = add_working_days(date(2026, 4, 3), 1, lambda d: d.weekday() < 5 and d != easter_monday)
    assert result == date(2026, 4, 7)


def test_the_deadline_is_the_end_of_the_day_in_the_tenants_zone():
    # 23:30 UTC on Thursday is already Friday in Oslo: Friday + 2 = Tuesday.
    now = datetime(2026, 3, 5, 23, 30, tzinfo=UTC)
    deadline = pickup_deadline(now, 2, OSLO)
    assert deadline == datetime(2026, 3, 10, 23, 59, 59, tzinfo=OSLO)
    assert deadline.utcoffset().total_seconds() == 3600


def test_the_deadline_follows_summer_time():
    now = datetime(2026, 3, 27, 9, 0, tzinfo=UTC)  # Friday; clocks go forward on Sunday
    deadline = pickup_deadline(now, 2, OSLO)
    assert deadline.isoformat() == "2026-03-31T23:59:59+02:00"


def test_each_market_country_has_its_zone():
    assert str(time_zone_for("se")) == "Europe/Stockholm"
    assert str(time_zone_for("FI")) == "Europe/Helsinki"
    assert str(time_zone_for("")) == "Europe/Oslo"  # settings.TIME_ZONE


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2022-12-04T07:28:50.1521376Z", datetime(2022, 12, 4, 7, 28, 50, 152137, tzinfo=UTC)),
        ("2026-02-17T07:23:07.638Z", datetime(2026, 2, 17, 7, 23, 7, 638000, tzinfo=UTC)),
        ("2026-02-17T08:23:07+01:00", datetime(2026, 2, 17, 7, 23, 7, tzinfo=UTC)),
        ("2026-02-17T07:23:07", datetime(2026, 2, 17, 7, 23, 7, tzinfo=UTC)),
        ("0001-01-01T00:00:00", None),
        ("", None),
        (None, None),
        ("yesterday", None),
        (20260217, None),
    ],
)
def test_omnium_dates(text, expected):
    assert parse_omnium_datetime(text) == expected


def test_gross_cents_rounds_half_up():
    assert gross_cents(Decimal("3"), 33) == 99
    assert gross_cents(Decimal("0.5"), 5) == 3
    assert gross_cents(Decimal("1.5"), 19950) == 29925
