"""Flow's objects as plain data: what the adapter reads and writes, what the mappers use.

Flow -> Omnium: the adapter (:mod:`omnium_integration.host`) turns Flow model instances
into these records and the mapping functions turn records into Omnium documents.
Omnium -> Flow: the import's rules turn Omnium documents into :class:`LineSpec` /
:class:`OrderHeader` values and a :class:`LinePlan`, which the adapter applies. Neither
side sees the other's types, so the rules are tested without a database and a host with
different models only has to fill these in. Money is integer cents, as in Flow.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any


class OrderKind(StrEnum):
    SALE = "sale"
    RETURN = "return"
    PAYMENT = "payment"  # a deposit or down payment: money, no goods


class OrderState(StrEnum):
    OPEN = "open"  # open, parked, confirmed: still being worked on in the store
    COMPLETED = "completed"
    CANCELLED = "cancelled"


class CustomerKind(StrEnum):
    PERSON = "person"
    COMPANY = "company"


@dataclass(frozen=True)
class StoreRecord:
    uid: str
    country_code: str
    external_id: str = ""  # the store's Omnium market id, when it differs from its country
    flow_stock_master: bool = False  # OMNIUM_FLOW_STOCK_MASTER
    omnium_id: str = ""  # the store's id in Omnium (its store parameter); "": the stripped uid


@dataclass(frozen=True)
class CustomerRecord:
    uid: str
    kind: CustomerKind
    tenant_country_code: str
    first_name: str = ""
    last_name: str = ""
    display_name: str = ""
    company_name: str = ""
    vat_number: str = ""
    contact_person_name: str = ""
    contact_person_email: str = ""
    email: str = ""
    mobile: str = ""
    address: str = ""
    city: str = ""
    postal_code: str = ""
    country_code: str = ""
    loyalty_id: str = ""
    external_id: str = ""  # the customer's Omnium id, once it exists there
    omnium_id: str = ""  # its id in the identity map (set by the handler before mapping)
    pk: Any = None  # the Flow customer's primary key (the identity map's reference)
    created_at: datetime | None = None
    last_modified_at: datetime | None = None
    last_modified_by: str = ""
    is_erased: bool = False  # Flow erased its personal data (its erasure is a job of its own)

    @property
    def name(self) -> str:
        """The display name, else the company name or first and last name."""
        if self.display_name:
            return self.display_name
        if self.kind == CustomerKind.COMPANY and self.company_name:
            return self.company_name
        return " ".join(part for part in (self.first_name, self.last_name) if part)


@dataclass(frozen=True)
class OrderLineRecord:
    uid: str
    sku: str
    quantity: Decimal
    unit_price: int  # cents, VAT included, before discount
    discount: int = 0  # cents off the whole line
    vat_rate: Decimal = Decimal(25)  # percent
    name: str = ""
    external_id: str = ""  # the Omnium lineItemId of a line that came from Omnium
    package_parent_uid: str = ""  # set on the components of a package line
    original_line_uid: str = ""  # on a return: the sale line the goods come back from


@dataclass(frozen=True)
class PaymentRecord:
    uid: str
    method: str
    amount: int  # cents; negative for money paid back
    transaction_id: str = ""
    created_at: datetime | None = None


@dataclass(frozen=True)
class OrderRef:
    """Enough of another order to address it in Omnium (a return's original sale)."""

    pk: int
    uid: str
    external_id: str = ""
    kind: OrderKind = OrderKind.SALE
    state: OrderState = OrderState.COMPLETED
    lines: tuple[OrderLineRecord, ...] = ()
    omnium_id: str = ""  # its Omnium order id from the identity map


@dataclass(frozen=True)
class OrderRecord:
    pk: int
    uid: str
    kind: OrderKind
    state: OrderState
    currency: str
    store: StoreRecord
    lines: tuple[OrderLineRecord, ...] = ()
    payments: tuple[PaymentRecord, ...] = ()
    customer: CustomerRecord | None = None
    original_order: OrderRef | None = None
    external_id: str = ""  # the Omnium order id of an order that came from Omnium
    external_order_type: str = ""
    omnium_id: str = ""  # its Omnium order id from the identity map (sales, blind returns)
    rma_number: str = ""  # a return's rmaNumber on its sale, from the identity map
    shipping_method_id: str = ""
    note: str = ""
    created_at: datetime | None = None
    completed_at: datetime | None = None
    cancelled_at: datetime | None = None

    @property
    def from_omnium(self) -> bool:
        return bool(self.external_id)

    @property
    def paid(self) -> int:
        """Cents settled by the order's payments (refunds count negative)."""
        return sum(payment.amount for payment in self.payments)


@dataclass(frozen=True)
class ReceiptRecord:
    pk: int
    uid: str
    voucher_number: str
    grand_total: int  # cents, VAT included
    vat_total: int  # cents
    settled_amount: int  # cents: what the order's payments settled (a deposit's amount)
    currency: str  # the tenant's currency
    order: OrderRecord
    created_at: datetime | None = None
    settled_at: datetime | None = None
    pdf: bytes | None = field(default=None, repr=False)
    omnium_id: str = ""  # its Omnium invoice id from the identity map


# ------------------------------------------------------------------- Omnium -> Flow


@dataclass(frozen=True)
class LineSpec:
    """An Omnium order line as it should be in Flow (money in cents)."""

    key: str  # Omnium lineItemId
    sku: str
    name: str
    quantity: Decimal
    unit_price: int
    discount: int
    vat_rate: Decimal | None
    parent_key: str | None = None  # the package line it belongs to, when that line is kept


@dataclass(frozen=True)
class FlowLine:
    """A Flow order line as it is now."""

    pk: Any
    key: str  # Omnium lineItemId; "" for a line Flow added itself
    sku: str
    name: str
    quantity: Decimal
    unit_price: int
    discount: int
    vat_rate: Decimal
    delivered_quantity: Decimal
    is_paid: bool
    parent_key: str | None

    @property
    def locked(self) -> bool:
        """Delivered or paid: never removed by an import."""
        return self.is_paid or self.delivered_quantity > 0


@dataclass
class LinePlan:
    """What an import changes in a Flow order's lines."""

    add: list[LineSpec] = field(default_factory=list)
    update: list[tuple[FlowLine, dict[str, Any]]] = field(default_factory=list)
    remove: list[FlowLine] = field(default_factory=list)
    kept: list[FlowLine] = field(default_factory=list)  # gone in Omnium, delivered or paid
    frozen: list[FlowLine] = field(default_factory=list)  # paid, changed in Omnium
    material: bool = False  # lines added, removed, or quantity/price/discount/sku changed

    def summary(self) -> dict[str, int]:
        return {
            "added": len(self.add),
            "updated": len(self.update),
            "removed": len(self.remove),
            "kept": len(self.kept),
            "frozen": len(self.frozen),
        }


@dataclass(frozen=True)
class OrderHeader:
    """Order-level values the import sets (``None``: leave as it is on update)."""

    external_id: str
    order_type: str
    store: Any  # Flow's store instance, as the adapter found it
    customer: Any  # Flow's customer instance
    currency: str
    valid_until: datetime | None
    shipping_method_id: str
