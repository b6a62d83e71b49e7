"""Alerts: each cause of trouble once, so it is mailed at most once per interval."""

from __future__ import annotations

from django.db import models
from django.utils import timezone


class AlertKind(models.TextChoices):
    FAILED_JOB = "failed_job", "Failed job"
    CREDENTIALS = "credentials", "Credentials refused"
    QUEUE_DOWN = "queue_down", "Queue down"


class Alert(models.Model):
    """One cause (a failed job, a tenant's credentials, a queue down) and when it was told.

    ``alerts.py`` raises causes and sends them as a digest: a cause is in a digest when it
    was seen since it was last notified and that was longer than ``ALERT_INTERVAL`` ago.
    """

    cause = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=20, choices=AlertKind.choices)
    summary = models.CharField(max_length=500, help_text="One line, never a secret.")
    first_seen_at = models.DateTimeField(default=timezone.now)
    last_seen_at = models.DateTimeField(default=timezone.now)
    occurrences = models.PositiveIntegerField(default=1)
    notified_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.summary}"
