"""Reconciling customers and invoices over real HTTP against the sandbox: drift induced,
reported with both sides' values, healed, and gone on the next run."""

from __future__ import annotations

from flow_stub_project.flow.models import Customer
from omnium_integration.enums import JobKind, JobStatus
from omnium_integration.jobs import manager
from omnium_integration.models import ExternalSyncJob
from tests.flow_factories import make_company, make_customer, make_order, make_receipt
from tests.omnium_orders import omnium_order
from tests.reconciling import difference, drain, found, run


def heal_and_check(omnium, expected: set):
    first = run(omnium, heal=True)
    assert found(first) == expected, first.differences
    drain()
    again = run(omnium)
    assert again.difference_count == 0, again.differences
    return first


# ----------------------------------------------------------------------------- customers


def test_customers_changed_or_deleted_in_omnium_get_flows_values(omnium, sandbox, store):
    person = make_customer(store.tenant)
    company = make_company(store.tenant)
    gone = make_customer(store.tenant, "C-3", email="ola@example.com")
    make_customer(store.tenant, "C-4", email="same@example.com")
    drain()
    sandbox.edit_customer(
        "private", {"customerId": "C1", "email": "kari@typo.no", "phone": "+47 999"}
    )
    sandbox.edit_customer("business", {"customerId": "B1", "name": "Acme Holding"})
    with sandbox.lock:
        del sandbox.state.private_customers["C3"]

    first = heal_and_check(
        omnium,
        {
            ("customer", "different", "C-1"),
            ("customer", "different", "B-1"),
            ("customer", "missing_in_omnium", "C-3"),
        },
    )
    assert difference(first, "different", "C-1")["fields"] == {
        "email": {"flow": "kari@example.com", "omnium": "kari@typo.no"},
        "phone": {"flow": "+4740000000", "omnium": "+47999"},
    }
    assert difference(first, "different", "B-1")["fields"] == {
        "name": {"flow": "Acme AS", "omnium": "Acme Holding"}
    }
    assert difference(first, "missing_in_omnium", "C-3")["heal"] == {
        "job": "customer.export",
        "object": str(gone.pk),
    }
    assert sandbox.state.private_customers["C1"]["email"] == "kari@example.com"
    assert sandbox.state.business_customers["B1"]["name"] == "Acme AS"
    assert sandbox.state.private_customers["C3"]["email"] == "ola@example.com"
    assert {person.pk, company.pk} <= {
        int(j["object"]) for j in first.healed if j["job"] == JobKind.CUSTOMER_EXPORT
    }


def test_a_customer_changed_behind_the_receivers_is_found_through_its_sale(omnium, sandbox, store):
    customer = make_customer(store.tenant)
    drain()
    make_order(store, customer=customer)
    drain()
    Customer.objects.filter(pk=customer.pk).update(email="new@example.com")  # no save
    first = heal_and_check(omnium, {("customer", "different", "C-1")})
    assert first.differences[0]["fields"]["email"] == {
        "flow": "new@example.com",
        "omnium": "kari@example.com",
    }


def test_a_customer_omnium_made_and_changed_is_reported_not_overwritten(omnium, sandbox, store):
    sandbox.state.create_customer(
        "private", {"customerId": "WEBC", "firstName": "Per", "email": "per@x.no"}, "GUI"
    )
    sandbox.seed_order(omnium_order("CC-1", customerId="WEBC"))
    manager.enqueue(JobKind.ORDER_IMPORT, extension_id=omnium.pk, object_id="CC-1")
    drain()
    assert Customer.objects.get(external_id="WEBC").email == "per@x.no"
    sandbox.edit_customer("private", {"customerId": "WEBC", "email": "per@new.no"})
    result = run(omnium, heal=True)
    (changed,) = result.differences
    assert (changed["kind"], changed["heal"]) == ("different", None)
    assert changed["fields"] == {"email": {"flow": "per@x.no", "omnium": "per@new.no"}}
    assert "made in Omnium" in changed["note"] and result.healed == []
    assert sandbox.state.private_customers["WEBC"]["email"] == "per@new.no"


# ------------------------------------------------------------------------------ invoices


def receipts_on(omnium) -> None:
    omnium.send_order_receipt_to_omnium = True
    omnium.save()


def test_an_invoice_without_its_pdf_and_a_missing_invoice_are_sent(omnium, sandbox, store):
    receipts_on(omnium)
    sale, other = make_order(store, "POS-1"), make_order(store, "POS-2")
    drain()
    sandbox.faults.fail_next(400, path=r"AddFileToInvoice")  # refused: the job fails
    make_receipt(sale, "R-1", voucher_number="10001")
    drain()
    receipt = make_receipt(other, "R-2", voucher_number="10002")
    manager.cancel(
        ExternalSyncJob.objects.filter(kind=JobKind.RECEIPT_EXPORT, object_id=receipt.pk)
    )
    assert ExternalSyncJob.objects.filter(status=JobStatus.FAILED).count() == 1
    assert sandbox.state.invoices["R1"]["assets"] == []

    first = heal_and_check(
        omnium,
        {("invoice", "missing_pdf", "R-1"), ("invoice", "missing_invoice", "R-2")},
    )
    assert difference(first, "missing_pdf", "R-1")["fields"] == {
        "file": {"flow": "10001.pdf", "omnium": None}
    }
    assert [a["fileName"] for a in sandbox.state.invoices["R1"]["assets"]] == ["10001.pdf"]
    assert [a["fileName"] for a in sandbox.state.invoices["R2"]["assets"]] == ["10002.pdf"]


def test_receipts_are_not_compared_when_they_do_not_go_to_omnium(omnium, sandbox, store):
    sale = make_order(store)
    make_receipt(sale)
    drain()
    result = run(omnium)
    assert result.checked["invoice"] == 0 and result.difference_count == 0
    assert sandbox.call_count("POST /api/Invoices/Search") == 0
