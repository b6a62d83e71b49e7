"""Raw Omnium events, kept for audit exactly as they arrived (the dj-stripe lesson)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone

from ..enums import EventOutcome


class InboundEvent(models.Model):
    """An Omnium event delivered to the Omnium Event API, whatever became of it."""

    extension = models.ForeignKey(
        "omnium_integration.TenantExtension", on_delete=models.CASCADE, related_name="events"
    )
    event_id = models.CharField(max_length=200, blank=True)
    class_name = models.CharField(max_length=100, blank=True)
    sub_class_name = models.CharField(max_length=100, blank=True)
    object_id = models.CharField(max_length=200, blank=True)
    body = models.JSONField()
    headers = models.JSONField(default=dict, blank=True, help_text="Without credentials.")
    remote_addr = models.GenericIPAddressField(null=True, blank=True)
    received_at = models.DateTimeField(default=timezone.now)
    outcome = models.CharField(max_length=20, choices=EventOutcome.choices)
    reason = models.CharField(
        max_length=300, blank=True, help_text="Why the event started no import, if it did not."
    )
    job = models.ForeignKey(
        "omnium_integration.ExternalSyncJob",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="events",
    )
    webhook_secret = models.ForeignKey(
        "omnium_integration.WebhookSecret",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="events",
        verbose_name="webhook secret used",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["extension", "event_id"],
                condition=~Q(event_id=""),
                name="omnium_event_id_unique_per_tenant",
            ),
        ]
        indexes = [models.Index(fields=["object_id"], name="omnium_event_object")]

    def __str__(self) -> str:
        return f"{self.class_name} {self.object_id} ({self.event_id or 'no id'})"
