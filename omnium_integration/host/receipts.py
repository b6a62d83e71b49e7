"""Reading Flow receipts for the receipt -> Omnium invoice sync."""

from __future__ import annotations

from typing import Any

from django.db.models import Model

from ..conf import get_order_receipt_model
from ..mapping.records import ReceiptRecord


class ReceiptAdapterMixin:
    """Flow receipts as :class:`ReceiptRecord` (with their order and PDF)."""

    def receipt_export_due(self, receipt: Model) -> bool:
        """A receipt is worth an invoice once its settlement is complete."""
        return receipt.settled_at is not None

    def receipt_for_export(self, tenant_id: Any, pk: Any) -> ReceiptRecord | None:
        receipt = (
            get_order_receipt_model()
            .objects.select_related(
                "tenant",
                "order__store__omnium_extension",
                "order__customer__tenant",
                "order__original_order",
            )
            .prefetch_related("order__lines", "order__payments", "order__original_order__lines")
            .filter(tenant_id=tenant_id, pk=pk)
            .first()
        )
        return None if receipt is None else self.receipt_record(receipt)

    def receipt_record(self, receipt: Model) -> ReceiptRecord:
        order = self.order_record(receipt.order)
        pdf = receipt.pdf
        return ReceiptRecord(
            pk=receipt.pk,
            uid=receipt.uid,
            voucher_number=receipt.voucher_number,
            grand_total=receipt.grand_total,
            vat_total=receipt.vat_total,
            settled_amount=order.paid,
            currency=receipt.tenant.currency,
            order=order,
            created_at=receipt.created_at,
            settled_at=receipt.settled_at,
            pdf=None if pdf is None else bytes(pdf),
        )
