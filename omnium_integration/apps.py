from django.apps import AppConfig
from django.db.models.signals import post_migrate


class OmniumIntegrationConfig(AppConfig):
    name = "omnium_integration"
    verbose_name = "Omnium integration"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Side-effect imports: system checks, job handlers, signal receivers, alerts, and
        # the fork hooks that pass SIGTERM on inside a qcluster.
        from django_q.signals import post_spawn

        from . import alerts, checks, receivers, stopping, sync  # noqa: F401
        from .schedules import ensure_schedules

        # A django-q2 worker stops its drain on SIGTERM (see stopping.py).
        post_spawn.connect(stopping.install_worker_handler, dispatch_uid="omnium_stopping")

        receivers.connect_receivers()
        post_migrate.connect(ensure_schedules, sender=self, dispatch_uid="omnium_schedules")
