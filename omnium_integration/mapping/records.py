"""Flow's objects as plain, frozen data: what the adapter reads and the mappers consume.

The adapter (:mod:`omnium_integration.host`) turns Flow model instances into these
records; the mapping functions turn records into Omnium documents. Neither side sees the
other's types, so the mappers are tested without a database and a host with different
models only has to fill these in. Money is integer cents, as in Flow.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum


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
    created_at: datetime | None = None
    last_modified_at: datetime | None = None
    last_modified_by: str = ""

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
