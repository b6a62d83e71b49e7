"""Omnium's web orders (Click & Collect, online) against the Flow orders imported from them.

Compared: every order of an imported type (``POLL_ORDER_TYPES``) changed in Omnium in the
period that one of the tenant's stores may handle, and every imported order the store
completed or cancelled in Flow in the period. The scroll has no store filter: Omnium's
store filter matches the selling store only, and an order sold by a web shop and picked
up at a Flow store (the case the delta poll cannot see) must be found too; orders no
tenant store handles are dropped as they arrive.
"""

from __future__ import annotations

from ..conf import app_settings
from ..host.reconcile import chunked
from . import pairs
from .compare_orders import compare_web_order
from .context import AreaResult, Context
from .differences import Area
from .facts import FlowOrder, OmniumOrder


def check_web_orders(ctx: Context) -> AreaResult:
    result = AreaResult(Area.WEB_ORDER)
    types = list(app_settings.POLL_ORDER_TYPES)
    window: dict[str, OmniumOrder] = {}  # the tenant's web orders Omnium changed
    for order_type in types:
        for order in ctx.omnium.orders(order_type, ctx.window, imported_types=types):
            if ctx.store_ids.intersection(order.store_candidates):
                window[order.id] = order
    seen: dict[str, OmniumOrder | None] = {
        i: o for i, o in window.items() if ctx.period.holds(o.modified)
    }
    adapter = ctx.adapter
    finished = adapter.order_facts(adapter.web_orders_in_period(ctx.tenant_id, *ctx.period.bounds))
    flow: dict[str, FlowOrder] = {order.external_id: order for order in finished.values()}
    for omnium_id in flow.keys() - seen.keys():  # finished in Flow in the period
        in_window = window.get(omnium_id)
        seen[omnium_id] = in_window or ctx.omnium.order(omnium_id, imported_types=types)
    for chunk in chunked(seen.keys() - flow.keys()):
        found = adapter.order_facts(adapter.orders_by_external_id(ctx.tenant_id, chunk))
        flow.update((order.external_id, order) for order in found.values())
    imported = pairs.imports(ctx.extension, seen)
    for omnium_id, order in sorted(seen.items()):
        held = imported.get(omnium_id)
        result.add(compare_web_order(order, omnium_id, flow.get(omnium_id), held, ctx.options))
    return result
