"""Customers Flow has linked to Omnium (an ``external_id``) against Omnium's records.

Compared: the linked customers changed in Flow in the period, and the linked customers
Omnium changed in the period. A Flow change that reached Omnium shows in Omnium's window
too (the export writes it after the change), so only customers Omnium has not touched
since are fetched one by one.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from ..enums import IdentityKind
from ..mapping.common import text
from ..mapping.customers import is_business
from ..mapping.records import CustomerRecord
from ..transform import parse_omnium_datetime
from . import pairs
from .compare_records import compare_customer
from .context import AreaResult, Context
from .differences import Area

KINDS = ("private", "business")


def check_customers(ctx: Context) -> AreaResult:
    result = AreaResult(Area.CUSTOMER)
    adapter = ctx.adapter
    found: dict[tuple[str, str], dict[str, Any]] = {}
    changed: set[str] = set()  # Omnium ids changed in the period
    for kind in KINDS:
        for document in ctx.omnium.customers(kind, ctx.window):
            customer_id = text(document.get("customerId"))
            found[(kind, customer_id)] = document
            if ctx.period.holds(parse_omnium_datetime(document.get("modified"))):
                changed.add(customer_id)
    customers = {c.pk: c for c in adapter.linked_customers(ctx.tenant_id, *ctx.period.bounds)}
    refs = pairs.flow_refs(ctx.extension, IdentityKind.CUSTOMER, changed)
    more = {ref for ref in refs.values() if ref.isdigit()} - {str(pk) for pk in customers}
    customers.update((c.pk, c) for c in adapter.customers_by_pk(ctx.tenant_id, more))
    by_external = set(changed) - set(refs)  # linked before the identity map existed
    linked_before = adapter.customers_by_external_id(ctx.tenant_id, by_external)
    customers.update((c.pk, c) for c in linked_before)
    ids = pairs.omnium_ids(ctx.extension, IdentityKind.CUSTOMER, customers)
    for pk, customer in sorted(customers.items()):
        row = ids.get(str(pk))
        customer = replace(customer, omnium_id=row.omnium_id if row else customer.external_id)
        result.add(compare_customer(customer, _omnium(ctx, found, customer), ctx.options))
    return result


def _omnium(
    ctx: Context, found: dict[tuple[str, str], dict[str, Any]], customer: CustomerRecord
) -> dict[str, Any] | None:
    kind = "business" if is_business(customer) else "private"
    key = (kind, customer.omnium_id)
    if key not in found:
        found[key] = ctx.omnium.customer(kind, customer.omnium_id)
    return found[key]
