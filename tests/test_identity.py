"""One Flow object, one Omnium object, both ways: the identity map over real HTTP.

Stripping a UID to letters, digits and ``_`` is many-to-one; these tests make it collide
on purpose (orders, customers, receipts, returns, stores, two Flow tenants sharing one
Omnium) and check that nothing is merged, overwritten or lost, and that every job says
what it did.
"""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.apps import apps as django_apps
from django.core.management import call_command
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flow_stub_project.flow.models import Customer, Order, Store, Tenant
from omnium_integration import identities
from omnium_integration.enums import IdentityKind, JobKind, JobStatus, Queue
from omnium_integration.jobs import worker
from omnium_integration.mapping.ids import choose_id, is_valid_id
from omnium_integration.models import (
    ExternalSyncJob,
    OmniumIdentity,
    StoreExtension,
    TenantExtension,
)
from omnium_integration.receivers import capture_suppressed
from omnium_integration.sync.order_poll import poll_tenant
from tests.flow_factories import make_customer, make_order, make_receipt, make_return, set_state
from tests.jobs import drain, job_of, props
from tests.omnium_orders import omnium_order

PATCH_ORDER = "PATCH /api/Orders/{id}/PatchOrder"


# ------------------------------------------------------------------------------- orders


def test_three_sales_that_strip_to_one_id_are_three_omnium_orders(omnium, sandbox, store):
    sales = [make_order(store, uid) for uid in ("COL-7", "COL.7", "COL7")]
    drain()
    by_owner = {props(o)["flowOrderUid"]: o for o in sandbox.state.orders.values()}
    assert sorted(by_owner) == ["COL-7", "COL.7", "COL7"]  # every sale, once
    assert sandbox.call_count(PATCH_ORDER) == 0  # nobody's order was patched
    results = {sale.uid: job_of(sale).result for sale in sales}
    assert all(job_of(sale).status == JobStatus.SUCCEEDED for sale in sales)
    ids = {uid: result["orderId"] for uid, result in results.items()}
    assert len(set(ids.values())) == 3 and all(is_valid_id(i) for i in ids.values())
    assert ids["COL-7"] == "COL7"  # the first keeps the stripped UID
    for uid in ("COL.7", "COL7"):
        assert ids[uid].startswith("COL7_")
        assert f"COL7 is Flow order COL-7's; this one is {ids[uid]}." == results[uid]["idNote"]
        assert by_owner[uid]["id"] == ids[uid]
    # Every later call addresses the same order: a resync changes and creates nothing.
    for sale in sales:
        call_command("omnium_resync", "order", sale.uid, stdout=StringIO())
    drain()
    assert len(sandbox.state.orders) == 3 and sandbox.call_count(PATCH_ORDER) == 0
    assert {job_of(s).result["orderId"] for s in sales} == set(ids.values())


def test_a_sale_whose_id_is_taken_in_the_map_gets_its_distinct_id_at_once(omnium, sandbox, store):
    first = make_order(store, "A-1")
    drain()
    second = make_order(store, "A.1")
    drain()
    row = OmniumIdentity.objects.get(kind=IdentityKind.ORDER, flow_ref=str(second.pk))
    assert row.omnium_id.startswith("A1_") and row.note.startswith("A1 is Flow order A-1's")
    # Chosen from the map, not by trial and error in Omnium: one POST, no 409.
    assert sandbox.call_count("POST /api/Orders") == 2
    assert OmniumIdentity.objects.get(flow_ref=str(first.pk), kind="order").omnium_id == "A1"


def test_cancelling_a_sale_never_moves_another_flow_orders_omnium_order(omnium, sandbox, store):
    sale = make_order(store, "X-1")
    drain()
    # Someone (another system) replaced the Omnium order under X1 with its own.
    sandbox.state.orders["X1"]["properties"] = [{"key": "flowOrderUid", "value": "X.1"}]
    set_state(sale, Order.State.CANCELLED)
    drain_failed = worker.drain(Queue.ORDER)
    job = job_of(sale)
    assert drain_failed.failed == 1 and job.status == JobStatus.FAILED
    assert "not Flow order X-1's" in job.last_error and "Flow order X.1" in job.last_error
    assert sandbox.state.orders["X1"]["status"] == "Completed"  # untouched


# ---------------------------------------------------------------------------- customers


def test_two_customers_that_strip_to_one_id_stay_two_people_in_omnium(omnium, sandbox, store):
    kari = make_customer(store.tenant, "C-1", first_name="Kari", email="kari@example.com")
    ola = make_customer(store.tenant, "C1", first_name="Ola", email="ola@example.com")
    drain()
    kari.refresh_from_db()
    ola.refresh_from_db()
    assert kari.external_id != ola.external_id  # two Omnium customers
    customers = sandbox.state.private_customers
    assert customers[kari.external_id]["email"] == "kari@example.com"
    assert customers[ola.external_id]["email"] == "ola@example.com"
    assert props(customers[ola.external_id])["flowCustomerUid"] == "C1"
    assert job_of(ola, JobKind.CUSTOMER_EXPORT).result["customerId"] == ola.external_id


def test_a_customer_whose_id_omnium_holds_for_someone_else_is_not_merged(omnium, sandbox, store):
    sandbox.state.private_customers["C1"] = {
        "customerId": "C1",
        "firstName": "Web",
        "email": "web@example.com",
    }
    kari = make_customer(store.tenant, "C-1")
    drain()
    kari.refresh_from_db()
    assert sandbox.state.private_customers["C1"]["email"] == "web@example.com"  # untouched
    assert kari.external_id.startswith("C1_")
    assert sandbox.state.private_customers[kari.external_id]["email"] == "kari@example.com"
    result = job_of(kari, JobKind.CUSTOMER_EXPORT).result
    assert result["action"] == "created" and "held in Omnium by another object" in result["idNote"]


def test_an_order_for_a_customer_sent_under_a_distinct_id_names_that_id(omnium, sandbox, store):
    make_customer(store.tenant, "C1", first_name="Ola")
    kari = make_customer(store.tenant, "C-1")
    drain()
    kari.refresh_from_db()
    sale = make_order(store, customer=kari)
    drain()
    assert sandbox.state.orders["POS1001"]["customerId"] == kari.external_id
    # And an Omnium order for that id finds Kari, not Ola.
    from omnium_integration.sync.inbound_orders import known_customer

    assert known_customer(omnium, kari.external_id) == kari
    assert job_of(sale).status == JobStatus.SUCCEEDED


# ----------------------------------------------------------------------- receipts, returns


@pytest.fixture
def receipts_on(omnium):
    omnium.send_order_receipt_to_omnium = True
    omnium.save()
    return omnium


def test_two_receipts_that_strip_to_one_id_are_two_invoices(receipts_on, sandbox, store):
    first = make_receipt(make_order(store, "S-1"), "R-1", voucher_number="1")
    second = make_receipt(make_order(store, "S-2"), "R1", voucher_number="2")
    drain()
    invoices = sandbox.state.invoices
    assert len(invoices) == 2
    owners = {props(inv)["flowReceiptUid"]: inv for inv in invoices.values()}
    assert sorted(owners) == ["R-1", "R1"]
    assert all(inv.get("assets") or inv.get("url") for inv in invoices.values())  # each a PDF
    ids = {job_of(r, JobKind.RECEIPT_EXPORT).result["invoiceId"] for r in (first, second)}
    assert len(ids) == 2


def test_a_receipt_whose_sale_failed_waits_and_names_the_sale(receipts_on, sandbox, store):
    store.country_code = "DE"  # no Omnium market: the sale's job fails permanently
    store.save()
    sale = make_order(store)
    receipt = make_receipt(sale)
    worker.drain(Queue.ORDER)
    sale_job, receipt_job = job_of(sale), job_of(receipt, JobKind.RECEIPT_EXPORT)
    assert sale_job.status == JobStatus.FAILED
    assert receipt_job.status == JobStatus.PENDING and receipt_job.failures == 1
    assert f"sale POS-1001 is not in Omnium (its job #{sale_job.pk} is failed" in (
        receipt_job.last_error
    )
    assert "No Omnium market is known for country 'DE'" in receipt_job.last_error
    assert sandbox.state.invoices == {} and sandbox.state.orders == {}
    # Fixed and retried, the sale goes first and the invoice follows.
    Store.objects.filter(pk=store.pk).update(country_code="NO")
    call_command("omnium_jobs", "--retry-failed", stdout=StringIO())
    drain()
    invoice = next(iter(sandbox.state.invoices.values()))
    assert invoice["orderId"] == "POS1001" and "POS1001" in sandbox.state.orders


def test_two_returns_that_strip_to_one_rma_number_are_two_return_forms(omnium, sandbox, store):
    sale = make_order(store, lines=(("SKU-1", "2", 19950, 0),))
    drain()
    first = make_return(sale, "RET-1")
    drain()
    second = make_return(sale, "RET.1")
    drain()
    forms = sandbox.state.orders["POS1001"]["returnOrderForms"]
    assert sorted(props(f)["flowReturnUid"] for f in forms) == ["RET-1", "RET.1"]
    rmas = [f["rmaNumber"] for f in forms]
    assert rmas[0] == "RET1" and rmas[1].startswith("RET1_") and len(set(rmas)) == 2
    assert job_of(second).result["rmaNumber"] == rmas[1]
    assert job_of(first).status == job_of(second).status == JobStatus.SUCCEEDED


# ------------------------------------------------------------------------------- stores


@pytest.fixture
def stripped_store(tenant):
    """A Flow store whose UID Flow's rule must strip on the way out."""
    return Store.objects.create(
        tenant=tenant, uid="Oslo-Sentrum 1", name="Oslo Sentrum", country_code="NO"
    )


def test_a_store_with_a_stripped_uid_is_one_store_both_ways(omnium, sandbox, stripped_store):
    make_order(stripped_store)
    drain()
    assert sandbox.state.orders["POS1001"]["storeId"] == "OsloSentrum1"
    # Omnium's Click & Collect order for that store is imported into it...
    omnium.click_collect_orderhandling_uid = "cc"
    omnium.save()
    sandbox.seed_order(omnium_order("CC-1", store="OsloSentrum1"))
    stats = poll_tenant(omnium)
    search = json.loads(sandbox.last_requests("POST /api/Orders/Search")[0]["body"])
    assert search["selectedStores"] == ["OsloSentrum1"]  # ...which the poll can see
    assert stats.enqueued == 1
    drain()
    assert Order.objects.get(external_id="CC-1").store == stripped_store


def test_a_stores_omnium_id_set_by_the_operator_is_used_both_ways(omnium, sandbox, stripped_store):
    StoreExtension.objects.create(store=stripped_store, omnium_store_id="oslo-sentrum-1")
    make_order(stripped_store)
    drain()
    omnium_sale = sandbox.state.orders["POS1001"]
    assert omnium_sale["storeId"] == "oslo-sentrum-1"
    assert omnium_sale["orderForm"]["shipments"][0]["warehouseCode"] == "oslo-sentrum-1"
    omnium.click_collect_orderhandling_uid = "cc"
    omnium.save()
    sandbox.seed_order(omnium_order("CC-1", store="oslo-sentrum-1"))
    poll_tenant(omnium)
    search = json.loads(sandbox.last_requests("POST /api/Orders/Search")[0]["body"])
    assert search["selectedStores"] == ["oslo-sentrum-1"]
    drain()
    assert Order.objects.get(external_id="CC-1").store == stripped_store


def test_a_store_found_by_its_stripped_uid_learns_its_omnium_id(omnium, sandbox, tenant):
    # A Flow store made from Omnium store "oslo_storo-2" before stores carried their id.
    store = Store.objects.create(tenant=tenant, uid="oslo_storo2", name="S", country_code="NO")
    omnium.click_collect_orderhandling_uid = "cc"
    omnium.save()
    sandbox.seed_order(omnium_order("CC-1", store="oslo_storo-2"))
    call_command(
        "omnium_resync", "omnium-order", "CC-1", "--tenant", "tenant_no", stdout=StringIO()
    )
    drain()
    assert Order.objects.get(external_id="CC-1").store == store
    assert StoreExtension.objects.get(store=store).omnium_store_id == "oslo_storo-2"
    make_order(store)  # so a POS sale of that store names the store as Omnium does
    drain()
    assert sandbox.state.orders["POS1001"]["storeId"] == "oslo_storo-2"
    assert poll_tenant(omnium).enqueued == 0  # and the poll asks for it by that id
    search = json.loads(sandbox.last_requests("POST /api/Orders/Search")[-1]["body"])
    assert search["selectedStores"] == ["oslo_storo-2"]


def test_a_store_pushed_by_omniums_store_export_carries_its_omnium_id(api_client, tenant):
    response = api_client.post(
        "/api/stores",
        [
            {
                "storeUid": "oslo-storo-2",
                "name": "Storo",
                "countryCode": "NO",
                "organizationUid": "O1",
            }
        ],
        format="json",
    )
    assert response.status_code == 200, response.content
    store = Store.objects.get(tenant=tenant)
    assert store.uid == "oslostoro2"
    assert StoreExtension.objects.get(store=store).omnium_store_id == "oslo-storo-2"


# ---------------------------------------------------------------- tenants sharing Omnium


@pytest.fixture
def second_tenant(omnium, sandbox):
    """A second Flow tenant with its own API user in the same Omnium tenant."""
    tenant = Tenant.objects.create(
        uid="tenant_se", name="Svensk", country_code="SE", currency="SEK"
    )
    store = Store.objects.create(tenant=tenant, uid="oslo_city", name="Same uid", country_code="NO")
    extension = TenantExtension.objects.create(
        tenant=tenant,
        is_active=True,
        client_id="se-client",
        client_secret="se-secret",
        api_base_url=sandbox.url,
        default_shipping_method_id="in-store",
    )
    sandbox.add_credentials("se-client", "se-secret")  # the same (default) Omnium tenant
    return extension, store


def test_two_flow_tenants_sharing_an_omnium_never_take_each_others_ids(
    omnium, sandbox, store, second_tenant
):
    _, other_store = second_tenant
    no_sale = make_order(store, "1001")
    se_sale = make_order(other_store, "1001")
    drain()
    owners = {
        (props(o)["flowTenantUid"], props(o)["flowOrderUid"]): o
        for o in sandbox.state.orders.values()
    }
    assert sorted(owners) == [("tenant_no", "1001"), ("tenant_se", "1001")]
    assert job_of(no_sale).result["orderId"] != job_of(se_sale).result["orderId"]
    assert sandbox.call_count(PATCH_ORDER) == 0


def test_a_prefix_per_tenant_keeps_their_ids_apart_from_the_start(
    omnium, sandbox, store, second_tenant
):
    extension, other_store = second_tenant
    omnium.id_prefix = "NO_"
    omnium.save()
    extension.id_prefix = "SE_"
    extension.save()
    make_order(store, "1001")
    make_order(other_store, "1001")
    drain()
    assert sorted(sandbox.state.orders) == ["NO_1001", "SE_1001"]
    assert sandbox.call_count("POST /api/Orders") == 2  # no 409 on the way


# ------------------------------------------------------------------------ 409s on updates


@pytest.mark.parametrize(
    ("path", "setup"),
    [
        ("/UpdateStatus", "cancel"),
        ("/PatchOrder", "customer_after"),
        ("/api/PrivateCustomers/Update", "customer_update"),
        ("/api/Invoices/UpdateInvoice", "receipt"),
        ("/AddFileToInvoice", "receipt"),
    ],
)
def test_a_409_on_an_update_is_read_again_and_retried(omnium, sandbox, store, path, setup):
    omnium.send_order_receipt_to_omnium = True
    omnium.save()
    sale = make_order(store)
    customer = make_customer(store.tenant)
    drain()
    sandbox.faults.fail_next(409, path=path)  # two updates raced: Omnium took the other
    if setup == "cancel":
        set_state(sale, Order.State.CANCELLED)
    elif setup == "customer_after":
        sale.customer = customer
        sale.save()
    elif setup == "customer_update":
        Customer.objects.filter(pk=customer.pk).update(email="new@example.com")
        customer.refresh_from_db()
        customer.save()
    else:
        make_receipt(sale)
    drain()
    assert sandbox.faults.injected().get("409") == 1  # the conflict happened...
    assert not ExternalSyncJob.objects.exclude(status=JobStatus.SUCCEEDED).exists()  # ...and passed
    omnium_sale = sandbox.state.orders["POS1001"]
    if setup == "cancel":
        assert omnium_sale["status"] == "OrderCanceled"
    elif setup == "customer_after":
        assert omnium_sale["customerId"] == "C1"
    elif setup == "customer_update":
        assert sandbox.state.private_customers["C1"]["email"] == "new@example.com"
    else:
        assert next(iter(sandbox.state.invoices.values())).get("assets")


def test_a_409_on_a_stock_update_is_sent_again(omnium, sandbox, store):
    from omnium_integration.sync.stock import StockChange, note_stock_changes

    StoreExtension.objects.create(store=store, flow_stock_master=True)
    store.inventory.create(tenant=store.tenant, sku="SKU-1", quantity=500)
    sandbox.faults.fail_next(409, path="/api/Inventory/UpdateMany")
    note_stock_changes(extension_id=omnium.pk, store_id=store.pk, changes=[StockChange("SKU-1")])
    stats = worker.drain(Queue.RECEIVEMENT)
    assert stats.succeeded == 1
    assert sandbox.state.inventory[("SKU-1", "oslo_city")]["inventory"] == 5


def test_conflicts_that_do_not_stop_become_an_ordinary_retry(omnium, sandbox, store):
    sale = make_order(store)
    drain()
    sandbox.faults.fail_next(409, count=10, path="/UpdateStatus")
    set_state(sale, Order.State.CANCELLED)
    worker.drain(Queue.ORDER)
    job = job_of(sale)
    assert (job.status, job.failures, job.last_status_code) == (JobStatus.PENDING, 1, 409)
    assert "409 to 3 tries in a row" in job.last_error


# -------------------------------------------------------------------------- the map itself


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=40), min_size=1, max_size=30, unique=True))
def test_the_rule_is_one_to_one_and_every_id_is_valid(uids):
    chosen: dict[str, str] = {}
    for uid in uids:
        chosen[uid] = choose_id("order", uid, lambda c: c in chosen.values())
    assert len(set(chosen.values())) == len(uids)
    assert all(is_valid_id(value) for value in chosen.values())
    # Deterministic: the same UIDs in the same order choose the same ids.
    again: dict[str, str] = {}
    for uid in uids:
        again[uid] = choose_id("order", uid, lambda c: c in again.values())
    assert again == chosen


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.text(alphabet="Aa1-._ /ø", min_size=1, max_size=8), min_size=2, max_size=12, unique=True
    )
)
def test_the_stored_map_is_one_to_one_for_any_flow_uids(extension, uids):
    OmniumIdentity.objects.all().delete()
    rows = [identities.resolve(extension, IdentityKind.ORDER, n, uid) for n, uid in enumerate(uids)]
    assert len({row.omnium_id for row in rows}) == len(uids)
    assert all(is_valid_id(row.omnium_id) for row in rows)
    # Chosen once: asking again returns what is stored.
    assert [
        identities.resolve(extension, IdentityKind.ORDER, n, uid).omnium_id
        for n, uid in enumerate(uids)
    ] == [row.omnium_id for row in rows]


def test_the_migration_fills_the_map_from_the_sync_history(extension):
    from importlib import import_module

    migration = import_module("omnium_integration.migrations.0005_identity_map")
    now = timezone.now()

    def job(kind, object_id, result):
        ExternalSyncJob.objects.create(
            queue=Queue.ORDER,
            direction="outbound",
            kind=kind,
            extension=extension,
            object_id=object_id,
            status=JobStatus.SUCCEEDED,
            result=result,
            finished_at=now,
        )

    job(JobKind.ORDER_EXPORT, "1", {"action": "created", "orderId": "COL7"})
    job(JobKind.ORDER_EXPORT, "2", {"action": "patched", "orderId": "COL7"})  # the old merge
    job(JobKind.ORDER_EXPORT, "3", {"action": "created", "orderId": "POS1", "rmaNumber": "R1"})
    job(JobKind.ORDER_EXPORT, "4", {"action": "none", "reason": "open"})
    job(JobKind.CUSTOMER_EXPORT, "5", {"action": "created", "customerId": "C1"})
    job(JobKind.RECEIPT_EXPORT, "6", {"action": "created", "invoiceId": "R1"})
    migration.fill_from_history(django_apps, None)
    rows = {(r.kind, r.flow_ref): r.omnium_id for r in OmniumIdentity.objects.all()}
    assert rows == {
        ("order", "1"): "COL7",  # the first keeps it; order 2 finds out on its next sync
        ("return", "3"): "R1",
        ("customer", "5"): "C1",
        ("invoice", "6"): "R1",
    }
    assert OmniumIdentity.objects.filter(confirmed_at__isnull=True).count() == 0


def test_importing_an_omnium_order_records_the_pair(omnium, sandbox, store):
    omnium.click_collect_orderhandling_uid = "cc"
    omnium.save()
    sandbox.seed_order(omnium_order("CC-1"))
    poll_tenant(omnium)
    drain()
    order = Order.objects.get(external_id="CC-1")
    row = OmniumIdentity.objects.get(kind=IdentityKind.ORDER, flow_ref=str(order.pk))
    assert (row.omnium_id, row.confirmed_at is not None) == ("CC-1", True)
    with capture_suppressed():
        set_state(order, Order.State.COMPLETED)
    call_command("omnium_resync", "order", order.uid, stdout=StringIO())
    drain()
    assert sandbox.state.orders["CC-1"]["status"] == "Completed"


def test_two_stores_whose_uids_strip_to_one_id_never_pass_for_each_other(omnium, sandbox, tenant):
    exact = Store.objects.create(tenant=tenant, uid="Oslo1", name="Oslo 1", country_code="NO")
    stripped = Store.objects.create(tenant=tenant, uid="Oslo-1", name="Oslo-1", country_code="NO")
    make_order(exact, "S-1")
    sale = make_order(stripped, "S-2")
    worker.drain(Queue.ORDER)
    job = job_of(sale)
    # The stripped one would name the other store in Omnium: it fails, naming both.
    assert job.status == JobStatus.FAILED
    assert "Flow stores 'Oslo-1' and 'Oslo1' both strip to Omnium store id 'Oslo1'" in (
        job.last_error
    )
    assert [o["storeId"] for o in sandbox.state.orders.values()] == ["Oslo1"]
    assert poll_tenant(omnium) is not None  # the poll asks only for unambiguous stores
    search = json.loads(sandbox.last_requests("POST /api/Orders/Search")[-1]["body"])
    assert search["selectedStores"] == ["Oslo1"]
    # The fix the reason names: the store's own Omnium id.
    StoreExtension.objects.create(store=stripped, omnium_store_id="oslo-1-sentrum")
    call_command("omnium_jobs", "--retry-failed", stdout=StringIO())
    drain()
    assert sorted(o["storeId"] for o in sandbox.state.orders.values()) == [
        "Oslo1",
        "oslo-1-sentrum",
    ]
