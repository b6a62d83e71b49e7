"""Flow-side helpers for receivement tests: purchase orders, stock and goods receptions.

Receptions go through Flow's own code (``flow.purchasing``): completing one adds the
received quantities to the purchase-order lines and to the store's stock and marks it
completed, all in one transaction.
"""

from __future__ import annotations

from django.db import transaction

from flow_stub_project.flow.models import (
    InventoryLevel,
    PurchaseOrder,
    PurchaseOrderLine,
    Receivement,
    Store,
)
from flow_stub_project.flow.purchasing import create_receivement


def purchase_order(store: Store, uid: str, lines: list[tuple[str, str, int, int]], **fields):
    """A Flow purchase order with ``(line uid, sku, quantity ordered ×100, unit price cents)``."""
    po = PurchaseOrder.objects.create(
        tenant=store.tenant, store=store, uid=uid, supplier_uid="SUP1", **fields
    )
    for line_uid, sku, quantity, price in lines:
        PurchaseOrderLine.objects.create(
            purchase_order=po, uid=line_uid, sku=sku, quantity_ordered=quantity, unit_price=price
        )
    return po


def stock(store: Store, **levels: int) -> None:
    """Set the store's stock (hundredths) of some SKUs."""
    for sku, quantity in levels.items():
        InventoryLevel.objects.update_or_create(
            tenant=store.tenant, store=store, sku=sku, defaults={"quantity": quantity}
        )


def receive(
    store: Store,
    uid: str,
    lines: list[tuple[str, int]],
    *,
    po: PurchaseOrder | None = None,
    complete: bool = True,
) -> Receivement:
    """Receive ``(sku, quantity ×100)`` lines into ``store`` with Flow's own code, against
    ``po`` if given (lines on a SKU of the PO are received on that PO line)."""
    po_lines = {line.sku: line for line in po.lines.all()} if po else {}
    with transaction.atomic():
        reception = create_receivement(
            store,
            [
                {"sku": sku, "quantity": quantity, "purchase_order_line": po_lines.get(sku)}
                for sku, quantity in lines
            ],
            uid=uid,
            purchase_order=po,
            complete=complete,
        )
    reception.refresh_from_db()
    return reception
