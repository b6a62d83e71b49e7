"""The reconciliation's pure parts: facts cut from Omnium documents, the comparisons, the
periods. No database, no HTTP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from omnium_integration.mapping.options import ExportOptions
from omnium_integration.mapping.records import (
    CustomerKind,
    CustomerRecord,
    OrderKind,
    OrderState,
)
from omnium_integration.reconcile.compare_orders import (
    compare_pos_order,
    compare_return,
    compare_web_order,
)
from omnium_integration.reconcile.compare_records import compare_customer, compare_invoice
from omnium_integration.reconcile.dates import period_between, previous_day
from omnium_integration.reconcile.differences import Kind
from omnium_integration.reconcile.facts import (
    FlowLine,
    FlowOrder,
    FlowReceipt,
    Imported,
    OmniumOrder,
    omnium_line,
    omnium_order,
)

OPTIONS = ExportOptions(tenant_uid="t1")
OSLO = ZoneInfo("Europe/Oslo")
NOON = datetime(2026, 3, 6, 12, tzinfo=UTC)


def flow_sale(*lines, state=OrderState.COMPLETED, kind=OrderKind.SALE, pk=1, uid="POS-1"):
    records = tuple(
        FlowLine(uid=str(n), sku=sku, quantity=Decimal(q), unit_price=price, discount=off)
        for n, (sku, q, price, off) in enumerate(lines, start=1)
    )
    return FlowOrder(pk, uid, kind, state, "", "oslo", records)


def omnium_pos(*lines, status="Completed", total=None, returns=()):
    document = {
        "id": "POS1",
        "orderType": "Pos",
        "status": status,
        "storeId": "oslo",
        "orderForm": {"lineItems": list(lines), "total": total},
        "returnOrderForms": list(returns),
        "modified": "2026-03-06T12:00:00.1234567Z",
    }
    return omnium_order(document, OPTIONS)


def line(key, sku, quantity, price, **more):
    return {"lineItemId": key, "code": sku, "quantity": quantity, "placedPrice": price, **more}


# ------------------------------------------------------------------------------- facts


def test_omnium_amounts_become_exact_cents():
    assert omnium_line(line("1", "A", 1, Decimal("0.29"))).amount == 29
    assert (
        omnium_line(line("1", "A", 3, Decimal("33.33"), discounted=Decimal("0.99"))).amount == 9900
    )
    assert omnium_line(line("1", "A", 2, 5, extendedPrice=Decimal("9.995"))).amount == 1000
    left = omnium_line(line("1", "A", 3, 10, canceledQuantity=1))
    assert (left.quantity, left.amount) == (2, 2000)
    order = omnium_pos(line("1", "A", 1, 10), total=Decimal("10.00"))
    assert order.modified == datetime(2026, 3, 6, 12, 0, 0, 123456, tzinfo=UTC)


@given(
    cents=st.integers(min_value=1, max_value=10**9),
    quantity=st.integers(min_value=1, max_value=50),
)
def test_a_sale_as_omnium_holds_it_agrees_to_the_cent(cents, quantity):
    sale = flow_sale(("A", str(quantity), cents, 0))
    total = Decimal(cents * quantity) / 100
    omnium = omnium_pos(line("1", "A", quantity, Decimal(cents) / 100), total=total)
    assert compare_pos_order(sale, omnium, OPTIONS) is None
    off_by_one = omnium_pos(
        line("1", "A", quantity, Decimal(cents) / 100), total=total - Decimal("0.01")
    )
    difference = compare_pos_order(sale, off_by_one, OPTIONS)
    assert difference.fields == {
        "total": {"flow": cents * quantity, "omnium": cents * quantity - 1}
    }


# ------------------------------------------------------------------------------ sales


def test_lines_are_compared_by_omniums_line_id_with_both_sides():
    sale = flow_sale(("A", "2.000", 1000, 100), ("B", "1", 29, 0))
    omnium = omnium_pos(
        line("1", "A", 2, 10, discounted=1),
        line("2", "C", 1, Decimal("0.29")),
        total=Decimal("19.29"),
    )
    difference = compare_pos_order(sale, omnium, OPTIONS)
    assert difference.kind == Kind.DIFFERENT
    assert difference.fields == {
        "lines": {
            "flow": {"2": {"sku": "B", "quantity": "1", "amount": 29}},
            "omnium": {"2": {"sku": "C", "quantity": "1", "amount": 29}},
        }
    }
    assert difference.heal.job == "order.export" and difference.heal.object_id == "1"


@pytest.mark.parametrize(
    "state, status, differs",
    [
        (OrderState.COMPLETED, "Completed", False),
        (OrderState.COMPLETED, "PartiallyReturned", False),  # moved on, not undone
        (OrderState.COMPLETED, "PickedUp", False),
        (OrderState.COMPLETED, "OrderCanceled", True),
        (OrderState.COMPLETED, "New", True),
        (OrderState.CANCELLED, "OrderCanceled", False),
        (OrderState.CANCELLED, "Completed", True),
    ],
)
def test_statuses_a_sale_may_have_in_omnium(state, status, differs):
    sale = flow_sale(("A", "1", 1000, 0), state=state)
    omnium = omnium_pos(line("1", "A", 1, 10), status=status, total=Decimal(10))
    assert (compare_pos_order(sale, omnium, OPTIONS) is not None) is differs


def test_a_cancelled_sale_omnium_never_had_is_no_difference():
    sale = flow_sale(("A", "1", 1000, 0), state=OrderState.CANCELLED)
    assert compare_pos_order(sale, None, OPTIONS) is None
    missing = compare_pos_order(flow_sale(("A", "1", 1000, 0)), None, OPTIONS)
    assert missing.kind == Kind.MISSING_IN_OMNIUM and missing.fields["total"]["flow"] == 1000


def test_an_omnium_order_flow_does_not_know_is_never_healed():
    omnium = omnium_order(
        {"id": "X", "status": "Completed", "properties": [{"key": "flowOrderUid", "value": "Q"}]},
        OPTIONS,
    )
    unknown = compare_pos_order(None, omnium, OPTIONS)
    assert (unknown.kind, unknown.heal, unknown.omnium_id) == (Kind.UNKNOWN_TO_FLOW, None, "X")
    assert "Flow order Q" in unknown.note


# ---------------------------------------------------------------------------- returns


def test_a_return_form_is_compared_with_what_the_return_sends():
    sale = flow_sale(("A", "3", 1000, 100), pk=1)
    ret = FlowOrder(
        2,
        "RET-1",
        OrderKind.RETURN,
        OrderState.COMPLETED,
        "",
        "oslo",
        (FlowLine("1", "A", Decimal(-1), 1000, -33, original_line_uid="1"),),
        original_pk=1,
    )
    form = {"rmaNumber": "RET1", "lineItems": [line("1", "A", 1, 10)], "creditAmount": "9.67"}
    in_omnium = omnium_pos(line("1", "A", 3, 10), returns=[form])
    assert compare_return(ret, sale, in_omnium, "RET1", OPTIONS) is None
    changed = omnium_pos(line("1", "A", 3, 10), returns=[{**form, "creditAmount": "10.00"}])
    difference = compare_return(ret, sale, changed, "RET1", OPTIONS)
    assert difference.fields == {"credit": {"flow": 967, "omnium": 1000}}
    assert difference.heal is None  # a return form is not changed by the integration
    assert compare_return(ret, sale, in_omnium, "OTHER", OPTIONS).kind == Kind.MISSING_IN_OMNIUM
    assert compare_return(ret, sale, None, "RET1", OPTIONS).heal.object_id == "2"


# -------------------------------------------------------------------------- web orders


def web(status="New", modified=NOON) -> OmniumOrder:
    return OmniumOrder("W1", "ClickAndCollect", status, "oslo", None, (), (), "", None, modified)


@pytest.mark.parametrize(
    "omnium, state, held, expected",
    [
        (web(), None, None, (Kind.MISSING_IN_FLOW, "order.import")),
        (web("OrderCanceled"), None, None, None),
        (web(), OrderState.OPEN, NOON, None),
        (web(), OrderState.OPEN, NOON - timedelta(seconds=1), (Kind.STALE, "order.import")),
        (web(), OrderState.OPEN, None, (Kind.STALE, "order.import")),
        (web("Expired"), OrderState.OPEN, NOON, (Kind.STATE, "order.import")),
        (None, OrderState.OPEN, NOON, (Kind.STATE, "order.import")),  # deleted in Omnium
        (web("ReadyForPickup"), OrderState.CANCELLED, NOON, (Kind.STATE, "order.export")),
        (web("ReadyForPickup"), OrderState.COMPLETED, NOON, (Kind.STATE, "order.export")),
        (web("PickedUp"), OrderState.COMPLETED, NOON, None),
        (web("OrderCanceled"), OrderState.COMPLETED, NOON, (Kind.STATE, None)),
        (web("OrderCanceled"), OrderState.CANCELLED, NOON - timedelta(days=1), None),
        (None, OrderState.COMPLETED, NOON, None),
    ],
)
def test_who_is_right_about_a_web_order(omnium, state, held, expected):
    flow = None if state is None else FlowOrder(5, "W1", OrderKind.SALE, state, "W1", "oslo", ())
    imported = None if held is None else Imported(held, 5, "updated")
    difference = compare_web_order(omnium, "W1", flow, imported, OPTIONS)
    if expected is None:
        assert difference is None
    else:
        assert (difference.kind, difference.heal.job if difference.heal else None) == expected


# -------------------------------------------------------------------- customers, invoices


def customer(**fields) -> CustomerRecord:
    values = dict(
        uid="C-1",
        kind=CustomerKind.PERSON,
        tenant_country_code="NO",
        first_name="Kari",
        last_name="Nordmann",
        email="Kari@Example.com",
        mobile="+47 400",
        pk=7,
        omnium_id="C1",
    )
    return CustomerRecord(**{**values, **fields})


def test_a_customer_is_compared_on_what_flow_sends():
    ours = [{"key": "flowCustomerUid", "value": "C-1"}]
    same = {
        "firstName": "Kari",
        "lastName": "Nordmann",
        "email": "kari@example.com",
        "phone": "+47400",
    }
    assert compare_customer(customer(), {**same, "properties": ours}, OPTIONS) is None
    # Flow has no phone: Omnium's is not Flow's business (the export leaves it alone).
    assert compare_customer(customer(mobile=""), {**same, "phone": "+1"}, OPTIONS) is None
    renamed = compare_customer(
        customer(), {**same, "lastName": "Hansen", "properties": ours}, OPTIONS
    )
    assert renamed.fields == {"name": {"flow": "Kari Nordmann", "omnium": "Kari Hansen"}}
    assert renamed.heal.job == "customer.export"
    theirs = compare_customer(customer(), {**same, "lastName": "Hansen"}, OPTIONS)
    assert theirs.heal is None and "made in Omnium" in theirs.note


def test_an_invoice_needs_its_pdf():
    receipt = FlowReceipt(3, "R-1", "10001")
    assert compare_invoice(receipt, "R1", {"assets": [{"fileName": "10001.pdf"}]}) is None
    assert compare_invoice(receipt, "R1", {"assets": []}).kind == Kind.MISSING_PDF
    assert compare_invoice(receipt, "", None).kind == Kind.MISSING_INVOICE


# ---------------------------------------------------------------------------- periods


def test_days_are_the_tenants_days():
    now = datetime(2026, 3, 29, 1, 30, tzinfo=UTC)  # the night summer time starts in Oslo
    period = period_between("2026-03-28", "2026-03-29", OSLO, now)
    assert period.since == datetime(2026, 3, 27, 23, 0, tzinfo=UTC)
    assert period.until == datetime(2026, 3, 29, 22, 0, tzinfo=UTC)  # 47 hours: DST
    assert period_between("2026-03-28", None, OSLO, now).until == now
    yesterday = previous_day(OSLO, now)
    assert (yesterday.since, yesterday.until) == (
        datetime(2026, 3, 27, 23, 0, tzinfo=UTC),
        datetime(2026, 3, 28, 23, 0, tzinfo=UTC),
    )
    with pytest.raises(ValueError, match="neither a date"):
        period_between("last week", None, OSLO, now)


def test_an_order_of_another_type_under_a_sales_id_needs_a_person():
    sale = flow_sale(("A", "1", 1000, 0))
    document = {"id": "POS1", "orderType": "Online", "status": "Completed"}
    document["orderForm"] = {"lineItems": [line("1", "A", 1, 10)], "total": Decimal(10)}
    difference = compare_pos_order(sale, omnium_order(document, OPTIONS), OPTIONS)
    assert difference.fields == {"orderType": {"flow": "Pos", "omnium": "Online"}}
    assert difference.heal is None and "by hand" in difference.note
