"""A table of the benchmarks' own."""

from django.db import models


class BareEvent(models.Model):
    """One row per request to the bare view of P4: the JSON body as it came."""

    body = models.JSONField()
    received_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"bare event {self.pk}"
