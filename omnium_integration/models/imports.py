"""What the inbound import last applied for each Omnium order."""

from __future__ import annotations

from datetime import datetime

from django.db import models
from django.utils import timezone

from ..conf import host_model_label
from ..enums import ImportOutcome


class ImportedOrder(models.Model):
    """The Omnium version of an order that Flow holds, and what the import did with it.

    The guard against events arriving out of order: an import applies an Omnium order
    only when it is newer than the version recorded here (Omnium's ``modified``), so a
    late or replayed trigger never puts an older version back into Flow. It lives in the
    app rather than on Flow's order so Flow core needs no new columns; it also records
    orders the import chose not to create (an order type Flow does not handle, say).
    """

    extension = models.ForeignKey(
        "omnium_integration.TenantExtension",
        on_delete=models.CASCADE,
        related_name="imported_orders",
    )
    omnium_order_id = models.CharField(max_length=200)
    order = models.ForeignKey(
        host_model_label("ORDER_MODEL"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="omnium_imports",
        help_text="The Flow order, when the import created one.",
    )
    order_type = models.CharField(max_length=100, blank=True)
    omnium_status = models.CharField(max_length=100, blank=True)
    omnium_modified = models.DateTimeField(
        null=True, blank=True, help_text="Omnium's `modified` of the version last applied."
    )
    fingerprint = models.CharField(
        max_length=64, blank=True, help_text="SHA-256 of the Omnium order last applied."
    )
    outcome = models.CharField(max_length=20, choices=ImportOutcome.choices)
    reason = models.CharField(max_length=500, blank=True)
    imported_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "imported Omnium order"
        constraints = [
            models.UniqueConstraint(
                fields=["extension", "omnium_order_id"], name="omnium_imported_order_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.omnium_order_id}: {self.outcome}"

    def holds(self, modified: datetime | None, fingerprint: str) -> bool:
        """Whether this record already covers an Omnium version (same or newer)."""
        if self.fingerprint and self.fingerprint == fingerprint:
            return True
        if modified is None or self.omnium_modified is None:
            return False
        return self.omnium_modified > modified
