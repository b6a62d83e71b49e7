"""Comparing customers and invoices: pure functions of both sides, a difference or none.

* A customer Flow has linked to Omnium is compared on its name, e-mail and phone, as the
  customer export sends them. A value Flow does not have is not compared: the export
  leaves Omnium's alone (absent members keep Omnium's value). A customer that Flow made
  or last wrote (Omnium holds our ``<prefix>CustomerUid``) is Flow's, and its
  ``customer.export`` repairs it; one Omnium made and Flow never wrote is Omnium's, and
  no job brings a customer into Flow, so it is reported for a person.
* A receipt sent as an invoice must have its invoice and, on it, its PDF; the receipt's
  ``receipt.export`` adds whichever is missing.
"""

from __future__ import annotations

from typing import Any

from ..enums import JobKind
from ..mapping.common import is_ours, join, text
from ..mapping.customers import customer_document, is_business
from ..mapping.invoices import invoice_file_name, invoice_has_file
from ..mapping.options import ExportOptions
from ..mapping.records import CustomerRecord
from .differences import Area, Difference, Heal, Kind, both
from .facts import FlowReceipt

# ---------------------------------------------------------------------------- customers


def contact_fields(document: dict[str, Any], business: bool) -> dict[str, str]:
    """Name, e-mail and phone of an Omnium customer document, as compared."""
    name = (
        text(document.get("name"))
        if business
        else join(document.get("firstName"), document.get("lastName"))
    )
    return {
        "name": name,
        "email": text(document.get("email")).lower(),
        "phone": "".join(text(document.get("phone")).split()),
    }


def compare_customer(
    flow: CustomerRecord, omnium: dict[str, Any] | None, options: ExportOptions
) -> Difference | None:
    """A Flow customer linked to Omnium (``flow.omnium_id``) against Omnium's record."""
    business = is_business(flow)
    sent = contact_fields(customer_document(flow, options), business)
    wanted = {name: value for name, value in sent.items() if value}
    export = Heal(JobKind.CUSTOMER_EXPORT.value, str(flow.pk))
    if omnium is None:
        return Difference(
            Area.CUSTOMER,
            Kind.MISSING_IN_OMNIUM,
            str(flow.pk),
            flow.uid,
            flow.omnium_id,
            {name: both(value, None) for name, value in wanted.items()},
            export,
        )
    have = contact_fields(omnium, business)
    fields = {
        name: both(value, have[name]) for name, value in wanted.items() if have[name] != value
    }
    if not fields:
        return None
    if is_ours(omnium, options, "CustomerUid", flow.uid):
        return Difference(
            Area.CUSTOMER, Kind.DIFFERENT, str(flow.pk), flow.uid, flow.omnium_id, fields, export
        )
    return Difference(
        Area.CUSTOMER,
        Kind.DIFFERENT,
        str(flow.pk),
        flow.uid,
        flow.omnium_id,
        fields,
        note="The customer was made in Omnium and Flow never wrote it: Omnium's values are "
        "the truth, and no job brings a customer into Flow. Correct the Flow customer by "
        "hand (saving it sends it to Omnium) or correct Omnium.",
    )


# ----------------------------------------------------------------------------- invoices


def compare_invoice(
    receipt: FlowReceipt, invoice_id: str, invoice: dict[str, Any] | None
) -> Difference | None:
    """A receipt against its Omnium invoice (``None``: Omnium has none under its id)."""
    export = Heal(JobKind.RECEIPT_EXPORT.value, str(receipt.pk))
    file_name = invoice_file_name(receipt)  # type: ignore[arg-type]  (uid, voucher number)
    if invoice is None:
        return Difference(
            Area.INVOICE,
            Kind.MISSING_INVOICE,
            str(receipt.pk),
            receipt.uid,
            invoice_id,
            {"invoice": both(invoice_id or None, None), "file": both(file_name, None)},
            export,
        )
    if invoice_has_file(invoice, file_name):
        return None
    files = [asset.get("fileName") for asset in invoice.get("assets") or [] if asset]
    return Difference(
        Area.INVOICE,
        Kind.MISSING_PDF,
        str(receipt.pk),
        receipt.uid,
        invoice_id,
        {"file": both(file_name, files or None)},
        export,
    )
