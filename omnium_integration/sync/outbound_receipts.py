"""Flow receipts -> Omnium invoices with the receipt PDF (``OMNIUM_SEND_ORDER_RECEIPT_TO_OMNIUM``).

``PUT /api/Invoices/UpdateInvoice`` (an upsert by id = sanitised receipt UID), then
``POST /api/Invoices/{id}/AddFileToInvoice`` with the PDF; the invoice id is kept in the
job's result. A receipt without a PDF gets no invoice at all: Flow's rule is that Omnium
never holds an invoice without its document, so the job fails with that reason and a
later save of the receipt with its PDF sends it. An invoice that already holds our file
is not sent again (receipts are fiscal documents: they do not change once settled).
"""

from __future__ import annotations

from typing import Any

from ..client import get_client
from ..enums import Direction, JobKind, Queue
from ..exceptions import PermanentError
from ..host import get_adapter
from ..jobs import registry
from ..mapping.invoices import invoice, invoice_file_name, invoice_has_file, invoice_id
from ..models import ExternalSyncJob
from .outbound import active_extension, export_options, skipped


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
    document = invoice(receipt, export_options(extension))
    file_name = invoice_file_name(receipt)
    result = {"invoiceId": invoice_id(receipt), "orderId": document["orderId"], "file": file_name}
    client = get_client(extension)
    if invoice_has_file(client.get_invoice(document["id"]), file_name):
        return {"action": "unchanged", **result}
    client.update_invoice(document)
    client.add_file_to_invoice(document["id"], file_name, receipt.pdf)
    return {"action": "created", **result}
