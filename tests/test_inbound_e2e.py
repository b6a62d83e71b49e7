"""Omnium -> Flow end to end: the sandbox's events hit the live webhook, the engine imports.

Everything crosses real HTTP on loopback: the sandbox POSTs its events to the webhook of
a live Flow server, and the ``order.import`` jobs fetch orders and customers from the
sandbox with the real client.
"""

from __future__ import annotations

import copy
import socket
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from flow_stub_project.flow.models import Customer, Order
from omnium_integration import tasks
from omnium_integration.enums import Direction, JobKind, JobStatus, Queue
from omnium_integration.exceptions import RetryableError
from omnium_integration.jobs import worker
from omnium_integration.models import ExternalSyncJob, ImportedOrder, InboundEvent
from omnium_integration.sync.order_poll import PAGE_SIZE, poll_tenant
from omnium_integration.transform import parse_omnium_datetime
from omnium_integration.workdays import pickup_deadline, time_zone_for
from tests.conftest import subscribe_live_flow
from tests.omnium_orders import omnium_line, omnium_order

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def flow(omnium, store, sandbox, live_server):
    """Flow live, its tenant's extension configured, Omnium's webhook subscription on it."""
    omnium.click_collect_expiry_days = 2
    return subscribe_live_flow(omnium, sandbox, live_server)


def settle(sandbox) -> None:
    """Every event delivered to the webhook, then every due import run."""
    assert sandbox.events.wait_idle(timeout=30)
    worker.drain(Queue.ORDER)


def imports() -> list[ExternalSyncJob]:
    return list(ExternalSyncJob.objects.filter(kind=JobKind.ORDER_IMPORT).order_by("pk"))


def lines_of(order: Order) -> list[tuple]:
    return [
        (line.external_id, line.quantity, line.unit_price, line.discount)
        for line in order.lines.order_by("external_id")
    ]


# ----------------------------------------------------------------------- new orders


def test_click_and_collect_and_online_orders_appear_in_flow(flow, sandbox):
    before = timezone.now()
    sandbox.seed_order(omnium_order("CC-1", lines=[omnium_line("L1", "SKU-1", 2, "199.50")]))
    sandbox.seed_order(omnium_order("WEB-1", "Online"))
    sandbox.seed_order(omnium_order("POS-1", "Pos"))  # not subscribed, not imported
    settle(sandbox)
    after = timezone.now()

    cc = Order.objects.get(external_id="CC-1")
    assert (cc.uid, cc.state, cc.external_order_type) == ("CC-1", "PARKED", "ClickAndCollect")
    assert list(cc.handlings.values_list("handling_uid", flat=True)) == ["cc_pickup"]
    zone = time_zone_for("NO")
    assert cc.valid_until in {pickup_deadline(moment, 2, zone) for moment in (before, after)}
    assert lines_of(cc) == [("L1", Decimal(2), 19950, 0)]

    web = Order.objects.get(external_id="WEB-1")
    assert (web.state, web.valid_until) == ("CONFIRMED", None)
    assert list(web.handlings.values_list("handling_uid", flat=True)) == ["web_shipping"]

    assert not Order.objects.filter(external_id="POS-1").exists()
    jobs = imports()
    assert [(j.object_id, j.status, j.source) for j in jobs] == [
        ("CC-1", JobStatus.SUCCEEDED, "webhook"),
        ("WEB-1", JobStatus.SUCCEEDED, "webhook"),
    ]
    assert jobs[0].result["outcome"] == "created"
    assert InboundEvent.objects.filter(outcome="queued").count() == 2
    # No echo: importing wrote no outbound job.
    assert not ExternalSyncJob.objects.filter(direction=Direction.OUTBOUND).exists()


def test_an_unknown_customer_is_fetched_from_omnium_and_created(flow, sandbox):
    flow.customer_loyalty_id_property_key = "Voyado"
    flow.save()
    sandbox.state.create_customer(
        "private",
        {
            "customerId": "kari@example.no",
            "firstName": "Kari",
            "lastName": "Nordmann",
            "email": "kari@example.no",
            "phone": "+4740000000",
            "externalIds": [{"id": "VOY-1", "providerName": "Voyado"}],
        },
        origin="test",
    )
    sandbox.state.create_customer(
        "business", {"customerId": "ACME", "name": "Acme AS", "taxId": "999"}, origin="test"
    )
    sandbox.seed_order(omnium_order("CC-1", customerId="kari@example.no"))
    sandbox.seed_order(omnium_order("CC-2", customerId="ACME", customerType="B2B"))
    settle(sandbox)

    kari = Order.objects.get(uid="CC-1").customer
    assert (kari.external_id, kari.display_name, kari.loyalty_id) == (
        "kari@example.no",
        "Kari Nordmann",
        "VOY-1",
    )
    acme = Order.objects.get(uid="CC-2").customer
    assert (acme.type, acme.company_name, acme.vat_number) == ("COMPANY", "Acme AS", "999")
    # The next order of a known customer needs no customer call.
    calls = sandbox.call_count("GET /api/PrivateCustomers/kari@example.no")
    sandbox.seed_order(omnium_order("CC-3", customerId="kari@example.no"))
    settle(sandbox)
    assert Order.objects.get(uid="CC-3").customer == kari
    assert sandbox.call_count("GET /api/PrivateCustomers/kari@example.no") == calls
    assert Customer.objects.count() == 2
    assert not ExternalSyncJob.objects.filter(direction=Direction.OUTBOUND).exists()


def test_an_order_for_a_store_flow_does_not_have_fails_with_the_reason(flow, sandbox):
    sandbox.seed_order(omnium_order("CC-1", store="bergen"))
    settle(sandbox)
    job = imports()[0]
    assert job.status == JobStatus.FAILED
    assert "No Flow store matches the order's Omnium store(s) bergen" in job.last_error


def test_an_omnium_outage_during_the_fetch_is_retried(flow, sandbox):
    sandbox.faults.fail_next(503, path=r"^/api/Orders/CC-1$")
    sandbox.seed_order(omnium_order("CC-1"))
    settle(sandbox)
    job = imports()[0]
    assert (job.status, job.failures, job.last_status_code) == (JobStatus.PENDING, 1, 503)
    ExternalSyncJob.objects.filter(pk=job.pk).update(next_attempt_at=timezone.now())
    worker.drain(Queue.ORDER)
    assert Order.objects.get(uid="CC-1").state == "PARKED"


# -------------------------------------------------------------------------- updates


def test_an_update_reopens_the_order_and_reconciles_its_lines(flow, sandbox):
    lines = [
        omnium_line("L1", "A", 1, "100"),
        omnium_line("L2", "B", 2, "50"),
        omnium_line("L3", "C", 1, "10"),
        omnium_line("L4", "D", 1, "10"),
        omnium_line("L5", "E", 1, "10"),
    ]
    sandbox.seed_order(omnium_order("CC-1", lines=lines))
    settle(sandbox)
    order = Order.objects.get(uid="CC-1")
    order.lines.filter(external_id="L3").update(delivered_quantity=1)
    order.lines.filter(external_id="L4").update(is_paid=True)

    edited = copy.deepcopy(sandbox.state.get_order("CC-1"))
    edited["orderForm"]["lineItems"] = [
        omnium_line("L1", "A", 3, "100"),
        omnium_line("L2", "B", 2, "45", discounted=Decimal(10)),
        omnium_line("L6", "F", 1, "99.90"),
    ]
    sandbox.edit_order(edited)
    settle(sandbox)

    order.refresh_from_db()
    assert order.state == "OPEN"
    assert lines_of(order) == [
        ("L1", Decimal(3), 10000, 0),
        ("L2", Decimal(2), 4500, 1000),
        ("L3", Decimal(1), 1000, 0),  # delivered: kept
        ("L4", Decimal(1), 1000, 0),  # paid: kept
        ("L6", Decimal(1), 9990, 0),
    ]
    assert imports()[-1].result["lines"] == {
        "added": 1,
        "updated": 2,
        "removed": 1,
        "kept": 2,
        "frozen": 0,
    }
    assert not ExternalSyncJob.objects.filter(direction=Direction.OUTBOUND).exists()


def test_a_status_step_in_omnium_leaves_the_flow_order_as_staff_left_it(flow, sandbox):
    sandbox.seed_order(omnium_order("CC-1"))
    settle(sandbox)
    sandbox.set_order_status("CC-1", "InProgress")
    sandbox.set_order_status("CC-1", "ReadyForPickup")
    settle(sandbox)
    assert Order.objects.get(uid="CC-1").state == "PARKED"
    assert ImportedOrder.objects.get().omnium_status == "ReadyForPickup"


def test_a_cancellation_in_omnium_cancels_the_flow_order(flow, sandbox):
    sandbox.seed_order(omnium_order("CC-1"))
    settle(sandbox)
    sandbox.set_order_status("CC-1", "OrderCanceledByCustomer")
    settle(sandbox)
    order = Order.objects.get(uid="CC-1")
    assert order.state == "CANCELLED" and order.cancelled_at is not None
    assert list(order.handlings.values_list("status", flat=True)) == ["DONE"]
    # No echo: Omnium's own cancellation is not sent back to Omnium.
    assert not ExternalSyncJob.objects.filter(direction=Direction.OUTBOUND).exists()


def test_an_order_deleted_in_omnium_is_cancelled_in_flow(flow, sandbox):
    sandbox.seed_order(omnium_order("CC-1"))
    settle(sandbox)
    sandbox.delete_order("CC-1")  # the Deleted event is delivered; the GET answers 404
    settle(sandbox)
    assert Order.objects.get(uid="CC-1").state == "CANCELLED"
    assert imports()[-1].result["reason"] == "Deleted in Omnium (404)."
    assert not ExternalSyncJob.objects.filter(direction=Direction.OUTBOUND).exists()


# --------------------------------------------------- duplicates, order, replays


def test_duplicate_deliveries_of_an_event_make_no_second_job(flow, sandbox):
    sandbox.events.hold()  # the copies arrive while the first job is still pending
    sandbox.seed_order(omnium_order("CC-1"))
    event_id = sandbox.events.held_events()[0]["id"]
    sandbox.events.release()
    sandbox.events.repeat(event_id, times=3)
    assert sandbox.events.wait_idle()
    assert len(imports()) == 1
    assert InboundEvent.objects.filter(event_id=event_id).count() == 1
    statuses = [d["status"] for d in sandbox.events.deliveries]
    assert statuses == [202, 200, 200, 200]
    settle(sandbox)
    assert Order.objects.get(uid="CC-1").state == "PARKED"


def test_events_arriving_in_reverse_leave_flow_at_omniums_latest(flow, sandbox):
    sandbox.events.hold()
    sandbox.seed_order(omnium_order("CC-1", lines=[omnium_line("L1", "A", 1, "10")]))
    for quantity in (2, 3):
        edited = copy.deepcopy(sandbox.state.get_order("CC-1"))
        edited["orderForm"]["lineItems"] = [omnium_line("L1", "A", quantity, "10")]
        sandbox.edit_order(edited)
    assert sandbox.events.release("reverse") == 3
    settle(sandbox)
    order = Order.objects.get(uid="CC-1")
    assert lines_of(order) == [("L1", Decimal(3), 1000, 0)]
    assert len(imports()) == 1  # three events, one pending job
    assert InboundEvent.objects.filter(outcome="coalesced").count() == 2


def test_a_stale_read_from_omnium_never_replaces_a_newer_version(flow, sandbox):
    sandbox.seed_order(omnium_order("CC-1", lines=[omnium_line("L1", "A", 1, "10")]))
    settle(sandbox)
    old = copy.deepcopy(sandbox.state.get_order("CC-1"))
    edited = copy.deepcopy(old)
    edited["orderForm"]["lineItems"] = [omnium_line("L1", "A", 5, "10")]
    sandbox.edit_order(edited)
    settle(sandbox)
    # A lagging Omnium replica answers the old version to the next event's fetch.
    sandbox.state.orders["CC-1"] = old
    sandbox.events.emit(objectId="CC-1", subClassName="ClickAndCollect", category="Updated")
    settle(sandbox)
    assert lines_of(Order.objects.get(uid="CC-1")) == [("L1", Decimal(5), 1000, 0)]
    assert "Stale read" in imports()[-1].result["reason"]


def test_replayed_and_id_less_events_after_the_import_change_nothing(flow, sandbox):
    sandbox.seed_order(omnium_order("CC-1"))
    settle(sandbox)
    Order.objects.filter(uid="CC-1").update(state="CONFIRMED")  # staff moved it on
    first_event = sandbox.events.emitted[0]["id"]
    sandbox.events.repeat(first_event)
    # A 2022-style event (no id, no operationId) for the same order.
    sandbox.events.emit(
        {"className": "Order", "subClassName": "ClickAndcollect", "objectId": "CC-1"},
        id=None,
        operationId=None,
    )
    settle(sandbox)
    assert [d["status"] for d in sandbox.events.deliveries[-2:]] == [200, 202]
    assert Order.objects.get(uid="CC-1").state == "CONFIRMED"
    assert imports()[-1].result["outcome"] == "unchanged"


# ------------------------------------------------------------------ the safety net


def dead_url() -> str:
    with socket.socket() as sock:  # a port nothing listens on: Flow is down
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}/omnium/events/tenant_no/"


def test_events_lost_while_flow_was_down_are_recovered_by_the_poll(omnium, store, sandbox):
    omnium.poll_watermark = timezone.now() - timedelta(minutes=5)
    omnium.save()
    sandbox.subscribe(dead_url(), headers={"Authorization": f"Bearer {omnium.webhook_secret}"})
    sandbox.seed_order(omnium_order("CC-1"))
    sandbox.seed_order(omnium_order("WEB-1", "OnlineOrder"))
    sandbox.seed_order(omnium_order("POS-1", "Pos"))
    sandbox.seed_order(omnium_order("CC-9", store="another_tenants_store"))
    assert sandbox.events.wait_idle(timeout=30)
    assert {e["status"] for e in sandbox.events.log} == {"Failed"}  # Omnium gave up
    assert not ExternalSyncJob.objects.exists()

    result = tasks.poll_orders()

    stats = result[str(omnium.pk)]
    assert (stats["enqueued"], stats["coalesced"]) == (2, 0)
    assert [(j.object_id, j.source) for j in imports()] == [("CC-1", "poll"), ("WEB-1", "poll")]
    worker.drain(Queue.ORDER)
    assert Order.objects.get(uid="CC-1").state == "PARKED"
    assert Order.objects.get(uid="WEB-1").state == "CONFIRMED"
    omnium.refresh_from_db()
    newest = max(sandbox.state.get_order(i)["modified"] for i in ("CC-1", "WEB-1"))
    assert omnium.poll_watermark == parse_omnium_datetime(newest)
    # The next poll finds the same orders (inclusive modifiedFrom) and enqueues nothing.
    again = tasks.poll_orders()[str(omnium.pk)]
    assert (again["enqueued"], again["skipped"]) == (0, 2)
    assert len(imports()) == 2


def test_the_poll_joins_a_pending_webhook_job(flow, sandbox):
    sandbox.seed_order(omnium_order("CC-1"))
    assert sandbox.events.wait_idle()
    stats = poll_tenant(flow)
    assert (stats.enqueued, stats.coalesced) == (0, 1)
    assert len(imports()) == 1


def test_the_poll_pages_through_many_orders_sharing_one_instant(omnium, store, sandbox):
    omnium.poll_watermark = timezone.now() - timedelta(minutes=5)
    omnium.save()
    count = PAGE_SIZE + 30
    for n in range(count):
        sandbox.seed_order(omnium_order(f"CC-{n:03}"))
    instant = sandbox.state.get_order("CC-000")["modified"]
    for n in range(count - 10):  # most of them modified at the very same instant
        sandbox.state.orders[f"CC-{n:03}"]["modified"] = instant
    stats = poll_tenant(omnium)
    assert stats.enqueued == count  # none lost at the page boundary, none twice
    assert len({j.object_id for j in imports()}) == count == len(imports())
    again = poll_tenant(omnium)  # the jobs are pending: they are joined, none is added
    assert again.enqueued == 0 and again.coalesced >= count
    assert len(imports()) == count


def test_a_poll_that_fails_midway_moves_no_watermark_and_duplicates_nothing(omnium, store, sandbox):
    start = timezone.now() - timedelta(minutes=5)
    omnium.poll_watermark = start
    omnium.save()
    for n in range(PAGE_SIZE + 5):
        sandbox.seed_order(omnium_order(f"CC-{n:03}"))
    client = OutageAfterFirstPage(omnium, sandbox)
    with pytest.raises(RetryableError, match="500"):
        poll_tenant(omnium, client=client)
    omnium.refresh_from_db()
    assert omnium.poll_watermark == start  # nothing past what was committed
    assert len(imports()) == PAGE_SIZE  # the first page's jobs are committed
    sandbox.faults.clear()
    stats = poll_tenant(omnium)
    assert stats.enqueued == 5 and stats.coalesced >= PAGE_SIZE
    assert len(imports()) == PAGE_SIZE + 5


class OutageAfterFirstPage:
    """The real client; once the first search page is answered, Omnium starts failing."""

    def __init__(self, extension, sandbox):
        from omnium_integration.client import get_client

        self.client = get_client(extension)
        self.sandbox = sandbox

    def search_orders(self, *args, **kwargs):
        found = self.client.search_orders(*args, **kwargs)
        self.sandbox.faults.fail_next(500, count=100, path=r"^/api/Orders/Search$")
        return found
