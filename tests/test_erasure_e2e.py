"""The right to be forgotten across Flow, Omnium and the integration, end to end.

Flow's erase action (API and admin) and Omnium's anonymisation or deletion each reach the
other side over real HTTP (the sandbox on loopback, its events to Flow's live webhook);
afterwards no text or JSON column of the integration's tables, found in the database's
own catalogue, holds the person's name, e-mail or phone.
"""

from __future__ import annotations

import threading
import time
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from flow_stub_project.flow.models import Customer, Order
from omnium_integration.enums import AttemptOutcome, JobKind, JobStatus, Queue
from omnium_integration.jobs import manager, worker
from omnium_integration.models import (
    CustomerErasure,
    CustomerSync,
    ExternalSyncJob,
    InboundEvent,
    JobAttempt,
)
from tests.conftest import subscribe_customer_events, subscribe_live_flow
from tests.flow_factories import make_company, make_customer, make_order
from tests.omnium_orders import omnium_order
from tests.personal_data import find_in_app_tables
from tests.test_customers_both_ways import settle

pytestmark = pytest.mark.django_db(transaction=True)

NAME, EMAIL, PHONE = "Ingrid Kvalheim", "ingrid.kvalheim@example.no", "+4741555123"
PERSON = [NAME, "Kvalheim", EMAIL, PHONE, "41555123", "Fjellveien 7", "LOY-7781"]
COMPANY = ["Sven Contact", "sven@acme.example", "info@acme.example", "+4722334455"]
ANONYMIZE = "DELETE /api/PrivateCustomers/Anonymize"
CREATE_PRIVATE = "POST /api/PrivateCustomers"
UPDATE_PRIVATE = "POST /api/PrivateCustomers/Update"


@pytest.fixture
def flow(omnium, store, sandbox, live_server):
    """Flow live; Omnium's order and customer events subscribed to its webhook."""
    subscribe_live_flow(omnium, sandbox, live_server)
    return subscribe_customer_events(omnium, sandbox, live_server)


def make_person(tenant, uid="C-7") -> Customer:
    return make_customer(
        tenant,
        uid,
        first_name="Ingrid",
        last_name="Kvalheim",
        display_name=NAME,
        email=EMAIL,
        mobile=PHONE,
        address="Fjellveien 7",
        loyalty_id="LOY-7781",
    )


def leave_traces(customer: Customer) -> None:
    """What Omnium's answers put in the integration's rows when things go wrong: its
    uniqueness check quotes the e-mail (docs/omnium-api.md#customers)."""
    job = ExternalSyncJob.objects.filter(kind=JobKind.CUSTOMER_EXPORT).latest("pk")
    error = f"Omnium answered 400: a customer with e-mail {EMAIL} ({NAME}, {PHONE}) exists."
    ExternalSyncJob.objects.filter(pk=job.pk).update(last_error=error)
    JobAttempt.objects.create(
        job=job, number=99, started_at=job.created_at, finished_at=job.created_at,
        outcome=AttemptOutcome.FAILED, error=error,
    )  # fmt: skip


def erasure_of(customer: Customer) -> CustomerErasure:
    return CustomerErasure.objects.filter(flow_ref=str(customer.pk)).latest("pk")


def erase_job(customer: Customer) -> ExternalSyncJob:
    return ExternalSyncJob.objects.get(kind=JobKind.CUSTOMER_ERASE, object_id=str(customer.pk))


# -------------------------------------------------------------------------- Flow -> Omnium


def test_a_customer_erased_at_the_till_is_anonymised_in_omnium_and_forgotten(
    flow, sandbox, store, api_client
):
    person = make_person(store.tenant)
    sale = make_order(store, customer=person)
    settle(sandbox)
    sandbox.seed_order(
        omnium_order("CC-7", customerId="C7", customerName=NAME, customerEmail=EMAIL)
    )
    settle(sandbox)
    web_order = Order.objects.get(external_id="CC-7")
    assert web_order.customer == person
    assert sandbox.state.orders["POS1001"]["customerEmail"] == EMAIL
    leave_traces(person)
    assert find_in_app_tables(PERSON)  # the integration holds the person now

    response = api_client.post("/api/pos/customers/C-7/erase")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["uid"].startswith("anon-") and body["erasedAt"]
    assert (body["email"], body["mobile"], body["displayName"]) == ("", "", "")
    person.refresh_from_db()
    assert person.erased_at and person.external_id == "C7"
    # The erase job was written in the erasing transaction; its record holds the values.
    job = erase_job(person)
    assert job.status == JobStatus.PENDING and job.source == "signal"
    assert EMAIL in erasure_of(person).pending_terms
    settle(sandbox)

    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED
    assert job.result == {
        "action": "anonymized",
        "omnium": "anonymized",
        "customerId": "C7",
        "type": "private",
        "erasure": erasure_of(person).pk,
    }
    omnium_customer = sandbox.state.private_customers["C7"]
    assert omnium_customer["isAnonymized"] is True and "email" not in omnium_customer
    assert "customerEmail" not in sandbox.state.orders["POS1001"]  # Omnium's own rule
    assert sandbox.call_count(ANONYMIZE) == 1
    # The sales stay, pointing at the anonymous customer.
    assert {sale.pk, web_order.pk} == set(person.orders.values_list("pk", flat=True))
    erasure = erasure_of(person)
    assert (erasure.origin, erasure.omnium_outcome, erasure.pending_terms) == (
        "flow",
        "anonymized",
        [],
    )
    assert erasure.scrubbed_at and erasure.omnium_done_at and erasure.scrubbed_rows > 0
    assert not CustomerSync.objects.filter(flow_ref=str(person.pk)).exists()
    # The integration forgot too: no text or JSON column of its tables holds the person.
    assert find_in_app_tables(PERSON) == []
    # Omnium announced the anonymisation; the event changed nothing and sent nothing back.
    echo = InboundEvent.objects.filter(body__category="Anonymized").get()
    assert echo.outcome == "ignored" and echo.job is None
    assert sandbox.call_count(UPDATE_PRIVATE) == 0
    assert not ExternalSyncJob.objects.filter(
        kind=JobKind.CUSTOMER_EXPORT, created_at__gt=erasure.requested_at
    ).exists()


def test_an_erased_customer_cannot_be_changed_and_a_repeat_erase_does_nothing(
    flow, sandbox, store, api_client
):
    make_person(store.tenant)
    erased = api_client.post("/api/pos/customers/C-7/erase").json()
    uid = erased["uid"]
    patched = api_client.patch(f"/api/pos/customers/{uid}", {"email": EMAIL}, format="json")
    assert patched.status_code == 409
    assert api_client.post(f"/api/pos/customers/{uid}/erase").json() == erased
    assert ExternalSyncJob.objects.filter(kind=JobKind.CUSTOMER_ERASE).count() == 1
    assert CustomerErasure.objects.count() == 1


def test_a_business_customer_erased_in_the_admin_is_deleted_in_omnium(flow, sandbox, store):
    acme = make_company(store.tenant, mobile="+4722334455")
    make_order(store, customer=acme)
    settle(sandbox)
    assert sandbox.state.business_customers["B1"]["email"] == "info@acme.example"
    admin = get_user_model().objects.create_superuser("ops", "ops@flow.example", "pw")
    client = Client()
    client.force_login(admin)
    response = client.post(
        "/admin/flow/customer/", {"action": "erase", "_selected_action": [acme.pk]}
    )
    assert response.status_code == 302
    acme.refresh_from_db()
    assert acme.erased_at and acme.company_name == "" and acme.last_modified_by == "ops"
    settle(sandbox)
    assert "B1" not in sandbox.state.business_customers  # deleted: Omnium cannot anonymise it
    assert erase_job(acme).result["action"] == "deleted"
    assert erasure_of(acme).omnium_outcome == "deleted"
    assert find_in_app_tables(COMPANY) == []
    deleted = InboundEvent.objects.get(body__category="Deleted")
    assert (deleted.class_name, deleted.outcome) == ("BusinessCustomer", "ignored")


def test_a_pending_export_never_creates_the_erased_person_in_omnium(flow, sandbox, store):
    person = make_person(store.tenant)  # its export job waits...
    person.erase(by="pos-1")  # ...and the customer is erased before it runs
    settle(sandbox)
    export = ExternalSyncJob.objects.get(kind=JobKind.CUSTOMER_EXPORT)
    assert export.result["action"] == "none" and "erased" in export.result["reason"]
    assert sandbox.call_count(CREATE_PRIVATE) == 0 and sandbox.state.private_customers == {}
    assert erase_job(person).result == {
        "action": "none",
        "omnium": "absent",
        "erasure": erasure_of(person).pk,
    }
    assert erasure_of(person).scrubbed_at is not None
    assert find_in_app_tables(PERSON) == []


def test_a_pending_update_of_an_erased_customer_sends_nothing(flow, sandbox, store):
    person = make_person(store.tenant)
    settle(sandbox)
    person.refresh_from_db()
    person.city = "Bergen"
    person.save()  # an update waits...
    person.erase(by="pos-1")  # ...behind the erasure
    settle(sandbox)
    assert sandbox.call_count(UPDATE_PRIVATE) == 0
    assert sandbox.call_count(ANONYMIZE) == 1
    assert sandbox.state.private_customers["C7"]["isAnonymized"] is True
    assert find_in_app_tables(PERSON) == []


def test_an_erasure_while_the_export_runs_waits_for_it_then_anonymises(flow, sandbox, store):
    person = make_person(store.tenant)
    sandbox.faults.delay_next(1.0, path=r"/api/PrivateCustomers$")  # the create is slow
    running = threading.Thread(target=worker.drain, args=(Queue.ORDER,), kwargs={"max_jobs": 1})
    running.start()
    try:
        deadline = timezone.now() + timezone.timedelta(seconds=10)
        while not sandbox.last_requests(CREATE_PRIVATE):  # the export has read the customer
            assert timezone.now() < deadline
            time.sleep(0.01)
        person.erase(by="pos-1")
        worker.drain(Queue.ORDER)  # the erasure job runs now, while the export is in flight
        job = erase_job(person)
        assert job.status == JobStatus.PENDING
        assert job.attempt_log.get().outcome == AttemptOutcome.WAITING
        assert sandbox.call_count(ANONYMIZE) == 0
    finally:
        running.join(timeout=30)
    # The export created the person after all (it read the customer before the erasure)...
    assert sandbox.call_count(CREATE_PRIVATE) == 1
    settle(sandbox)
    # ...and the erasure, which waited for it, anonymised them afterwards.
    assert erase_job(person).result["action"] == "anonymized"
    omnium_customer = sandbox.state.private_customers["C7"]
    assert omnium_customer["isAnonymized"] is True and "email" not in omnium_customer
    assert not CustomerSync.objects.exists()  # the export stored no base for an erased one
    assert find_in_app_tables(PERSON) == []


def test_an_omnium_outage_during_the_erasure_is_retried(flow, sandbox, store):
    person = make_person(store.tenant)
    settle(sandbox)
    sandbox.faults.fail_next(503, 2, path="Anonymize")
    person.erase(by="pos-1")
    worker.drain(Queue.ORDER)
    job = erase_job(person)
    assert (job.status, job.failures, job.last_status_code) == (JobStatus.PENDING, 1, 503)
    assert erasure_of(person).scrubbed_at is None  # no success, no scrub yet
    settle(sandbox)
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED and job.attempts == 3
    assert sandbox.state.private_customers["C7"]["isAnonymized"] is True
    assert find_in_app_tables(PERSON) == []


def test_an_erasure_omnium_refuses_fails_visibly_and_flow_stays_erased(
    flow, sandbox, store, api_client
):
    person = make_person(store.tenant)
    settle(sandbox)
    # The API user lost CustomerAdmin: it may read customers, not anonymise them.
    sandbox.add_credentials(
        flow.client_id, flow.client_secret, roles=["OrderAdmin", "CustomerRead"]
    )
    api_client.post("/api/pos/customers/C-7/erase")
    settle(sandbox)
    job = erase_job(person)
    assert job.status == JobStatus.FAILED and job.last_status_code == 403
    assert "CustomerAdmin" in job.last_error
    person.refresh_from_db()
    assert person.erased_at and person.email == ""
    assert sandbox.state.private_customers["C7"]["email"] == EMAIL  # Omnium still has them
    erasure = erasure_of(person)
    assert erasure.omnium_done_at is None and erasure.scrubbed_at is None
    assert EMAIL in erasure.pending_terms  # kept for the scrub that follows success
    # Once the role is back, the operator's retry finishes it and the integration forgets.
    sandbox.add_credentials(flow.client_id, flow.client_secret)
    manager.retry_now(ExternalSyncJob.objects.filter(pk=job.pk))
    settle(sandbox)
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED
    assert sandbox.state.private_customers["C7"]["isAnonymized"] is True
    assert find_in_app_tables(PERSON) == []


def test_an_erasure_flow_made_without_a_save_is_sent_by_omnium_resync(flow, sandbox, store):
    person = make_person(store.tenant)
    settle(sandbox)
    leave_traces(person)
    # A bulk update bypasses signals: the integration does not see this erasure.
    blank = dict.fromkeys(Customer.PERSONAL_FIELDS, "")
    Customer.objects.filter(pk=person.pk).update(erased_at=timezone.now(), uid="anon-bulk", **blank)
    assert not ExternalSyncJob.objects.filter(kind=JobKind.CUSTOMER_ERASE).exists()
    out = StringIO()
    call_command("omnium_resync", "customer", "anon-bulk", stdout=out)
    assert "Queued job" in out.getvalue()
    settle(sandbox)
    assert erase_job(person).result["action"] == "anonymized"
    assert sandbox.state.private_customers["C7"]["isAnonymized"] is True
    # Flow no longer had the values; what Omnium held was enough to forget them.
    assert find_in_app_tables(PERSON) == []


# -------------------------------------------------------------------------- Omnium -> Flow


def test_a_customer_anonymised_in_omnium_is_erased_in_flow_and_forgotten(flow, sandbox, store):
    person = make_person(store.tenant)
    sale = make_order(store, customer=person)
    settle(sandbox)
    leave_traces(person)
    sandbox.anonymize_customer("C7")
    settle(sandbox)
    person.refresh_from_db()
    assert person.erased_at is not None and person.uid.startswith("anon-")
    assert (person.email, person.mobile, person.display_name, person.loyalty_id) == ("",) * 4
    assert person.last_modified_by == "Omnium"
    sale.refresh_from_db()
    assert sale.customer_id == person.pk
    imported = ExternalSyncJob.objects.filter(kind=JobKind.CUSTOMER_IMPORT).latest("pk")
    erasure = erasure_of(person)
    assert imported.result == {
        "outcome": "erased",
        "customer": person.pk,
        "omnium": "anonymized",
        "erasure": erasure.pk,
    }
    assert (erasure.origin, erasure.omnium_outcome, erasure.job_id) == (
        "omnium",
        "anonymized",
        imported.pk,
    )
    assert erasure.scrubbed_at is not None and erasure.pending_terms == []
    # Nothing goes back to Omnium: it started there.
    assert not ExternalSyncJob.objects.filter(kind=JobKind.CUSTOMER_ERASE).exists()
    assert sandbox.call_count(ANONYMIZE) == 0 and sandbox.call_count(UPDATE_PRIVATE) == 0
    assert find_in_app_tables(PERSON) == []


def test_a_customer_deleted_in_omnium_is_erased_in_flow(flow, sandbox, store):
    person = make_person(store.tenant)
    acme = make_company(store.tenant, mobile="+4722334455")
    settle(sandbox)
    sandbox.delete_customer("private", "C7")
    sandbox.delete_customer("business", "B1")
    settle(sandbox)
    person.refresh_from_db()
    acme.refresh_from_db()
    assert person.erased_at and acme.erased_at
    assert acme.type == "COMPANY" and acme.company_name == ""
    assert {e.omnium_outcome for e in CustomerErasure.objects.all()} == {"deleted"}
    assert find_in_app_tables(PERSON + COMPANY) == []


def test_a_404_for_a_customer_omnium_never_held_erases_nobody(flow, sandbox, store):
    # A Flow customer whose uid happens to be an Omnium id it was never sent as.
    stranger = make_person(store.tenant, uid="W9")
    ExternalSyncJob.objects.all().delete()  # never exported
    sandbox.events.emit(className="PrivateCustomer", objectId="W9", category="Deleted")
    settle(sandbox)
    stranger.refresh_from_db()
    assert stranger.erased_at is None and stranger.email == EMAIL
    result = ExternalSyncJob.objects.get(kind=JobKind.CUSTOMER_IMPORT).result
    assert result["outcome"] == "ignored" and "was never this Omnium customer" in result["reason"]
