from django.apps import AppConfig


class BenchAppConfig(AppConfig):
    name = "bench.benchapp"
    label = "omnium_bench"

    def ready(self) -> None:
        from . import handlers, push_log  # noqa: F401

        push_log.connect()
