"""Customers both ways, end to end: Omnium's customer events hit Flow's live webhook over
real HTTP, the engine imports them from the sandbox with the real client, and Flow's own
changes go out and come back as events without echoing."""

from __future__ import annotations

import pytest
from django.utils import timezone

from flow_stub_project.flow.models import Customer
from omnium_integration.enums import ACTIVE_STATUSES, Direction, JobKind, JobStatus, Queue
from omnium_integration.jobs import worker
from omnium_integration.models import CustomerSync, ExternalSyncJob, InboundEvent
from tests.conftest import subscribe_customer_events
from tests.flow_factories import make_company, make_customer

pytestmark = pytest.mark.django_db(transaction=True)

GET_PRIVATE = "GET /api/PrivateCustomers/{id}"
UPDATE_PRIVATE = "POST /api/PrivateCustomers/Update"


@pytest.fixture
def flow(omnium, sandbox, live_server):
    """Flow live, Omnium's customer events subscribed to its webhook."""
    return subscribe_customer_events(omnium, sandbox, live_server)


def settle(sandbox, rounds: int = 20) -> None:
    """Every event delivered and every due job run, until nothing is left to do."""
    for _ in range(rounds):
        assert sandbox.events.wait_idle(timeout=30)
        worker.drain(Queue.ORDER)
        assert sandbox.events.wait_idle(timeout=30)  # what our calls made Omnium announce
        active = ExternalSyncJob.objects.filter(status__in=ACTIVE_STATUSES)
        if not active.exists():
            return
        active.update(next_attempt_at=timezone.now())
    raise AssertionError("jobs still active")


def jobs(kind: str) -> list[ExternalSyncJob]:
    return list(ExternalSyncJob.objects.filter(kind=kind).order_by("pk"))


def exported(sandbox, customer: Customer) -> dict:
    customer.refresh_from_db()
    return sandbox.state.private_customers[customer.external_id]


# --------------------------------------------------------------------- Omnium -> Flow


def test_a_change_made_in_the_web_shop_reaches_the_flow_customer(flow, sandbox, tenant):
    kari = make_customer(tenant)
    settle(sandbox)
    sandbox.patch_customer(
        "private", {"customerId": "C1", "email": "kari.new@example.com", "phone": "+4799999999"}
    )
    settle(sandbox)
    kari.refresh_from_db()
    assert (kari.email, kari.mobile, kari.first_name) == (
        "kari.new@example.com",
        "+4799999999",
        "Kari",
    )
    assert kari.last_modified_by == "Omnium"
    (imported,) = [j for j in jobs(JobKind.CUSTOMER_IMPORT) if j.result.get("fields")]
    assert imported.result == {
        "outcome": "updated",
        "customer": kari.pk,
        "fields": ["email", "mobile"],
    }
    assert imported.source == "webhook" and imported.object_id == "C1"
    # No echo: the import wrote no outbound job, so Omnium was not updated back.
    assert len(jobs(JobKind.CUSTOMER_EXPORT)) == 1
    assert sandbox.call_count(UPDATE_PRIVATE) == 0


def test_flows_own_change_comes_back_as_an_event_and_changes_nothing(flow, sandbox, tenant):
    kari = make_customer(tenant)
    settle(sandbox)
    kari.email = "kari.n@example.com"
    kari.save()
    settle(sandbox)
    assert exported(sandbox, kari)["email"] == "kari.n@example.com"
    # Omnium announced our create and our update; both imports found nothing new.
    events = InboundEvent.objects.filter(class_name="PrivateCustomer").order_by("pk")
    assert [e.body["operationId"] for e in events] == [330100, 330101]
    assert [e.outcome for e in events] == ["queued", "queued"]
    imports = jobs(JobKind.CUSTOMER_IMPORT)
    assert [j.result["outcome"] for j in imports] == ["unchanged", "unchanged"]
    assert [j.result["fields"] for j in imports] == [[], []]
    assert len(jobs(JobKind.CUSTOMER_EXPORT)) == 2  # the create and the update, no more
    assert sandbox.call_count(UPDATE_PRIVATE) == 1


def test_a_later_flow_change_is_not_overwritten_by_an_older_omnium_version(flow, sandbox, tenant):
    kari = make_customer(tenant)
    settle(sandbox)
    sandbox.patch_customer("private", {"customerId": "C1", "email": "web@example.com"})
    assert sandbox.events.wait_idle()  # its import waits in the queue...
    kari.refresh_from_db()
    kari.email = "till@example.com"  # ...while the till changes the same field, later
    kari.save()
    worker.drain(Queue.ORDER, max_jobs=1)  # the import runs first, alone
    imported = jobs(JobKind.CUSTOMER_IMPORT)[-1]
    assert imported.result == {
        "outcome": "unchanged",
        "customer": kari.pk,
        "fields": [],
        "keptInFlow": ["email"],
    }
    kari.refresh_from_db()
    assert kari.email == "till@example.com"
    settle(sandbox)  # then Flow's export sends its later value
    kari.refresh_from_db()
    assert kari.email == "till@example.com"
    assert exported(sandbox, kari)["email"] == "till@example.com"


def test_both_sides_changing_different_fields_keep_both_changes(flow, sandbox, tenant):
    kari = make_customer(tenant)
    settle(sandbox)
    sandbox.events.hold()
    sandbox.patch_customer("private", {"customerId": "C1", "phone": "+4791111111"})
    kari.refresh_from_db()
    kari.email = "till@example.com"
    kari.save()
    worker.drain(Queue.ORDER)  # Flow's update goes out before Omnium's event comes in
    omnium_customer = exported(sandbox, kari)
    assert (omnium_customer["email"], omnium_customer["phone"]) == (
        "till@example.com",
        "+4791111111",
    )
    kari.refresh_from_db()
    assert kari.mobile == "+4791111111"  # Flow took the web shop's phone with it
    export = jobs(JobKind.CUSTOMER_EXPORT)[-1]
    assert export.result["fromOmnium"] == ["mobile"]
    sandbox.events.release()
    settle(sandbox)
    kari.refresh_from_db()
    assert (kari.email, kari.mobile) == ("till@example.com", "+4791111111")
    assert len(jobs(JobKind.CUSTOMER_EXPORT)) == 2  # the create and the update


def test_a_stale_read_of_an_omnium_customer_is_never_applied(flow, sandbox, tenant):
    kari = make_customer(tenant)
    settle(sandbox)
    sandbox.patch_customer("private", {"customerId": "C1", "email": "new@example.com"})
    settle(sandbox)
    base = CustomerSync.objects.get(flow_ref=str(kari.pk))
    # Omnium answers from a replica that lags behind: an older version of the customer.
    with sandbox.lock:
        stale = sandbox.state.private_customers["C1"]
        stale["email"], stale["modified"] = "old@example.com", "2020-01-01T00:00:00.0000000Z"
    sandbox.events.emit(className="PrivateCustomer", objectId="C1", category="Updated")
    settle(sandbox)
    kari.refresh_from_db()
    assert kari.email == "new@example.com"
    last = jobs(JobKind.CUSTOMER_IMPORT)[-1]
    assert last.result["outcome"] == "unchanged" and "Stale read" in last.result["reason"]
    assert CustomerSync.objects.get(pk=base.pk).omnium_modified == base.omnium_modified


def test_a_business_customer_changed_in_omnium_updates_the_flow_company(flow, sandbox, tenant):
    acme = make_company(tenant)
    settle(sandbox)
    sandbox.patch_customer(
        "business",
        {
            "customerId": "B1",
            "name": "Acme Nordic AS",
            "taxId": "SE000000000001",
            "contacts": [
                {"firstName": "Ada", "lastName": "Berg", "email": "ada@acme.example"},
            ],
        },
    )
    settle(sandbox)
    acme.refresh_from_db()
    assert (acme.company_name, acme.display_name, acme.vat_number) == (
        "Acme Nordic AS",
        "Acme Nordic AS",
        "SE000000000001",
    )
    assert (acme.contact_person_name, acme.contact_person_email) == ("Ada Berg", "ada@acme.example")
    assert (acme.email, acme.type) == ("info@acme.example", "COMPANY")
    assert sandbox.call_count("GET /api/BusinessCustomers/{id}") >= 1
    assert sandbox.call_count("POST /api/BusinessCustomers/Update") == 0  # no echo


def test_events_for_customers_flow_does_not_have_create_nothing(flow, sandbox):
    sandbox.state.create_customer(
        "private", {"customerId": "web-1", "firstName": "Web", "email": "w@x.no"}, "test"
    )
    settle(sandbox)
    (event,) = InboundEvent.objects.all()
    assert event.outcome == "ignored" and event.job is None
    assert not Customer.objects.exists()
    assert sandbox.call_count(GET_PRIVATE) == 0  # not even a look at Omnium


def test_a_tenant_can_create_customers_from_customer_events(flow, sandbox, tenant):
    flow.create_customers_from_events = True
    flow.save()
    sandbox.state.create_customer(
        "private",
        {"customerId": "web-1", "firstName": "Web", "lastName": "Kunde", "email": "w@x.no"},
        "test",
    )
    sandbox.state.create_customer("business", {"customerId": "b-9", "name": "Byrå AS"}, "test")
    settle(sandbox)
    web = Customer.objects.get(uid="web-1")
    assert (web.type, web.display_name, web.email, web.external_id) == (
        "PERSON",
        "Web Kunde",
        "w@x.no",
        "web-1",
    )
    assert Customer.objects.get(uid="b-9").company_name == "Byrå AS"
    assert not ExternalSyncJob.objects.filter(direction=Direction.OUTBOUND).exists()
    # Its later changes come in like any linked customer's.
    sandbox.patch_customer("private", {"customerId": "web-1", "email": "w2@x.no"})
    settle(sandbox)
    web.refresh_from_db()
    assert web.email == "w2@x.no"
    assert {j.status for j in jobs(JobKind.CUSTOMER_IMPORT)} == {JobStatus.SUCCEEDED}


def test_an_omnium_customer_that_is_someone_else_is_never_merged_in(flow, sandbox, tenant):
    # Omnium's C1 is a web customer, so Flow's C1 went to Omnium as C1_2 (its distinct id).
    sandbox.state.private_customers["C1"] = {"customerId": "C1", "email": "web@example.com"}
    ours = make_customer(tenant, "C1")
    settle(sandbox)
    ours.refresh_from_db()
    assert ours.external_id != "C1"
    sandbox.patch_customer("private", {"customerId": "C1", "email": "web2@example.com"})
    settle(sandbox)
    ours.refresh_from_db()
    assert ours.email == "kari@example.com"
    last = InboundEvent.objects.filter(object_id="C1").latest("pk")
    assert last.outcome == "ignored"


def test_a_flow_customer_sharing_only_its_uid_with_an_omnium_customer_is_left_alone(
    flow, sandbox, tenant
):
    local = make_customer(tenant, "W9")  # never sent: its export is cancelled
    ExternalSyncJob.objects.update(status=JobStatus.CANCELLED)
    sandbox.state.create_customer(
        "private", {"customerId": "W9", "firstName": "Web", "email": "web@x.no"}, "test"
    )
    settle(sandbox)
    local.refresh_from_db()
    assert (local.first_name, local.email) == ("Kari", "kari@example.com")
    (imported,) = jobs(JobKind.CUSTOMER_IMPORT)
    assert imported.result["outcome"] == "ignored"
    assert "two people are not mixed up" in imported.result["reason"]
    assert sandbox.call_count(GET_PRIVATE) == 0
