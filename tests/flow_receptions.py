"""Flow-side helpers for receivement tests: goods received in a store, as Flow's POS does it.

Completing a goods reception in Flow writes the reception and its lines, adds the
received quantities to the purchase-order lines and to the store's stock, and marks the
reception completed, all in one transaction.
"""

from __future__ import annotations

from django.db import transaction
from django.db.models import F

from flow_stub_project.flow.models import (
    InventoryLevel,
    PurchaseOrder,
    PurchaseOrderLine,
    Receivement,
    ReceivementLine,
    Store,
)


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
    """Receive ``(sku, quantity ×100)`` lines into ``store``, against ``po`` if given."""
    with transaction.atomic():
        reception = Receivement.objects.create(
            tenant=store.tenant, store=store, uid=uid, purchase_order=po
        )
        po_lines = {line.sku: line for line in po.lines.all()} if po else {}
        for sku, quantity in lines:
            po_line = po_lines.get(sku)
            ReceivementLine.objects.create(
                receivement=reception, purchase_order_line=po_line, sku=sku, quantity=quantity
            )
            if po_line:
                PurchaseOrderLine.objects.filter(pk=po_line.pk).update(
                    quantity_received=F("quantity_received") + quantity
                )
            level, _ = InventoryLevel.objects.get_or_create(
                tenant=store.tenant, store=store, sku=sku
            )
            InventoryLevel.objects.filter(pk=level.pk).update(quantity=F("quantity") + quantity)
        if complete:
            reception.state = Receivement.State.COMPLETED
            reception.save()
    return reception
