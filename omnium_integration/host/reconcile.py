"""Reading Flow in bulk for the reconciliation: a day of orders in a few queries.

Each reader selects with one query (``values()``, no model instances) and takes the lines
of all its orders with one more, so a day of 100,000 sales costs two queries, not one per
sale. Objects named by primary key are read in chunks under the database's parameter
limit. A host whose models differ overrides these, like the rest of the adapter.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet

from ..conf import get_customer_model, get_order_model, get_order_receipt_model
from ..mapping.records import CustomerRecord, OrderKind, OrderState
from ..reconcile.facts import FlowLine, FlowOrder, FlowReceipt

ORDER_FIELDS = ("pk", "uid", "type", "state", "external_id", "original_order_id")
ORDER_FIELDS += ("completed_at", "cancelled_at", "store__uid")
LINE_FIELDS = ("order_id", "uid", "sku", "quantity", "unit_price", "discount", "external_id")
LINE_FIELDS += ("original_line__uid", "package_parent__uid")


def chunked(values: Iterable[Any], size: int | None = None) -> Iterator[list[Any]]:
    """``values`` in lists small enough for one ``IN (…)`` on this database."""
    size = size or min(connection.features.max_query_params or 2000, 2000) - 10
    chunk: list[Any] = []
    for value in values:
        chunk.append(value)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class ReconcileAdapterMixin:
    """What the reconciliation reads from Flow (see ``omnium_integration.reconcile``)."""

    # --- orders -----------------------------------------------------------------------

    def pos_orders_in_period(self, tenant_id: Any, since: datetime, until: datetime) -> QuerySet:
        """Flow's POS orders whose sale, return or cancellation falls in ``[since, until)``.

        Completed sales and returns by ``completed_at``; sales cancelled after they were
        completed (so they may be in Omnium) by ``cancelled_at``. Orders from Omnium and
        payment-type orders are not POS orders Flow sends.
        """
        completed = Q(state="COMPLETED", completed_at__gte=since, completed_at__lt=until)
        cancelled = Q(
            type="SALE",
            state="CANCELLED",
            completed_at__isnull=False,
            cancelled_at__gte=since,
            cancelled_at__lt=until,
        )
        return get_order_model().objects.filter(
            completed | cancelled, tenant_id=tenant_id, type__in=("SALE", "RETURN"), external_id=""
        )

    def web_orders_in_period(self, tenant_id: Any, since: datetime, until: datetime) -> QuerySet:
        """Orders from Omnium the store completed or cancelled in ``[since, until)``."""
        finished = Q(completed_at__gte=since, completed_at__lt=until) | Q(
            cancelled_at__gte=since, cancelled_at__lt=until
        )
        return (
            get_order_model()
            .objects.filter(finished, tenant_id=tenant_id, state__in=("COMPLETED", "CANCELLED"))
            .exclude(external_id="")
        )

    def orders_by_pk(self, tenant_id: Any, pks: Iterable[Any]) -> QuerySet:
        return get_order_model().objects.filter(tenant_id=tenant_id, pk__in=list(pks))

    def orders_by_external_id(self, tenant_id: Any, omnium_ids: Iterable[str]) -> QuerySet:
        orders = get_order_model().objects.filter(tenant_id=tenant_id)
        return orders.filter(external_id__in=list(omnium_ids))

    def order_facts(self, orders: QuerySet) -> dict[int, FlowOrder]:
        """The orders of ``orders`` with their lines, by primary key: two queries."""
        lines: dict[int, list[FlowLine]] = {}
        line_rows = (
            get_order_model()
            ._meta.get_field("lines")
            .related_model.objects.filter(order__in=orders.values("pk"))
            .order_by("order_id", "pk")
            .values_list(*LINE_FIELDS)
        )
        for order_id, *line, original, parent in line_rows:
            lines.setdefault(order_id, []).append(FlowLine(*line, original or "", parent or ""))
        kinds, states = self.ORDER_KINDS, self.ORDER_STATES  # type: ignore[attr-defined]
        found = {}
        for pk, uid, type_, state, external, original, done, cancelled, store in orders.values_list(
            *ORDER_FIELDS
        ):
            found[pk] = FlowOrder(
                pk=pk,
                uid=uid,
                kind=kinds.get(type_, OrderKind.SALE),
                state=states.get(state, OrderState.OPEN),
                external_id=external,
                store_uid=store,
                lines=tuple(lines.get(pk, ())),
                original_pk=original,
                completed_at=done,
                cancelled_at=cancelled,
            )
        return found

    # --- customers and receipts ---------------------------------------------------------

    def linked_customers(
        self, tenant_id: Any, since: datetime, until: datetime
    ) -> list[CustomerRecord]:
        """Customers Flow has linked to Omnium (an ``external_id``) that changed in the
        period, or bought in it (a change by ``queryset.update`` moves no timestamp)."""
        orders = self.pos_orders_in_period(tenant_id, since, until).exclude(customer=None)
        bought = set(orders.values_list("customer_id", flat=True).distinct())
        changed = get_customer_model().objects.filter(
            tenant_id=tenant_id, last_modified_at__gte=since, last_modified_at__lt=until
        )
        pks = bought | set(changed.exclude(external_id="").values_list("pk", flat=True))
        return self.customers_by_pk(tenant_id, pks)

    def customers_by_pk(self, tenant_id: Any, pks: Iterable[Any]) -> list[CustomerRecord]:
        found = []
        for chunk in chunked(pks):
            customers = get_customer_model().objects.select_related("tenant")
            customers = customers.filter(tenant_id=tenant_id, pk__in=chunk).exclude(external_id="")
            found.extend(self.customer_record(c) for c in customers)  # type: ignore[attr-defined]
        return found

    def customers_by_external_id(
        self, tenant_id: Any, omnium_ids: Iterable[str]
    ) -> list[CustomerRecord]:
        found = []
        for chunk in chunked(omnium_ids):
            customers = get_customer_model().objects.select_related("tenant")
            customers = customers.filter(tenant_id=tenant_id, external_id__in=chunk)
            found.extend(self.customer_record(c) for c in customers)  # type: ignore[attr-defined]
        return found

    def receipts_in_period(
        self, tenant_id: Any, since: datetime, until: datetime
    ) -> list[FlowReceipt]:
        """Receipts settled in the period that have their PDF (without one there is no
        invoice to expect: "no PDF, no invoice")."""
        receipts = (
            get_order_receipt_model()
            .objects.filter(
                tenant_id=tenant_id, settled_at__gte=since, settled_at__lt=until, pdf__isnull=False
            )
            .exclude(pdf=b"")
        )
        rows = receipts.values_list("pk", "uid", "voucher_number")
        return [FlowReceipt(pk, uid, voucher or "") for pk, uid, voucher in rows]
