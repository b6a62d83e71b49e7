"""Reconciling orders over real HTTP against the sandbox: each kind of drift is induced,
reported exactly, healed by the job in the right direction, and gone on the next run."""

from __future__ import annotations

from decimal import Decimal

from django.utils import timezone

from flow_stub_project.flow.models import Order, OrderLine, Store
from omnium_integration.enums import JobKind, JobStatus
from omnium_integration.jobs import manager
from omnium_integration.models import ExternalSyncJob, ImportedOrder, JobSource
from omnium_integration.reconcile.dates import Period
from tests.flow_factories import completed_sales, make_order, make_return, set_state
from tests.omnium_orders import omnium_line, omnium_order
from tests.reconciling import HOUR, difference, drain, found, run


def sold(store, *uids: str) -> list[Order]:
    orders = [make_order(store, uid) for uid in uids]
    drain()
    return orders


def imported(omnium, *omnium_ids: str) -> None:
    """Import these Omnium orders as the webhook would have."""
    for omnium_id in omnium_ids:
        manager.enqueue(JobKind.ORDER_IMPORT, extension_id=omnium.pk, object_id=omnium_id)
    drain()


def heal_and_check(omnium, expected: set, *, healed: int | None = None):
    """Reconcile with --heal: exactly ``expected`` found; the jobs run; the next run is clean."""
    first = run(omnium, heal=True)
    assert found(first) == expected
    if healed is not None:
        assert len(first.healed) == healed
    assert all(j["created"] for j in first.healed)
    assert all(
        ExternalSyncJob.objects.get(pk=j["jobId"]).source == JobSource.RECONCILE
        for j in first.healed
    )
    drain()
    again = run(omnium)
    assert again.difference_count == 0, again.differences
    return first


# ---------------------------------------------------------------------------- clean pair


def test_a_clean_pair_reports_nothing(omnium, sandbox, store):
    sale, other = sold(store, "POS-1", "POS-2")
    make_return(sale)
    make_order(store, "RET-9", type=Order.Type.RETURN, lines=(("SKU-1", "-1", 19950, 0),))
    set_state(other, Order.State.CANCELLED)
    sandbox.seed_order(omnium_order("CC-1"))
    imported(omnium, "CC-1")
    result = run(omnium)
    assert result.difference_count == 0, result.differences
    # Sales, the cancellation, the blind return and the return form; the web order.
    assert result.checked["pos_order"] == 4
    assert result.checked["web_order"] == 1
    assert result.status == "done" and result.healed == []


# ----------------------------------------------------------- changes that bypassed Flow


def test_changes_behind_the_receivers_are_found_and_sent(omnium, sandbox, store):
    cancelled, changed, _ok = sold(store, "POS-1", "POS-2", "POS-3")
    now = timezone.now()
    # A data fix with queryset.update: no post_save, so no job.
    Order.objects.filter(pk=cancelled.pk).update(state=Order.State.CANCELLED, cancelled_at=now)
    OrderLine.objects.filter(order=changed, uid="1").update(quantity=Decimal(3))
    (bulk,) = completed_sales(store, 1)  # bulk_create: no signal either
    assert not ExternalSyncJob.objects.filter(status="pending").exists()

    first = heal_and_check(
        omnium,
        {
            ("pos_order", "different", "POS-1"),
            ("pos_order", "different", "POS-2"),
            ("pos_order", "missing_in_omnium", bulk.uid),
        },
        healed=3,
    )
    status = difference(first, "different", "POS-1")["fields"]
    assert status == {"status": {"flow": "cancelled", "omnium": "Completed"}}
    lines = difference(first, "different", "POS-2")["fields"]
    # Both sides' values, money in cents, exact.
    assert lines["total"] == {"flow": 3 * 19950 + 29, "omnium": 2 * 19950 + 29}
    assert lines["lines"] == {
        "flow": {"1": {"sku": "SKU-1", "quantity": "3", "amount": 59850}},
        "omnium": {"1": {"sku": "SKU-1", "quantity": "2", "amount": 39900}},
    }
    assert {j["job"] for j in first.healed} == {JobKind.ORDER_EXPORT}
    assert sandbox.state.orders["POS1"]["status"] == "OrderCanceled"
    assert sandbox.state.orders["POS2"]["orderForm"]["lineItems"][0]["quantity"] == 3
    assert bulk.uid.replace("-", "") in sandbox.state.orders


def test_a_cancelled_job_leaves_a_sale_missing_until_healed(omnium, sandbox, store):
    order = make_order(store)
    job = ExternalSyncJob.objects.get(object_id=str(order.pk))
    manager.cancel(ExternalSyncJob.objects.filter(pk=job.pk))
    drain()
    assert sandbox.state.orders == {}
    first = heal_and_check(omnium, {("pos_order", "missing_in_omnium", "POS-1001")}, healed=1)
    missing = first.differences[0]
    assert missing["fields"]["total"] == {"flow": 39929, "omnium": None}
    assert missing["heal"] == {"job": "order.export", "object": str(order.pk)}
    assert sandbox.state.orders["POS1001"]["orderType"] == "Pos"


def test_a_cancelled_return_job_leaves_its_return_form_missing(omnium, sandbox, store):
    (sale,) = sold(store, "POS-1")
    ret = make_return(sale)
    manager.cancel(ExternalSyncJob.objects.filter(kind=JobKind.ORDER_EXPORT, object_id=ret.pk))
    drain()
    first = heal_and_check(omnium, {("pos_order", "missing_in_omnium", "RET-1")})
    assert first.differences[0]["omnium"] == {"id": "POS1"}  # the sale it belongs on
    (form,) = sandbox.state.orders["POS1"]["returnOrderForms"]
    assert form["rmaNumber"] == "RET1"


# ---------------------------------------------------------------- changes made in Omnium


def test_orders_changed_or_deleted_in_omnium_get_flows_sale_back(omnium, sandbox, store):
    edited, cancelled, deleted, _ok = sold(store, "POS-1", "POS-2", "POS-3", "POS-4")
    make_return(edited)
    drain()
    document = dict(sandbox.state.orders["POS1"])
    document["orderForm"] = {
        **document["orderForm"],
        "lineItems": [
            omnium_line("1", "SKU-1", 1, "199.50"),  # one shirt taken off by hand
            omnium_line("2", "SKU-2", 1, "0.29"),
        ],
    }
    sandbox.edit_order(document)
    sandbox.set_order_status("POS2", "OrderCanceled")
    sandbox.delete_order("POS3")

    first = heal_and_check(
        omnium,
        {
            ("pos_order", "different", "POS-1"),
            ("pos_order", "different", "POS-2"),
            ("pos_order", "missing_in_omnium", "POS-3"),
        },
    )
    assert difference(first, "different", "POS-1")["fields"]["total"] == {
        "flow": 39929,
        "omnium": 19979,
    }
    assert difference(first, "different", "POS-2")["fields"] == {
        "status": {"flow": "completed", "omnium": "OrderCanceled"}
    }
    repaired = sandbox.state.orders["POS1"]
    assert repaired["orderForm"]["lineItems"][0]["quantity"] == 2
    assert [f["rmaNumber"] for f in repaired["returnOrderForms"]] == ["RET1"]  # kept
    assert sandbox.state.orders["POS2"]["status"] == "Completed"
    assert "POS3" in sandbox.state.orders
    export = ExternalSyncJob.objects.filter(object_id=str(edited.pk)).latest("pk")
    assert export.result["action"] == "repaired" and export.result["fields"] == ["lines"]


def test_a_pos_order_no_flow_order_is_is_reported_for_a_person(omnium, sandbox, store):
    sold(store, "POS-1")
    sandbox.seed_order(omnium_order("TILL9", "Pos", status="Completed", store="oslo_city"))
    sandbox.seed_order(omnium_order("ELSEWHERE", "Pos", status="Completed", store="bergen"))
    result = run(omnium, heal=True)
    assert found(result) == {("pos_order", "unknown_to_flow", "TILL9")}
    (unknown,) = result.differences
    assert unknown["heal"] is None and unknown["fields"]["status"]["omnium"] == "Completed"
    assert result.healed == []


def test_an_earlier_days_sale_edited_in_omnium_today_is_found_today(omnium, sandbox, store):
    (sale,) = sold(store, "POS-1")
    earlier = timezone.now() - 72 * HOUR
    Order.objects.filter(pk=sale.pk).update(completed_at=earlier)  # sold days ago
    sandbox.set_order_status("POS1", "OrderCanceled")
    heal_and_check(omnium, {("pos_order", "different", "POS-1")})


def test_a_sale_sent_long_after_its_day_is_read_by_its_id(omnium, sandbox, store, settings):
    (sale,) = sold(store, "POS-1")  # reached Omnium now...
    now = timezone.now()
    Order.objects.filter(pk=sale.pk).update(completed_at=now - 3 * HOUR)  # ...sold hours ago
    settings.OMNIUM_INTEGRATION = {**settings.OMNIUM_INTEGRATION, "RECONCILE_MARGIN_MINUTES": 30}
    result = run(omnium, period=Period(now - 4 * HOUR, now - 2 * HOUR))
    assert result.checked["pos_order"] == 1 and result.difference_count == 0
    assert sandbox.call_count("GET /api/Orders/{id}") == 1  # outside the window: asked for


# ----------------------------------------------------------------------------- web orders


def test_web_orders_whose_events_were_lost_are_imported(omnium, sandbox, store):
    Store.objects.create(tenant=store.tenant, uid="bergen", name="Bergen", country_code="NO")
    sandbox.seed_order(omnium_order("CC-1"))
    # Sold by the web shop, picked up in Oslo: the poll's store filter cannot see it.
    blind = omnium_order("CC-2", store="webshop")
    blind["orderForm"]["shipments"][0].update(warehouseCode="dc", pickUpWarehouseCode="oslo_city")
    sandbox.seed_order(blind)
    sandbox.seed_order(omnium_order("WEB-3", "Online", store="bergen"))
    sandbox.seed_order(omnium_order("CC-4", store="elsewhere"))  # no store of ours
    sandbox.seed_order(omnium_order("CC-5", status="OrderCanceled"))  # never Flow's
    first = heal_and_check(
        omnium,
        {
            ("web_order", "missing_in_flow", "CC-1"),
            ("web_order", "missing_in_flow", "CC-2"),
            ("web_order", "missing_in_flow", "WEB-3"),
        },
    )
    assert {j["job"] for j in first.healed} == {JobKind.ORDER_IMPORT}
    assert difference(first, "missing_in_flow", "CC-2")["heal"] == {
        "job": "order.import",
        "object": "CC-2",
    }
    assert set(Order.objects.exclude(external_id="").values_list("external_id", flat=True)) == {
        "CC-1",
        "CC-2",
        "WEB-3",
    }


def test_web_orders_changed_in_omnium_without_flow_hearing_of_it(omnium, sandbox, store):
    sandbox.seed_order(omnium_order("CC-1"))
    sandbox.seed_order(omnium_order("CC-2"))
    imported(omnium, "CC-1", "CC-2")
    edited = dict(sandbox.state.orders["CC-1"])
    edited["orderForm"] = {
        **edited["orderForm"],
        "lineItems": [omnium_line("L1", "SKU-1", 5, "10")],
    }
    sandbox.edit_order(edited)  # its event was lost
    sandbox.set_order_status("CC-2", "OrderCanceled")
    first = heal_and_check(
        omnium,
        {("web_order", "stale", "CC-1"), ("web_order", "state", "CC-2")},
    )
    assert difference(first, "state", "CC-2")["fields"] == {
        "status": {"flow": "open", "omnium": "OrderCanceled"}
    }
    stale = difference(first, "stale", "CC-1")["fields"]["modified"]
    assert stale["flow"] < stale["omnium"]
    assert Order.objects.get(external_id="CC-1").lines.get().quantity == 5
    assert Order.objects.get(external_id="CC-2").state == Order.State.CANCELLED
    assert ImportedOrder.objects.get(omnium_order_id="CC-1").outcome == "updated"


def test_a_store_cancellation_that_never_reached_omnium_is_sent(omnium, sandbox, store):
    sandbox.seed_order(omnium_order("CC-1", status="ReadyForPickup"))
    sandbox.seed_order(omnium_order("CC-2", status="ReadyForPickup"))
    imported(omnium, "CC-1", "CC-2")
    now = timezone.now()
    Order.objects.filter(external_id="CC-1").update(state=Order.State.CANCELLED, cancelled_at=now)
    Order.objects.filter(external_id="CC-2").update(state=Order.State.COMPLETED, completed_at=now)
    first = heal_and_check(omnium, {("web_order", "state", "CC-1"), ("web_order", "state", "CC-2")})
    assert {j["job"] for j in first.healed} == {JobKind.ORDER_EXPORT}
    assert sandbox.state.orders["CC-1"]["status"] == "OrderCanceled"
    assert sandbox.state.orders["CC-2"]["status"] == "Completed"


def test_completed_in_the_store_but_cancelled_in_omnium_needs_a_person(omnium, sandbox, store):
    sandbox.seed_order(omnium_order("CC-1", status="ReadyForPickup"))
    imported(omnium, "CC-1")
    flow = Order.objects.get(external_id="CC-1")
    set_state(flow, Order.State.COMPLETED)
    drain()
    sandbox.set_order_status("CC-1", "OrderCanceled")
    result = run(omnium, heal=True)
    (conflict,) = result.differences
    assert (conflict["kind"], conflict["heal"]) == ("state", None)
    assert "by hand" in conflict["note"] and result.healed == []
    assert ExternalSyncJob.objects.filter(status=JobStatus.PENDING).count() == 0


def test_a_store_completion_that_reached_omnium_just_after_its_day_needs_no_call(
    omnium, sandbox, store
):
    sandbox.seed_order(omnium_order("CC-1", status="ReadyForPickup"))
    imported(omnium, "CC-1")
    set_state(Order.objects.get(external_id="CC-1"), Order.State.COMPLETED)
    drain()  # Omnium's order moves to Completed now: just after the day below
    now = timezone.now()
    Order.objects.filter(external_id="CC-1").update(completed_at=now - HOUR / 2)
    gets = sandbox.call_count("GET /api/Orders/{id}")
    result = run(omnium, period=Period(now - HOUR, now - HOUR / 4))
    assert result.checked["web_order"] == 1 and result.difference_count == 0
    assert sandbox.call_count("GET /api/Orders/{id}") == gets  # the window held it
