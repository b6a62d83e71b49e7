"""The engine's clock. Every delay the engine computes goes through :func:`scaled`.

``TIME_SCALE`` compresses those delays (retry schedule, ``Retry-After``, leases) so the
chaos tests can run the whole retry table in seconds against real processes. In
production it is 1.0 and this module is a thin wrapper around ``timezone.now``.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from ..conf import app_settings


def now() -> datetime:
    return timezone.now()


def scaled(seconds: float) -> timedelta:
    """A delay of ``seconds`` of engine time, as wall-clock time."""
    return timedelta(seconds=seconds / float(app_settings.TIME_SCALE))
