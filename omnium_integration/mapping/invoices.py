"""Flow receipts -> Omnium invoices (Flow docs, Invoices and receipts page).

A receipt of a sale or a return is a *standard* invoice: the order's lines (mapped as
order lines), payments and customer. A receipt of a payment-type order (a deposit or
down payment) is a *payment* invoice with one ``REMITTANCE`` line for the settled amount.
Returns become credit notes: ``isCreditNote`` with positive amounts and quantities.
"""

from __future__ import annotations

from typing import Any

from ..transform import cents_to_decimal, omnium_datetime, sanitize_uid
from .common import compact, properties
from .customers import omnium_customer_id
from .options import ExportOptions
from .orders import line_item_ids, market_id, omnium_order_id, order_line, payments, store_id
from .records import OrderKind, OrderRecord, ReceiptRecord

REMITTANCE_SKU = "REMITTANCE"


def invoice_id(receipt: ReceiptRecord) -> str:
    """The Omnium invoice id of a receipt: the map's, else its stripped UID (an upsert key)."""
    return receipt.omnium_id or sanitize_uid(receipt.uid)


def invoice_file_name(receipt: ReceiptRecord) -> str:
    return f"{sanitize_uid(receipt.voucher_number or receipt.uid)}.pdf"


def invoiced_order_id(order: OrderRecord) -> str:
    """The Omnium order an invoice belongs to.

    A sale is its own Omnium order. A return with an original sale exists in Omnium only
    as a return form on that sale, and a payment pays for its original order when it has
    one, so their invoices point at the original; otherwise at the order itself.
    """
    if order.kind != OrderKind.SALE and order.original_order is not None:
        return omnium_order_id(order.original_order)
    return omnium_order_id(order)


def invoice(receipt: ReceiptRecord, options: ExportOptions) -> dict[str, Any]:
    """The ``OmniumInvoice`` for ``PUT /api/Invoices/UpdateInvoice``."""
    order = receipt.order
    store = store_id(order.store)
    customer = order.customer
    if order.kind == OrderKind.PAYMENT:
        lines = [remittance_line(receipt)]
    else:
        ids = line_item_ids(order.lines)
        lines = [order_line(line, ids) for line in order.lines]
    document = {
        "id": invoice_id(receipt),
        "invoiceNumber": receipt.voucher_number,
        "invoiceType": "Outgoing",
        "isCreditNote": order.kind == OrderKind.RETURN,
        "orderId": invoiced_order_id(order),
        "marketId": market_id(order),
        "storeId": store,
        "invoiceDate": omnium_datetime(receipt.created_at),
        "deliveryDate": omnium_datetime(receipt.settled_at),
        "invoiceDueDate": omnium_datetime(receipt.settled_at),
        "amount": cents_to_decimal(abs(receipt.grand_total)),
        "amountExcludingTax": cents_to_decimal(abs(receipt.grand_total - receipt.vat_total)),
        "currency": receipt.currency,
        "lineItems": lines,
        "payments": payments(order.payments, store),
        "properties": properties(
            options, ReceiptUid=receipt.uid, TenantUid=options.tenant_uid, OrderUid=order.uid
        ),
    }
    if customer is not None:
        document.update(
            customerId=omnium_customer_id(customer),
            # The contact person wins over the company/person itself (Flow's rule for e-mail).
            customerName=customer.contact_person_name or customer.name,
            customerEmail=customer.contact_person_email or customer.email,
        )
    return compact(document)


def remittance_line(receipt: ReceiptRecord) -> dict[str, Any]:
    """The single line of a payment invoice: ``REMITTANCE`` x 1 for the settled amount."""
    order = receipt.order
    paid_for = order.original_order.uid if order.original_order else order.uid
    return {
        "lineItemId": REMITTANCE_SKU,
        "code": REMITTANCE_SKU,
        "displayName": f"Payment for invoice {receipt.voucher_number} (order #{paid_for})",
        "quantity": 1,
        "placedPrice": cents_to_decimal(abs(receipt.settled_amount)),
    }


def invoice_has_file(current: dict[str, Any] | None, file_name: str) -> bool:
    """Whether Omnium's invoice ``current`` already holds the file ``file_name``."""
    if not current:
        return False
    names = [asset.get("fileName") for asset in current.get("assets") or []]
    return file_name in names or str(current.get("url") or "").endswith(f"/{file_name}")
