"""Flow receipts -> Omnium invoices with the receipt PDF (``OMNIUM_SEND_ORDER_RECEIPT_TO_OMNIUM``).

``PUT /api/Invoices/UpdateInvoice`` (an upsert by id: the receipt's id in the identity map), then
``POST /api/Invoices/{id}/AddFileToInvoice`` with the PDF; the invoice id is kept in the
job's result. A receipt without a PDF gets no invoice at all: Flow's rule is that Omnium
never holds an invoice without its document, so the job fails with that reason and a
later save of the receipt with its PDF sends it. An invoice that already holds our file
is not sent again (receipts are fiscal documents: they do not change once settled).

The invoice id comes from the identity map; an invoice Omnium holds under it for another
receipt (its ``<prefix>ReceiptUid``) is never overwritten: this receipt moves to its
distinct id. The invoice waits until the order it belongs to is in Omnium.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from .. import identities
from ..client import get_client
from ..enums import Direction, IdentityKind, JobKind, Queue
from ..exceptions import PermanentError
from ..host import get_adapter
from ..jobs import registry
from ..mapping.common import is_ours, owner_of
from ..mapping.invoices import invoice, invoice_file_name, invoice_has_file
from ..mapping.records import OrderKind, ReceiptRecord
from ..models import ExternalSyncJob, TenantExtension
from .outbound import (
    active_extension,
    export_options,
    id_note,
    require_in_omnium,
    retry_conflicts,
    skipped,
    with_customer_id,
)


@registry.handles(JobKind.RECEIPT_EXPORT, queue=Queue.ORDER, direction=Direction.OUTBOUND)
def export_receipt(job: ExternalSyncJob) -> dict[str, Any]:
    """Create the receipt's Omnium invoice and attach its PDF (see the module docstring)."""
    extension = active_extension(job)
    if not extension.send_order_receipt_to_omnium:
        return skipped("OMNIUM_SEND_ORDER_RECEIPT_TO_OMNIUM is off for this tenant.")
    receipt = get_adapter().receipt_for_export(extension.tenant_id, job.object_id)
    if receipt is None:
        return skipped("The receipt no longer exists in Flow.")
    if receipt.settled_at is None:
        return skipped("The receipt is not settled yet.")
    if not receipt.pdf:
        raise PermanentError(
            f"Receipt {receipt.voucher_number or receipt.uid} has no PDF, so no invoice was "
            "created (Omnium must never hold an invoice without its document). Saving the "
            "receipt with its PDF sends it again."
        )
    receipt = _with_order_ids(extension, receipt)
    options = export_options(extension)
    client = get_client(extension)
    row = identities.resolve(extension, IdentityKind.INVOICE, receipt.pk, receipt.uid)
    file_name = invoice_file_name(receipt)
    while True:
        receipt = replace(receipt, omnium_id=row.omnium_id)
        current = client.get_invoice(row.omnium_id)
        if current is None or is_ours(current, options, "ReceiptUid", receipt.uid):
            break
        owner = owner_of(current, options, "ReceiptUid")
        row = identities.reassign(
            row, f"an invoice of {f'Flow receipt {owner}' if owner else 'someone else'}"
        )
    document = invoice(receipt, options)
    result = {"invoiceId": row.omnium_id, "orderId": document["orderId"], "file": file_name}
    if invoice_has_file(current, file_name):
        identities.confirm(row)
        return {"action": "unchanged", **result, **id_note(row)}
    retry_conflicts(lambda: client.update_invoice(document), f"UpdateInvoice {row.omnium_id}")
    identities.confirm(row)
    retry_conflicts(
        lambda: client.add_file_to_invoice(row.omnium_id, file_name, receipt.pdf),
        f"AddFileToInvoice {row.omnium_id}",
    )
    return {"action": "created", **result, **id_note(row)}


def _with_order_ids(extension: TenantExtension, receipt: ReceiptRecord) -> ReceiptRecord:
    """The receipt with the Omnium ids of its order, the order's sale and its customer.

    The invoice names the Omnium order it belongs to (:func:`invoiced_order_id`), so that
    order must be in Omnium first: the receipt waits for it. A payment-type order without
    an original is not an Omnium order, so there is nothing to wait for.
    """
    order = with_customer_id(extension, receipt.order)
    label = f"The invoice of receipt {receipt.voucher_number or receipt.uid}"
    if order.original_order is not None and order.kind != OrderKind.SALE:
        sale = require_in_omnium(extension, order.original_order, label)
        order = replace(
            order, original_order=replace(order.original_order, omnium_id=sale.omnium_id)
        )
    elif order.kind != OrderKind.PAYMENT:
        own = require_in_omnium(extension, order, label)
        order = replace(order, omnium_id=own.omnium_id)
    return replace(receipt, order=order)
