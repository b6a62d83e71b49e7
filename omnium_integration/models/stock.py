"""Stock of Flow-master stores: SKUs whose level is not in Omnium yet, and the last drift
check of each store."""

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


class StockCheck(models.Model):
    """The last drift check of a Flow-master store: Omnium's levels against Flow's.

    One row per store, replaced by each check (``omnium_stock_check``, or the daily
    schedule). ``differences`` keeps the first ``StockCheck.KEPT`` differences found, as
    ``{sku, flow, omnium}`` with the quantities in units (strings, exact).
    """

    KEPT = 200

    extension = models.ForeignKey(
        "omnium_integration.TenantExtension", on_delete=models.CASCADE, related_name="+"
    )
    store = models.OneToOneField(
        host_model_label("STORE_MODEL"), on_delete=models.CASCADE, related_name="+"
    )
    checked_at = models.DateTimeField()
    skus_compared = models.PositiveIntegerField(default=0)
    differences_found = models.PositiveIntegerField(default=0)
    differences = models.JSONField(default=list, blank=True)
    in_flight = models.PositiveIntegerField(
        default=0, help_text="SKUs left out: their push to Omnium was still on its way."
    )
    healed = models.PositiveIntegerField(
        default=0, help_text="Differing SKUs noted for a push of Flow's level."
    )
    error = models.TextField(blank=True, help_text="Why the check could not finish.")
    seconds = models.FloatField(default=0)

    class Meta:
        verbose_name = "stock check"
        ordering = ["-checked_at"]

    def __str__(self) -> str:
        return f"stock check of store {self.store_id} at {self.checked_at:%Y-%m-%d %H:%M}"
