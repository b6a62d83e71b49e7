"""A store becoming Flow-master sends its whole stock once: switched in code or in the admin,
its tenant activated, or by hand with ``omnium_resync stock --store``."""

from __future__ import annotations

from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.urls import reverse

from flow_stub_project.flow.models import InventoryLevel, StockMovement
from omnium_integration.enums import JobKind, JobStatus
from omnium_integration.models import ExternalSyncJob, JobSource, StoreExtension
from tests.stock_helpers import (
    UPDATE_INVENTORY,
    drain,
    flow_stock,
    omnium_stock,
    pushed,
    sell,
)

SKUS = 1500


@pytest.fixture
def stocked(store):
    """``oslo_city`` keeping 1,500 SKUs, Omnium still its stock master."""
    InventoryLevel.objects.bulk_create(
        InventoryLevel(tenant=store.tenant, store=store, sku=f"SKU-{n:04d}", quantity=n)
        for n in range(SKUS)
    )
    return store


def full_jobs():
    return ExternalSyncJob.objects.filter(kind=JobKind.STOCK_FULL)


def switch(store, on: bool = True) -> StoreExtension:
    flag, _ = StoreExtension.objects.get_or_create(store=store)
    flag.flow_stock_master = on
    flag.save()
    return flag


def test_switching_a_store_to_flow_master_sends_its_whole_stock_once(omnium, sandbox, stocked):
    sandbox.add_inventory([{"sku": "SKU-0001", "warehouseCode": "oslo_city", "inventory": 99}])
    flag = switch(stocked)
    (job,) = full_jobs()
    assert job.payload == {"reason": "store switched to Flow stock master"}

    drain()
    assert [len(body) for body in pushed(sandbox)] == [1000, 500]
    assert omnium_stock(sandbox) == flow_stock(stocked)
    assert full_jobs().get().result["skus"] == SKUS

    # Saved again with the flag still on (or with other fields only): nothing more.
    flag.omnium_store_id = "oslo_city"
    flag.save()
    StoreExtension.objects.get(pk=flag.pk).save(update_fields=["omnium_store_id"])
    assert full_jobs().count() == 1
    drain()
    assert sandbox.call_count(UPDATE_INVENTORY) == 2

    # Off and on again: Flow takes over once more, so once more everything.
    switch(stocked, on=False)
    switch(stocked)
    assert full_jobs().count() == 2
    drain()
    assert sandbox.call_count(UPDATE_INVENTORY) == 4


def test_a_store_created_flow_master_sends_its_stock(omnium, sandbox, stocked):
    StoreExtension.objects.create(store=stocked, flow_stock_master=True)
    drain()
    assert omnium_stock(sandbox) == flow_stock(stocked)


def test_switching_a_store_without_stock_or_to_omnium_master_sends_nothing(
    omnium, sandbox, store, stocked
):
    switch(stocked, on=False)
    StoreExtension.objects.filter(store=stocked).update(flow_stock_master=True)  # no signal
    assert not full_jobs().exists()
    InventoryLevel.objects.all().delete()
    switch(stocked, on=False)
    switch(stocked)
    assert not full_jobs().exists()


def test_a_switch_in_the_admin_sends_the_stock(omnium, sandbox, stocked, client):
    flag = StoreExtension.objects.create(store=stocked)
    client.force_login(User.objects.create_superuser("ops", "ops@example.com", "pw"))
    response = client.post(
        reverse("admin:omnium_integration_storeextension_changelist"),
        {
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "1",
            "form-0-id": str(flag.pk),
            "form-0-flow_stock_master": "on",
            "form-0-omnium_store_id": "",
            "_save": "Save",
        },
    )
    assert response.status_code == 302
    assert full_jobs().count() == 1
    drain()
    assert omnium_stock(sandbox) == flow_stock(stocked)


def test_an_inactive_tenant_sends_its_flow_master_stocks_when_activated(omnium, sandbox, stocked):
    omnium.is_active = False
    omnium.save()
    switch(stocked)
    assert not full_jobs().exists()

    omnium.is_active = True
    omnium.save()
    (job,) = full_jobs()
    assert job.payload == {"reason": "Omnium extension activated"}
    assert job.object_id == str(stocked.pk)
    drain()
    assert omnium_stock(sandbox) == flow_stock(stocked)
    omnium.save()  # saved again, still active: nothing new
    assert full_jobs().count() == 1


def test_the_full_push_sends_levels_of_when_it_runs(omnium, sandbox, api_client, stocked):
    switch(stocked)
    sell(api_client, stocked, [("SKU-0100", "0.5")])  # after the switch, before the push
    drain()
    assert omnium_stock(sandbox)["SKU-0100"] == flow_stock(stocked)["SKU-0100"] == Decimal("0.5")


def test_a_full_push_of_a_store_switched_back_sends_nothing(omnium, sandbox, stocked):
    switch(stocked)
    StoreExtension.objects.filter(store=stocked).update(flow_stock_master=False)
    drain()
    assert sandbox.call_count(UPDATE_INVENTORY) == 0
    assert full_jobs().get().result == {
        "skus": 0,
        "skipped": "Flow is not stock master of this store.",
    }


# ------------------------------------------------------------------- by hand


def resync(*args: str) -> str:
    out = StringIO()
    call_command("omnium_resync", *args, stdout=out)
    return out.getvalue()


def test_omnium_resync_stock_sends_a_stores_whole_stock(omnium, sandbox, stocked):
    StoreExtension.objects.filter(store=stocked).delete()
    StoreExtension.objects.bulk_create([StoreExtension(store=stocked, flow_stock_master=True)])
    assert not full_jobs().exists()  # bulk_create: no signal, nothing sent

    assert resync("stock", "--store", "oslo_city", "--dry-run") == (
        "Would enqueue stock.full for store oslo_city.\n"
    )
    assert not full_jobs().exists()
    output = resync("stock", "--store", "oslo_city")
    job = full_jobs().get()
    assert output == f"Queued job #{job.pk} for the whole stock of store oslo_city.\n"
    assert (job.source, job.payload) == (JobSource.COMMAND, {"reason": "omnium_resync stock"})
    assert "already has job" in resync("stock", "--store", "oslo_city", "--tenant", "tenant_no")

    drain()
    assert omnium_stock(sandbox) == flow_stock(stocked)
    assert full_jobs().get().status == JobStatus.SUCCEEDED


def test_omnium_resync_stock_says_what_is_wrong(omnium, stocked):
    with pytest.raises(CommandError, match="Name the store"):
        resync("stock")
    with pytest.raises(CommandError, match="No Flow store 'nope'"):
        resync("stock", "--store", "nope")
    with pytest.raises(CommandError, match="Flow is not its stock master"):
        resync("stock", "--store", "oslo_city")
    assert not full_jobs().exists()


def test_omnium_resync_a_stock_movement(omnium, sandbox, api_client, stocked):
    switch(stocked)
    drain()
    sent = sandbox.call_count(UPDATE_INVENTORY)
    sale = sell(api_client, stocked, [("SKU-0007", "1")])
    drain()
    movement = StockMovement.objects.get(reference=sale["uid"])
    InventoryLevel.objects.filter(store=stocked, sku="SKU-0007").update(quantity=5)  # by SQL
    output = resync("stock-movement", movement.uid)
    assert output.startswith("Queued job #")
    drain()
    assert sandbox.call_count(UPDATE_INVENTORY) == sent + 2
    assert pushed(sandbox)[-1] == [("oslo_city", "SKU-0007", Decimal("0.05"))]
