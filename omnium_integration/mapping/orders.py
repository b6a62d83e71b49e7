"""Flow POS orders -> Omnium orders, returns and status updates.

Identities come from the identity map (:mod:`omnium_integration.identities`): the handler
puts each object's Omnium id on its record (``omnium_id``, ``rma_number``) before mapping;
without one (a record built by hand) the rule's first choice applies, the stripped UID.
Lines and payments live inside one Omnium order, so their ids only have to differ within
it (:func:`~.ids.unique_ids`). A retried call addresses the same Omnium object and can
never create a second one.

What we create carries our properties (``<prefix>OrderUid``, ``<prefix>TenantUid``...), by
which :func:`is_ours` tells our object from another's before anything is changed.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from ..exceptions import ConfigurationError, MappingError
from ..transform import (
    cents_to_decimal,
    line_total,
    market_for,
    omnium_datetime,
    plain_decimal,
    sanitize_uid,
    unit_amount,
)
from .common import compact, properties
from .customers import is_business, omnium_customer_id
from .ids import unique_ids
from .options import ExportOptions
from .records import (
    CustomerRecord,
    OrderKind,
    OrderLineRecord,
    OrderRecord,
    OrderRef,
    OrderState,
    PaymentRecord,
    StoreRecord,
)
from .statuses import is_cancel_status, is_done_status

# ---------------------------------------------------------------------------- identities


def omnium_order_id(order: OrderRecord | OrderRef) -> str:
    """The Omnium order id of a Flow order: the map's, else Omnium's own, else the UID."""
    return order.omnium_id or order.external_id or sanitize_uid(order.uid)


def line_item_ids(lines: Iterable[OrderLineRecord]) -> dict[str, str]:
    """The ``lineItemId`` of each line of one order, by Flow line UID.

    A line that came from Omnium keeps Omnium's id; the others get their stripped UID,
    made distinct where two of them strip to the same id.
    """
    lines = list(lines)
    ours = unique_ids([line.uid for line in lines if not line.external_id])
    return {line.uid: line.external_id or ours[line.uid] for line in lines}


def rma_number(order: OrderRecord) -> str:
    """The ``rmaNumber`` that ties an Omnium return to the Flow return order."""
    return order.rma_number or sanitize_uid(order.uid)


def store_id(store: StoreRecord) -> str:
    """The store's Omnium id: its store parameter, else its stripped Flow UID."""
    return store.omnium_id or sanitize_uid(store.uid)


def market_id(order: OrderRecord) -> str:
    return market_for(order.store.country_code, order.store.external_id)


# ----------------------------------------------------------------------------- POS orders


def shipping_method_of(order: OrderRecord, options: ExportOptions) -> str:
    """The sale's shipping method, else ``OMNIUM_DEFAULT_SHIPPING_METHOD_ID``, else the
    ``POS_SHIPPING_METHOD`` setting (docs/decisions.md#the-shipping-method-of-a-pos-sale).
    With none of them the sale is refused, never sent without one."""
    method = (
        order.shipping_method_id
        or options.default_shipping_method_id
        or options.fallback_shipping_method
    )
    if not method:
        raise ConfigurationError(
            f"Order {order.uid} names no shipping method, the tenant has no "
            "OMNIUM_DEFAULT_SHIPPING_METHOD_ID and POS_SHIPPING_METHOD is empty: set the "
            "parameter on the tenant's Omnium extension, then retry the job. Nothing was sent."
        )
    return method


def pos_order(order: OrderRecord, options: ExportOptions) -> dict[str, Any]:
    """The ``OmniumOrder`` for ``POST /api/Orders``: a completed, read-only POS order.

    A sale has positive quantities and ``Sale`` payments. A return without an original
    sale (a "blind" return) is sent the same way with negative quantities, its refunds
    as ``Credit`` payments: there is no Omnium order to attach a return form to.
    """
    if order.state != OrderState.COMPLETED:
        raise MappingError(f"Order {order.uid} is {order.state}; only completed orders are sent")
    order_id = omnium_order_id(order)
    store = store_id(order.store)
    sign = -1 if order.kind == OrderKind.RETURN else 1
    ids = line_item_ids(order.lines)
    lines = [order_line(line, ids, sign=sign) for line in order.lines]
    if not lines:
        raise MappingError(f"Order {order.uid} has no lines; Omnium needs at least one")
    shipping_method = shipping_method_of(order, options)
    shipment = compact(
        {
            "shipmentId": f"{order_id}_1",
            "warehouseCode": store,  # the goods left from the selling store
            "shippingMethodId": shipping_method,
            "shippingMethodName": shipping_method,
            "orderStatus": options.completed_status,
            "lineItems": lines,
            "address": _address(order.customer, order.store.country_code),
        }
    )
    document = {
        "id": order_id,
        "orderType": options.pos_order_type,
        "status": options.completed_status,
        "isReadOnly": True,
        "marketId": market_id(order),
        "storeId": store,
        "billingCurrency": order.currency,
        "created": omnium_datetime(order.created_at),
        **_customer_fields(order.customer),
        "orderForm": {
            "lineItems": lines,
            "payments": payments(order.payments, store),
            "shipments": [shipment],
        },
        "properties": properties(
            options,
            OrderUid=order.uid,
            TenantUid=options.tenant_uid,
            OrderKind=order.kind.value,
            StoreUid=order.store.uid,
            CompletedAt=omnium_datetime(order.completed_at),
            Note=order.note,
        ),
    }
    return compact(document)


# Header fields of a POS order that may still change in Flow after the order reached
# Omnium (a customer attached to the receipt afterwards). Lines and payments of a
# completed sale do not change: goods coming back are a return.
PATCHABLE_FIELDS = (
    "customerId",
    "customerNumber",
    "customerName",
    "customerEmail",
    "customerPhone",
    "customerType",
)


def pos_order_patch(document: dict[str, Any], current: dict[str, Any]) -> dict[str, Any] | None:
    """The ``PatchOrder`` body that brings Omnium's ``current`` order up to ``document``.

    ``None`` when nothing differs. Our prefixed properties are merged
    (``keepExistingCustomProperties``), so properties others set are kept.
    """
    patch: dict[str, Any] = {
        name: document[name]
        for name in PATCHABLE_FIELDS
        if name in document and current.get(name) != document[name]
    }
    have = {p.get("key"): p.get("value") for p in current.get("properties") or []}
    changed = [p for p in document.get("properties", []) if have.get(p["key"]) != p["value"]]
    if changed:
        patch["properties"] = changed
        patch["keepExistingCustomProperties"] = True
    return patch or None


def pos_order_drift(document: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """What of Flow's POS ``document`` Omnium's ``current`` order no longer has: its
    ``lines`` (SKU, quantity, price, discount per ``lineItemId``) or its ``status`` (a
    completed sale may since be picked up, closed or returned, which is no drift)."""
    drift = []
    if not is_done_status(current.get("status"), also=document["status"]):
        drift.append("status")
    if _line_keys(document) != _line_keys(current):
        drift.append("lines")
    return drift


def pos_order_repair(document: dict[str, Any], current: dict[str, Any]) -> dict[str, Any] | None:
    """The ``POST /api/Orders/Update`` body that puts Flow's lines and status back on an
    Omnium POS order changed since (by hand, say); ``None`` when nothing drifted.

    Everything else Omnium holds stays: its other members, the return forms added since,
    and properties that are not ours.
    """
    if not pos_order_drift(document, current):
        return None
    ours = {p["key"] for p in document.get("properties", [])}
    kept = [p for p in current.get("properties") or [] if p.get("key") not in ours]
    return {
        **current,
        **document,
        "properties": kept + list(document.get("properties", [])),
        "returnOrderForms": current.get("returnOrderForms") or [],
    }


def _line_keys(order: dict[str, Any]) -> dict[str, tuple]:
    def number(value: Any) -> Decimal:
        return Decimal(str(value)) if value not in (None, "") else Decimal(0)

    return {
        str(line.get("lineItemId")): (
            line.get("code"),
            number(line.get("quantity")),
            number(line.get("placedPrice")),
            number(line.get("discounted")),
        )
        for line in (order.get("orderForm") or {}).get("lineItems") or []
        if isinstance(line, dict)
    }


def order_line(line: OrderLineRecord, ids: dict[str, str], *, sign: int = 1) -> dict[str, Any]:
    """An ``OmniumOrderLine``: unit price incl. VAT before discount, the line's discount.

    ``ids``: the order's :func:`line_item_ids`.
    """
    quantity = plain_decimal(abs(line.quantity)) * sign
    document = {
        "lineItemId": ids[line.uid],
        "code": line.sku,
        "displayName": line.name,
        "quantity": quantity,
        "placedPrice": cents_to_decimal(line.unit_price),
        "discounted": cents_to_decimal(line.discount),
        "taxRate": plain_decimal(line.vat_rate),
    }
    if line.package_parent_uid:
        document["packageLineItemId"] = ids.get(
            line.package_parent_uid, sanitize_uid(line.package_parent_uid)
        )
    return compact(document)


def payments(records: Iterable[PaymentRecord], store: str) -> list[dict[str, Any]]:
    """The order's payments, with ids distinct within the order."""
    records = list(records)
    ids = unique_ids([record.uid for record in records])
    return [payment(record, ids[record.uid], store) for record in records]


def payment(record: PaymentRecord, payment_id: str, store: str) -> dict[str, Any]:
    """An ``OmniumPayment``: POS payments are immediate (``Sale``); refunds are ``Credit``."""
    return compact(
        {
            "id": payment_id,
            "paymentMethodName": record.method,
            "paymentType": record.method,
            "transactionId": record.transaction_id or record.uid,
            "transactionType": "Credit" if record.amount < 0 else "Sale",
            "status": "Processed",
            "amount": cents_to_decimal(abs(record.amount)),
            "paidDate": omnium_datetime(record.created_at),
            "storeId": store,
        }
    )


def _customer_fields(customer: CustomerRecord | None) -> dict[str, Any]:
    if customer is None:
        return {}
    return {
        "customerId": omnium_customer_id(customer),
        "customerNumber": customer.loyalty_id,
        "customerName": customer.name,
        "customerEmail": customer.email,
        "customerPhone": customer.mobile,
        "customerType": "B2B" if is_business(customer) else "B2C",
    }


def _address(customer: CustomerRecord | None, store_country: str) -> dict[str, Any]:
    if customer is None:
        return {"countryCode": store_country.upper()}
    country = customer.country_code if is_business(customer) else customer.tenant_country_code
    return compact(
        {
            "name": customer.name,
            "line1": customer.address,
            "city": customer.city,
            "postalCode": customer.postal_code,
            "countryCode": (country or store_country).upper(),
            "email": customer.email,
            "phone": customer.mobile,
        }
    )


# -------------------------------------------------------------------------------- returns


def return_request(order: OrderRecord, options: ExportOptions) -> dict[str, Any]:
    """The ``OmniumReturnRequestModel`` for ``POST /api/Returns/{originalId}/Return``.

    Return lines go to the sale line they name, else to the sale's lines with the same
    SKU. ``creditAmount`` is what the customer got back per
    item (price less its share of the line discount); ``creditPayment`` is off because
    the till already paid the money back.
    """
    original = order.original_order
    if original is None:
        raise MappingError(f"Return {order.uid} has no original sale to return against")
    sale_line_ids = line_item_ids(original.lines)
    returns = [
        compact(
            {
                "lineItemId": sale_line_ids[original_line.uid],
                "returnQuantity": plain_decimal(quantity),
                "creditAmount": unit_amount(
                    line_total(abs(line.quantity), line.unit_price, abs(line.discount)),
                    abs(line.quantity),
                ),
                "isStockUpdated": not order.store.flow_stock_master,
            }
        )
        for line, original_line, quantity in _match_lines(order, original)
    ]
    return compact(
        {
            "returns": returns,
            "storeId": store_id(order.store),
            "rmaNumber": rma_number(order),
            "creditPayment": False,
            "comment": order.note,
            "properties": properties(
                options,
                ReturnUid=order.uid,
                TenantUid=options.tenant_uid,
                StoreUid=order.store.uid,
                CompletedAt=omnium_datetime(order.completed_at),
            ),
        }
    )


def find_return(omnium_order: dict[str, Any], order: OrderRecord) -> dict[str, Any] | None:
    """The return form on ``omnium_order`` with ``order``'s rmaNumber, whoever made it.

    :func:`is_ours` (``ReturnUid``) tells whether a previous attempt made it for ``order``.
    """
    rma = rma_number(order)
    for form in omnium_order.get("returnOrderForms") or []:
        if str(form.get("rmaNumber") or "") == rma:
            return form
    return None


def _match_lines(
    order: OrderRecord, original: OrderRef
) -> Iterable[tuple[OrderLineRecord, OrderLineRecord, Decimal]]:
    """Pair each return line with the sale line(s) it returns goods from.

    A return line that names its sale line goes there. One that does not is split over
    the sale's lines with the same SKU, in line order.
    """
    left = {line.uid: abs(line.quantity) for line in original.lines}
    for line in order.lines:
        wanted = abs(line.quantity)
        candidates = original.lines
        if line.original_line_uid:
            candidates = tuple(o for o in original.lines if o.uid == line.original_line_uid)
        for original_line in candidates:
            if wanted <= 0:
                break
            if original_line.sku != line.sku or left[original_line.uid] <= 0:
                continue
            taken = min(wanted, left[original_line.uid])
            left[original_line.uid] -= taken
            wanted -= taken
            yield line, original_line, taken
        if wanted > 0:
            raise MappingError(
                f"Return {order.uid} returns {abs(line.quantity)} x {line.sku}, more than "
                f"sale {original.uid} sold of it"
            )


# ------------------------------------------------------------------------------- statuses


def target_status(order: OrderRecord, options: ExportOptions) -> str | None:
    """The Omnium status a Flow order's state asks for (``None`` when there is none)."""
    if order.state == OrderState.COMPLETED:
        return options.completed_status
    if order.state == OrderState.CANCELLED:
        return options.cancelled_status
    return None


def is_cancelled(omnium_order: dict[str, Any], options: ExportOptions) -> bool:
    """Whether Omnium's order is cancelled: a cancellation status, or the one we write."""
    return is_cancel_status(omnium_order.get("status"), also=options.cancelled_status)
