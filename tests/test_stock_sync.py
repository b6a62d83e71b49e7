"""Every stock movement at a Flow-master store reaches Omnium as the SKU's absolute level.

Movements are made through Flow's POS / back-office API (one call each, one
transaction); the receivement engine drains in-process and pushes to the Omnium sandbox
over real HTTP on loopback.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import transaction

from flow_stub_project.flow import pos
from flow_stub_project.flow.models import InventoryLevel, Store
from omnium_integration.enums import JobKind, JobStatus
from omnium_integration.models import ExternalSyncJob, PendingStockChange, StoreExtension
from tests.stock_helpers import (
    UPDATE_INVENTORY,
    api_post,
    count,
    drain,
    drain_until_settled,
    flow_stock,
    omnium_stock,
    pushed,
    return_goods,
    seed,
    sell,
)

START = {"A": 1000, "B": 500, "C": 200}  # hundredths: 10, 5 and 2 pieces


@pytest.fixture
def flow_master(store):
    """``oslo_city`` with OMNIUM_FLOW_STOCK_MASTER on (set before it had stock)."""
    StoreExtension.objects.create(store=store, flow_stock_master=True)
    return store


@pytest.fixture
def bergen(tenant):
    """A second Flow-master store."""
    store = Store.objects.create(tenant=tenant, uid="bergen", name="Bergen", country_code="NO")
    StoreExtension.objects.create(store=store, flow_stock_master=True)
    return store


def stock_jobs():
    return ExternalSyncJob.objects.filter(kind=JobKind.STOCK_EXPORT)


def in_step(sandbox, *stores) -> bool:
    """Omnium holds Flow's level of every SKU of these stores (a missing item is 0)."""
    for store in stores:
        ours, theirs = flow_stock(store), omnium_stock(sandbox, store.uid)
        for sku in ours.keys() | theirs.keys():
            if ours.get(sku, 0) != theirs.get(sku, 0):
                return False
    return True


# ------------------------------------------------------------ each kind of movement


def a_sale(api_client, store, bergen):
    sell(api_client, store, [("A", "2"), ("B", "1.5")])
    return {("oslo_city", "A", 8), ("oslo_city", "B", Decimal("3.5"))}


def a_return(api_client, store, bergen):
    sale = sell(api_client, store, [("A", "3")])
    drain()
    return_goods(api_client, sale, [("1", "1")])
    return {("oslo_city", "A", 8)}


def a_void(api_client, store, bergen):
    sale = sell(api_client, store, [("A", "3"), ("C", "1")])
    drain()
    api_post(api_client, f"/api/pos/orders/{sale['uid']}/void", {}, 200)
    return {("oslo_city", "A", 10), ("oslo_city", "C", 2)}


def a_goods_reception(api_client, store, bergen):
    body = {"storeUid": store.uid, "lines": [{"sku": "C", "quantity": 300}]}
    api_post(api_client, "/api/pos/receivements", body)
    return {("oslo_city", "C", 5)}


def a_count(api_client, store, bergen):
    count(api_client, store, A=700, D=250)
    return {("oslo_city", "A", 7), ("oslo_city", "D", Decimal("2.5"))}


def an_adjustment(api_client, store, bergen):
    body = {"storeUid": store.uid, "reason": "broken", "lines": [{"sku": "B", "quantity": -800}]}
    api_post(api_client, "/api/pos/stock/adjustments", body)
    return {("oslo_city", "B", -3)}  # stock may go negative, and Omnium is told so


def a_transfer(api_client, store, bergen):
    body = {
        "fromStoreUid": store.uid,
        "toStoreUid": bergen.uid,
        "lines": [{"sku": "A", "quantity": 400}],
    }
    api_post(api_client, "/api/pos/stock/transfers", body)
    return {("oslo_city", "A", 6), ("bergen", "A", 4)}


MOVEMENTS = [a_sale, a_return, a_void, a_goods_reception, a_count, an_adjustment, a_transfer]


@pytest.mark.parametrize("movement", MOVEMENTS, ids=lambda f: f.__name__)
def test_each_movement_reaches_omnium_as_absolute_levels(
    omnium, sandbox, api_client, flow_master, bergen, movement
):
    seed(sandbox, flow_master, **START)
    before = len(pushed(sandbox))
    expected = movement(api_client, flow_master, bergen)
    drain_until_settled()
    last = {item for body in pushed(sandbox)[before:] for item in body}
    assert {(wh, sku, value) for wh, sku, value in last} >= expected
    assert {(wh, sku) for wh, sku, _ in pushed(sandbox)[-1]} <= {(wh, s) for wh, s, _ in expected}
    assert in_step(sandbox, flow_master, bergen)
    assert not PendingStockChange.objects.exists()
    assert all(job.status == JobStatus.SUCCEEDED for job in stock_jobs())


def test_a_movement_is_noted_in_its_own_transaction(omnium, sandbox, api_client, flow_master):
    seed(sandbox, flow_master, **START)
    sale = sell(api_client, flow_master, [("A", "1"), ("B", "1")])
    notes = PendingStockChange.objects.order_by("pk")
    assert [(n.sku, n.reason) for n in notes] == [
        ("A", f"SALE {sale['uid']}"),
        ("B", f"SALE {sale['uid']}"),
    ]
    (job,) = stock_jobs()
    assert (job.object_id, job.status) == (str(flow_master.pk), JobStatus.PENDING)


def test_a_rolled_back_sale_notes_and_sends_nothing(omnium, sandbox, flow_master):
    seed(sandbox, flow_master, **START)
    with pytest.raises(RuntimeError), transaction.atomic():
        order = pos.create_order(flow_master, [{"sku": "A", "quantity": 2, "unit_price": 100}])
        pos.settle(order, [{"method": "Card", "amount": 200}])
        assert PendingStockChange.objects.filter(sku="A").exists()  # noted with the sale...
        raise RuntimeError("the till lost power")
    # ...and gone with it.
    assert not PendingStockChange.objects.exists()
    assert not stock_jobs().exists()
    assert flow_stock(flow_master)["A"] == 10
    drain()
    assert sandbox.call_count(UPDATE_INVENTORY) == 0
    assert omnium_stock(sandbox)["A"] == 10


def test_movements_at_an_omnium_master_store_send_nothing(omnium, sandbox, api_client, store):
    StoreExtension.objects.create(store=store, flow_stock_master=False)
    bergen = Store.objects.create(tenant=store.tenant, uid="bergen", country_code="NO")
    seed(sandbox, store, **START)
    for movement in MOVEMENTS:
        movement(api_client, store, bergen)
    drain_until_settled()
    assert sandbox.call_count(UPDATE_INVENTORY) == 0
    assert not PendingStockChange.objects.exists()
    assert not stock_jobs().exists()
    assert omnium_stock(sandbox) == {"A": 10, "B": 5, "C": 2}  # as Omnium had it
    assert flow_stock(store) != omnium_stock(sandbox)  # Flow moved; Omnium is master


def test_a_store_without_parameters_is_omnium_master(omnium, sandbox, api_client, store):
    sell(api_client, store, [("A", "1")])
    assert not PendingStockChange.objects.exists()


def test_an_inactive_tenant_notes_nothing(extension, api_client, flow_master):
    extension.is_active = False
    extension.save()
    sell(api_client, flow_master, [("A", "1")])
    count(api_client, flow_master, B=100)
    assert not PendingStockChange.objects.exists()
    assert not stock_jobs().exists()


def test_a_return_not_restocked_sends_nothing(omnium, sandbox, api_client, flow_master):
    seed(sandbox, flow_master, **START)
    sale = sell(api_client, flow_master, [("A", "2")])
    drain()
    calls = sandbox.call_count(UPDATE_INVENTORY)
    return_goods(api_client, sale, [("1", "2")], restock=False)
    drain_until_settled()
    assert sandbox.call_count(UPDATE_INVENTORY) == calls
    assert omnium_stock(sandbox)["A"] == flow_stock(flow_master)["A"] == 8


# ------------------------------------------------------------- coalescing, batching


def test_many_movements_of_one_sku_between_two_pushes_are_one_line(
    omnium, sandbox, api_client, flow_master
):
    seed(sandbox, flow_master, **START)
    for _ in range(5):
        sell(api_client, flow_master, [("A", "1")])
    count(api_client, flow_master, B=900)
    sell(api_client, flow_master, [("B", "2"), ("A", "1")])
    assert PendingStockChange.objects.count() == 8
    drain()
    assert sandbox.call_count(UPDATE_INVENTORY) == 1
    assert pushed(sandbox) == [[("oslo_city", "A", 4), ("oslo_city", "B", 7)]]
    assert stock_jobs().get().result == {"skus": 2, "calls": 1, "more": False}


def test_2500_changed_skus_cost_three_calls(omnium, sandbox, api_client, flow_master):
    count(api_client, flow_master, **{f"SKU-{n:05d}": n for n in range(2500)})
    drain()
    assert sandbox.call_count(UPDATE_INVENTORY) == 3
    assert [len(body) for body in pushed(sandbox)] == [1000, 1000, 500]
    assert in_step(sandbox, flow_master)
    assert omnium_stock(sandbox)["SKU-02499"] == Decimal("24.99")


def test_the_pushes_of_two_stores_are_their_own_batches(
    omnium, sandbox, api_client, flow_master, bergen
):
    count(api_client, flow_master, **{f"S{n}": 100 for n in range(1200)})
    count(api_client, bergen, **{f"S{n}": 200 for n in range(300)})
    drain()
    sizes = sorted((body[0][0], len(body)) for body in pushed(sandbox))
    assert sizes == [("bergen", 300), ("oslo_city", 200), ("oslo_city", 1000)]
    assert all(len({wh for wh, _, _ in body}) == 1 for body in pushed(sandbox))


# --------------------------------------------------------------------------- faults


def test_a_retry_after_a_lost_answer_doubles_nothing(omnium, sandbox, api_client, flow_master):
    seed(sandbox, flow_master, **START)
    sandbox.faults.drop_next(path="UpdateMany", after_processing=True)
    sell(api_client, flow_master, [("A", "3")])
    drain()
    (job,) = stock_jobs()
    assert job.status == JobStatus.PENDING and job.failures == 1  # visible, retried
    assert omnium_stock(sandbox)["A"] == 7  # the call took effect; its answer was lost
    assert PendingStockChange.objects.filter(sku="A").exists()

    drain_until_settled()
    assert sandbox.call_count(UPDATE_INVENTORY) == 2  # sent again...
    assert omnium_stock(sandbox)["A"] == flow_stock(flow_master)["A"] == 7  # ...not 4
    changes = [t for t in sandbox.state.inventory_transactions if t["sku"] == "A"]
    assert [t["inventoryChange"] for t in changes] == [-3]  # the repeat changed nothing
    assert not PendingStockChange.objects.exists()


def test_a_failing_push_stays_visible_and_keeps_its_skus(omnium, sandbox, api_client, flow_master):
    seed(sandbox, flow_master, **START)
    sandbox.faults.fail_next(503, path="UpdateMany")
    sell(api_client, flow_master, [("A", "1")])
    drain()
    (job,) = stock_jobs()
    assert (job.status, job.last_status_code) == (JobStatus.PENDING, 503)
    assert job.last_error
    assert list(PendingStockChange.objects.values_list("sku", flat=True)) == ["A"]
    drain_until_settled()
    assert in_step(sandbox, flow_master)


def test_a_movement_during_a_push_is_sent_by_the_rerun(
    omnium, sandbox, api_client, flow_master, monkeypatch
):
    from omnium_integration.client import get_client

    seed(sandbox, flow_master, **START)
    sell(api_client, flow_master, [("A", "1")])
    client = get_client(omnium)
    real_update = client.update_inventory

    def sale_while_pushing(items):
        calls = real_update(items)
        if sandbox.call_count(UPDATE_INVENTORY) == 1:
            with transaction.atomic():  # a till sells while the push is in flight
                order = pos.create_order(
                    flow_master, [{"sku": "A", "quantity": 2, "unit_price": 1}]
                )
                pos.settle(order, [{"method": "Card", "amount": 2}])
        return calls

    monkeypatch.setattr(client, "update_inventory", sale_while_pushing)
    drain()
    assert pushed(sandbox) == [[("oslo_city", "A", 9)], [("oslo_city", "A", 7)]]
    job = stock_jobs().get()
    assert (job.status, job.attempts) == (JobStatus.SUCCEEDED, 2)
    assert in_step(sandbox, flow_master)


def test_levels_changed_outside_the_ledger_are_read_when_the_push_runs(
    omnium, sandbox, api_client, flow_master
):
    seed(sandbox, flow_master, **START)
    sell(api_client, flow_master, [("A", "1")])
    InventoryLevel.objects.filter(store=flow_master, sku="A").update(quantity=123)
    drain()
    assert omnium_stock(sandbox)["A"] == Decimal("1.23")
