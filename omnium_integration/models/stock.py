"""SKUs whose stock changed in a Flow-master store and is not in Omnium yet."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from ..conf import host_model_label


class PendingStockChange(models.Model):
    """A note that a SKU's stock changed in a store where Flow is stock master.

    The store's ``stock.export`` job sends the current absolute level of every noted SKU
    and then deletes exactly the notes it read. A job's payload cannot carry the SKUs (a
    second enqueue coalesces into the pending job and keeps its payload), so the notes
    live here: one row per change, appended in the transaction that caused it, never
    updated. A note written while the push runs survives it and is sent on the job's
    rerun.
    """

    extension = models.ForeignKey(
        "omnium_integration.TenantExtension", on_delete=models.CASCADE, related_name="+"
    )
    store = models.ForeignKey(
        host_model_label("STORE_MODEL"), on_delete=models.CASCADE, related_name="+"
    )
    sku = models.CharField(max_length=200)
    # Unit cost of received goods that Omnium does not learn from a goods reception
    # (purchase order unknown to Omnium); sent as the inventory item's cost.
    cost = models.BigIntegerField(null=True, blank=True, help_text="Cents.")
    cost_currency = models.CharField(max_length=3, blank=True)
    reason = models.CharField(max_length=200, blank=True, help_text="e.g. goods reception R-17.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "pending stock change"
        ordering = ["pk"]
        indexes = [models.Index(fields=["store", "id"], name="omnium_stock_pending")]

    def __str__(self) -> str:
        return f"{self.sku} in store {self.store_id}"
