"""Flow's stock ledger: every change the POS or back office makes to a store's stock is one
booked movement (Omnium's pushes for Omnium-master stores set levels directly).

A POS keeps stock the simple way: a completed sale takes its goods off the selling
store's shelf, a return puts them back unless they are damaged, cancelling a completed
sale puts back what it took, a goods reception adds, a count sets what was counted, an
adjustment adds or removes with a reason, and a transfer moves goods between two stores.
Stock may go negative: a till never refuses a sale for stock.

Each function runs inside its caller's transaction and changes rows with saves, so Flow's
post_save receivers (the Omnium integration's among them) hear of the booked movement in
the same transaction. Levels are locked in SKU order (stores in primary-key order for a
transfer), so two movements never wait for each other in a circle.

Quantities are Flow's fixed point: hundredths of a unit (1 piece = 100).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.utils import timezone

from .models import InventoryLevel, Order, OrderLine, StockMovement, StockMovementLine, Store

Kind = StockMovement.Kind
# ``sku IN (...)`` lists and bulk statements are cut to this size (SQLite's parameter limit).
CHUNK = 500


@dataclass(frozen=True)
class Change:
    """What a movement does to one SKU: add ``quantity``, or set the ``counted`` level."""

    sku: str
    quantity: int = 0  # hundredths; negative takes goods off
    counted: int | None = None  # a stock count: the absolute level found


def book(
    store: Store,
    kind: str,
    changes: Iterable[Change],
    *,
    uid: str = "",
    reason: str = "",
    reference: str = "",
) -> StockMovement | None:
    """Book one movement of ``store``'s stock; ``None`` when it changes no SKU.

    Several changes of one SKU add up (a count's level wins over additions). The
    movement is saved a second time, with ``booked_at``, once its lines and the levels
    are written: a receiver that sees it booked sees all of it.
    """
    merged = _merge(changes)
    if not merged:
        return None
    movement = StockMovement.objects.create(
        tenant_id=store.tenant_id,
        store=store,
        uid=uid or uuid.uuid4().hex,
        kind=kind,
        reason=reason[:200],
        reference=reference[:100],
    )
    levels = _locked_levels(store, sorted(merged))
    now = timezone.now()
    lines = []
    for sku in sorted(merged):
        change, level = merged[sku], levels[sku]
        before = level.quantity
        if change.counted is not None:
            level.quantity = change.counted + change.quantity
        else:
            level.quantity = before + change.quantity
        level.updated_at = now
        lines.append(
            StockMovementLine(
                movement=movement,
                sku=sku,
                quantity=level.quantity - before,
                counted=change.counted,
                level_after=level.quantity,
            )
        )
    InventoryLevel.objects.bulk_update(levels.values(), ["quantity", "updated_at"], CHUNK)
    StockMovementLine.objects.bulk_create(lines, batch_size=CHUNK)
    movement.booked_at = now
    movement.save(update_fields=["booked_at"])
    return movement


def _merge(changes: Iterable[Change]) -> dict[str, Change]:
    merged: dict[str, Change] = {}
    for change in changes:
        seen = merged.get(change.sku)
        if seen is None:
            merged[change.sku] = change
        elif change.counted is not None:
            merged[change.sku] = change  # a count replaces what came before it
        else:
            merged[change.sku] = Change(change.sku, seen.quantity + change.quantity, seen.counted)
    return merged


def _locked_levels(store: Store, skus: Sequence[str]) -> dict[str, InventoryLevel]:
    """The store's level rows of ``skus`` (created at 0 where missing), locked in SKU order."""
    levels: dict[str, InventoryLevel] = {}
    for start in range(0, len(skus), CHUNK):
        chunk = skus[start : start + CHUNK]
        # A concurrent booking may create the same row: the second insert does nothing.
        InventoryLevel.objects.bulk_create(
            [InventoryLevel(tenant_id=store.tenant_id, store=store, sku=sku) for sku in chunk],
            ignore_conflicts=True,
        )
        rows = (
            InventoryLevel.objects.select_for_update()
            .filter(store=store, sku__in=chunk)
            .order_by("sku")
        )
        levels.update((row.sku, row) for row in rows)
    return levels


# ------------------------------------------------------------------------------- orders


def hundredths(quantity: Decimal) -> int:
    """An order-line quantity (a decimal) in stock's fixed point, rounded half up."""
    return int((Decimal(quantity) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def order_changes(lines: Iterable[OrderLine], *, undo: bool = False) -> list[Change]:
    """What completing an order does to stock: a sale line (positive quantity) takes goods
    off, a return line (negative) puts them back unless it is not restocked. A package
    line with components is a heading: its components are the goods. ``undo`` reverses."""
    lines = list(lines)
    parents = {line.package_parent_id for line in lines if line.package_parent_id}
    sign = 1 if undo else -1
    return [
        Change(line.sku, sign * hundredths(line.quantity))
        for line in lines
        if line.pk not in parents and (line.quantity > 0 or line.restock)
    ]


def book_order(order: Order, lines: Iterable[OrderLine], *, undo: bool = False) -> None:
    """The movement of a completed sale or return (``undo``: of a cancelled sale)."""
    if order.type == Order.Type.PAYMENT:
        return  # a deposit moves no goods
    if undo:
        kind = Kind.CANCELLATION
    else:
        kind = Kind.RETURN if order.type == Order.Type.RETURN else Kind.SALE
    book(order.store, kind, order_changes(lines, undo=undo), reference=order.uid)


def transfer(
    source: Store,
    destination: Store,
    changes: Sequence[Change],
    *,
    uid: str,
    reason: str = "",
) -> tuple[StockMovement, StockMovement]:
    """Move goods between two stores: a movement out of one and into the other."""
    out = [Change(c.sku, -c.quantity) for c in changes]
    plans = [
        (source, Kind.TRANSFER_OUT, out, "out"),
        (destination, Kind.TRANSFER_IN, changes, "in"),
    ]
    booked = {}
    # Lock the two stores' rows in one global order, whichever way the goods go.
    for store, kind, lines, end in sorted(plans, key=lambda plan: plan[0].pk):
        booked[end] = book(store, kind, lines, uid=f"{uid}.{end}", reason=reason, reference=uid)
    return booked["out"], booked["in"]
