"""System checks: wrong settings fail at startup with a hint, not at the first sync."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from .conf import DEFAULTS, SETTINGS_NAME, app_settings, get_host_model
from .enums import Queue

HOST_MODEL_KEYS = [key for key in DEFAULTS if key.endswith("_MODEL")]


@checks.register()
def check_settings(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = []
    unknown = sorted(set(getattr(settings, SETTINGS_NAME, {}) or {}) - set(DEFAULTS))
    if unknown:
        errors.append(
            checks.Error(
                f"Unknown {SETTINGS_NAME} keys: {', '.join(unknown)}.",
                hint=f"Valid keys: {', '.join(sorted(DEFAULTS))}.",
                id="omnium_integration.E001",
            )
        )
    for key in HOST_MODEL_KEYS:
        try:
            get_host_model(key)
        except ImproperlyConfigured as exc:
            errors.append(
                checks.Error(
                    str(exc),
                    hint="Point it at the Flow core model, as 'app_label.ModelName'.",
                    id="omnium_integration.E002",
                )
            )
    schedule = app_settings.RETRY_SCHEDULE
    if not schedule or any(not isinstance(m, int | float) or m <= 0 for m in schedule):
        errors.append(
            checks.Error(
                "RETRY_SCHEDULE must be a non-empty list of positive minutes.",
                id="omnium_integration.E003",
            )
        )
    if float(app_settings.TIME_SCALE) <= 0:
        errors.append(checks.Error("TIME_SCALE must be positive.", id="omnium_integration.E004"))
    return errors


@checks.register()
def check_django_q(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """The engines are django-q2 clusters named after the queues."""
    if not apps.is_installed("django_q"):
        return [
            checks.Error(
                "django_q (django-q2) must be in INSTALLED_APPS: the sync engines run on it.",
                id="omnium_integration.E010",
            )
        ]
    q_cluster = getattr(settings, "Q_CLUSTER", {}) or {}
    alt = q_cluster.get("ALT_CLUSTERS") or {}
    missing = [queue.value for queue in Queue if queue.value not in alt]
    if missing:
        return [
            checks.Warning(
                f"Q_CLUSTER['ALT_CLUSTERS'] has no entry for {', '.join(missing)}.",
                hint="Add one per engine (see the README); django-q2 also fails to start a "
                "named cluster when ALT_CLUSTERS is missing.",
                id="omnium_integration.W011",
            )
        ]
    problems = []
    for name in (queue.value for queue in Queue):
        conf = {**q_cluster, **(alt.get(name) or {})}
        timeout, retry = conf.get("timeout"), conf.get("retry", 60)
        if timeout is None or timeout >= retry:
            problems.append(
                checks.Warning(
                    f"Cluster {name}: timeout ({timeout}) must be set and below retry ({retry}).",
                    hint="Otherwise django-q2 may run the same drain task twice at once.",
                    id="omnium_integration.W012",
                )
            )
        elif timeout <= app_settings.DRAIN_TIME_BUDGET:
            problems.append(
                checks.Warning(
                    f"DRAIN_TIME_BUDGET ({app_settings.DRAIN_TIME_BUDGET}s) must be below "
                    f"cluster {name}'s timeout ({timeout}s).",
                    id="omnium_integration.W013",
                )
            )
    return problems


@checks.register()
def check_stock_settings(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """The daily stock check's time of day, when set."""
    at = app_settings.STOCK_CHECK_TIME
    if at is None:
        return []
    try:
        hours, minutes = (int(part) for part in str(at).split(":"))
        valid = 0 <= hours < 24 and 0 <= minutes < 60
    except ValueError:
        valid = False
    if valid:
        return []
    return [
        checks.Error(
            f"STOCK_CHECK_TIME must be a time of day as 'HH:MM' (or None), not {at!r}.",
            hint="e.g. '04:30', in Django's TIME_ZONE.",
            id="omnium_integration.E020",
        )
    ]
