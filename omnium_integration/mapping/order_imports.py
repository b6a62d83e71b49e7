"""Omnium orders -> Flow: the import's rules, as pure functions (Flow docs, Orders).

An event (or the delta poll) only names an order; the ``order.import`` job fetches it and
brings Flow in line with it (:mod:`omnium_integration.sync.inbound_orders`) by these
rules:

* New ``ClickAndCollect`` order: ``PARKED`` with its handling task and a pickup deadline
  (:func:`omnium_deadline`, else working days from today); ``OnlineOrder`` (Omnium also
  writes ``Online``): ``CONFIRMED``. Other order types are not imported.
* Lines (:func:`omnium_lines`, :func:`plan_lines`): matched by Omnium ``lineItemId``;
  what changed is applied, what is gone is removed unless delivered or paid.
* The store handling the order: :func:`store_candidates`.
* :func:`fingerprint` tells whether a version was applied before.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import datetime
from decimal import Decimal
from typing import Any

from ..exceptions import MappingError
from ..transform import decimal_to_cents, gross_cents, parse_omnium_datetime, to_decimal
from .common import text
from .records import FlowLine, LinePlan, LineSpec
from .statuses import is_cancel_status

CLICK_AND_COLLECT = "ClickAndCollect"
ONLINE = "Online"
_KINDS = {"clickandcollect": CLICK_AND_COLLECT, "onlineorder": ONLINE, "online": ONLINE}


def order_kind(order_type: object, imported_types: Iterable[str]) -> str | None:
    """``ClickAndCollect`` / ``Online`` for an order type the import handles, else None.

    Handled: the ``imported_types`` (the ``POLL_ORDER_TYPES`` setting) that Flow has a
    flow for. Compared case-insensitively: Omnium has written ``ClickAndcollect``.
    """
    key = text(order_type).lower()
    if key not in {t.lower() for t in imported_types}:
        return None
    return _KINDS.get(key)


def is_cancelled(order: dict[str, Any]) -> bool:
    """Whether Omnium's order is in one of its cancellation statuses."""
    return is_cancel_status(order.get("status"))


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
        key = text(item.get("lineItemId"))
        if not key:
            raise MappingError(f"Order line {index} ({item.get('code')!r}) has no lineItemId.")
        raw.append((item, text(item.get("packageLineItemId")) or None, key))
        for n, component in enumerate(item.get("components") or []):
            if isinstance(component, dict):
                sub_key = text(component.get("lineItemId")) or f"{key}/{n}"
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
    sku = text(item.get("code"))
    return LineSpec(
        key=key,
        sku=sku,
        name=text(item.get("displayName")) or text(item.get("alternativeProductName")) or sku,
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


def store_candidates(order: dict[str, Any], kind: str) -> list[str]:
    """Omnium store ids that may be the Flow store handling the order, best first.

    Click & Collect: the pickup store, then the selling store, then the sending one.
    Online: the sending store (ship-from-store), then the selling store.
    """
    shipments = [s for s in (order.get("orderForm") or {}).get("shipments") or [] if s]
    pickup = [text(s.get("pickUpWarehouseCode")) for s in shipments if isinstance(s, dict)]
    sending = [text(s.get("warehouseCode")) for s in shipments if isinstance(s, dict)]
    selling = [text(order.get("storeId"))]
    ordered = pickup + selling + sending if kind == CLICK_AND_COLLECT else sending + selling
    return list(dict.fromkeys(store for store in ordered if store))
