"""Purchase orders and goods receptions: status from delivery progress, completing a reception."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from django.utils import timezone

from . import stock
from .errors import Conflict
from .models import (
    PurchaseOrder,
    PurchaseOrderLine,
    Receivement,
    ReceivementLine,
    Store,
)

Status = PurchaseOrder.Status


def status_from_progress(lines: Iterable[tuple[int, int]], *, cancelled: bool = False) -> str:
    """A PO's status from its lines' ``(ordered, received)`` quantities.

    Cancelled: CLOSED. Nothing received: SENTTOSUPPLIER. Every line received in full (or
    more): RECEIVED. Otherwise PARTIALLYRECEIVED. A PO without lines is SENTTOSUPPLIER.
    """
    if cancelled:
        return Status.CLOSED
    lines = list(lines)
    if not any(received > 0 for _, received in lines):
        return Status.SENTTOSUPPLIER
    if all(received >= ordered for ordered, received in lines):
        return Status.RECEIVED
    return Status.PARTIALLYRECEIVED


def create_receivement(
    store: Store,
    lines: Sequence[dict[str, Any]],
    *,
    uid: str = "",
    purchase_order: PurchaseOrder | None = None,
    complete: bool = True,
) -> Receivement:
    """A goods reception in ``store``, against ``purchase_order`` or of free SKUs.

    Each line dict has ReceivementLine field values (``sku``, ``quantity`` in hundredths,
    optionally ``purchase_order_line``). With ``complete`` it is counted in at once.
    """
    receivement = Receivement(
        tenant=store.tenant,
        store=store,
        uid=uid or uuid.uuid4().hex,
        purchase_order=purchase_order,
    )
    receivement.save()
    for line in lines:
        ReceivementLine(receivement=receivement, **line).save()
    if complete:
        complete_receivement(receivement)
    return receivement


def complete_receivement(receivement: Receivement) -> Receivement:
    """Count a goods reception in: PO lines received, PO status, the store's stock (a
    ``RECEPTION`` movement of the ledger).

    Call inside a transaction. Rows are locked PO first, then its lines, then stock (the
    order the master-data PO push locks them in too), and every change is a model save,
    so Flow's post_save receivers see it in the same transaction.
    """
    receivement = Receivement.objects.select_for_update().get(pk=receivement.pk)
    if receivement.state != Receivement.State.OPEN:
        raise Conflict(f"Goods reception {receivement.uid} is already {receivement.state}.")
    purchase_order = None
    if receivement.purchase_order_id:
        purchase_order = PurchaseOrder.objects.select_for_update().get(
            pk=receivement.purchase_order_id
        )
        if purchase_order.status == PurchaseOrder.Status.CLOSED:
            raise Conflict(
                f"Purchase order {purchase_order.uid} is CLOSED; nothing can be received on it."
            )
        po_lines = {
            line.pk: line
            for line in PurchaseOrderLine.objects.select_for_update().filter(
                purchase_order=purchase_order
            )
        }
    lines = list(receivement.lines.all())
    for line in lines:
        if line.purchase_order_line_id:
            po_line = po_lines[line.purchase_order_line_id]
            po_line.quantity_received += line.quantity
            po_line.save(update_fields=["quantity_received"])
    stock.book(
        receivement.store,
        stock.Kind.RECEPTION,
        [stock.Change(line.sku, line.quantity) for line in lines],
        reference=receivement.uid,
    )
    if purchase_order is not None:
        purchase_order.status = status_from_progress(
            (po_line.quantity_ordered, po_line.quantity_received) for po_line in po_lines.values()
        )
        purchase_order.save()
    receivement.state = Receivement.State.COMPLETED
    receivement.completed_at = timezone.now()
    receivement.save()
    return receivement
