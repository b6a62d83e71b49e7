"""Reading Flow's goods receptions, purchase orders and stock for the receivement engine.

The handlers never touch Flow's models: they get plain dataclasses from these adapter
methods, so a host whose models are shaped differently overrides only this mixin.
Quantities stay in Flow's fixed point (hundredths) and money in cents here; the
conversion to Omnium's decimals happens in :mod:`omnium_integration.transform`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Model

from ..conf import get_receivement_model, get_store_model

# Flow's ``Receivement.State`` value of a finished goods reception.
COMPLETED = "COMPLETED"
# ``sku IN (...)`` lists are cut to this size (SQLite's bound-parameter limit).
SKU_CHUNK = 500


@dataclass(frozen=True)
class ReceptionLine:
    """One counted line of a goods reception."""

    sku: str
    quantity: int  # hundredths of a unit (1 piece = 100)
    purchase_order_line_uid: str  # Omnium lineItemId as Flow knows it; "" when not on the PO
    unit_price: int | None  # cents, from the purchase-order line


@dataclass(frozen=True)
class Reception:
    """A Flow goods reception, as the receivement engine needs it."""

    pk: Any
    uid: str
    tenant_uid: str
    store_pk: Any
    warehouse_code: str  # the receiving store's Omnium warehouse id
    is_completed: bool
    purchase_order_uid: str  # "" when received without a purchase order
    currency: str  # the purchase order's currency, else the tenant's
    lines: tuple[ReceptionLine, ...]


@dataclass(frozen=True)
class StockStore:
    """A Flow store whose stock levels may be sent to Omnium."""

    pk: Any
    warehouse_code: str
    flow_stock_master: bool


class ReceivementAdapterMixin:
    """Goods receptions and stock levels of Flow core's models (``flow.Receivement``...)."""

    def receivement_export_due(self, instance: Model) -> bool:
        """Whether a saved Flow goods reception is completed (and so goes to Omnium)."""
        return instance.state == COMPLETED

    def warehouse_code(self, store: Model) -> str:
        """The Omnium warehouse id of a Flow store: its Omnium id, as order export sends it."""
        return self.omnium_store_id(store)

    def get_reception(self, receivement_id: Any) -> Reception | None:
        """The goods reception with its lines, or ``None`` if it no longer exists."""
        receivement = (
            get_receivement_model()
            .objects.select_related("tenant", "store__omnium_extension", "purchase_order")
            .filter(pk=receivement_id)
            .first()
        )
        if receivement is None:
            return None
        po = receivement.purchase_order
        lines = tuple(
            ReceptionLine(
                sku=line.sku,
                quantity=line.quantity,
                purchase_order_line_uid=line.purchase_order_line.uid
                if line.purchase_order_line
                else "",
                unit_price=line.purchase_order_line.unit_price
                if line.purchase_order_line
                else None,
            )
            for line in receivement.lines.select_related("purchase_order_line").order_by("pk")
        )
        return Reception(
            pk=receivement.pk,
            uid=receivement.uid,
            tenant_uid=receivement.tenant.uid,
            store_pk=receivement.store_id,
            warehouse_code=self.warehouse_code(receivement.store),
            is_completed=self.receivement_export_due(receivement),
            purchase_order_uid=po.uid if po else "",
            currency=(po.currency if po else "") or receivement.tenant.currency,
            lines=lines,
        )

    def get_stock_store(self, store_id: Any) -> StockStore | None:
        """The store whose stock is pushed, or ``None`` if it no longer exists."""
        store = (
            get_store_model().objects.select_related("omnium_extension").filter(pk=store_id).first()
        )
        if store is None:
            return None
        return StockStore(
            pk=store.pk,
            warehouse_code=self.warehouse_code(store),
            flow_stock_master=self.is_flow_stock_master(store),
        )

    def inventory_levels(self, store_id: Any, skus: Iterable[str]) -> dict[str, int]:
        """Flow's current stock (hundredths) per SKU in a store; SKUs without a row are absent."""
        store = get_store_model()(pk=store_id)
        skus = list(skus)
        levels: dict[str, int] = {}
        for start in range(0, len(skus), SKU_CHUNK):
            chunk = skus[start : start + SKU_CHUNK]
            levels.update(store.inventory.filter(sku__in=chunk).values_list("sku", "quantity"))
        return levels
