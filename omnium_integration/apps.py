import logging

from django.apps import AppConfig
from django.db.models.signals import post_migrate

# Loggers outside the app that would otherwise carry its credentials, whatever handlers
# the host configures: SQL with its parameters (``django.db.backends`` at DEBUG writes
# the encrypted values) and urllib3's request lines (the token call's query string).
REDACTED_LOGGERS = ("django.db.backends", "urllib3.connectionpool")


class OmniumIntegrationConfig(AppConfig):
    name = "omnium_integration"
    verbose_name = "Omnium integration"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Side-effect imports: system checks, job handlers, signal receivers, alerts, and
        # the fork hooks that pass SIGTERM on inside a qcluster.
        from django_q.signals import post_spawn

        from . import alerts, checks, receivers, stopping, sync  # noqa: F401
        from .redaction import RedactingFilter
        from .schedules import ensure_schedules

        # A django-q2 worker stops its drain on SIGTERM (see stopping.py).
        post_spawn.connect(stopping.install_worker_handler, dispatch_uid="omnium_stopping")

        receivers.connect_receivers()
        post_migrate.connect(ensure_schedules, sender=self, dispatch_uid="omnium_schedules")
        for name in REDACTED_LOGGERS:
            logger = logging.getLogger(name)
            if not any(isinstance(f, RedactingFilter) for f in logger.filters):
                logger.addFilter(RedactingFilter())
