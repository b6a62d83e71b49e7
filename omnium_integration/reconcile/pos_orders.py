"""POS sales, returns and cancellations: Flow's period against Omnium's POS orders.

Compared: every Flow POS order whose sale, return or cancellation falls in the period,
and every Omnium POS order at the tenant's stores changed in the period (an order of an
earlier day edited by hand shows up the day it was edited). Pairs come from the identity
map. A Flow sale whose map row was never confirmed did not reach Omnium as far as Flow
knows; unless the window shows it anyway, it is missing, without a call to ask.
"""

from __future__ import annotations

from ..enums import IdentityKind
from ..host.reconcile import chunked
from ..mapping.records import OrderKind, OrderState
from . import pairs
from .compare_orders import compare_pos_order, compare_return
from .context import AreaResult, Context
from .differences import Area
from .facts import FlowOrder, OmniumOrder


def check_pos_orders(ctx: Context) -> AreaResult:
    result = AreaResult(Area.POS_ORDER)
    adapter, extension = ctx.adapter, ctx.extension
    ahead = ctx.omnium.orders_ahead(ctx.options.pos_order_type, ctx.window, ctx.store_ids)
    try:
        flow = adapter.order_facts(adapter.pos_orders_in_period(ctx.tenant_id, *ctx.period.bounds))
        returns = {pk: o for pk, o in flow.items() if _is_return_form(o)}
        sales = {pk: o for pk, o in flow.items() if pk not in returns}
        # The sales the returns belong to, wherever their day.
        originals = _by_pk(ctx, {o.original_pk for o in returns.values()} - sales.keys())
        sale_of = {**sales, **originals}
        ids = pairs.omnium_ids(extension, IdentityKind.ORDER, sale_of)
        seen: dict[str, OmniumOrder] = {order.id: order for batch in ahead for order in batch}
    finally:
        ahead.close()
    # Sent, but not touched in Omnium since the window began: ask for each.
    for row in ids.values():
        if row.confirmed and row.omnium_id not in seen:
            found = ctx.omnium.order(row.omnium_id)
            if found is not None:
                seen[found.id] = found

    paired: set[str] = set()
    for pk, sale in sales.items():
        row = ids.get(str(pk))
        if row is not None:
            paired.add(row.omnium_id)
        result.add(compare_pos_order(sale, seen.get(row.omnium_id) if row else None, ctx.options))

    rmas = pairs.omnium_ids(extension, IdentityKind.RETURN, returns)
    for pk, ret in returns.items():
        sale_row, rma = ids.get(str(ret.original_pk)), rmas.get(str(pk))
        in_omnium = seen.get(sale_row.omnium_id) if sale_row else None
        sale = sale_of[ret.original_pk]  # PROTECT: a return's sale is never deleted
        rma_number = rma.omnium_id if rma else None
        result.add(compare_return(ret, sale, in_omnium, rma_number, ctx.options))

    _changed_in_omnium(ctx, result, seen, paired)
    return result


def _changed_in_omnium(
    ctx: Context, result: AreaResult, seen: dict[str, OmniumOrder], compared: set[str]
) -> None:
    """Omnium POS orders changed in the period that no Flow order of the period explains:
    orders of earlier days changed since, and orders no Flow order is."""
    rest = {i: o for i, o in seen.items() if i not in compared and ctx.period.holds(o.modified)}
    refs = pairs.flow_refs(ctx.extension, IdentityKind.ORDER, rest)
    known = _by_pk(ctx, {int(ref) for ref in refs.values() if ref.isdigit()})
    for omnium_id, order in rest.items():
        ref = refs.get(omnium_id)
        flow = known.get(int(ref)) if ref and ref.isdigit() else None
        if flow is not None and flow.external_id:
            continue  # a web order under a POS type: the web order check's business
        if flow is not None and flow.state == OrderState.OPEN:
            continue  # reopened in Flow since: it is sent again when it completes
        result.add(compare_pos_order(flow, order, ctx.options))


def _is_return_form(order: FlowOrder) -> bool:
    """A return with its sale is a return form on the sale; a blind one is an order."""
    return order.kind == OrderKind.RETURN and order.original_pk is not None


def _by_pk(ctx: Context, pks: set[int]) -> dict[int, FlowOrder]:
    found: dict[int, FlowOrder] = {}
    for chunk in chunked(pks):
        found.update(ctx.adapter.order_facts(ctx.adapter.orders_by_pk(ctx.tenant_id, chunk)))
    return found
