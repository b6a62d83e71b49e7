"""System checks: wrong settings fail at startup with a hint, not at the first sync."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.db import DatabaseError

from .conf import DEFAULTS, SETTINGS_NAME, app_settings, get_host_model
from .crypto import key_problems
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


KEY_HINT = (
    "Generate a key with `manage.py omnium_secrets generate-key` and put it first in "
    "ENCRYPTION_KEYS (docs/operations.md#secrets-and-keys)."
)


@checks.register(checks.Tags.database)
def check_encryption_keys(
    app_configs: Any = None, databases: Any = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """Credentials are stored encrypted: without a usable key nothing can be read or saved.

    A malformed key fails every command (``runserver``, ``qcluster``…). No key at all
    fails ``migrate`` and ``check --database`` (the deployment), and is a warning for the
    other commands, which may run before any key exists (``makemigrations``).
    """
    keys = app_settings.ENCRYPTION_KEYS
    problems = key_problems(keys)
    if not problems:
        return []
    if keys or databases:
        return [checks.Error(p, hint=KEY_HINT, id="omnium_integration.E020") for p in problems]
    return [checks.Warning(p, hint=KEY_HINT, id="omnium_integration.W020") for p in problems]


@checks.register(checks.Tags.database)
def check_stored_secrets(
    app_configs: Any = None, databases: Any = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """Every stored credential opens with the configured keys (``migrate``,
    ``check --database default``): a key missing from ENCRYPTION_KEYS fails here, at
    deployment, not as a failed job later."""
    if not databases or key_problems(app_settings.ENCRYPTION_KEYS):
        return []
    from .stored_secrets import unreadable_values

    errors = []
    for alias in databases:
        try:
            unreadable = unreadable_values(alias)
        except DatabaseError:  # not migrated yet: nothing stored to check
            continue
        errors.extend(
            checks.Error(
                f"{count} stored value(s) of {label} cannot be decrypted with "
                f"ENCRYPTION_KEYS (database {alias!r}).",
                hint="Put the key they were encrypted with back into ENCRYPTION_KEYS "
                "(docs/operations.md#secrets-and-keys).",
                id="omnium_integration.E021",
            )
            for label, count in unreadable.items()
        )
    return errors


@checks.register()
def check_operations(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """What operators rely on: an absolute webhook URL, metrics from every process."""
    import os

    problems: list[checks.CheckMessage] = []
    if not app_settings.PUBLIC_BASE_URL:
        problems.append(
            checks.Warning(
                "PUBLIC_BASE_URL is not set: the webhook URL shown in the admin and printed "
                "by omnium_check is built from whatever address the page was reached on.",
                hint="Set OMNIUM_INTEGRATION['PUBLIC_BASE_URL'] to Flow's public address, "
                "e.g. 'https://flow.example.com'.",
                id="omnium_integration.W014",
            )
        )
    metrics_on = app_settings.METRICS_TOKEN or app_settings.METRICS_ALLOWED_IPS
    if metrics_on and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        problems.append(
            checks.Warning(
                "The metrics endpoint is on but PROMETHEUS_MULTIPROC_DIR is not set: it "
                "shows only the counts of the process that answers, not the engines'.",
                hint="Set PROMETHEUS_MULTIPROC_DIR to one empty directory for the web server "
                "and both qcluster services of a machine (docs/operations.md#metrics).",
                id="omnium_integration.W015",
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
            id="omnium_integration.E030",
        )
    ]
