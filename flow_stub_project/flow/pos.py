"""What a POS terminal does to orders: sell, settle, return, cancel, void.

Every function expects to run inside the request's transaction and changes rows with
model saves, so Flow's post_save receivers (the Omnium integration's among them) run in
that same transaction.

Sign convention of returns (Flow's, as for refunds): a return order mirrors the sale it
comes from. Its lines carry the **negative** quantity returned with the sale's positive
unit price and a negative share of the sale line's discount, so line totals, VAT, the
order total and the receipt's totals are negative; refunds are negative payments.

Stock moves when an order completes (a sale takes its goods off the store's shelf, a
return puts them back unless they are not restocked) and when a completed sale is voided
(its goods go back): see :mod:`.stock`.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, NamedTuple

from django.db.models import Sum
from django.utils import timezone

from . import stock
from .errors import Conflict, Invalid
from .models import Customer, Order, OrderHandling, OrderLine, OrderPayment, OrderReceipt, Store
from .receipts import issue_receipt

SETTLEABLE = (Order.State.OPEN, Order.State.PARKED, Order.State.CONFIRMED)


def new_uid() -> str:
    return uuid.uuid4().hex


def create_order(
    store: Store,
    lines: Sequence[dict[str, Any]],
    *,
    uid: str = "",
    customer: Customer | None = None,
    note: str = "",
) -> Order:
    """An OPEN sale in ``store``; each line dict has OrderLine field values."""
    order = Order(
        tenant=store.tenant,
        store=store,
        uid=uid or new_uid(),
        type=Order.Type.SALE,
        state=Order.State.OPEN,
        customer=customer,
        currency=store.tenant.currency,
        note=note,
    )
    order.save()
    for number, line in enumerate(lines, start=1):
        OrderLine(order=order, **{"uid": str(number), **line}).save()
    return order


def settle(order: Order, payments: Sequence[dict[str, Any]]) -> OrderReceipt:
    """Complete ``order``: record ``payments``, which with those already on the order
    must pay its total exactly, then mark lines paid and delivered, move the stock, close
    its handling tasks, and issue the receipt."""
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.state not in SETTLEABLE:
        raise Conflict(f"Order {order.uid} is {order.state} and cannot be completed.")
    lines = list(order.lines.all())
    total = sum(line.total for line in lines)
    paid = order.paid + sum(payment["amount"] for payment in payments)
    if paid != total:
        hint = " (refunds are negative amounts)" if total < 0 else ""
        raise Invalid(
            {"payments": [f"Payments add up to {paid} cents, the order total is {total}{hint}."]}
        )
    numbered = order.payments.count()
    for number, payment in enumerate(payments, start=numbered + 1):
        OrderPayment(order=order, **{"uid": str(number), **payment}).save()
    for line in lines:
        line.is_paid = True
        line.delivered_quantity = line.quantity
        line.save()
    stock.book_order(order, lines)
    _close_handlings(order)
    now = timezone.now()
    order.state = Order.State.COMPLETED
    order.completed_at = now
    order.save()
    return issue_receipt(order, settled_at=now)


class Taken(NamedTuple):
    """A line of a return: how much of which sale line comes back, and where it goes."""

    line: OrderLine
    quantity: Decimal
    uid: str = ""
    restock: bool = True  # off: damaged goods, not put back into stock


def create_return(
    sale: Order,
    lines: Sequence[Taken | tuple],
    *,
    uid: str = "",
    store: Store | None = None,
    note: str = "",
    payments: Sequence[dict[str, Any]] | None = None,
) -> Order:
    """A RETURN order taking back ``(sale line, quantity, return line uid[, restock])``
    from ``sale``.

    Refused for anything but a completed sale, and for more than was sold less what
    earlier returns (not cancelled) took back. With ``payments`` (the refunds) the return
    is settled at once; without, it stays OPEN until completed.
    """
    lines = [Taken(*line) for line in lines]
    sale = Order.objects.select_for_update().get(pk=sale.pk)
    if sale.type != Order.Type.SALE or sale.state != Order.State.COMPLETED:
        raise Conflict(
            f"Only a completed sale can be returned; order {sale.uid} is a {sale.type} "
            f"in state {sale.state}."
        )
    returned = _returned_so_far(sale)
    errors: dict[int, dict[str, list[str]]] = {}
    for index, (line, quantity, *_) in enumerate(lines):
        quantity_left, _ = returned.get(line.pk, (line.quantity, line.discount))
        if quantity > quantity_left:
            errors[index] = {"quantity": [f"Line {line.uid} has {quantity_left:f} left to return."]}
    if errors:
        raise Invalid({"lines": errors})

    order = Order(
        tenant=sale.tenant,
        store=store or sale.store,
        uid=uid or new_uid(),
        type=Order.Type.RETURN,
        state=Order.State.OPEN,
        customer=sale.customer,
        original_order=sale,
        currency=sale.currency,
        note=note,
    )
    order.save()
    for number, (line, quantity, line_uid, restock) in enumerate(lines, start=1):
        quantity_left, discount_left = returned.get(line.pk, (line.quantity, line.discount))
        OrderLine(
            order=order,
            uid=line_uid or str(number),
            sku=line.sku,
            name=line.name,
            quantity=-quantity,
            unit_price=line.unit_price,
            discount=-_discount_share(discount_left, quantity, quantity_left),
            vat_rate=line.vat_rate,
            original_line=line,
            restock=restock,
        ).save()
    if payments is not None:
        settle(order, payments)
        order.refresh_from_db()
    return order


def cancel(order: Order) -> Order:
    """Cancel an order that is not completed (a completed sale is voided, or returned)."""
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.state not in SETTLEABLE:
        hint = "; return its goods instead" if order.state == Order.State.COMPLETED else ""
        raise Conflict(f"Order {order.uid} is {order.state} and cannot be cancelled{hint}.")
    _close_handlings(order)
    order.state = Order.State.CANCELLED
    order.cancelled_at = timezone.now()
    order.save()
    return order


def void(order: Order) -> Order:
    """Cancel a completed sale (a post-void): its goods go back into the store's stock.

    Refused for anything but a completed sale, and for a sale with returns that are not
    cancelled (the goods they took back would be counted twice).
    """
    order = Order.objects.select_for_update().get(pk=order.pk)
    if order.type != Order.Type.SALE or order.state != Order.State.COMPLETED:
        raise Conflict(
            f"Only a completed sale can be voided; order {order.uid} is a {order.type} "
            f"in state {order.state}."
        )
    returns = order.returns.exclude(state=Order.State.CANCELLED)
    if returns.exists():
        uids = ", ".join(returns.order_by("pk").values_list("uid", flat=True))
        raise Conflict(f"Sale {order.uid} has returns ({uids}); cancel them or return the rest.")
    stock.book_order(order, order.lines.all(), undo=True)
    order.state = Order.State.CANCELLED
    order.cancelled_at = timezone.now()
    order.save()
    return order


def _close_handlings(order: Order) -> None:
    for handling in order.handlings.filter(status=OrderHandling.Status.OPEN):
        handling.status = OrderHandling.Status.DONE
        handling.save()


def _returned_so_far(sale: Order) -> dict[int, tuple[Decimal, int]]:
    """Per sale line that was returned from: (quantity, discount) still left to return."""
    taken = (
        OrderLine.objects.filter(original_line__order=sale)
        .exclude(order__state=Order.State.CANCELLED)
        .values("original_line")
        .annotate(quantity=Sum("quantity"), discount=Sum("discount"))
    )
    lines = {line.pk: line for line in sale.lines.all()}
    # Return lines are negative, so adding them subtracts what was taken back.
    return {
        row["original_line"]: (
            lines[row["original_line"]].quantity + row["quantity"],
            lines[row["original_line"]].discount + row["discount"],
        )
        for row in taken
    }


def _discount_share(discount_left: int, quantity: Decimal, quantity_left: Decimal) -> int:
    """The part of a line's remaining discount that goes with ``quantity`` of it.

    Returning the rest of a line takes the rest of its discount, so the shares of all
    returns add up to the sale line's discount exactly.
    """
    if quantity >= quantity_left:
        return discount_left
    share = Decimal(discount_left) * quantity / quantity_left
    return int(share.quantize(Decimal(1), rounding=ROUND_HALF_UP))
