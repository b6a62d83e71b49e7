from django.apps import AppConfig
from django.db.models.signals import post_migrate


class OmniumIntegrationConfig(AppConfig):
    name = "omnium_integration"
    verbose_name = "Omnium integration"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Side-effect imports: system checks, job handlers, signal receivers.
        from . import checks, receivers, sync  # noqa: F401
        from .schedules import ensure_schedules

        receivers.connect_receivers()
        post_migrate.connect(ensure_schedules, sender=self, dispatch_uid="omnium_schedules")
