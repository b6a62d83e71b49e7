"""Flow -> Omnium end to end: Flow objects saved with the ORM, jobs run by the engine, the
Omnium client talking real HTTP to the sandbox on loopback."""

from __future__ import annotations

import time
from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from flow_stub_project.flow.models import Order, Store
from omnium_integration.enums import JobKind, JobStatus, Queue
from omnium_integration.host import FlowAdapter, get_adapter
from omnium_integration.jobs import manager, worker
from omnium_integration.models import ExternalSyncJob
from omnium_integration.receivers import capture_suppressed
from tests.flow_factories import (
    PDF,
    make_company,
    make_customer,
    make_order,
    make_receipt,
    make_return,
    set_state,
)
from tests.jobs import drain, job_of, props

POS = "POST /api/Orders"
GET_ORDER = "GET /api/Orders/{id}"
UPDATE_STATUS = "POST /api/Orders/{id}/UpdateStatus"
RETURN = "POST /api/Returns/{id}/Return"


def wait_for(condition, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


# ---------------------------------------------------------------------------------- sales


def test_a_completed_sale_becomes_one_read_only_pos_order(omnium, sandbox, store):
    omnium.default_shipping_method_id = "in-store"
    omnium.save()
    customer = make_customer(store.tenant)
    order = make_order(
        store, customer=customer, lines=(("SKU-1", "2", 19950, 100), ("SKU-2", "1", 29, 0))
    )
    drain()
    omnium_order = sandbox.state.orders["POS1001"]
    assert (omnium_order["orderType"], omnium_order["status"], omnium_order["isReadOnly"]) == (
        "Pos",
        "Completed",
        True,
    )
    assert (omnium_order["marketId"], omnium_order["storeId"]) == ("NOR", "oslo_city")
    lines = omnium_order["orderForm"]["lineItems"]
    assert [(i["code"], i["quantity"], i["placedPrice"], i["discounted"]) for i in lines] == [
        ("SKU-1", 2, Decimal("199.5"), Decimal("1")),
        ("SKU-2", 1, Decimal("0.29"), 0),
    ]
    assert all(i["taxRate"] == 25 for i in lines)
    # Omnium's own totals agree with Flow's to the cent.
    assert Decimal(omnium_order["orderForm"]["total"]) * 100 == order.total == 39829
    (payment,) = omnium_order["orderForm"]["payments"]
    assert (payment["transactionType"], payment["amount"]) == ("Sale", Decimal("398.29"))
    (shipment,) = omnium_order["orderForm"]["shipments"]
    assert shipment["shippingMethodId"] == "in-store"
    assert omnium_order["customerId"] == "C1"
    props = {p["key"]: p["value"] for p in omnium_order["properties"]}
    assert props["flowOrderUid"] == "POS-1001"
    assert job_of(order).result == {"action": "created", "orderId": "POS1001"}
    assert sandbox.call_count(POS) == 1 and sandbox.call_count(GET_ORDER) == 0  # one call


def test_several_saves_while_the_job_waits_reach_omnium_in_one_call(omnium, sandbox, store):
    customer = make_customer(store.tenant)
    order = make_order(store)
    for note in ("first", "second"):
        order.note = note
        order.save()
    order.customer = customer
    order.save()
    assert ExternalSyncJob.objects.filter(kind=JobKind.ORDER_EXPORT).count() == 1
    drain()
    assert sandbox.call_count(POS) == 1
    omnium_order = sandbox.state.orders["POS1001"]
    assert omnium_order["customerId"] == "C1"  # the latest state, read when the job ran
    assert {p["key"]: p["value"] for p in omnium_order["properties"]}["flowNote"] == "second"


def test_a_batch_of_sales_is_read_from_flow_once_not_once_per_sale(omnium, sandbox, store):
    sales = [make_order(store, uid=f"POS-{n}") for n in range(12)]
    with CaptureQueriesContext(connection) as queries:
        stats = worker.drain(Queue.ORDER)
    assert stats.succeeded == len(sales)
    order_table = Order._meta.db_table
    reads = [q["sql"] for q in queries if f'FROM "{order_table}"' in q["sql"]]
    assert len(reads) <= 2, reads  # the batch's orders, and the original orders of returns
    assert sorted(sandbox.state.orders) == sorted(f"POS{n}" for n in range(12))


def test_a_change_after_the_batch_was_read_reaches_omnium(omnium, sandbox, store):
    order = make_order(store)
    batch = manager.claim(Queue.ORDER, worker="test")
    worker._prepare(batch.jobs)  # the batch's orders are read ahead...
    order.customer = make_customer(store.tenant)
    order.save()  # ...then the sale changes before its job runs: the job must run again
    manager.finish(batch, [worker.execute(job) for job in batch.jobs])
    assert job_of(order).status == JobStatus.PENDING
    drain()
    assert sandbox.state.orders["POS1001"]["customerId"] == "C1"
    assert sandbox.call_count(POS) == 1


class OwnStockMasterAdapter(FlowAdapter):
    """A host that decides the stock-master flag in Python and reads orders one at a time."""

    read: list = []

    def is_flow_stock_master(self, store) -> bool:
        return store.uid == "oslo_city"

    def order_for_export(self, tenant_id, pk):
        self.read.append(pk)
        return super().order_for_export(tenant_id, pk)


def test_a_hosts_own_order_reading_and_stock_master_flag_are_honoured(omnium, sandbox, store):
    make_order(store)
    OwnStockMasterAdapter.read.clear()
    with override_settings(
        OMNIUM_INTEGRATION={
            **settings.OMNIUM_INTEGRATION,
            "ADAPTER": f"{__name__}.OwnStockMasterAdapter",
        }
    ):
        record = get_adapter().orders_for_export(store.tenant_id, [Order.objects.get().pk])
        assert [r.store.flow_stock_master for r in record.values()] == [True]
        drain()
    assert OwnStockMasterAdapter.read == [str(Order.objects.get().pk)]  # no batch read-ahead
    assert "POS1001" in sandbox.state.orders


def test_a_later_change_of_a_sent_sale_only_patches_its_header(omnium, sandbox, store):
    order = make_order(store)
    drain()
    order.customer = make_customer(store.tenant)
    order.save()
    drain()
    assert sandbox.call_count(POS) == 1
    assert sandbox.call_count("PATCH /api/Orders/{id}/PatchOrder") == 1
    assert sandbox.state.orders["POS1001"]["customerId"] == "C1"
    assert job_of(order).result["action"] == "patched"
    order.save()  # nothing changed: nothing is written
    drain()
    assert job_of(order).result["action"] == "unchanged"
    assert sandbox.call_count("PATCH /api/Orders/{id}/PatchOrder") == 1


def test_a_sale_never_overwrites_an_omnium_order_of_another_type(omnium, sandbox, store):
    seed_web_order(sandbox, order_id="POS1001")
    order = make_order(store)
    drain()
    job = job_of(order)
    assert sandbox.state.orders["POS1001"]["orderType"] == "ClickAndCollect"  # untouched
    assert sandbox.call_count("PATCH /api/Orders/{id}/PatchOrder") == 0
    # The web order holds the id: the sale gets its distinct one, and the job says why.
    assert job.status == JobStatus.SUCCEEDED and job.result["orderId"] != "POS1001"
    assert job.result["orderId"].startswith("POS1001_")
    assert "POS1001 is held in Omnium by another object" in job.result["idNote"]
    sale = sandbox.state.orders[job.result["orderId"]]
    assert (sale["orderType"], props(sale)["flowOrderUid"]) == ("Pos", "POS-1001")


def test_an_unknown_country_fails_the_job_permanently_with_a_clear_reason(omnium, sandbox, store):
    store.country_code = "DE"
    store.save()
    order = make_order(store)
    drain()
    job = job_of(order)
    assert job.status == JobStatus.FAILED and job.attempts == 1
    assert "No Omnium market is known for country 'DE'" in job.last_error
    assert sandbox.call_count(POS) == 0
    # The fix the message names (the store's externalId) makes a retry succeed.
    Store.objects.filter(pk=store.pk).update(external_id="NOR")
    manager.retry_now(ExternalSyncJob.objects.filter(pk=job.pk))
    drain()
    assert sandbox.state.orders["POS1001"]["marketId"] == "NOR"


def test_nothing_reaches_omnium_for_a_tenant_whose_extension_is_inactive(omnium, sandbox, store):
    omnium.is_active = False
    omnium.save()
    make_order(store)
    drain()
    assert not ExternalSyncJob.objects.exists() and sandbox.call_count() == 0


def test_a_job_of_a_tenant_deactivated_after_the_sale_fails_without_calling_omnium(
    omnium, sandbox, store
):
    order = make_order(store)
    omnium.is_active = False
    omnium.save()
    drain()
    job = job_of(order)
    assert job.status == JobStatus.FAILED and "not active" in job.last_error
    assert sandbox.call_count() == 0


def test_a_rolled_back_sale_sends_nothing(omnium, sandbox, store):
    with pytest.raises(RuntimeError), transaction.atomic():
        make_order(store)
        raise RuntimeError("payment declined")
    drain()
    assert not ExternalSyncJob.objects.exists() and sandbox.state.orders == {}


# -------------------------------------------------------------------------------- returns


def test_a_return_is_one_return_form_on_the_original_sale(omnium, sandbox, store):
    sale = make_order(store)
    drain()
    ret = make_return(sale, note="too small")
    drain()
    (form,) = sandbox.state.orders["POS1001"]["returnOrderForms"]
    assert form["rmaNumber"] == "RET1"
    (line,) = form["lineItems"]
    assert (line["lineItemId"], line["returnQuantity"]) == ("1", 1)
    assert form["creditAmount"] == Decimal("199.50")
    assert job_of(ret).result == {
        "action": "created",
        "orderId": "POS1001",
        "rmaNumber": "RET1",
        "returnId": form["returnId"],
    }
    ret.save()  # the same return again: found by its rmaNumber, not created twice
    drain()
    assert len(sandbox.state.orders["POS1001"]["returnOrderForms"]) == 1
    assert job_of(ret).result["action"] == "unchanged"
    assert sandbox.call_count(RETURN) == 1


def test_a_lost_answer_to_a_return_never_creates_a_second_return(omnium, sandbox, store):
    sale = make_order(store)
    drain()
    sandbox.faults.drop_next(path=r"/api/Returns/", after_processing=True)
    ret = make_return(sale)
    worker.drain(Queue.ORDER)
    job = job_of(ret)
    assert job.status == JobStatus.PENDING and job.failures == 1  # the answer was lost
    drain()
    assert len(sandbox.state.orders["POS1001"]["returnOrderForms"]) == 1
    assert job_of(ret).result["action"] == "unchanged"


def test_a_return_waits_until_its_sale_is_in_omnium(omnium, sandbox, store):
    with capture_suppressed():  # the sale's own job is lost (or was never written)
        sale = make_order(store)
    ret = make_return(sale)
    worker.drain(Queue.ORDER)
    job = job_of(ret)
    # Held back, with a reason that names the sale; nothing went to Omnium.
    assert job.status == JobStatus.PENDING and "sale POS-1001 is not in Omnium" in job.last_error
    assert sandbox.state.orders == {} and sandbox.call_count(RETURN) == 0
    # The sale is synced (an operator's resync); then the return follows.
    call_command("omnium_resync", "order", sale.uid, stdout=StringIO())
    drain()
    order = sandbox.state.orders["POS1001"]
    assert order["orderType"] == "Pos"
    assert [f["rmaNumber"] for f in order["returnOrderForms"]] == ["RET1"]
    assert job_of(ret).status == JobStatus.SUCCEEDED


def test_a_return_waits_for_its_sales_job_without_counting_a_failure(omnium, sandbox, store):
    sale = make_order(store)
    ret = make_return(sale)
    ExternalSyncJob.objects.filter(pk=job_of(sale).pk).update(
        next_attempt_at=timezone.now() + timedelta(hours=1)
    )
    worker.drain(Queue.ORDER)
    job = job_of(ret)
    assert (job.status, job.failures) == (JobStatus.PENDING, 0)
    assert f"its job #{job_of(sale).pk} is pending" in job.last_error
    assert job.attempt_log.get().outcome == "waiting"
    ExternalSyncJob.objects.filter(pk=job_of(sale).pk).update(next_attempt_at=timezone.now())
    drain()
    assert [f["rmaNumber"] for f in sandbox.state.orders["POS1001"]["returnOrderForms"]] == ["RET1"]


def test_a_return_without_an_original_sale_is_a_pos_order_of_its_own(omnium, sandbox, store):
    ret = make_order(store, "RET-9", type=Order.Type.RETURN, lines=(("SKU-1", "-1", 19950, 0),))
    drain()
    order = sandbox.state.orders["RET9"]
    assert order["orderForm"]["lineItems"][0]["quantity"] == -1
    assert order["orderForm"]["payments"][0]["transactionType"] == "Credit"
    assert job_of(ret).result["blindReturn"] is True


# --------------------------------------------------------------------------- cancellations


def test_cancelling_a_sent_sale_cancels_the_omnium_order_once(omnium, sandbox, store):
    sale = make_order(store)
    drain()
    set_state(sale, Order.State.CANCELLED)
    drain()
    assert sandbox.state.orders["POS1001"]["status"] == "OrderCanceled"
    assert job_of(sale).result == {
        "action": "status",
        "orderId": "POS1001",
        "status": "OrderCanceled",
    }
    sale.save()
    drain()
    assert sandbox.call_count(UPDATE_STATUS) == 1
    assert job_of(sale).result["action"] == "unchanged"


def test_a_sale_voided_before_its_job_ran_sends_nothing(omnium, sandbox, store):
    sale = make_order(store)
    set_state(sale, Order.State.CANCELLED)  # same job: it reads the cancelled state
    drain()
    assert sandbox.state.orders == {}
    assert sandbox.call_count(UPDATE_STATUS) == 0 and sandbox.call_count(POS) == 0
    assert job_of(sale).result["action"] == "none"


def seed_web_order(sandbox, order_id="WEB1", status="ReadyForPickup"):
    sandbox.seed_order(
        {
            "id": order_id,
            "orderType": "ClickAndCollect",
            "status": status,
            "marketId": "NOR",
            "storeId": "oslo_city",
            "orderForm": {
                "lineItems": [
                    {
                        "lineItemId": "L1",
                        "code": "SKU-1",
                        "quantity": 1,
                        "placedPrice": Decimal("199.5"),
                    }
                ],
            },
        }
    )


def test_an_order_from_omnium_completed_in_the_store_completes_in_omnium(omnium, sandbox, store):
    seed_web_order(sandbox)
    with capture_suppressed():  # what the inbound import writes
        web = make_order(store, "WEB-1", state=Order.State.PARKED, external_id="WEB1")
    set_state(web, Order.State.COMPLETED)
    drain()
    assert sandbox.state.orders["WEB1"]["status"] == "Completed"
    assert sandbox.call_count(POS) == 0  # never re-created as a POS order
    web.save()
    drain()
    assert sandbox.call_count(UPDATE_STATUS) == 1  # the workflow ran once


def test_an_order_from_omnium_cancelled_in_the_store_is_cancelled_in_omnium(omnium, sandbox, store):
    seed_web_order(sandbox)
    with capture_suppressed():
        web = make_order(store, "WEB-1", state=Order.State.CONFIRMED, external_id="WEB1")
    set_state(web, Order.State.CANCELLED)
    drain()
    assert sandbox.state.orders["WEB1"]["status"] == "OrderCanceled"


def test_completing_an_order_that_omnium_cancelled_needs_a_person(omnium, sandbox, store):
    seed_web_order(sandbox, status="OrderCanceled")
    with capture_suppressed():
        web = make_order(store, "WEB-1", state=Order.State.PARKED, external_id="WEB1")
    set_state(web, Order.State.COMPLETED)
    drain()
    job = job_of(web)
    assert job.status == JobStatus.FAILED and "is OrderCanceled" in job.last_error
    assert sandbox.call_count(UPDATE_STATUS) == 0


# ------------------------------------------------------------------------------ customers


def test_a_customer_is_created_then_updated_and_its_omnium_id_stored_without_echo(
    omnium, sandbox, tenant
):
    omnium.customer_market_group_id = "nordic"
    omnium.save()
    customer = make_customer(tenant, country_code="SE")
    drain()
    created = sandbox.state.private_customers["C1"]
    assert (created["firstName"], created["email"], created["customerNumber"]) == (
        "Kari",
        "kari@example.com",
        "LOY-1",
    )
    assert created["address"]["countryCode"] == "NO"  # the tenant's country, not the customer's
    assert created["marketGroupId"] == "nordic"
    customer.refresh_from_db()
    assert customer.external_id == "C1"
    assert ExternalSyncJob.objects.count() == 1  # storing the id did not queue another sync
    assert job_of(customer, JobKind.CUSTOMER_EXPORT).result == {
        "action": "created",
        "idStored": True,
        "customerId": "C1",
        "type": "private",
    }
    customer.email = "kari.n@example.com"
    customer.save()
    drain()
    assert sandbox.state.private_customers["C1"]["email"] == "kari.n@example.com"
    assert sandbox.call_count("POST /api/PrivateCustomers") == 1
    assert sandbox.call_count("POST /api/PrivateCustomers/Update") == 1


def test_a_create_whose_answer_was_lost_converges_on_retry(omnium, sandbox, tenant):
    sandbox.faults.drop_next(path=r"/api/PrivateCustomers$", after_processing=True)
    customer = make_customer(tenant)
    drain()
    customer.refresh_from_db()
    assert customer.external_id == "C1"
    assert len(sandbox.state.private_customers) == 1
    job = job_of(customer, JobKind.CUSTOMER_EXPORT)
    assert (job.status, job.attempts, job.result["action"]) == ("succeeded", 2, "updated")


def test_a_business_customer_keeps_its_own_country(omnium, sandbox, tenant):
    omnium.customer_market_group_id = "nordic_b2b"
    omnium.save()
    company = make_company(tenant)
    drain()
    business = sandbox.state.business_customers["B1"]
    assert (business["name"], business["taxId"]) == ("Acme AS", "SE556677889901")
    assert business["address"]["countryCode"] == "SE"
    assert business["marketGroupId"] == "nordic_b2b"
    assert sandbox.state.private_customers == {}
    company.refresh_from_db()
    assert company.external_id == "B1"


# ------------------------------------------------------------------------------- receipts


@pytest.fixture
def receipts_on(omnium):
    omnium.send_order_receipt_to_omnium = True
    omnium.save()
    return omnium


def test_a_receipt_becomes_an_invoice_with_its_pdf(receipts_on, sandbox, store):
    sale = make_order(store, customer=make_company(store.tenant))
    receipt = make_receipt(sale)
    drain()
    invoice = sandbox.state.invoices["R1"]
    assert (invoice["orderId"], invoice["invoiceNumber"]) == ("POS1001", "10001")
    assert Decimal(invoice["amount"]) * 100 == sale.total
    assert invoice["currency"] == "NOK"
    assert invoice["customerEmail"] == "sven@acme.example"
    (stored,) = sandbox.state.invoice_files["R1"].values()
    assert (stored["fileName"], stored["content"]) == ("10001.pdf", PDF)
    assert job_of(receipt, JobKind.RECEIPT_EXPORT).result == {
        "action": "created",
        "invoiceId": "R1",
        "orderId": "POS1001",
        "file": "10001.pdf",
    }
    receipt.save()  # already in Omnium with its file: not sent again
    drain()
    assert sandbox.call_count("PUT /api/Invoices/UpdateInvoice") == 1


def test_a_receipt_without_pdf_creates_no_invoice(receipts_on, sandbox, store):
    receipt = make_receipt(make_order(store), pdf=None)
    drain()
    job = job_of(receipt, JobKind.RECEIPT_EXPORT)
    assert job.status == JobStatus.FAILED and "has no PDF" in job.last_error
    assert sandbox.state.invoices == {}
    assert sandbox.call_count("PUT /api/Invoices/UpdateInvoice") == 0
    receipt.pdf = PDF  # the PDF was rendered after all: the next save sends it
    receipt.save()
    drain()
    assert "R1" in sandbox.state.invoices


def test_a_crash_between_invoice_and_file_is_repaired_by_the_retry(receipts_on, sandbox, store):
    sandbox.faults.fail_next(503, path=r"AddFileToInvoice")
    receipt = make_receipt(make_order(store))
    drain()
    assert sandbox.state.invoice_files["R1"]
    assert job_of(receipt, JobKind.RECEIPT_EXPORT).attempts == 2


def test_a_payment_receipt_is_one_remittance_line(receipts_on, sandbox, store):
    deposit = make_order(
        store, "DEP-1", type=Order.Type.PAYMENT, lines=(), payments=[("Card", 50000)]
    )
    make_receipt(deposit, grand_total=50000, vat_total=0)
    drain()
    (line,) = sandbox.state.invoices["R1"]["lineItems"]
    assert (line["code"], line["quantity"], line["placedPrice"]) == ("REMITTANCE", 1, 500)
    assert sandbox.state.orders == {}  # a deposit is not a POS order


# --------------------------------------------------------------------------------- faults


def test_a_5xx_is_retried_and_the_order_is_created_once(omnium, sandbox, store):
    sandbox.faults.fail_next(503, path="/api/Orders$")
    order = make_order(store)
    worker.drain(Queue.ORDER)
    job = job_of(order)
    assert (job.status, job.last_status_code, job.failures) == ("pending", 503, 1)
    drain()
    assert list(sandbox.state.orders) == ["POS1001"]
    assert job_of(order).status == JobStatus.SUCCEEDED


def test_a_429_waits_at_least_its_retry_after(omnium, sandbox, store):
    sandbox.faults.burst_429(1, retry_after=600)
    order = make_order(store)
    worker.drain(Queue.ORDER)
    job = job_of(order)
    assert job.last_status_code == 429
    assert job.next_attempt_at - job.finished_at >= timedelta(seconds=600)
    drain()
    assert list(sandbox.state.orders) == ["POS1001"]


def test_a_timeout_after_omnium_stored_the_order_does_not_duplicate_it(
    omnium, sandbox, store, settings
):
    settings.OMNIUM_INTEGRATION = {**settings.OMNIUM_INTEGRATION, "READ_TIMEOUT": 0.3}
    sandbox.faults.delay_next(1.0, path="/api/Orders$")
    order = make_order(store)
    worker.drain(Queue.ORDER)
    assert "did not answer" in job_of(order).last_error
    wait_for(lambda: "POS1001" in sandbox.state.orders)  # Omnium stored it after all
    drain()
    assert list(sandbox.state.orders) == ["POS1001"]
    # The retry's POST was answered 409: it found the order and sent nothing more.
    assert sandbox.call_count(POS) == 2 and sandbox.call_count(GET_ORDER) == 1
    assert job_of(order).result["action"] == "unchanged"


def test_a_dropped_connection_is_retried(omnium, sandbox, store):
    sandbox.faults.drop_next(path="/api/Orders$")
    make_order(store)
    drain()
    assert list(sandbox.state.orders) == ["POS1001"]
    assert sandbox.call_count(POS) == 2


def test_under_random_faults_every_flow_order_is_exactly_one_omnium_order(omnium, sandbox, store):
    sandbox.faults.seed(4)
    sandbox.faults.configure(error_rates={500: 0.15, 503: 0.1, 429: 0.1}, drop_rate=0.15)
    sales = [make_order(store, f"POS-{n}") for n in range(12)]
    drain(rounds=80)
    returns = [make_return(sale, f"RET-{n}") for n, sale in enumerate(sales[:4])]
    for sale in sales[4:6]:
        set_state(sale, Order.State.CANCELLED)
    drain(rounds=80)
    sandbox.faults.clear()
    assert sorted(sandbox.state.orders) == sorted(f"POS{n}" for n in range(12))
    for n, _ret in enumerate(returns):
        forms = sandbox.state.orders[f"POS{n}"]["returnOrderForms"]
        assert [f["rmaNumber"] for f in forms] == [f"RET{n}"]
    statuses = [sandbox.state.orders[f"POS{n}"]["status"] for n in range(12)]
    assert statuses == ["Completed"] * 4 + ["OrderCanceled"] * 2 + ["Completed"] * 6
    jobs = ExternalSyncJob.objects.all()
    assert {job.status for job in jobs} == {JobStatus.SUCCEEDED}
    assert sum(job.attempts for job in jobs) > len(jobs)  # faults did happen and were retried


# ------------------------------------------------------------------ through Flow's POS API


def test_a_till_session_through_flows_pos_api_reaches_omnium(
    receipts_on, sandbox, store, api_client
):
    sale = {
        "uid": "TILL-7",
        "storeUid": store.uid,
        "lines": [
            {"sku": "SKU-1", "quantity": "2", "unitPrice": 19950, "discount": 500},
            {"sku": "SKU-2", "quantity": "1", "unitPrice": 29},
        ],
    }
    assert api_client.post("/api/pos/orders", sale, format="json").status_code == 201
    paid = {"payments": [{"method": "Card", "amount": 39429, "transactionId": "T-1"}]}
    assert api_client.post("/api/pos/orders/TILL-7/complete", paid, format="json").status_code < 300
    refund = {
        "uid": "TILL-7-R",
        "lines": [{"lineUid": "1", "quantity": "1"}],
        "payments": [{"method": "Card", "amount": -19700}],
    }
    assert (
        api_client.post("/api/pos/orders/TILL-7/returns", refund, format="json").status_code < 300
    )
    drain()
    order = sandbox.state.orders["TILL7"]
    assert Decimal(order["orderForm"]["total"]) == Decimal("394.29")
    (form,) = order["returnOrderForms"]
    assert (form["rmaNumber"], form["creditAmount"]) == ("TILL7R", Decimal("197.00"))
    # Both receipts became invoices with their PDFs: the sale's and the return's credit note.
    invoices = sorted(sandbox.state.invoices.values(), key=lambda i: i["isCreditNote"])
    assert [(i["orderId"], i["isCreditNote"], i["amount"]) for i in invoices] == [
        ("TILL7", False, Decimal("394.29")),
        ("TILL7", True, Decimal("197.00")),
    ]
    assert all(sandbox.state.invoice_files[i["id"]] for i in invoices)
