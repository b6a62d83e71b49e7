"""Comparing orders: pure functions of both sides' facts, one difference (or none) each.

Who is right decides the repair (docs/decisions.md#reconciliation):

* POS sales, blind returns and cancellations are Flow's: a difference is repaired by the
  order's ``order.export`` job, which creates the order, cancels it, or brings a changed
  one back to Flow's lines and status.
* A return with an original sale is a return form on the sale; a missing one is added by
  the return's ``order.export``. A form that differs is not changed by the integration.
* Web orders are Omnium's: a difference is repaired by ``order.import``, except where the
  store has finished the order in Flow (completed, cancelled): that outcome is the
  store's, and ``order.export`` takes it to Omnium.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from functools import lru_cache
from typing import Any

from ..enums import JobKind
from ..exceptions import MappingError
from ..mapping.options import ExportOptions
from ..mapping.orders import line_item_ids, return_request
from ..mapping.records import OrderKind, OrderRecord, OrderRef, OrderState, StoreRecord
from ..mapping.statuses import is_cancel_status, is_done_status
from ..transform import decimal_to_cents, plain_decimal
from .differences import Area, Difference, Heal, Kind, both
from .facts import FlowLine, FlowOrder, Imported, OmniumOrder


def quantity_text(value: Decimal) -> str:
    """A quantity as compared and shown: ``2.000`` and ``2`` are both ``"2"``."""
    return str(plain_decimal(value))


def _export(order: FlowOrder) -> Heal:
    return Heal(JobKind.ORDER_EXPORT.value, str(order.pk))


def _flow_status(order: FlowOrder) -> str:
    return order.state.value


# ---------------------------------------------------------------- POS sales and returns


def compare_pos_order(
    flow: FlowOrder | None, omnium: OmniumOrder | None, options: ExportOptions
) -> Difference | None:
    """A POS sale (or a blind return) against its Omnium order; either may be missing."""
    if flow is None:
        assert omnium is not None
        claimed = f" It names Flow order {omnium.owner}." if omnium.owner else ""
        return Difference(
            Area.POS_ORDER,
            Kind.UNKNOWN_TO_FLOW,
            omnium_id=omnium.id,
            fields={"status": both(None, omnium.status), "total": both(None, omnium.total)},
            note="No Flow order of this tenant is this Omnium POS order; nothing is changed "
            f"automatically.{claimed}",
        )
    cancelled = flow.state == OrderState.CANCELLED
    if omnium is None:
        if cancelled:
            return None  # a cancelled sale Omnium never had: nothing to cancel
        return Difference(
            Area.POS_ORDER,
            Kind.MISSING_IN_OMNIUM,
            str(flow.pk),
            flow.uid,
            fields={"status": both(_flow_status(flow), None), "total": both(flow.total, None)},
            heal=_export(flow),
        )
    fields: dict[str, Any] = {}
    agrees = (
        is_cancel_status(omnium.status, also=options.cancelled_status)
        if cancelled
        else is_done_status(omnium.status, also=options.completed_status)
    )
    if not agrees:
        fields["status"] = both(_flow_status(flow), omnium.status)
    if not cancelled:  # a cancelled sale's lines no longer matter
        if omnium.order_type.lower() != options.pos_order_type.lower():
            fields["orderType"] = both(options.pos_order_type, omnium.order_type)
        ours = _lines_of(flow)
        lines = line_differences(ours, omnium)
        if lines:
            fields["lines"] = lines
        total = sum(amount for _sku, _quantity, amount in ours.values())
        if total != omnium.total:
            fields["total"] = both(total, omnium.total)
    if not fields:
        return None
    if "orderType" in fields:  # the export never writes over an order of another type
        note = "Omnium's order under this id is no longer a POS order; correct it by hand."
        return Difference(
            Area.POS_ORDER, Kind.DIFFERENT, str(flow.pk), flow.uid, omnium.id, fields, note=note
        )
    return Difference(
        Area.POS_ORDER, Kind.DIFFERENT, str(flow.pk), flow.uid, omnium.id, fields, _export(flow)
    )


Line = tuple[str, Decimal, int]  # SKU, quantity, amount in cents


def _lines_of(flow: FlowOrder) -> dict[str, Line]:
    return {
        line_id: (line.sku, line.quantity, line.total)
        for line_id, line in zip(item_ids(flow.lines), flow.lines, strict=True)
    }


def line_differences(ours: dict[str, Line], omnium: OmniumOrder) -> dict[str, Any] | None:
    """The lines that differ (SKU, quantity, amount in cents), by Omnium ``lineItemId``;
    ``ours``: Flow's lines by the ``lineItemId`` they are sent under."""
    theirs = {line.line_id: (line.sku, line.quantity, line.amount) for line in omnium.lines}
    if ours == theirs:  # Decimal equality: 2 and 2.000 are the same quantity
        return None
    differing = sorted(k for k in ours.keys() | theirs.keys() if ours.get(k) != theirs.get(k))
    return both(
        {key: _line_json(ours.get(key)) for key in differing},
        {key: _line_json(theirs.get(key)) for key in differing},
    )


def _line_json(line: Line | None) -> dict[str, Any] | None:
    if line is None:
        return None
    sku, quantity, amount = line
    return {"sku": sku, "quantity": quantity_text(quantity), "amount": amount}


def item_ids(lines: Sequence[FlowLine]) -> tuple[str, ...]:
    """The ``lineItemId`` of each line, in order, by the export's rule (``line_item_ids``)."""
    return _item_ids(tuple((line.uid, line.external_id) for line in lines))


@lru_cache(maxsize=1024)
def _item_ids(keys: tuple[tuple[str, str], ...]) -> tuple[str, ...]:
    # Most orders have the same line uids ("1", "2"…): the rule runs once per shape.
    lines = [FlowLine(uid, "", Decimal(0), 0, 0, external) for uid, external in keys]
    ids = line_item_ids(lines)  # type: ignore[arg-type]  (reads uid and external_id)
    return tuple(ids[uid] for uid, _external in keys)


def compare_return(
    flow: FlowOrder,
    sale: FlowOrder,
    sale_in_omnium: OmniumOrder | None,
    rma: str | None,
    options: ExportOptions,
) -> Difference | None:
    """A return with an original sale against the return form on the sale's Omnium order."""
    forms = sale_in_omnium.returns if sale_in_omnium is not None else ()
    form = next((f for f in forms if rma and f.rma == rma), None)
    if sale_in_omnium is None or form is None:
        return Difference(
            Area.POS_ORDER,
            Kind.MISSING_IN_OMNIUM,
            str(flow.pk),
            flow.uid,
            sale_in_omnium.id if sale_in_omnium else "",
            {"returnForm": both(rma or flow.uid, None), "total": both(flow.total, None)},
            _export(flow),
            note=f"A return of sale {sale.uid}: a return form on the sale's Omnium order.",
        )
    try:
        expected = _expected_form(flow, sale, rma, options)
    except MappingError as exc:  # the export cannot send it either: its job says why
        return Difference(
            Area.POS_ORDER, Kind.DIFFERENT, str(flow.pk), flow.uid, sale_in_omnium.id, note=str(exc)
        )
    found: dict[str, dict[str, Any]] = {}
    for line_id, sku, quantity in form.quantities:
        entry = found.setdefault(line_id, {"sku": sku, "quantity": Decimal(0)})
        entry["quantity"] += quantity
    found = {k: {**v, "quantity": quantity_text(v["quantity"])} for k, v in found.items()}
    fields: dict[str, Any] = {}
    if found != expected["lines"]:
        fields["lines"] = both(expected["lines"], found)
    if form.credit is not None and form.credit != expected["credit"]:
        fields["credit"] = both(expected["credit"], form.credit)
    if not fields:
        return None
    return Difference(
        Area.POS_ORDER,
        Kind.DIFFERENT,
        str(flow.pk),
        flow.uid,
        sale_in_omnium.id,
        fields,
        note="The integration never changes a return form once made; correct it in Omnium.",
    )


def _expected_form(
    flow: FlowOrder, sale: FlowOrder, rma: str, options: ExportOptions
) -> dict[str, Any]:
    """The return form the return's export sends: quantities per sale line, credit."""
    record = OrderRecord(
        pk=flow.pk,
        uid=flow.uid,
        kind=OrderKind.RETURN,
        state=flow.state,
        currency="",
        store=StoreRecord(uid=flow.store_uid, country_code=""),
        lines=flow.lines,
        original_order=OrderRef(pk=sale.pk, uid=sale.uid, lines=sale.lines),
        rma_number=rma,
    )
    request = return_request(record, options)
    skus = dict(zip(item_ids(sale.lines), (line.sku for line in sale.lines), strict=True))
    lines: dict[str, dict[str, Any]] = {}
    credit = Decimal(0)
    for line in request["returns"]:
        entry = lines.setdefault(
            line["lineItemId"], {"sku": skus.get(line["lineItemId"], ""), "quantity": Decimal(0)}
        )
        entry["quantity"] += line["returnQuantity"]
        credit += line["creditAmount"] * line["returnQuantity"]
    return {
        "lines": {k: {**v, "quantity": quantity_text(v["quantity"])} for k, v in lines.items()},
        "credit": decimal_to_cents(credit),
    }


# ---------------------------------------------------------------------------- web orders


def compare_web_order(
    omnium: OmniumOrder | None,
    omnium_id: str,
    flow: FlowOrder | None,
    imported: Imported | None,
    options: ExportOptions,
) -> Difference | None:
    """An Omnium web order against the Flow order the import made of it (either may be
    missing: ``omnium`` ``None`` means Omnium no longer has it)."""
    status = omnium.status if omnium else None
    cancelled = omnium is None or is_cancel_status(status)
    importing = Heal(JobKind.ORDER_IMPORT.value, omnium_id)
    if flow is None:
        if cancelled:
            return None  # cancelled before Flow had it: the import does not create it
        return _web(Kind.MISSING_IN_FLOW, omnium_id, None, both(None, status), importing)
    state = flow.state
    if state == OrderState.OPEN:
        if cancelled:
            return _web(Kind.STATE, omnium_id, flow, both(state.value, status), importing)
        held = imported.omnium_modified if imported else None
        if held is None or (omnium.modified is not None and held < omnium.modified):
            versions = both(_iso(held), _iso(omnium.modified))
            return _web(Kind.STALE, omnium_id, flow, versions, importing, field="modified")
        return None
    if omnium is None:
        return None  # finished in Flow and gone from Omnium: nothing left to do
    if state == OrderState.CANCELLED and not cancelled:
        return _web(Kind.STATE, omnium_id, flow, both(state.value, status), _export(flow))
    if state == OrderState.COMPLETED and cancelled:
        return _web(
            Kind.STATE,
            omnium_id,
            flow,
            both(state.value, status),
            None,
            note="Completed in the store, cancelled in Omnium: decide which is right and "
            "correct the other by hand.",
        )
    if state == OrderState.COMPLETED and not is_done_status(status, options.completed_status):
        return _web(Kind.STATE, omnium_id, flow, both(state.value, status), _export(flow))
    return None


def _web(
    kind: Kind,
    omnium_id: str,
    flow: FlowOrder | None,
    value: dict[str, Any],
    heal: Heal | None,
    *,
    field: str = "status",
    note: str = "",
) -> Difference:
    return Difference(
        Area.WEB_ORDER,
        kind,
        str(flow.pk) if flow else "",
        flow.uid if flow else "",
        omnium_id,
        {field: value},
        heal,
        note,
    )


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None
