"""Every reconciliation run: its period, what it compared, what differed, what it healed."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone


class ReconciliationRun(models.Model):
    """One comparison of a tenant's Flow and Omnium over a period, kept for the operator.

    ``differences`` is a list of JSON objects, one per difference, in one shape for every
    area (``omnium_integration.reconcile.differences``): both sides' values under
    ``fields``, the repairing job under ``heal``. Customer differences hold personal data
    (names, e-mails, phones) there, addressable by ``area`` and ``flow.ref``.
    """

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    class Trigger(models.TextChoices):
        COMMAND = "command", "Management command"
        SCHEDULE = "schedule", "Nightly schedule"
        ADMIN = "admin", "Admin"

    extension = models.ForeignKey(
        "omnium_integration.TenantExtension",
        on_delete=models.CASCADE,
        related_name="reconciliations",
    )
    period_start = models.DateTimeField()
    period_end = models.DateTimeField(help_text="Exclusive.")
    trigger = models.CharField(max_length=10, choices=Trigger.choices)
    triggered_by = models.CharField(
        max_length=150, blank=True, help_text="Who ran it (empty for the schedule)."
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    checked = models.JSONField(default=dict, blank=True, help_text="Objects compared, per area.")
    counts = models.JSONField(
        default=dict, blank=True, help_text="Differences per area and kind (all of them)."
    )
    difference_count = models.PositiveIntegerField(default=0)
    differences = models.JSONField(default=list, blank=True)
    truncated = models.BooleanField(
        default=False, help_text="Only the first RECONCILE_MAX_STORED_DIFFERENCES were kept."
    )
    healed = models.JSONField(default=list, blank=True, help_text="The jobs heal enqueued.")
    healed_at = models.DateTimeField(null=True, blank=True)
    healed_by = models.CharField(max_length=150, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        verbose_name = "reconciliation run"
        ordering = ["-started_at", "-pk"]
        indexes = [
            models.Index(fields=["extension", "-started_at"], name="omnium_reconcile_recent"),
        ]
        constraints = [
            # The nightly task may be handed to a second worker while the first still runs
            # (django-q2's ``retry``): one scheduled run per tenant and period.
            models.UniqueConstraint(
                fields=["extension", "period_start", "period_end"],
                condition=Q(trigger="schedule") & ~Q(status="failed"),
                name="omnium_one_scheduled_reconciliation",
            ),
        ]

    def __str__(self) -> str:
        return f"reconciliation #{self.pk} {self.period_start:%Y-%m-%d %H:%M} ({self.status})"
