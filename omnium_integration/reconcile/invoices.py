"""Receipts sent as invoices (``OMNIUM_SEND_ORDER_RECEIPT_TO_OMNIUM``) against Omnium's.

Compared: the receipts settled in the period that have their PDF. Each must have its
invoice under the id the identity map holds, and the PDF on it. A receipt whose invoice
the map never saw confirmed did not reach Omnium as far as Flow knows.
"""

from __future__ import annotations

from typing import Any

from ..enums import IdentityKind
from ..mapping.common import text
from . import pairs
from .compare_records import compare_invoice
from .context import AreaResult, Context
from .differences import Area


def check_invoices(ctx: Context) -> AreaResult:
    if not ctx.extension.send_order_receipt_to_omnium:
        return AreaResult(Area.INVOICE, note="OMNIUM_SEND_ORDER_RECEIPT_TO_OMNIUM is off.")
    result = AreaResult(Area.INVOICE)
    receipts = ctx.adapter.receipts_in_period(ctx.tenant_id, *ctx.period.bounds)
    if not receipts:
        return result
    ids = pairs.omnium_ids(ctx.extension, IdentityKind.INVOICE, (r.pk for r in receipts))
    wanted = {row.omnium_id for row in ids.values()}
    found: dict[str, dict[str, Any] | None] = {}
    for invoice in ctx.omnium.invoices(ctx.window):
        if text(invoice.get("id")) in wanted:
            found[text(invoice.get("id"))] = invoice
    for receipt in receipts:
        row = ids.get(str(receipt.pk))
        invoice = None
        if row is not None and row.omnium_id in found:
            invoice = found[row.omnium_id]
        elif row is not None and row.confirmed:  # sent, untouched since the window began
            invoice = found[row.omnium_id] = ctx.omnium.invoice(row.omnium_id)
        result.add(compare_invoice(receipt, row.omnium_id if row else "", invoice))
    return result
