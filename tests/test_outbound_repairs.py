"""Exports that bring back what was changed in Omnium (what the reconciliation's heal
relies on): a POS sale's lines and status, a customer deleted there."""

from __future__ import annotations

from decimal import Decimal

from omnium_integration.enums import JobKind
from omnium_integration.models import ExternalSyncJob
from tests.flow_factories import make_customer, make_order, make_return
from tests.omnium_orders import omnium_line
from tests.test_outbound_e2e import drain

UPDATE = "POST /api/Orders/Update"
PATCH = "PATCH /api/Orders/{id}/PatchOrder"


def export_again(obj, kind=JobKind.ORDER_EXPORT) -> ExternalSyncJob:
    obj.save()
    drain()
    return ExternalSyncJob.objects.filter(kind=kind, object_id=str(obj.pk)).latest("pk")


def test_a_sale_changed_in_omnium_gets_flows_lines_and_status_back(omnium, sandbox, store):
    sale = make_order(store)
    drain()
    make_return(sale)
    drain()
    changed = dict(sandbox.state.orders["POS1001"])
    changed["status"] = "OrderCanceled"
    changed["properties"] = [*changed["properties"], {"key": "erp", "value": "42"}]
    changed["orderForm"] = {
        **changed["orderForm"],
        "lineItems": [omnium_line("1", "SKU-1", 1, "1.00"), omnium_line("2", "SKU-2", 1, "0.29")],
    }
    sandbox.edit_order(changed)

    job = export_again(sale)
    assert job.result == {"action": "repaired", "orderId": "POS1001", "fields": ["status", "lines"]}
    order = sandbox.state.orders["POS1001"]
    line = order["orderForm"]["lineItems"][0]
    assert (line["quantity"], line["placedPrice"]) == (2, Decimal("199.5"))
    assert order["status"] == "Completed"
    assert order["orderForm"]["total"] == Decimal("399.29")
    assert [f["rmaNumber"] for f in order["returnOrderForms"]] == ["RET1"]  # kept
    keys = {p["key"]: p["value"] for p in order["properties"]}
    assert keys["erp"] == "42" and keys["flowOrderUid"] == "POS-1001"  # others' kept
    assert sandbox.call_count(UPDATE) == 1


def test_a_sale_omnium_moved_on_is_left_alone(omnium, sandbox, store):
    sale = make_order(store)
    drain()
    sandbox.set_order_status("POS1001", "PickedUp")  # not a drift: a later step
    job = export_again(sale)
    assert job.result["action"] == "unchanged"
    assert sandbox.state.orders["POS1001"]["status"] == "PickedUp"
    assert sandbox.call_count(UPDATE) == 0 and sandbox.call_count(PATCH) == 0


def test_a_customer_deleted_in_omnium_is_created_again(omnium, sandbox, store):
    customer = make_customer(store.tenant)
    drain()
    customer.refresh_from_db()
    assert customer.external_id == "C1"
    with sandbox.lock:
        del sandbox.state.private_customers["C1"]
    job = export_again(customer, JobKind.CUSTOMER_EXPORT)
    assert job.result["action"] == "created"
    assert sandbox.state.private_customers["C1"]["email"] == "kari@example.com"
