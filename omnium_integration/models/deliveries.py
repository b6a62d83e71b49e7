"""Webhook deliveries the Omnium Event API refused: what an operator needs to see why."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class RefusedDelivery(models.Model):
    """A request to the Omnium Event API answered with a 4xx refusal (401, 403, 404, 400, 413).

    Kept so that "Omnium says it sent it" can be answered without the web server's logs:
    which tenant URL, why, from where, the headers (without credentials) and the start of
    the body. The table is capped (``REFUSED_DELIVERIES_PER_HOUR``) because anyone can
    post to the URL, and pruned after ``REFUSED_DELIVERY_RETENTION_DAYS``.
    """

    received_at = models.DateTimeField(default=timezone.now, db_index=True)
    tenant_key = models.CharField(max_length=200, help_text="The tenant named in the URL.")
    extension = models.ForeignKey(
        "omnium_integration.TenantExtension",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="refused_deliveries",
    )
    status = models.PositiveSmallIntegerField(help_text="The HTTP status answered.")
    error = models.CharField(max_length=50, help_text="The error code answered.")
    reason = models.CharField(max_length=500, blank=True)
    headers = models.JSONField(default=dict, blank=True, help_text="Without credentials.")
    body_head = models.TextField(blank=True, help_text="The first KB of the body, as text.")
    body_size = models.PositiveIntegerField(null=True, blank=True)
    remote_addr = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        verbose_name = "refused webhook delivery"
        verbose_name_plural = "refused webhook deliveries"

    def __str__(self) -> str:
        return f"{self.status} {self.error} for {self.tenant_key}"
