"""Reading Flow orders for the outbound order sync (Flow -> Omnium)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import Model

from ..conf import get_order_model
from ..mapping.records import (
    OrderKind,
    OrderLineRecord,
    OrderRecord,
    OrderRef,
    OrderState,
    PaymentRecord,
    StoreRecord,
)
from .base import BaseAdapter, overrides

# What ``orders_for_export`` puts on each order's store: its stock-master flag.
FLOW_STOCK_MASTER = "omnium_flow_stock_master"


class OrderAdapterMixin:
    """Flow orders as :class:`OrderRecord`, and which order saves are worth sending."""

    # Flow's order types and states, as the records name them (unknown states are "open").
    ORDER_KINDS = {"SALE": OrderKind.SALE, "RETURN": OrderKind.RETURN, "PAYMENT": OrderKind.PAYMENT}
    ORDER_STATES = {"COMPLETED": OrderState.COMPLETED, "CANCELLED": OrderState.CANCELLED}

    def order_kind(self, order: Model) -> OrderKind:
        return self.ORDER_KINDS.get(order.type, OrderKind.SALE)

    def order_state(self, order: Model) -> OrderState:
        return self.ORDER_STATES.get(order.state, OrderState.OPEN)

    def order_export_due(self, order: Model) -> bool:
        """Whether this save of ``order`` has something for Omnium.

        A completed sale or return, a cancelled sale that had been completed (and so may
        be in Omnium), and an order from Omnium that was completed or cancelled in the
        store. Open, parked and confirmed orders are still being worked on; payment-type
        orders reach Omnium only as receipts (invoices).
        """
        kind, state = self.order_kind(order), self.order_state(order)
        if state == OrderState.OPEN:
            return False
        if order.external_id:
            return True
        if state == OrderState.COMPLETED:
            return kind in (OrderKind.SALE, OrderKind.RETURN)
        return kind == OrderKind.SALE and order.completed_at is not None

    def order_for_export(self, tenant_id: Any, pk: Any) -> OrderRecord | None:
        """The order ``pk`` of the tenant as a record, or ``None`` if it no longer exists."""
        return self.orders_for_export(tenant_id, [pk]).get(str(pk))

    def orders_for_export(self, tenant_id: Any, pks: Iterable[Any]) -> dict[str, OrderRecord]:
        """Records of the tenant's orders among ``pks``, by ``str(pk)``; three queries for
        any number of orders (the engine reads a claimed batch's orders at once). A host
        that reads its orders differently overrides this, not ``order_for_export``."""
        orders = (
            get_order_model()
            .objects.filter(tenant_id=tenant_id, pk__in=list(pks))
            # The original order of a return comes with its lines, by the prefetch; a sale
            # has none to fetch.
            .select_related("store__omnium_extension", "customer__tenant")
            .prefetch_related("lines", "payments", "original_order__lines")
        )
        # The store's stock-master flag comes with the order, unless the host decides it
        # in Python (an override of ``is_flow_stock_master``).
        flag_in_sql = not overrides(self, "is_flow_stock_master", BaseAdapter)
        if flag_in_sql:
            orders = orders.annotate(**{FLOW_STOCK_MASTER: self.flow_stock_master_flag("store")})
        records = {}
        for order in orders:
            if flag_in_sql:
                setattr(order.store, FLOW_STOCK_MASTER, getattr(order, FLOW_STOCK_MASTER))
            records[str(order.pk)] = self.order_record(order)
        return records

    def order_record(self, order: Model) -> OrderRecord:
        original = order.original_order
        customer = order.customer
        return OrderRecord(
            pk=order.pk,
            uid=order.uid,
            kind=self.order_kind(order),
            state=self.order_state(order),
            currency=order.currency,
            store=self.store_record(order.store),
            lines=self.order_line_records(order),
            payments=tuple(self.payment_record(p) for p in order.payments.all()),
            customer=None if customer is None else self.customer_record(customer),
            original_order=None if original is None else self.order_ref(original),
            external_id=order.external_id,
            external_order_type=order.external_order_type,
            shipping_method_id=order.shipping_method_id,
            note=order.note,
            created_at=order.created_at,
            completed_at=order.completed_at,
            cancelled_at=order.cancelled_at,
        )

    def order_ref(self, order: Model) -> OrderRef:
        return OrderRef(
            pk=order.pk,
            uid=order.uid,
            external_id=order.external_id,
            kind=self.order_kind(order),
            state=self.order_state(order),
            lines=self.order_line_records(order),
        )

    def order_line_records(self, order: Model) -> tuple[OrderLineRecord, ...]:
        lines = list(order.lines.all())
        uids = {line.pk: line.uid for line in lines}
        original = order.original_order
        original_uids = {} if original is None else {ln.pk: ln.uid for ln in original.lines.all()}
        return tuple(
            self.order_line_record(
                line,
                package_parent_uid=uids.get(line.package_parent_id, ""),
                original_line_uid=original_uids.get(line.original_line_id, ""),
            )
            for line in lines
        )

    def order_line_record(
        self, line: Model, *, package_parent_uid: str = "", original_line_uid: str = ""
    ) -> OrderLineRecord:
        return OrderLineRecord(
            uid=line.uid,
            sku=line.sku,
            name=line.name,
            quantity=line.quantity,
            unit_price=line.unit_price,
            discount=line.discount,
            vat_rate=line.vat_rate,
            external_id=line.external_id,
            package_parent_uid=package_parent_uid,
            original_line_uid=original_line_uid,
        )

    def payment_record(self, payment: Model) -> PaymentRecord:
        return PaymentRecord(
            uid=payment.uid,
            method=payment.method,
            amount=payment.amount,
            transaction_id=payment.transaction_id,
            created_at=payment.created_at,
        )

    def store_record(self, store: Model) -> StoreRecord:
        flow_stock_master = getattr(store, FLOW_STOCK_MASTER, None)  # read with the order?
        if flow_stock_master is None:
            flow_stock_master = self.is_flow_stock_master(store)
        return StoreRecord(
            uid=store.uid,
            country_code=store.country_code,
            external_id=store.external_id,
            flow_stock_master=flow_stock_master,
            omnium_id=self.omnium_store_id(store),
        )
