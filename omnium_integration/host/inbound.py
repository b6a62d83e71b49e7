"""Flow-side reads and writes of the inbound order import (Omnium -> Flow).

The import's rules (which state, which lines, which deadline) live in
:mod:`omnium_integration.mapping.order_imports`, its steps in
:mod:`omnium_integration.sync.inbound_orders`; this mixin only knows how Flow's models
are shaped. It exchanges plain values with the rules (:mod:`..mapping.records`):
:class:`OrderHeader`, :class:`LineSpec` (an Omnium line as Flow wants it),
:class:`FlowLine` (a Flow line as it is) and :class:`LinePlan` (what to change).
"""

from __future__ import annotations

from datetime import date, datetime, tzinfo
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Model

from ..conf import get_customer_model, get_order_model, get_store_model
from ..exceptions import MappingError
from ..mapping.records import FlowLine, LinePlan, OrderHeader
from ..models import StoreExtension
from ..transform import sanitize_uid
from ..workdays import is_weekday, time_zone_for


def _fit(model: type[Model], name: str, value: Any) -> Any:
    """``value`` cut to the field's ``max_length`` (Omnium's strings are unbounded)."""
    limit = getattr(model._meta.get_field(name), "max_length", None)
    if isinstance(value, str) and limit:
        return value[:limit]
    return value


class InboundOrdersMixin:
    """Adapter methods the inbound import uses. Override them where Flow differs."""

    ORDER_OPEN = "OPEN"
    ORDER_PARKED = "PARKED"
    ORDER_CONFIRMED = "CONFIRMED"
    ORDER_CANCELLED = "CANCELLED"
    # An order in one of these states is finished in Flow: no import changes it again.
    CLOSED_ORDER_STATES = ("COMPLETED", "CANCELLED")

    # --- tenants and stores ---------------------------------------------------------

    def tenant_time_zone(self, tenant: Model) -> tzinfo:
        """The zone in which working days and end-of-day deadlines are counted."""
        return time_zone_for(tenant.country_code)

    def is_working_day(self, tenant: Model, day: date) -> bool:
        """Monday to Friday; override to add public holidays or store opening days."""
        return is_weekday(day)

    def tenant_currency(self, tenant: Model) -> str:
        return tenant.currency

    def omnium_store_ids(self, tenant: Model) -> list[str]:
        """Omnium ids of the tenant's active stores (the poll's ``selectedStores``)."""
        stores = get_store_model().objects.filter(tenant=tenant, is_active=True)
        return sorted(
            filter(None, map(self._store_id_or_none, stores.select_related("omnium_extension")))
        )

    def _store_id_or_none(self, store: Model) -> str | None:
        """The store's Omnium id, or ``None`` while it is ambiguous (see omnium_store_id)."""
        try:
            return self.omnium_store_id(store)
        except MappingError:
            return None

    def find_store(self, tenant: Model, omnium_store_id: str) -> Model | None:
        """The Flow store whose Omnium id (:meth:`omnium_store_id`) is ``omnium_store_id``.

        That is the store whose parameter names the id, or, without one, whose UID strips
        to it (what outbound calls send). Failing that, a store whose UID is the id
        stripped (Omnium's store export strips the UIDs it creates: ``oslo-1`` became
        ``oslo1``): it learns its Omnium id, so outbound calls name it as Omnium does.
        """
        if not omnium_store_id:
            return None
        stores = list(
            get_store_model().objects.filter(tenant=tenant).select_related("omnium_extension")
        )
        for store in stores:
            if self._store_id_or_none(store) == omnium_store_id:
                return store
        try:
            stripped = sanitize_uid(omnium_store_id)
        except MappingError:
            return None
        for store in stores:
            if store.uid == stripped and not self._explicit_store_id(store):
                StoreExtension.objects.update_or_create(
                    store=store, defaults={"omnium_store_id": omnium_store_id}
                )
                return store
        return None

    # --- customers ------------------------------------------------------------------

    def find_customer(self, tenant: Model, omnium_customer_id: str) -> Model | None:
        """The Flow customer known to Omnium by ``omnium_customer_id``.

        Flow sends its customers with ``customerId`` = their uid and keeps Omnium's id in
        ``external_id``, so either may match.
        """
        customers = get_customer_model().objects.filter(tenant=tenant)
        return (
            customers.filter(external_id=omnium_customer_id).first()
            or customers.filter(uid=omnium_customer_id).first()
        )

    def customer_by_pk(self, tenant: Model, pk: Any) -> Model | None:
        """The tenant's Flow customer with primary key ``pk`` (the identity map's reference)."""
        return get_customer_model().objects.filter(tenant=tenant, pk=pk).first()

    def create_customer(self, tenant: Model, *, uid: str, values: dict[str, Any]) -> Model:
        """A new Flow customer, or the one another import created with ``uid`` meanwhile.

        Two orders of one new customer are often imported by two workers at once; the
        second one's insert waits for the first one's commit, then meets the unique uid.
        """
        model = get_customer_model()
        values = {name: _fit(model, name, value) for name, value in values.items()}
        uid = _fit(model, "uid", uid)
        try:
            with transaction.atomic():
                return model.objects.create(tenant=tenant, uid=uid, **values)
        except IntegrityError:
            existing = model.objects.filter(tenant=tenant, uid=uid).first()
            if existing is None:
                raise
            return existing

    # --- orders ---------------------------------------------------------------------

    def find_order(self, tenant: Model, omnium_order_id: str) -> Model | None:
        return get_order_model().objects.filter(tenant=tenant, external_id=omnium_order_id).first()

    def finished_state(self, order: Model) -> str:
        """The order's state if it is finished in Flow (completed, cancelled), else ""."""
        return order.state if order.state in self.CLOSED_ORDER_STATES else ""

    def create_order(self, tenant: Model, header: OrderHeader, *, state: str) -> Model:
        """A new Flow order for an Omnium order; its uid is the Omnium id.

        Flow's receipts name their order by uid when they become Omnium invoices, so
        the same id on both sides keeps an imported order's invoice on it.
        """
        model = get_order_model()
        uid = _fit(model, "uid", header.external_id)
        try:
            with transaction.atomic():
                return model.objects.create(
                    tenant=tenant,
                    uid=uid,
                    type="SALE",
                    state=state,
                    store=header.store,
                    customer=header.customer,
                    currency=_fit(model, "currency", header.currency),
                    external_id=_fit(model, "external_id", header.external_id),
                    external_order_type=_fit(model, "external_order_type", header.order_type),
                    valid_until=header.valid_until,
                    shipping_method_id=_fit(model, "shipping_method_id", header.shipping_method_id),
                )
        except IntegrityError:
            raise MappingError(
                f"Flow already has another order with uid {uid!r}; the Omnium order "
                f"{header.external_id!r} cannot be created with it."
            ) from None

    def update_order_header(self, order: Model, header: OrderHeader) -> list[str]:
        """Apply the header values that changed; return the names of those fields."""
        model = type(order)
        wanted: dict[str, Any] = {
            "external_order_type": _fit(model, "external_order_type", header.order_type),
            "shipping_method_id": _fit(model, "shipping_method_id", header.shipping_method_id),
        }
        if header.store is not None:
            wanted["store_id"] = header.store.pk
        if header.customer is not None:
            wanted["customer_id"] = header.customer.pk
        if header.valid_until is not None:
            wanted["valid_until"] = header.valid_until
        changed = [name for name, value in wanted.items() if getattr(order, name) != value]
        for name in changed:
            setattr(order, name, wanted[name])
        if changed:
            order.save(update_fields=[*changed, "updated_at"])
        return changed

    def set_order_state(self, order: Model, state: str) -> bool:
        if order.state == state:
            return False
        order.state = state
        order.save(update_fields=["state", "updated_at"])
        return True

    def cancel_order(self, order: Model, when: datetime) -> None:
        """Cancel the order and close its handling tasks (nobody needs to pick it now)."""
        order.state = self.ORDER_CANCELLED
        order.cancelled_at = when
        order.save(update_fields=["state", "cancelled_at", "updated_at"])
        order.handlings.filter(status="OPEN").update(status="DONE")

    def ensure_handling(self, order: Model, handling_uid: str) -> bool:
        """Attach the handling task ``handling_uid`` unless the order has it; True if added."""
        if not handling_uid:
            return False
        _, created = order.handlings.get_or_create(handling_uid=handling_uid)
        return created

    # --- order lines ----------------------------------------------------------------

    def order_lines(self, order: Model) -> list[FlowLine]:
        lines = list(order.lines.select_related("package_parent"))
        return [
            FlowLine(
                pk=line.pk,
                key=line.external_id,
                sku=line.sku,
                name=line.name,
                quantity=line.quantity,
                unit_price=line.unit_price,
                discount=line.discount,
                vat_rate=line.vat_rate,
                delivered_quantity=line.delivered_quantity,
                is_paid=line.is_paid,
                parent_key=line.package_parent.external_id if line.package_parent else None,
            )
            for line in lines
        ]

    def apply_line_plan(self, order: Model, plan: LinePlan) -> None:
        """Add, update and delete lines as planned; package parents are linked last."""
        lines = order.lines
        model = lines.model
        parents: dict[Any, str | None] = {}
        taken = set(lines.values_list("uid", flat=True)) if plan.add else set()
        for spec in plan.add:
            line = lines.create(
                uid=self._line_uid(model, spec.key, taken),
                external_id=_fit(model, "external_id", spec.key),
                sku=_fit(model, "sku", spec.sku),
                name=_fit(model, "name", spec.name),
                quantity=spec.quantity,
                unit_price=spec.unit_price,
                discount=spec.discount,
                **({"vat_rate": spec.vat_rate} if spec.vat_rate is not None else {}),
            )
            parents[line.pk] = spec.parent_key
        for current, changes in plan.update:
            values = {k: v for k, v in changes.items() if k != "parent_key"}
            for name in ("sku", "name"):
                if name in values:
                    values[name] = _fit(model, name, values[name])
            if values:
                lines.filter(pk=current.pk).update(**values)
            if "parent_key" in changes:
                parents[current.pk] = changes["parent_key"]
        removed = [line.pk for line in plan.remove]
        if removed:
            # Components of a removed package line stay: unlink them before the delete
            # cascades to them.
            lines.filter(package_parent__in=removed).update(package_parent=None)
            lines.filter(pk__in=removed).delete()
        if parents:
            by_key = dict(lines.exclude(external_id="").values_list("external_id", "pk"))
            for pk, parent_key in parents.items():
                lines.filter(pk=pk).update(package_parent_id=by_key.get(parent_key or ""))

    def _line_uid(self, model: type[Model], key: str, taken: set[str]) -> str:
        """A line uid unique in the order: the Omnium lineItemId, suffixed if taken."""
        limit = model._meta.get_field("uid").max_length
        uid, n = key[:limit], 1
        while uid in taken:
            n += 1
            suffix = f"~{n}"
            uid = key[: limit - len(suffix)] + suffix
        taken.add(uid)
        return uid
