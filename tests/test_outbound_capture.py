"""Capture: saves of Flow orders, customers and receipts write outbound jobs."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import transaction

from flow_stub_project.flow import pos
from flow_stub_project.flow.models import Order, Store, Tenant
from omnium_integration.enums import Direction, JobKind, Queue
from omnium_integration.host import get_adapter
from omnium_integration.mapping.records import CustomerKind, OrderKind, OrderState
from omnium_integration.models import ExternalSyncJob, StoreExtension, TenantExtension
from omnium_integration.receivers import capture_suppressed
from tests.flow_factories import (
    make_company,
    make_customer,
    make_order,
    make_receipt,
    make_return,
    set_state,
)


def jobs(kind=None):
    qs = ExternalSyncJob.objects.order_by("pk")
    return list(qs.filter(kind=kind) if kind else qs)


# -------------------------------------------------------------------------------- orders


def test_a_completed_sale_writes_one_order_export_job(extension, store):
    order = make_order(store)
    (job,) = jobs()
    assert (job.kind, job.queue, job.direction) == (
        JobKind.ORDER_EXPORT,
        Queue.ORDER,
        Direction.OUTBOUND,
    )
    assert (job.extension_id, job.object_id, job.status) == (extension.pk, str(order.pk), "pending")


def test_an_order_still_being_worked_on_writes_nothing(extension, store):
    order = make_order(store, state=Order.State.OPEN)
    set_state(order, Order.State.PARKED)
    set_state(order, Order.State.CONFIRMED)
    assert jobs() == []


def test_several_saves_while_the_job_waits_give_one_job(extension, store):
    order = make_order(store)
    for note in ("a", "b", "c"):
        order.note = note
        order.save()
    assert len(jobs()) == 1


def test_returns_cancellations_and_orders_from_omnium(extension, store):
    sale = make_order(store)
    ret = make_return(sale, complete=False)
    assert len(jobs()) == 1  # an open return has nothing to send yet
    pos.settle(ret, [{"method": "Card", "amount": ret.total}])
    voided = make_order(store, "POS-2")
    set_state(voided, Order.State.CANCELLED)  # coalesces with its completion's job
    web = make_order(store, "WEB-1", state=Order.State.PARKED, external_id="OMN-1")
    assert len(jobs()) == 3
    set_state(web, Order.State.COMPLETED)
    assert [j.object_id for j in jobs()] == [str(o.pk) for o in (sale, ret, voided, web)]


def test_cancelling_a_sale_that_never_completed_writes_nothing(extension, store):
    pos.cancel(make_order(store, state=Order.State.OPEN))
    assert jobs() == []


def test_payment_orders_and_cancelled_returns_write_no_order_job(extension, store):
    make_order(store, "DEP-1", type=Order.Type.PAYMENT, lines=(), payments=[("Card", 50000)])
    with capture_suppressed():
        sale = make_order(store)
    pos.cancel(make_return(sale, complete=False))
    assert jobs() == []


def test_nothing_is_captured_for_an_inactive_or_missing_extension(store):
    make_order(store, "POS-1")
    ext = TenantExtension.objects.create(tenant=store.tenant, is_active=False)
    make_order(store, "POS-2")
    make_customer(store.tenant)
    assert jobs() == []
    ext.is_active = True
    ext.save()
    make_order(store, "POS-3")
    assert len(jobs()) == 1


def test_only_the_saving_tenants_extension_counts(extension, store):
    other = Tenant.objects.create(uid="t_se", name="Swedish", country_code="SE", currency="SEK")
    other_store = Store.objects.create(tenant=other, uid="sthlm", name="S", country_code="SE")
    make_order(other_store, "POS-SE")
    assert jobs() == []


def test_a_rolled_back_sale_leaves_no_job(extension, store):
    with pytest.raises(RuntimeError), transaction.atomic():
        make_order(store)
        raise RuntimeError("the card terminal declined")
    assert jobs() == [] and not Order.objects.exists()


def test_writes_made_by_the_integration_itself_are_not_captured(extension, store):
    with capture_suppressed():
        make_order(store)
        make_customer(store.tenant)
    assert jobs() == []


def test_raw_saves_from_fixture_loading_are_not_captured(extension, store):
    customer = make_customer(store.tenant)
    ExternalSyncJob.objects.all().delete()
    customer.save_base(raw=True)
    assert jobs() == []


# ----------------------------------------------------------------------------- customers


def test_every_customer_save_writes_a_customer_export_job(extension, tenant):
    customer = make_customer(tenant)
    customer.email = "new@example.com"
    customer.save()
    (job,) = jobs()
    assert (job.kind, job.object_id) == (JobKind.CUSTOMER_EXPORT, str(customer.pk))


def test_storing_the_omnium_id_back_writes_no_job(extension, tenant):
    customer = make_customer(tenant)
    ExternalSyncJob.objects.all().delete()
    adapter = get_adapter()
    assert adapter.store_customer_external_id(tenant.pk, customer.pk, "omn-1")
    assert not adapter.store_customer_external_id(tenant.pk, customer.pk, "omn-2")
    customer.refresh_from_db()
    assert customer.external_id == "omn-1"  # never overwritten once set
    assert jobs() == []


# ------------------------------------------------------------------------------ receipts


def test_a_settled_receipt_is_captured_only_when_receipts_are_sent(extension, store):
    order = make_order(store)
    make_receipt(order, "R-1")
    assert jobs(JobKind.RECEIPT_EXPORT) == []
    extension.send_order_receipt_to_omnium = True
    extension.save()
    receipt = make_receipt(order, "R-2")
    make_receipt(order, "R-3", settled=False)
    (job,) = jobs(JobKind.RECEIPT_EXPORT)
    assert job.object_id == str(receipt.pk)


# ------------------------------------------------------------------------------- adapter


def test_the_adapter_reads_an_order_with_everything_the_mappers_need(extension, store):
    StoreExtension.objects.create(store=store, flow_stock_master=True)
    customer = make_company(store.tenant)
    sale = make_order(store, customer=customer, shipping_method_id="bring", note="hi")
    package = sale.lines.get(uid="1")
    sale.lines.filter(uid="2").update(package_parent=package)
    ret = make_return(sale)
    record = get_adapter().order_for_export(store.tenant_id, ret.pk)
    assert (record.kind, record.state, record.uid) == (
        OrderKind.RETURN,
        OrderState.COMPLETED,
        "RET-1",
    )
    assert record.store.flow_stock_master and record.store.uid == "oslo_city"
    assert record.lines[0].quantity == Decimal("-1") and record.lines[0].unit_price == 19950
    assert record.lines[0].original_line_uid == "1"
    assert record.payments[0].amount == -19950
    assert record.original_order.uid == "POS-1001"
    assert [line.package_parent_uid for line in record.original_order.lines] == ["", "1"]
    sale_record = get_adapter().order_for_export(store.tenant_id, sale.pk)
    assert sale_record.customer.kind == CustomerKind.COMPANY
    assert sale_record.customer.tenant_country_code == "NO"
    assert (sale_record.shipping_method_id, sale_record.note) == ("bring", "hi")
    assert sale_record.paid == sale.total


def test_the_adapter_never_reads_another_tenants_objects(extension, store):
    order = make_order(store)
    other = Tenant.objects.create(uid="t2", name="Other", country_code="NO", currency="NOK")
    adapter = get_adapter()
    assert adapter.order_for_export(other.pk, order.pk) is None
    assert adapter.customer_for_export(other.pk, make_customer(store.tenant).pk) is None
    assert adapter.receipt_for_export(other.pk, make_receipt(order).pk) is None


def test_the_adapter_reads_a_receipt_with_its_pdf_and_settlement(extension, store):
    order = make_order(store, payments=[("Card", 30000), ("Cash", 9929)])
    receipt = make_receipt(order)
    record = get_adapter().receipt_for_export(store.tenant_id, receipt.pk)
    assert record.pdf.startswith(b"%PDF") and isinstance(record.pdf, bytes)
    assert (record.settled_amount, record.currency) == (39929, "NOK")
    assert record.order.uid == "POS-1001"
