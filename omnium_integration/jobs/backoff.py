"""The retry table: when a failed job runs again."""

from __future__ import annotations

from ..conf import app_settings


def retry_delay_seconds(failures: int, retry_after: float | None = None) -> float:
    """Seconds (engine time) to wait after the ``failures``-th consecutive failure.

    Retry n waits ``RETRY_SCHEDULE[n-1]`` minutes (1, 2, 5, 10, 20, 30, 45, 60, 90) and every
    retry after the table's end waits its last value (120). Omnium's ``Retry-After`` can
    only make the wait longer, never shorter.
    """
    if failures < 1:
        raise ValueError("failures counts from 1")
    schedule = app_settings.RETRY_SCHEDULE
    delay = float(schedule[min(failures, len(schedule)) - 1]) * 60.0
    if retry_after is not None and retry_after > delay:
        delay = float(retry_after)
    return delay
