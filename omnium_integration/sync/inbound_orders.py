"""Omnium -> Flow orders: the ``order.import`` handler and the rules it applies.

An event (or the delta poll) only names an order; the job fetches the full order from
Omnium and brings Flow in line with it (Flow docs F4):

* New ``ClickAndCollect`` order: ``PARKED``, handling task
  ``OMNIUM_CLICK_COLLECT_ORDERHANDLING_UID``, and a pickup deadline: Omnium's
  ``validUntil`` / ``customerPickupDeadline`` when it has one, else
  ``OMNIUM_CLICK_COLLECT_EXPIRY_DAYS`` working days from today (:mod:`..workdays`).
* New ``OnlineOrder`` (Omnium also writes ``Online``): ``CONFIRMED``, handling task
  ``OMNIUM_ONLINE_ORDER_HANDLING_UID``.
* Other order types are not imported; the reason is recorded.
* Update of a known order: lines are reconciled (:func:`plan_lines`); when the goods
  changed (a line added or removed, or its quantity, price, discount or sku changed) the
  order is reopened (``OPEN``) so staff look at it again. A change that touches no line
  (a status step, our own write-back echoing) leaves the Flow state alone.
* An Omnium cancellation status (spec §7.3) cancels the Flow order; so does an order
  Omnium no longer has (404: deleted).
* An order already ``COMPLETED`` or ``CANCELLED`` in Flow is never changed by an import.
* Out-of-order protection: :class:`~omnium_integration.models.ImportedOrder` keeps the
  Omnium ``modified`` of the version applied; an older one is never applied.

Every Flow write runs inside the job's lease and ``capture_suppressed()``: the import
writes no outbound job (no echo back to Omnium).
"""

from __future__ import annotations

import hashlib
import json
from contextlib import AbstractContextManager
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Model
from django.utils import timezone

from ..conf import app_settings
from ..enums import Direction, JobKind, Queue
from ..exceptions import ConfigurationError, MappingError
from ..host import get_adapter
from ..host.inbound import FlowLine, LinePlan, LineSpec, OrderHeader
from ..jobs import manager
from ..jobs.registry import handles
from ..models import ExternalSyncJob, ImportedOrder, TenantExtension
from ..receivers import capture_suppressed
from ..transform import decimal_to_cents, gross_cents, parse_omnium_datetime, to_decimal
from ..workdays import pickup_deadline

CLICK_AND_COLLECT = "ClickAndCollect"
ONLINE = "Online"
_KINDS = {"clickandcollect": CLICK_AND_COLLECT, "onlineorder": ONLINE, "online": ONLINE}

# Omnium's cancellation statuses (spec omnium-api §7.3), compared case-insensitively.
CANCEL_STATUSES = frozenset(
    status.lower()
    for status in (
        "OrderCanceled",
        "OrderCanceledByCustomer",
        "OrderCanceledByStore",
        "Expired",
        "NotCollected",
        "Deleted",
    )
)

Outcome = ImportedOrder.Outcome


# ------------------------------------------------------------------------ the handler


@handles(JobKind.ORDER_IMPORT, queue=Queue.ORDER, direction=Direction.INBOUND)
def import_order(job: ExternalSyncJob) -> dict[str, Any]:
    """Fetch the Omnium order the job names and create or update its Flow order."""
    from ..client import get_client

    extension = job.extension
    if not extension.is_active:
        raise ConfigurationError("The tenant's Omnium extension is not active.")
    client = get_client(extension)
    order = client.get_order(job.object_id)
    customer = fetch_unknown_customer(client, extension, order)
    return apply_order(
        extension, job.object_id, order, customer=customer, atomic=manager.leased(job)
    )


def fetch_unknown_customer(
    client: Any, extension: TenantExtension, order: dict[str, Any] | None
) -> tuple[str, dict[str, Any]] | None:
    """``(kind, customer)`` from Omnium when the order's customer is not in Flow yet.

    Fetched before the Flow transaction so no database transaction waits on Omnium.
    ``customerType`` B2B looks among business customers first, anything else among
    private customers first; ``None`` when Omnium has neither.
    """
    if not order or order_kind(order.get("orderType")) is None or is_cancelled(order):
        return None  # no Flow order will be created or changed for it
    customer_id = _text(order.get("customerId"))
    if not customer_id or get_adapter().find_customer(extension.tenant, customer_id):
        return None
    lookups = [
        ("private", client.get_private_customer),
        ("business", client.get_business_customer),
    ]
    if _text(order.get("customerType")).upper() == "B2B":
        lookups.reverse()
    for kind, get in lookups:
        found = get(customer_id)
        if found:
            return kind, found
    return None


def apply_order(
    extension: TenantExtension,
    omnium_id: str,
    order: dict[str, Any] | None,
    *,
    customer: tuple[str, dict[str, Any]] | None = None,
    atomic: AbstractContextManager | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Bring Flow in line with ``order`` (Omnium's current state; ``None``: deleted).

    ``atomic`` is the transaction to write in (the job's lease); ``customer`` is what
    :func:`fetch_unknown_customer` found. Returns the job result.
    """
    with atomic if atomic is not None else transaction.atomic(), capture_suppressed():
        record = (
            ImportedOrder.objects.select_for_update()
            .filter(extension=extension, omnium_order_id=omnium_id)
            .first()
        )
        run = _Import(extension, omnium_id, record, now or timezone.now())
        return run.apply(order, customer)


# ------------------------------------------------------------------------- the rules


def order_kind(order_type: object) -> str | None:
    """``ClickAndCollect`` / ``Online`` for an order type the import handles, else None.

    Handled: the types in ``POLL_ORDER_TYPES`` that Flow has a flow for.
    """
    key = _text(order_type).lower()
    if key not in {t.lower() for t in app_settings.POLL_ORDER_TYPES}:
        return None
    return _KINDS.get(key)


def is_cancelled(order: dict[str, Any]) -> bool:
    return _text(order.get("status")).lower() in CANCEL_STATUSES


def fingerprint(order: dict[str, Any]) -> str:
    text = json.dumps(order, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def omnium_deadline(order: dict[str, Any]) -> datetime | None:
    """The pickup deadline Omnium set, if any (``validUntil``, ``customerPickupDeadline``)."""
    for name in ("validUntil", "customerPickupDeadline"):
        deadline = parse_omnium_datetime(order.get(name))
        if deadline is not None:
            return deadline
    return None


def omnium_lines(order: dict[str, Any], *, include_package_parent: bool) -> list[LineSpec]:
    """The Flow lines an Omnium order should have.

    Packages: a component is either nested in its package line (``components``) or a
    line naming it (``packageLineItemId``). With ``OMNIUM_INCLUDE_MAIN_PACKAGE_IN_ORDER_
    ITEMS`` off only the components become Flow lines; on, the package line is kept too
    and the components point at it. Prices are taken line by line as Omnium gives them.
    A line whose whole quantity is cancelled is not a Flow line.
    """
    form = order.get("orderForm") or {}
    raw: list[tuple[dict[str, Any], str | None, str]] = []
    for index, item in enumerate(form.get("lineItems") or []):
        if not isinstance(item, dict):
            raise MappingError(f"Order line {index} is not an object.")
        key = _text(item.get("lineItemId"))
        if not key:
            raise MappingError(f"Order line {index} ({item.get('code')!r}) has no lineItemId.")
        raw.append((item, _text(item.get("packageLineItemId")) or None, key))
        for n, component in enumerate(item.get("components") or []):
            if isinstance(component, dict):
                sub_key = _text(component.get("lineItemId")) or f"{key}/{n}"
                raw.append((component, key, sub_key))
    packages = {parent for _, parent, _ in raw if parent}
    specs = []
    for item, parent, key in raw:
        if key in packages and not include_package_parent:
            continue
        spec = line_spec(item, key, parent if include_package_parent else None)
        if spec.quantity > 0:
            specs.append(spec)
    return specs


def line_spec(item: dict[str, Any], key: str, parent_key: str | None) -> LineSpec:
    """One Omnium line in Flow's terms.

    Quantity is what is left after cancellations. The discount makes the Flow line total
    equal Omnium's ``extendedPrice`` (line and order-level discounts: what the customer
    pays) when Omnium gives it, else the line's own ``discounted`` for that quantity.
    """
    ordered = to_decimal(item.get("quantity") or 0)
    quantity = max(ordered - to_decimal(item.get("canceledQuantity") or 0), Decimal(0))
    unit_price = decimal_to_cents(item.get("placedPrice") or 0)
    if item.get("extendedPrice") is not None:
        discount = gross_cents(quantity, unit_price) - decimal_to_cents(item["extendedPrice"])
    elif ordered:
        discount = decimal_to_cents(to_decimal(item.get("discounted") or 0) * quantity / ordered)
    else:
        discount = 0
    tax_rate = item.get("taxRate")
    sku = _text(item.get("code"))
    return LineSpec(
        key=key,
        sku=sku,
        name=_text(item.get("displayName")) or _text(item.get("alternativeProductName")) or sku,
        quantity=quantity,
        unit_price=unit_price,
        discount=discount,
        vat_rate=to_decimal(tax_rate) if tax_rate is not None else None,
        parent_key=parent_key,
    )


def plan_lines(wanted: list[LineSpec], current: list[FlowLine]) -> LinePlan:
    """How to turn Flow's lines into Omnium's (lines are matched by Omnium lineItemId).

    * A line new in Omnium is added.
    * A line in both gets Omnium's quantity, price, discount, sku, name and VAT rate;
      its quantity never drops below what Flow already delivered. A paid line is left
      exactly as it is (the money is taken).
    * A line gone from Omnium (or cancelled there) is deleted, unless it is delivered
      (any quantity) or paid: then it stays.
    * Lines Flow added itself (no Omnium id) are not touched.
    """
    plan = LinePlan()
    by_key = {line.key: line for line in current if line.key}
    wanted_keys = {spec.key for spec in wanted}
    for spec in wanted:
        line = by_key.get(spec.key)
        if line is None:
            plan.add.append(spec)
            continue
        changes: dict[str, Any] = {}
        quantity = max(spec.quantity, line.delivered_quantity)
        if quantity != line.quantity:
            changes["quantity"] = quantity
        for name in ("unit_price", "discount", "sku"):
            if getattr(spec, name) != getattr(line, name):
                changes[name] = getattr(spec, name)
        material = bool(changes)
        if spec.name and spec.name != line.name:
            changes["name"] = spec.name
        if spec.vat_rate is not None and spec.vat_rate != line.vat_rate:
            changes["vat_rate"] = spec.vat_rate
        if spec.parent_key != line.parent_key:
            changes["parent_key"] = spec.parent_key
        if not changes:
            continue
        if line.is_paid:
            plan.frozen.append(line)
            continue
        plan.update.append((line, changes))
        plan.material = plan.material or material
    for line in current:
        if line.key and line.key not in wanted_keys:
            (plan.kept if line.locked else plan.remove).append(line)
    plan.material = plan.material or bool(plan.add or plan.remove)
    return plan


def customer_values(kind: str, data: dict[str, Any], *, loyalty_key: str = "") -> dict[str, Any]:
    """Flow customer fields from an Omnium private or business customer (spec F5, inverted)."""
    address = data.get("address") if isinstance(data.get("address"), dict) else {}
    values: dict[str, Any] = {
        "email": _text(data.get("email")),
        "mobile": _text(data.get("phone")),
        "address": _text(address.get("line1")),
        "city": _text(address.get("city")),
        "postal_code": _text(address.get("postalCode")),
        "country_code": _text(address.get("countryCode")).upper()[:2],
        "loyalty_id": loyalty_id(data, loyalty_key),
    }
    if kind == "business":
        contacts = [c for c in data.get("contacts") or [] if isinstance(c, dict)]
        contact = next((c for c in contacts if c.get("isPrimaryContact")), None) or (
            contacts[0] if contacts else {}
        )
        name = _text(data.get("name"))
        values |= {
            "type": "COMPANY",
            "company_name": name,
            "display_name": name,
            "vat_number": _text(data.get("taxId")),
            "contact_person_name": _join(contact.get("firstName"), contact.get("lastName")),
            "contact_person_email": _text(contact.get("email")),
        }
    else:
        first, last = _text(data.get("firstName")), _text(data.get("lastName"))
        values |= {
            "type": "PERSON",
            "first_name": first,
            "last_name": last,
            "display_name": _text(data.get("fullName")) or _join(first, last),
        }
    return values


def customer_values_from_order(order: dict[str, Any]) -> dict[str, Any]:
    """Flow customer fields from the order itself, for a customer Omnium has no record of."""
    billing = order.get("billingAddress") if isinstance(order.get("billingAddress"), dict) else {}
    company = _text(order.get("customerType")).upper() == "B2B"
    name = _text(order.get("customerName")) or _text(billing.get("name"))
    values: dict[str, Any] = {
        "type": "COMPANY" if company else "PERSON",
        "display_name": name,
        "email": _text(order.get("customerEmail")) or _text(billing.get("email")),
        "mobile": _text(order.get("customerPhone")) or _text(billing.get("phone")),
        "address": _text(billing.get("line1")),
        "city": _text(billing.get("city")),
        "postal_code": _text(billing.get("postalCode")),
        "country_code": _text(billing.get("countryCode")).upper()[:2],
    }
    if company:
        values |= {
            "company_name": _text(billing.get("organization")) or name,
            "vat_number": _text(billing.get("organizationalNumber")),
        }
    else:
        values |= {
            "first_name": _text(billing.get("firstName")),
            "last_name": _text(billing.get("lastName")),
        }
    return values


def loyalty_id(customer: dict[str, Any], key: str) -> str:
    """The customer's loyalty id.

    With ``OMNIUM_CUSTOMER_LOYALTY_ID_PROPERTY_KEY`` set (e.g. ``Voyado``): the
    ``externalIds`` entry of that provider, else the property with that key, else "".
    Unset: ``customerNumber``, the field Flow fills from its loyalty id on the way out.
    """
    if not key:
        return _text(customer.get("customerNumber"))
    wanted = key.strip().lower()
    for entry in customer.get("externalIds") or []:
        if isinstance(entry, dict) and _text(entry.get("providerName")).lower() == wanted:
            return _text(entry.get("id"))
    for entry in customer.get("properties") or []:
        if isinstance(entry, dict) and _text(entry.get("key")).lower() == wanted:
            return _text(entry.get("value"))
    return ""


def store_candidates(order: dict[str, Any], kind: str) -> list[str]:
    """Omnium store ids that may be the Flow store handling the order, best first.

    Click & Collect: the pickup store, then the selling store, then the sending one.
    Online: the sending store (ship-from-store), then the selling store.
    """
    shipments = [s for s in (order.get("orderForm") or {}).get("shipments") or [] if s]
    pickup = [_text(s.get("pickUpWarehouseCode")) for s in shipments if isinstance(s, dict)]
    sending = [_text(s.get("warehouseCode")) for s in shipments if isinstance(s, dict)]
    selling = [_text(order.get("storeId"))]
    ordered = pickup + selling + sending if kind == CLICK_AND_COLLECT else sending + selling
    return list(dict.fromkeys(store for store in ordered if store))


# -------------------------------------------------------------------------- applying


class _Import:
    """One application of an Omnium order to Flow, inside the job's transaction."""

    def __init__(
        self,
        extension: TenantExtension,
        omnium_id: str,
        record: ImportedOrder | None,
        now: datetime,
    ):
        self.adapter = get_adapter()
        self.extension = extension
        self.tenant = extension.tenant
        self.omnium_id = omnium_id
        self.record = record
        self.now = now

    def apply(
        self, order: dict[str, Any] | None, customer: tuple[str, dict[str, Any]] | None
    ) -> dict[str, Any]:
        if order is None:
            return self._deleted()
        modified = parse_omnium_datetime(order.get("modified"))
        digest = fingerprint(order)
        if self.record is not None and self.record.holds(modified, digest):
            if self.record.fingerprint == digest:
                reason = "This Omnium version is already applied."
            else:
                reason = (
                    f"Stale read: Omnium's modified {modified} is older than the applied "
                    f"{self.record.omnium_modified}."
                )
            return self._result(Outcome.UNCHANGED, self.record.order_id, reason)
        flow_order = self.adapter.find_order(self.tenant, self.omnium_id)
        outcome, reason, result = self._decide(order, flow_order, customer)
        flow_order = result.pop("flow_order", flow_order)
        self._record(order, modified, digest, outcome, reason, flow_order)
        return {**self._result(outcome, flow_order.pk if flow_order else None, reason), **result}

    def _decide(
        self,
        order: dict[str, Any],
        flow_order: Model | None,
        customer: tuple[str, dict[str, Any]] | None,
    ) -> tuple[str, str, dict[str, Any]]:
        """Apply ``order``; return (outcome, reason, result details)."""
        kind = order_kind(order.get("orderType"))
        status = _text(order.get("status"))
        if kind is None:
            return Outcome.IGNORED, f"Order type {order.get('orderType')!r} is not imported.", {}
        if flow_order is None:
            if is_cancelled(order):
                return Outcome.IGNORED, f"Cancelled in Omnium ({status}) before Flow had it.", {}
            return Outcome.CREATED, "", self._create(order, kind, customer)
        state = self.adapter.finished_state(flow_order)
        if state:
            reason = f"The Flow order is {state}; Omnium's changes (status {status}) are ignored."
            return Outcome.SKIPPED, reason, {}
        if is_cancelled(order):
            self.adapter.cancel_order(flow_order, self.now)
            return Outcome.CANCELLED, f"Omnium status {status}.", {}
        outcome, result = self._update(flow_order, order, kind, customer)
        return outcome, "", result

    # --- the three paths --------------------------------------------------------------

    def _create(
        self, order: dict[str, Any], kind: str, customer: tuple[str, dict[str, Any]] | None
    ) -> dict[str, Any]:
        ext = self.extension
        clickcollect = kind == CLICK_AND_COLLECT
        valid_until = omnium_deadline(order)
        if valid_until is None and clickcollect and ext.click_collect_expiry_days is not None:
            valid_until = pickup_deadline(
                self.now,
                ext.click_collect_expiry_days,
                self.adapter.tenant_time_zone(self.tenant),
                lambda day: self.adapter.is_working_day(self.tenant, day),
            )
        header = self._header(order, kind, customer, valid_until, require_store=True)
        flow_order = self.adapter.create_order(
            self.tenant,
            header,
            state=self.adapter.ORDER_PARKED if clickcollect else self.adapter.ORDER_CONFIRMED,
        )
        plan = LinePlan(add=self._lines(order), material=True)
        self.adapter.apply_line_plan(flow_order, plan)
        handling = self._handling_uid(kind)
        self.adapter.ensure_handling(flow_order, handling)
        return {"flow_order": flow_order, "lines": plan.summary(), "handling": handling or None}

    def _update(
        self,
        flow_order: Model,
        order: dict[str, Any],
        kind: str,
        customer: tuple[str, dict[str, Any]] | None,
    ) -> tuple[str, dict[str, Any]]:
        header = self._header(order, kind, customer, omnium_deadline(order), require_store=False)
        changed = self.adapter.update_order_header(flow_order, header)
        handling_added = self.adapter.ensure_handling(flow_order, self._handling_uid(kind))
        plan = plan_lines(self._lines(order), self.adapter.order_lines(flow_order))
        self.adapter.apply_line_plan(flow_order, plan)
        reopened = plan.material and self.adapter.set_order_state(
            flow_order, self.adapter.ORDER_OPEN
        )
        touched = bool(changed or handling_added or plan.update or plan.material)
        return (Outcome.UPDATED if touched else Outcome.UNCHANGED), {
            "lines": plan.summary(),
            "fields": changed,
            "reopened": bool(reopened),
        }

    def _deleted(self) -> dict[str, Any]:
        flow_order = self.adapter.find_order(self.tenant, self.omnium_id)
        if flow_order is None:
            outcome, reason = Outcome.IGNORED, "Omnium has no such order (404)."
        elif state := self.adapter.finished_state(flow_order):
            outcome, reason = Outcome.SKIPPED, f"Deleted in Omnium; the Flow order is {state}."
        else:
            self.adapter.cancel_order(flow_order, self.now)
            outcome, reason = Outcome.CANCELLED, "Deleted in Omnium (404)."
        self._record(None, None, "", outcome, reason, flow_order)
        return self._result(outcome, flow_order.pk if flow_order else None, reason)

    # --- pieces -----------------------------------------------------------------------

    def _header(
        self,
        order: dict[str, Any],
        kind: str,
        customer: tuple[str, dict[str, Any]] | None,
        valid_until: datetime | None,
        *,
        require_store: bool,
    ) -> OrderHeader:
        candidates = store_candidates(order, kind)
        store = next(
            (s for s in (self.adapter.find_store(self.tenant, c) for c in candidates) if s), None
        )
        if store is None and require_store:
            raise MappingError(
                f"No Flow store matches the order's Omnium store(s) "
                f"{', '.join(candidates) or '(none given)'}; create the store in Flow (or fix "
                f"its uid) and retry the job."
            )
        shipments = (order.get("orderForm") or {}).get("shipments") or []
        first = shipments[0] if shipments and isinstance(shipments[0], dict) else {}
        return OrderHeader(
            external_id=self.omnium_id,
            order_type=_text(order.get("orderType")),
            store=store,
            customer=self._customer(order, customer),
            currency=_text(order.get("billingCurrency"))
            or self.adapter.tenant_currency(self.tenant),
            valid_until=valid_until,
            shipping_method_id=_text(first.get("shippingMethodId"))
            or _text(first.get("shippingMethodName")),
        )

    def _customer(
        self, order: dict[str, Any], fetched: tuple[str, dict[str, Any]] | None
    ) -> Model | None:
        """The order's Flow customer, created (from Omnium's record) when unknown."""
        customer_id = _text(order.get("customerId"))
        if not customer_id:
            return None
        existing = self.adapter.find_customer(self.tenant, customer_id)
        if existing is not None:
            return existing
        if fetched is not None:
            kind, data = fetched
            values = customer_values(
                kind, data, loyalty_key=self.extension.customer_loyalty_id_property_key
            )
            values["external_id"] = customer_id
        else:
            # Omnium keeps no customer record (a guest): the order's own details, and no
            # external id, so Flow does not claim an Omnium customer that does not exist.
            values = customer_values_from_order(order)
        return self.adapter.create_customer(self.tenant, uid=customer_id, values=values)

    def _lines(self, order: dict[str, Any]) -> list[LineSpec]:
        return omnium_lines(
            order, include_package_parent=self.extension.include_main_package_in_order_items
        )

    def _handling_uid(self, kind: str) -> str:
        if kind == CLICK_AND_COLLECT:
            return self.extension.click_collect_orderhandling_uid
        return self.extension.online_order_handling_uid

    def _record(
        self,
        order: dict[str, Any] | None,
        modified: datetime | None,
        digest: str,
        outcome: str,
        reason: str,
        flow_order: Model | None,
    ) -> None:
        ImportedOrder.objects.update_or_create(
            extension=self.extension,
            omnium_order_id=self.omnium_id,
            defaults={
                "order": flow_order,
                "order_type": _text((order or {}).get("orderType"))[:100],
                "omnium_status": _text((order or {}).get("status"))[:100],
                "omnium_modified": modified,
                "fingerprint": digest,
                "outcome": outcome,
                "reason": reason[:500],
                "imported_at": self.now,
            },
        )

    def _result(self, outcome: str, order_pk: Any, reason: str) -> dict[str, Any]:
        result: dict[str, Any] = {"outcome": outcome, "order": order_pk}
        if reason:
            result["reason"] = reason
        return result


def _text(value: object) -> str:
    """An Omnium scalar as stripped text ("" for null and for anything not a scalar)."""
    if value is None or isinstance(value, dict | list | bool):
        return ""
    return str(value).strip()


def _join(*parts: object) -> str:
    return " ".join(text for text in map(_text, parts) if text)
