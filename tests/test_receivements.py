"""The receivement engine end to end: Flow goods receptions -> Omnium over real HTTP.

Flow objects are made with the ORM the way Flow's POS makes them
(:mod:`tests.flow_receptions`); the engine drains the ``external_receivement_sync``
queue in-process and talks to the Omnium sandbox on loopback.
"""

from __future__ import annotations

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import transaction

from flow_stub_project.flow.models import InventoryLevel
from omnium_integration.client import get_client
from omnium_integration.enums import JobKind, JobStatus, Queue
from omnium_integration.jobs import clock, manager, worker
from omnium_integration.models import ExternalSyncJob, PendingStockChange, StoreExtension
from omnium_integration.sync.stock import StockChange, note_stock_changes
from omnium_integration.transform import goods_reception_id
from tests.flow_receptions import purchase_order, receive, stock

RECEIVEMENT_Q = Queue.RECEIVEMENT.value
GOODS_RECEPTION = "POST /api/Deliveries/{id}/ProcessGoodsReception"
CREATE_DELIVERY = "POST /api/Deliveries/CreateDelivery/{id}"
UPDATE_INVENTORY = "PUT /api/Inventory/UpdateMany"


# ---------------------------------------------------------------------------- helpers


@pytest.fixture
def flow_master(store):
    """The store with ``OMNIUM_FLOW_STOCK_MASTER`` on."""
    StoreExtension.objects.create(store=store, flow_stock_master=True)
    return store


def drain() -> worker.DrainStats:
    return worker.drain(RECEIVEMENT_Q)


def drain_until_settled(limit: int = 40) -> None:
    """Drain, making waiting retries due at once, until no job is active."""
    for _ in range(limit):
        ExternalSyncJob.objects.filter(status=JobStatus.PENDING).update(next_attempt_at=clock.now())
        drain()
        if not ExternalSyncJob.objects.active().exists():
            return
    raise AssertionError("jobs still active after draining")


def job_of(reception) -> ExternalSyncJob:
    return ExternalSyncJob.objects.get(kind=JobKind.RECEIVEMENT_EXPORT, object_id=str(reception.pk))


def job_of_latest(reception) -> ExternalSyncJob:
    return ExternalSyncJob.objects.filter(object_id=str(reception.pk)).latest("pk")


def omnium_po(sandbox, po_id: str, lines, *, deliveries=("D1",), store_id="oslo_city"):
    """A purchase order in Omnium: ``(lineItemId, sku, quantity, deliveryId or None)``."""
    for delivery in deliveries:
        sandbox.add_delivery({"id": delivery, "warehouseCode": store_id})
    return sandbox.add_purchase_order(
        {
            "id": po_id,
            "storeId": store_id,
            "purchaseOrderForm": {
                "lineItems": [
                    {"lineItemId": line_id, "code": sku, "quantity": quantity}
                    | ({"deliveryId": delivery} if delivery else {})
                    for line_id, sku, quantity, delivery in lines
                ]
            },
        }
    )


def delivered(sandbox, po_id: str) -> dict[str, Decimal]:
    lines = sandbox.state.purchase_orders[po_id]["purchaseOrderForm"]["lineItems"]
    return {line["lineItemId"]: line["deliveredQuantity"] for line in lines}


def omnium_stock(sandbox, warehouse="oslo_city") -> dict[str, Decimal]:
    items = sandbox.state.inventory.items()
    return {sku: item["inventory"] for (sku, wh), item in items if wh == warehouse}


def sent_bodies(sandbox, endpoint: str) -> list:
    return [json.loads(r["body"]) for r in sandbox.last_requests(endpoint)]


@pytest.fixture
def po_1001(store, sandbox):
    """PO1001: 10 × SKU-A and 5 × SKU-B, on delivery D1 in Omnium and in Flow."""
    omnium_po(sandbox, "PO1001", [("L1", "SKU-A", 10, "D1"), ("L2", "SKU-B", 5, "D1")])
    return purchase_order(
        store, "PO1001", [("L1", "SKU-A", 1000, 2999), ("L2", "SKU-B", 500, 29)], currency="NOK"
    )


# ----------------------------------------------------------------------- the receiver


def test_a_completed_reception_writes_its_job_in_the_same_transaction(extension, store):
    reception = receive(store, "R-1", [("SKU-A", 100)])
    job = job_of(reception)
    assert (job.queue, job.status) == (RECEIVEMENT_Q, JobStatus.PENDING)

    with pytest.raises(RuntimeError), transaction.atomic():
        rolled_back = receive(store, "R-2", [("SKU-A", 100)])
        raise RuntimeError("the POS lost power")
    assert not ExternalSyncJob.objects.filter(object_id=str(rolled_back.pk)).exists()


def test_an_open_reception_or_an_inactive_tenant_writes_no_job(extension, store):
    receive(store, "R-1", [("SKU-A", 100)], complete=False)
    assert not ExternalSyncJob.objects.exists()
    extension.is_active = False
    extension.save()
    receive(store, "R-2", [("SKU-A", 100)])
    assert not ExternalSyncJob.objects.exists()


def test_a_fixture_load_of_a_completed_reception_writes_no_job(extension, store):
    reception = receive(store, "R-1", [("SKU-A", 100)])
    ExternalSyncJob.objects.all().delete()
    reception.save_base(raw=True)  # loaddata: a restore, not goods arriving
    assert not ExternalSyncJob.objects.exists()


def test_goods_counted_in_at_flows_pos_api_are_confirmed_to_omnium(
    omnium, sandbox, store, po_1001, api_client
):
    response = api_client.post(
        "/api/pos/receivements",
        {
            "uid": "R-77",
            "storeUid": "oslo_city",
            "purchaseOrderUid": "PO1001",
            "lines": [{"purchaseOrderLineUid": "L1", "quantity": 350}],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    assert drain().succeeded == 1
    assert delivered(sandbox, "PO1001") == {"L1": Decimal("3.5"), "L2": 0}


# ------------------------------------------------------------- known purchase orders


def test_a_full_reception_confirms_every_line_on_its_delivery(omnium, sandbox, store, po_1001):
    reception = receive(store, "R-1", [("SKU-A", 1000), ("SKU-B", 500)], po=po_1001)

    assert drain().succeeded == 1

    assert delivered(sandbox, "PO1001") == {"L1": 10, "L2": 5}
    assert sandbox.state.purchase_orders["PO1001"]["status"] == "Completed"
    assert sandbox.state.deliveries["D1"]["deliveryStatus"] == "Completed"
    [body] = sent_bodies(sandbox, GOODS_RECEPTION)
    assert body == [
        {
            "lineItemId": "L1",
            "deliveredQuantity": 10,
            "warehouseCode": "oslo_city",
            "goodsReceptionId": goods_reception_id("tenant_no", "R-1", "L1"),
        },
        {
            "lineItemId": "L2",
            "deliveredQuantity": 5,
            "warehouseCode": "oslo_city",
            "goodsReceptionId": goods_reception_id("tenant_no", "R-1", "L2"),
        },
    ]
    job = job_of(reception)
    assert job.result == {
        "purchaseOrder": "PO1001",
        "deliveries": ["D1"],
        "confirmedLines": 2,
        "alreadyConfirmedLines": 0,
    }
    # Omnium is stock master of this store: the confirmation is all that goes out.
    assert sandbox.call_count(UPDATE_INVENTORY) == 0


def test_partial_receptions_accumulate_in_omnium(omnium, sandbox, store, po_1001):
    receive(store, "R-1", [("SKU-A", 400)], po=po_1001)
    drain()
    assert delivered(sandbox, "PO1001") == {"L1": 4, "L2": 0}
    assert sandbox.state.deliveries["D1"]["deliveryStatus"] == "InProgress"
    assert sandbox.state.purchase_orders["PO1001"]["status"] != "Completed"

    receive(store, "R-2", [("SKU-A", 600), ("SKU-B", 250)], po=po_1001)
    drain()
    assert delivered(sandbox, "PO1001") == {"L1": 10, "L2": Decimal("2.5")}


def test_two_receptions_of_one_line_before_any_job_ran_count_once_each(
    omnium, sandbox, store, po_1001
):
    first = receive(store, "R-1", [("SKU-A", 300)], po=po_1001)
    second = receive(store, "R-2", [("SKU-A", 200)], po=po_1001)
    assert job_of(first).pk != job_of(second).pk  # one job per reception, none coalesced

    assert drain().succeeded == 2
    assert delivered(sandbox, "PO1001")["L1"] == 5
    assert set(sandbox.state.goods_receptions) == {
        goods_reception_id("tenant_no", "R-1", "L1"),
        goods_reception_id("tenant_no", "R-2", "L1"),
    }

    # Saving a completed reception again re-sends it; Omnium knows it: nothing doubles.
    first.save()
    drain()
    assert job_of_latest(first).result["alreadyConfirmedLines"] == 1
    assert delivered(sandbox, "PO1001")["L1"] == 5


def test_quantities_in_hundredths_are_sent_exactly(omnium, sandbox, store, po_1001):
    receive(store, "R-1", [("SKU-A", 1), ("SKU-B", 250)], po=po_1001)  # 0.01 and 2.5
    drain()
    raw = sandbox.last_requests(GOODS_RECEPTION)[-1]["body"].decode()
    assert '"deliveredQuantity": 0.01' in raw and '"deliveredQuantity": 2.5' in raw
    assert delivered(sandbox, "PO1001") == {"L1": Decimal("0.01"), "L2": Decimal("2.5")}


def test_lines_of_one_purchase_order_line_are_added_up_and_strangers_reported(
    omnium, sandbox, store, po_1001
):
    reception = receive(store, "R-1", [("SKU-A", 300), ("SKU-A", 200), ("SKU-Z", 100)], po=po_1001)
    drain()
    [body] = sent_bodies(sandbox, GOODS_RECEPTION)
    assert [(line["lineItemId"], line["deliveredQuantity"]) for line in body] == [("L1", 5)]
    assert job_of(reception).result["notOnPurchaseOrder"] == ["SKU-Z"]


def test_lines_are_matched_by_sanitised_line_id_or_by_sku(omnium, sandbox, store):
    omnium_po(sandbox, "PO5005", [("L-1", "SKU-A", 2, "D1"), ("L-2", "SKU-B", 2, "D1")])
    # Flow holds the first line id UID-sanitised, and the second reception line was
    # scanned without its purchase-order line.
    po = purchase_order(store, "PO5005", [("L1", "SKU-A", 200, 100)])
    receive(store, "R-1", [("SKU-A", 200), ("SKU-B", 100)], po=po)
    drain()
    assert delivered(sandbox, "PO5005") == {"L-1": 2, "L-2": 1}


def test_more_than_ordered_is_confirmed_as_received_and_a_net_zero_is_not_sent(
    omnium, sandbox, store, po_1001
):
    reception = receive(
        store, "R-1", [("SKU-A", 1200), ("SKU-B", 100), ("SKU-B", -100)], po=po_1001
    )
    drain()
    assert delivered(sandbox, "PO1001") == {"L1": 12, "L2": 0}
    assert job_of(reception).result["nothingToConfirm"] == ["L2"]


def test_a_purchase_order_with_several_deliveries_is_confirmed_per_delivery(omnium, sandbox, store):
    omnium_po(
        sandbox,
        "PO3003",
        [("L1", "SKU-A", 4, "D1"), ("L2", "SKU-B", 4, "D2")],
        deliveries=("D1", "D2"),
    )
    po = purchase_order(store, "PO3003", [("L1", "SKU-A", 400, 100), ("L2", "SKU-B", 400, 100)])
    reception = receive(store, "R-1", [("SKU-A", 400), ("SKU-B", 100)], po=po)
    drain()
    requests = sandbox.last_requests(GOODS_RECEPTION)
    assert [r["path"].split("/")[3] for r in requests] == ["D1", "D2"]
    assert delivered(sandbox, "PO3003") == {"L1": 4, "L2": 1}
    assert job_of(reception).result["deliveries"] == ["D1", "D2"]


def test_lines_on_no_delivery_are_received_on_one_created_for_the_reception(omnium, sandbox, store):
    omnium_po(sandbox, "PO4004", [("L1", "SKU-A", 4, None)], deliveries=())
    po = purchase_order(store, "PO4004", [("L1", "SKU-A", 400, 100)])
    reception = receive(store, "R-1", [("SKU-A", 400)], po=po)
    # The answer to the confirmation is lost: the retry must not create a second delivery.
    sandbox.faults.drop_next(path="ProcessGoodsReception", after_processing=True)
    drain()
    assert job_of(reception).status == JobStatus.PENDING
    drain_until_settled()

    assert list(sandbox.state.deliveries) == ["flow_tenant_no_R1"]
    assert sandbox.call_count(CREATE_DELIVERY) == 1
    assert delivered(sandbox, "PO4004") == {"L1": 4}
    assert job_of(reception).result["alreadyConfirmedLines"] == 1


def test_a_delivery_as_po_uid_is_confirmed_on_that_delivery(omnium, sandbox, store):
    # Omnium exports each delivery of PO2002 as its own Flow purchase order.
    omnium_po(
        sandbox,
        "PO2002",
        [("L1", "SKU-A", 3, "D8"), ("L2", "SKU-A", 2, "D9")],
        deliveries=("D8", "D9"),
    )
    po = purchase_order(store, "PO2002-delivery-D9", [("L2", "SKU-A", 200, 1500)])
    reception = receive(store, "R-1", [("SKU-A", 200)], po=po)
    drain()
    [request] = sandbox.last_requests(GOODS_RECEPTION)
    assert request["path"] == "/api/Deliveries/D9/ProcessGoodsReception"
    assert delivered(sandbox, "PO2002") == {"L1": 0, "L2": 2}
    assert job_of(reception).result["purchaseOrder"] == "PO2002"


def test_a_delivery_as_po_whose_lines_omnium_has_on_no_delivery_puts_them_on_it(
    omnium, sandbox, store
):
    omnium_po(sandbox, "PO2003", [("L1", "SKU-A", 3, None)], deliveries=("D9",))
    po = purchase_order(store, "PO2003-delivery-D9", [("L1", "SKU-A", 300, 100)])
    reception = receive(store, "R-1", [("SKU-A", 300)], po=po)
    drain()
    [request] = sandbox.last_requests(CREATE_DELIVERY)
    assert (request["path"], request["query"]) == (
        "/api/Deliveries/CreateDelivery/PO2003",
        {"existingDeliveryId": "D9"},
    )
    assert delivered(sandbox, "PO2003") == {"L1": 3}
    assert list(sandbox.state.deliveries) == ["D9"]
    assert job_of(reception).result["deliveries"] == ["D9"]


# ------------------------------------------------------------------ retries, crashes


def test_a_retry_after_omnium_succeeded_but_we_never_finished_is_done_not_failed(
    omnium, sandbox, store, po_1001, settings
):
    reception = receive(store, "R-1", [("SKU-A", 700)], po=po_1001)
    job = job_of(reception)
    # Worker 1 runs the job, Omnium applies it, then the worker dies before finishing.
    claim = manager.claim(RECEIVEMENT_Q, worker="w1")
    assert worker.execute(claim.jobs[0]).outcome == "succeeded"
    assert delivered(sandbox, "PO1001")["L1"] == 7
    # Its lease runs out; worker 2 takes the job over.
    ExternalSyncJob.objects.filter(pk=job.pk).update(
        lease_expires_at=clock.now() - timedelta(seconds=1)
    )
    assert drain().succeeded == 1

    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED and job.attempts == 2
    assert job.result["alreadyConfirmedLines"] == 1 and job.result["confirmedLines"] == 0
    assert delivered(sandbox, "PO1001")["L1"] == 7  # not 14
    assert manager.finish(claim, [worker.execute(job)]) == []  # worker 1's claim is void


def test_a_partly_processed_batch_sends_only_the_rest(omnium, sandbox, store, po_1001):
    reception = receive(store, "R-1", [("SKU-A", 400), ("SKU-B", 100)], po=po_1001)
    # An earlier attempt got L1 in (e.g. Omnium applied one line before failing).
    get_client(omnium).process_goods_reception(
        "D1",
        [
            {
                "lineItemId": "L1",
                "deliveredQuantity": 4,
                "warehouseCode": "oslo_city",
                "goodsReceptionId": goods_reception_id("tenant_no", "R-1", "L1"),
            }
        ],
    )
    drain()
    bodies = sent_bodies(sandbox, GOODS_RECEPTION)
    assert [[line["lineItemId"] for line in body] for body in bodies] == [
        ["L1"],  # the earlier attempt
        ["L1", "L2"],  # 400: L1 is a duplicate
        ["L2"],  # the rest, accepted
    ]
    assert delivered(sandbox, "PO1001") == {"L1": 4, "L2": 1}
    assert job_of(reception).result == {
        "purchaseOrder": "PO1001",
        "deliveries": ["D1"],
        "confirmedLines": 1,
        "alreadyConfirmedLines": 1,
    }


@pytest.mark.parametrize(
    "inject",
    [
        lambda f: f.fail_next(503, 2, path="ProcessGoodsReception"),
        lambda f: f.burst_429(2, retry_after=1, path="ProcessGoodsReception"),
        lambda f: f.fail_next(409, path="ProcessGoodsReception"),  # a concurrent update
        lambda f: f.drop_next(path="PurchaseOrders"),
        lambda f: f.drop_next(path="ProcessGoodsReception", after_processing=True),
    ],
    ids=["503", "429", "409", "dropped-read", "answer-lost"],
)
def test_faults_are_retried_until_the_reception_is_confirmed_once(
    omnium, sandbox, store, po_1001, inject
):
    reception = receive(store, "R-1", [("SKU-A", 1000), ("SKU-B", 500)], po=po_1001)
    inject(sandbox.faults)
    drain()
    job = job_of(reception)
    assert job.status == JobStatus.PENDING and job.last_error  # waiting for its retry
    drain_until_settled()
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED
    assert delivered(sandbox, "PO1001") == {"L1": 10, "L2": 5}


def test_a_rejected_confirmation_fails_the_job_with_omniums_reason(omnium, sandbox, store, po_1001):
    sandbox.configure(stores={"oslo_city": {"id": "oslo_city", "isWarehouse": False}})
    reception = receive(store, "R-1", [("SKU-A", 100)], po=po_1001)
    drain()
    job = job_of(reception)
    assert job.status == JobStatus.FAILED and job.last_status_code == 400
    assert "WarehouseCode" in job.last_error
    assert delivered(sandbox, "PO1001")["L1"] == 0


# ------------------------------------------------------ stock (Flow is stock master)


def test_a_po_unknown_to_omnium_sends_the_new_absolute_stock_with_its_cost(
    omnium, sandbox, flow_master
):
    store = flow_master
    stock(store, **{"SKU-A": 500, "SKU-B": 0})
    po = purchase_order(
        store, "LOCAL-7", [("1", "SKU-A", 1000, 2999), ("2", "SKU-B", 100, 29)], currency="SEK"
    )
    reception = receive(store, "R-1", [("SKU-A", 250), ("SKU-B", 100)], po=po)

    drain()

    assert job_of(reception).result == {"purchaseOrder": "unknown to Omnium", "stockQueued": 2}
    assert sandbox.call_count(GOODS_RECEPTION) == 0
    [body] = sent_bodies(sandbox, UPDATE_INVENTORY)
    assert body == [
        {
            "sku": "SKU-A",
            "warehouseCode": "oslo_city",
            "inventory": 7.5,
            "cost": 29.99,
            "costCurrency": "SEK",
        },
        {
            "sku": "SKU-B",
            "warehouseCode": "oslo_city",
            "inventory": 1,
            "cost": 0.29,
            "costCurrency": "SEK",
        },
    ]
    raw = sandbox.last_requests(UPDATE_INVENTORY)[-1]["body"].decode()
    assert '"cost": 0.29' in raw and '"inventory": 7.5' in raw
    assert omnium_stock(sandbox) == {"SKU-A": Decimal("7.5"), "SKU-B": 1}
    assert not PendingStockChange.objects.exists()


def test_goods_received_without_a_purchase_order_send_stock(omnium, sandbox, flow_master):
    receive(flow_master, "R-1", [("SKU-A", 300)])
    drain()
    assert sandbox.call_count("GET /api/PurchaseOrders/{id}") == 0
    [body] = sent_bodies(sandbox, UPDATE_INVENTORY)
    assert body == [{"sku": "SKU-A", "warehouseCode": "oslo_city", "inventory": 3}]


def test_where_omnium_is_stock_master_no_stock_is_sent(omnium, sandbox, store):
    po = purchase_order(store, "LOCAL-7", [("1", "SKU-A", 1000, 2999)])
    reception = receive(store, "R-1", [("SKU-A", 250)], po=po)
    receive(store, "R-2", [("SKU-B", 100)])
    assert drain().succeeded == 2
    assert sandbox.call_count(UPDATE_INVENTORY) == 0
    assert sandbox.call_count(GOODS_RECEPTION) == 0
    assert sandbox.state.inventory == {}
    assert not ExternalSyncJob.objects.filter(kind=JobKind.STOCK_EXPORT).exists()
    assert "Omnium is stock master" in job_of(reception).result["skipped"]


def test_a_known_po_at_a_flow_master_store_ends_with_omniums_stock_equal_to_flows(
    omnium, sandbox, flow_master, po_1001
):
    store = flow_master
    get_client(omnium).update_inventory(
        [{"sku": "SKU-A", "warehouseCode": "oslo_city", "inventory": 2}]
    )  # Omnium counts 2
    stock(store, **{"SKU-A": 500})  # Flow, the master, counts 5 before the reception
    receive(store, "R-1", [("SKU-A", 300)], po=po_1001)

    drain()

    assert delivered(sandbox, "PO1001")["L1"] == 3
    # Omnium added 3 to its 2, then took Flow's absolute 8; the push came after.
    assert [t["reason"] for t in sandbox.state.inventory_transactions] == [
        "UpdateMany",  # the seed above
        "GoodsReception",
        "UpdateMany",
    ]
    assert omnium_stock(sandbox) == {"SKU-A": 8}
    _seed, body = sent_bodies(sandbox, UPDATE_INVENTORY)
    assert body == [{"sku": "SKU-A", "warehouseCode": "oslo_city", "inventory": 8}]
    # (no cost: Omnium took it from its own purchase-order line)


def test_2500_skus_cost_three_calls(omnium, sandbox, flow_master):
    lines = [(f"SKU-{n:05d}", 100 + n) for n in range(2500)]
    receive(flow_master, "R-1", lines)
    drain()
    assert sandbox.call_count(UPDATE_INVENTORY) == 3
    assert [len(body) for body in sent_bodies(sandbox, UPDATE_INVENTORY)] == [1000, 1000, 500]
    sent = omnium_stock(sandbox)
    assert len(sent) == 2500
    assert sent["SKU-00000"] == 1 and sent["SKU-02499"] == Decimal("25.99")


def test_many_receptions_waiting_together_cost_one_push_per_store(omnium, sandbox, flow_master):
    receive(flow_master, "R-1", [("SKU-A", 100), ("SKU-B", 100)])
    receive(flow_master, "R-2", [("SKU-B", 100), ("SKU-C", 100)])
    receive(flow_master, "R-3", [("SKU-A", 100)])
    drain()
    stock_jobs = ExternalSyncJob.objects.filter(kind=JobKind.STOCK_EXPORT)
    assert stock_jobs.count() == 1
    assert sandbox.call_count(UPDATE_INVENTORY) == 1
    assert omnium_stock(sandbox) == {"SKU-A": 2, "SKU-B": 2, "SKU-C": 1}
    assert stock_jobs.get().result == {"skus": 3, "calls": 1, "more": False}


def test_a_change_noted_while_the_push_runs_is_sent_by_the_rerun(
    omnium, sandbox, extension, flow_master, monkeypatch
):
    receive(flow_master, "R-1", [("SKU-A", 100)])
    client = get_client(omnium)
    real_update = client.update_inventory

    def update_while_flow_receives_more(items):
        calls = real_update(items)
        if sandbox.call_count(UPDATE_INVENTORY) == 1:
            # Another reception's job notes SKU-A and SKU-B while this push is in flight.
            stock(flow_master, **{"SKU-A": 200, "SKU-B": 400})
            note_stock_changes(
                extension_id=omnium.pk,
                store_id=flow_master.pk,
                changes=[StockChange("SKU-A"), StockChange("SKU-B")],
            )
        return calls

    monkeypatch.setattr(client, "update_inventory", update_while_flow_receives_more)
    drain()

    bodies = sent_bodies(sandbox, UPDATE_INVENTORY)
    assert [[(i["sku"], i["inventory"]) for i in body] for body in bodies] == [
        [("SKU-A", 1)],
        [("SKU-A", 2), ("SKU-B", 4)],  # the rerun, with current levels
    ]
    assert not PendingStockChange.objects.exists()
    job = ExternalSyncJob.objects.get(kind=JobKind.STOCK_EXPORT)  # one job, run twice
    assert (job.status, job.attempts) == (JobStatus.SUCCEEDED, 2)


def test_a_failed_push_keeps_its_skus_and_succeeds_on_retry(omnium, sandbox, flow_master):
    receive(flow_master, "R-1", [(f"SKU-{n}", 100) for n in range(1500)])
    # The first batch goes through, the second fails once.
    sandbox.faults.delay_next(0, path="UpdateMany")
    sandbox.faults.fail_next(503, path="UpdateMany")
    drain()
    stock_job = ExternalSyncJob.objects.get(kind=JobKind.STOCK_EXPORT)
    assert stock_job.status == JobStatus.PENDING
    assert PendingStockChange.objects.count() == 1500
    drain_until_settled()
    assert len(omnium_stock(sandbox)) == 1500
    assert not PendingStockChange.objects.exists()


def test_a_store_switched_to_omnium_master_before_the_push_sends_nothing(
    omnium, sandbox, flow_master
):
    receive(flow_master, "R-1", [("SKU-A", 100)])
    worker.drain(RECEIVEMENT_Q, max_jobs=1)  # the reception, not yet the push
    StoreExtension.objects.filter(store=flow_master).update(flow_stock_master=False)
    drain()
    assert sandbox.call_count(UPDATE_INVENTORY) == 0
    assert not PendingStockChange.objects.exists()


def test_a_long_backlog_is_pushed_in_bounded_runs(omnium, sandbox, flow_master, settings):
    settings.OMNIUM_INTEGRATION = {**settings.OMNIUM_INTEGRATION, "STOCK_SKUS_PER_JOB": 1000}
    note_stock_changes(
        extension_id=omnium.pk,
        store_id=flow_master.pk,
        changes=[StockChange(f"SKU-{n}") for n in range(2500)],
    )
    drain()
    assert sandbox.call_count(UPDATE_INVENTORY) == 3
    job = ExternalSyncJob.objects.get(kind=JobKind.STOCK_EXPORT)
    assert job.status == JobStatus.SUCCEEDED and job.attempts == 3
    assert set(omnium_stock(sandbox).values()) == {0}  # Flow has no level: none left


def test_stock_levels_are_read_when_the_push_runs(omnium, sandbox, flow_master):
    receive(flow_master, "R-1", [("SKU-A", 100)])
    worker.drain(RECEIVEMENT_Q, max_jobs=1)
    # A sale before the push ran: Omnium gets the level of now, not of the reception.
    InventoryLevel.objects.filter(store=flow_master, sku="SKU-A").update(quantity=0)
    drain()
    assert omnium_stock(sandbox) == {"SKU-A": 0}
