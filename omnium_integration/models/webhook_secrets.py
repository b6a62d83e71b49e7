"""The secrets Omnium's event subscription may send, several at once while one is rotated."""

from __future__ import annotations

from datetime import datetime

from django.db import models
from django.db.models import Q
from django.utils import timezone

from ..fields import EncryptedTextField


class WebhookSecretQuerySet(models.QuerySet):
    def usable(self, now: datetime | None = None) -> WebhookSecretQuerySet:
        """Secrets the Omnium Event API accepts now: not retired, not past their end."""
        now = now or timezone.now()
        return self.exclude(secret="").filter(Q(expires_at=None) | Q(expires_at__gt=now))

    def ended(self, now: datetime | None = None) -> WebhookSecretQuerySet:
        """Secrets past their end whose value is still stored (to be wiped)."""
        return self.exclude(secret="").filter(expires_at__lte=now or timezone.now())


class WebhookSecret(models.Model):
    """One webhook secret of a tenant, known by its number (``#2``), never by its value.

    The newest is the one Omnium should send; older ones keep working until
    ``expires_at`` (the overlap that lets Omnium's subscription be changed without
    refusing an event), then stop. Retiring a secret ends it at once and wipes its value;
    the row stays, so the events it authenticated still say which secret that was.
    """

    extension = models.ForeignKey(
        "omnium_integration.TenantExtension",
        on_delete=models.CASCADE,
        related_name="webhook_secrets",
    )
    number = models.PositiveIntegerField(editable=False)
    secret = EncryptedTextField(blank=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    created_by = models.CharField(max_length=150, blank=True, editable=False)
    expires_at = models.DateTimeField(
        null=True, blank=True, help_text="Refused from this moment on; empty: no end set yet."
    )
    retired_at = models.DateTimeField(null=True, blank=True, editable=False)
    retired_by = models.CharField(max_length=150, blank=True, editable=False)

    objects = WebhookSecretQuerySet.as_manager()

    class Meta:
        verbose_name = "webhook secret"
        ordering = ["extension", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["extension", "number"], name="omnium_webhook_secret_number_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.number}"

    def __repr__(self) -> str:
        return f"<WebhookSecret #{self.number} extension_id={self.extension_id}>"

    def is_usable(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        return bool(self.secret) and (self.expires_at is None or self.expires_at > now)

    def state(self, now: datetime | None = None) -> str:
        """In words, for the admin and the commands (from the dates: the value is not read)."""
        now = now or timezone.now()
        if self.retired_at:
            return f"retired {self.retired_at:%Y-%m-%d %H:%M %Z}"
        if self.expires_at and self.expires_at <= now:
            return f"ended {self.expires_at:%Y-%m-%d %H:%M %Z}"
        if self.expires_at:
            return f"accepted until {self.expires_at:%Y-%m-%d %H:%M %Z}"
        return "accepted"
