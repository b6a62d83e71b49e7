from django.apps import AppConfig


class FlowConfig(AppConfig):
    name = "flow_stub_project.flow"
    label = "flow"
    verbose_name = "Flow core (stub)"
    default_auto_field = "django.db.models.BigAutoField"
