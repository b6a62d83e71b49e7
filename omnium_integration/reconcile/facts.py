"""Both sides as the comparison sees them: small, plain values, money in cents.

A day of a busy tenant is some 100,000 orders on each side, so neither side is kept as
the full objects: Flow's orders come from ``values()`` queries
(:mod:`omnium_integration.host.reconcile`), and each Omnium document is cut down to these
facts as its scroll batch arrives (:func:`omnium_order`), then dropped.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, NamedTuple

from ..exceptions import MappingError
from ..mapping.common import owner_of, text
from ..mapping.options import ExportOptions
from ..mapping.records import OrderKind, OrderState
from ..transform import line_total, parse_omnium_datetime, to_decimal

HUNDRED = Decimal(100)
ZERO = Decimal(0)

# --------------------------------------------------------------------------------- Flow


class FlowLine(NamedTuple):
    """A Flow order line: the attributes of ``OrderLineRecord`` that the mapping's line
    rules read, in a lighter shape (a day holds some 300,000 of them)."""

    uid: str
    sku: str
    quantity: Decimal
    unit_price: int  # cents, VAT included, before discount
    discount: int  # cents off the whole line
    external_id: str = ""  # its Omnium lineItemId when it came from Omnium
    original_line_uid: str = ""
    package_parent_uid: str = ""

    @property
    def total(self) -> int:
        return line_total(self.quantity, self.unit_price, self.discount)


@dataclass(frozen=True, slots=True)
class FlowOrder:
    """A Flow order as far as the reconciliation compares it."""

    pk: int
    uid: str
    kind: OrderKind
    state: OrderState
    external_id: str  # the Omnium id of an order that came from Omnium
    store_uid: str
    lines: tuple[FlowLine, ...]
    original_pk: int | None = None  # a return's sale
    completed_at: datetime | None = None
    cancelled_at: datetime | None = None

    @property
    def total(self) -> int:
        """Cents, VAT included: the sum of Flow's line totals."""
        return sum(line.total for line in self.lines)


@dataclass(frozen=True, slots=True)
class FlowReceipt:
    """A settled Flow receipt with its PDF: it should be an Omnium invoice."""

    pk: int
    uid: str
    voucher_number: str


@dataclass(frozen=True, slots=True)
class Imported:
    """What the import recorded for an Omnium order (``ImportedOrder``)."""

    omnium_modified: datetime | None
    order_pk: int | None
    outcome: str


# ------------------------------------------------------------------------------ Omnium


@dataclass(frozen=True, slots=True)
class OmniumLine:
    line_id: str
    sku: str
    quantity: Decimal  # what is left: quantity less canceledQuantity
    amount: int  # cents: the line's price after its discounts


@dataclass(frozen=True, slots=True)
class OmniumReturn:
    rma: str
    quantities: tuple[tuple[str, str, Decimal], ...]  # (sale lineItemId, sku, quantity)
    credit: int | None  # cents


@dataclass(frozen=True, slots=True)
class OmniumOrder:
    """An Omnium order as far as the reconciliation compares it."""

    id: str
    order_type: str
    status: str
    store_id: str
    total: int | None
    lines: tuple[OmniumLine, ...]
    returns: tuple[OmniumReturn, ...]
    owner: str  # <prefix>OrderUid: the Flow order that made it, if any
    created: datetime | None
    modified: datetime | None
    store_candidates: tuple[str, ...] = ()  # web orders: the stores that may handle it


def _number(value: Any) -> Decimal | None:
    """An Omnium number as an exact Decimal (``None`` when missing or not a number)."""
    if type(value) is Decimal:  # the client parses JSON fractions so
        return value
    if type(value) is int:  # and whole numbers as int
        return Decimal(value)
    if value is None:
        return None
    try:
        return to_decimal(value)
    except MappingError:
        return None


def cents(value: Any) -> int | None:
    """An Omnium amount in cents, half up (as ``transform.decimal_to_cents``); ``None``
    when it is missing or not a number."""
    number = _number(value)
    if number is None:
        return None
    return int((number * HUNDRED).to_integral_value(ROUND_HALF_UP))


def _quantity(value: Any) -> Decimal:
    number = _number(value)
    return ZERO if number is None else number


def omnium_line(line: dict[str, Any]) -> OmniumLine:
    """A line's SKU, what is left of its quantity, and its price after discounts.

    ``extendedPrice`` is Omnium's own figure; without it the amount is worked out the
    way Omnium does: unit price × quantity less the discount's share, half up to the cent.
    """
    quantity = _quantity(line.get("quantity"))
    left = quantity - _quantity(line.get("canceledQuantity"))
    amount = cents(line.get("extendedPrice"))
    if amount is None:
        gross = left * _quantity(line.get("placedPrice"))
        if quantity:
            gross -= _quantity(line.get("discounted")) / quantity * left
        amount = cents(gross) or 0
    return OmniumLine(text(line.get("lineItemId")), text(line.get("code")), left, amount)


def omnium_return(form: dict[str, Any]) -> OmniumReturn:
    quantities = tuple(
        (text(line.get("lineItemId")), text(line.get("code")), _quantity(line.get("quantity")))
        for line in form.get("lineItems") or []
        if isinstance(line, dict)
    )
    return OmniumReturn(text(form.get("rmaNumber")), quantities, cents(form.get("creditAmount")))


def omnium_order(
    document: dict[str, Any], options: ExportOptions, candidates: tuple[str, ...] = ()
) -> OmniumOrder:
    """The facts of one Omnium order document (the rest of it is dropped)."""
    form = document.get("orderForm") or {}
    return OmniumOrder(
        id=text(document.get("id")),
        order_type=text(document.get("orderType")),
        status=text(document.get("status")),
        store_id=text(document.get("storeId")),
        total=cents(form.get("total")),
        lines=tuple(omnium_line(ln) for ln in form.get("lineItems") or [] if isinstance(ln, dict)),
        returns=tuple(
            omnium_return(f) for f in document.get("returnOrderForms") or [] if isinstance(f, dict)
        ),
        owner=owner_of(document, options, "OrderUid"),
        created=parse_omnium_datetime(document.get("created")),
        modified=parse_omnium_datetime(document.get("modified")),
        store_candidates=candidates,
    )
