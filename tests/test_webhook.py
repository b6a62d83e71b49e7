"""The Omnium Event API: authentication, validation, storage, job creation, status codes."""

from __future__ import annotations

import json
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests
from django.db import connections
from django.test import Client
from django.urls import resolve, reverse

from omnium_integration.enums import JobKind, JobStatus, Queue
from omnium_integration.jobs import manager
from omnium_integration.models import ExternalSyncJob, InboundEvent, TenantExtension
from tests.flow_factories import make_customer


def order_event(object_id: str = "ORD-1", **fields) -> dict:
    event = {
        "id": f"evt-{object_id}",
        "operationId": 111102,
        "timestamp": "2026-02-17T07:23:07.638Z",
        "message": "Workflow completed",
        "className": "Order",
        "subClassName": "ClickAndCollect",
        "objectId": object_id,
        "objectNumber": object_id,
        "category": "Workflow",
        "market": "NOR",
        "storeId": "oslo_city",
        "status": "New",
        "previousStatus": "",
        "isError": False,
        "origin": "POST /api/Orders",
    }
    event.update(fields)
    return event


def url_for(tenant_key: str = "tenant_no") -> str:
    return reverse("omnium_integration:events", args=[tenant_key])


def post(
    client: Client, body, *, secret: str | None = None, tenant_key: str = "tenant_no", **headers
):
    data = body if isinstance(body, bytes | str) else json.dumps(body)
    if secret is not None:
        headers.setdefault("HTTP_AUTHORIZATION", f"Bearer {secret}")
    return client.post(url_for(tenant_key), data=data, content_type="application/json", **headers)


def assert_refused(response, status: int, error: str) -> None:
    assert response.status_code == status, response.content
    body = response.json()
    assert body["error"] == error and body["detail"]
    assert not InboundEvent.objects.exists()
    assert not ExternalSyncJob.objects.exists()


# --------------------------------------------------------------------- accepted events


def test_an_order_event_is_stored_and_queues_one_import_job(client, extension):
    response = post(
        client,
        order_event("ORD-1"),
        secret=extension.webhook_secret,
        HTTP_X_REQUEST_ID="req-7",
        HTTP_COOKIE="sessionid=abc",
    )
    assert response.status_code == 202
    job = ExternalSyncJob.objects.get()
    assert (job.kind, job.queue, job.object_id, job.status, job.source) == (
        JobKind.ORDER_IMPORT,
        Queue.ORDER,
        "ORD-1",
        JobStatus.PENDING,
        "webhook",
    )
    event = InboundEvent.objects.get()
    assert response.json() == {"status": "queued", "event": event.pk, "job": job.pk}
    assert (event.event_id, event.class_name, event.object_id) == ("evt-ORD-1", "Order", "ORD-1")
    assert (event.outcome, event.job_id, event.extension_id) == ("queued", job.pk, extension.pk)
    assert event.body == order_event("ORD-1")
    assert event.remote_addr == "127.0.0.1"
    # Kept for audit, without credentials.
    assert event.headers["X-Request-Id"] == "req-7"
    stored = json.dumps(event.headers).lower()
    assert extension.webhook_secret.lower() not in stored
    assert "authorization" not in stored and "cookie" not in stored


def test_the_api_key_header_authenticates_too(client, extension):
    response = post(client, order_event(), HTTP_X_OMNIUM_API_KEY=extension.webhook_secret)
    assert response.status_code == 202
    event = InboundEvent.objects.get()
    assert "X-Omnium-Api-Key" not in event.headers


def test_the_api_key_header_name_is_a_setting(client, extension, settings):
    settings.OMNIUM_INTEGRATION = {
        **settings.OMNIUM_INTEGRATION,
        "WEBHOOK_AUTH_HEADER": "X-Flow-Webhook-Key",
    }
    ok = post(client, order_event("A"), HTTP_X_FLOW_WEBHOOK_KEY=extension.webhook_secret)
    old = post(client, order_event("B"), HTTP_X_OMNIUM_API_KEY=extension.webhook_secret)
    assert (ok.status_code, old.status_code) == (202, 401)


def test_the_2022_event_without_id_and_operation_id_is_accepted(client, extension):
    event = {
        "timestamp": "2022-12-04T07:28:50.1521376Z",
        "className": "Order",
        "subClassName": "ClickAndcollect",  # sic, as in Omnium's example
        "objectId": "ORD-2022",
        "category": "Workflow",
        "status": "New",
    }
    response = post(client, event, secret=extension.webhook_secret)
    assert response.status_code == 202
    assert ExternalSyncJob.objects.get().object_id == "ORD-2022"
    assert InboundEvent.objects.get().event_id == ""


def test_null_optional_fields_are_tolerated(client, extension):
    event = order_event("ORD-N", id=None, operationId=None, subClassName=None, isError=None)
    response = post(client, event, secret=extension.webhook_secret)
    assert response.status_code == 202
    assert ExternalSyncJob.objects.get().object_id == "ORD-N"


def test_a_replayed_event_id_creates_nothing_more(client, extension):
    first = post(client, order_event("ORD-1"), secret=extension.webhook_secret)
    again = post(client, order_event("ORD-1"), secret=extension.webhook_secret)
    assert (first.status_code, again.status_code) == (202, 200)
    assert again.json()["status"] == "duplicate"
    assert again.json()["event"] == first.json()["event"]
    assert InboundEvent.objects.count() == 1 and ExternalSyncJob.objects.count() == 1


def test_a_replay_after_the_job_finished_still_creates_no_job(client, extension):
    post(client, order_event("ORD-1"), secret=extension.webhook_secret)
    ExternalSyncJob.objects.update(status=JobStatus.SUCCEEDED)
    again = post(client, order_event("ORD-1"), secret=extension.webhook_secret)
    assert again.json()["status"] == "duplicate"
    assert ExternalSyncJob.objects.count() == 1


def test_new_events_for_an_order_with_a_pending_job_join_it(client, extension):
    first = post(client, order_event("ORD-1", id="e1"), secret=extension.webhook_secret)
    second = post(
        client, order_event("ORD-1", id="e2", status="InProgress"), secret=extension.webhook_secret
    )
    assert (first.status_code, second.status_code) == (202, 202)
    assert second.json()["status"] == "coalesced"
    job = ExternalSyncJob.objects.get()
    assert list(InboundEvent.objects.order_by("pk").values_list("outcome", "job_id")) == [
        ("queued", job.pk),
        ("coalesced", job.pk),
    ]


def test_an_event_while_the_import_runs_makes_it_run_again(client, extension):
    post(client, order_event("ORD-1", id="e1"), secret=extension.webhook_secret)
    manager.claim(Queue.ORDER, worker="w1")  # the import is running now
    post(client, order_event("ORD-1", id="e2"), secret=extension.webhook_secret)
    job = ExternalSyncJob.objects.get()
    assert job.status == JobStatus.RUNNING and job.rerun


def test_other_classes_are_acknowledged_without_a_job(client, extension):
    event = order_event("C-1", className="PrivateCustomer", subClassName="")
    response = post(client, event, secret=extension.webhook_secret)
    assert response.status_code == 200
    assert response.json()["status"] == "ignored"
    assert not ExternalSyncJob.objects.exists()
    assert InboundEvent.objects.get().outcome == "ignored"


def customer_event(object_id: str = "C1", class_name: str = "PrivateCustomer", **fields) -> dict:
    return order_event(
        object_id,
        id=f"evt-{class_name}-{object_id}-{fields.pop('n', 1)}",
        operationId=330101,
        message=f"{class_name} updated",
        className=class_name,
        subClassName="",
        category="Updated",
        **fields,
    )


def test_an_event_of_a_flow_customer_queues_its_import(client, extension):
    make_customer(extension.tenant, "C-1", external_id="C1")  # as its export stored it
    ExternalSyncJob.objects.all().delete()
    response = post(client, customer_event("C1"), secret=extension.webhook_secret)
    assert response.status_code == 202
    job = ExternalSyncJob.objects.get()
    assert (job.kind, job.object_id, job.source) == (JobKind.CUSTOMER_IMPORT, "C1", "webhook")
    business = customer_event("C1", "BusinessCustomer", n=2)
    second = post(client, business, secret=extension.webhook_secret)
    assert (second.status_code, second.json()["status"]) == (202, "coalesced")
    assert list(InboundEvent.objects.values_list("outcome", flat=True).order_by("pk")) == [
        "queued",
        "coalesced",
    ]


def test_an_event_of_a_customer_flow_does_not_have_is_stored_and_ignored(client, extension):
    response = post(client, customer_event("web-1"), secret=extension.webhook_secret)
    assert response.status_code == 200
    assert "customer events create none" in response.json()["reason"]
    assert not ExternalSyncJob.objects.exists()
    assert InboundEvent.objects.get().outcome == "ignored"
    # Unless the tenant creates customers from events.
    extension.create_customers_from_events = True
    extension.save()
    again = post(client, customer_event("web-1", n=2), secret=extension.webhook_secret)
    assert again.status_code == 202
    assert ExternalSyncJob.objects.get().kind == JobKind.CUSTOMER_IMPORT


def test_an_event_of_an_erased_customer_starts_nothing(client, extension):
    kari = make_customer(extension.tenant, "C-1", external_id="C1")
    kari.erase(by="pos-1")
    ExternalSyncJob.objects.all().delete()
    response = post(client, customer_event("C1"), secret=extension.webhook_secret)
    assert (response.status_code, response.json()["reason"]) == (
        200,
        "The Flow customer is erased.",
    )
    assert not ExternalSyncJob.objects.exists()


def test_a_customer_event_must_name_its_customer(client, extension):
    event = customer_event("C1")
    del event["objectId"]
    assert_refused(post(client, event, secret=extension.webhook_secret), 400, "invalid_event")


def test_orders_of_types_flow_does_not_import_are_acknowledged_without_a_job(client, extension):
    # Flow's own POS sales come back as Omnium events: they must not be imported.
    response = post(
        client, order_event("POS-1", subClassName="Pos"), secret=extension.webhook_secret
    )
    assert response.status_code == 200
    assert response.json()["reason"] == "Order type 'Pos' is not imported."
    assert not ExternalSyncJob.objects.exists()


def test_online_order_events_are_imported_under_both_type_names(client, extension):
    for n, order_type in enumerate(["OnlineOrder", "Online", "online"]):
        event = order_event(f"W-{n}", subClassName=order_type)
        assert post(client, event, secret=extension.webhook_secret).status_code == 202
    assert ExternalSyncJob.objects.count() == 3


def test_tenants_are_kept_apart(client, extension):
    from flow_stub_project.flow.models import Tenant

    other_tenant = Tenant.objects.create(uid="tenant_se", name="SE", country_code="SE")
    other = TenantExtension.objects.create(tenant=other_tenant, is_active=True)
    # The same event id in two tenants is two events.
    a = post(client, order_event("ORD-1"), secret=extension.webhook_secret)
    b = post(client, order_event("ORD-1"), secret=other.webhook_secret, tenant_key="tenant_se")
    assert (a.status_code, b.status_code) == (202, 202)
    assert sorted(ExternalSyncJob.objects.values_list("extension_id", flat=True)) == sorted(
        [extension.pk, other.pk]
    )
    # One tenant's secret does not open the other's URL.
    wrong = post(client, order_event("ORD-2"), secret=other.webhook_secret)
    assert wrong.status_code == 401


# --------------------------------------------------------------------------- refusals


def test_unknown_tenant_is_404(client, extension):
    response = post(client, order_event(), secret=extension.webhook_secret, tenant_key="nobody")
    assert_refused(response, 404, "unknown_tenant")


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"HTTP_AUTHORIZATION": "Bearer not-the-secret"},
        {"HTTP_AUTHORIZATION": "Bearer "},
        {"HTTP_X_OMNIUM_API_KEY": "not-the-secret"},
        {"HTTP_X_OMNIUM_API_KEY": ""},
    ],
    ids=["none", "wrong-bearer", "empty-bearer", "wrong-api-key", "empty-api-key"],
)
def test_a_missing_or_wrong_secret_is_401(client, extension, headers):
    response = post(client, order_event(), **headers)
    assert_refused(response, 401, "unauthorized")


def test_the_secret_under_another_scheme_is_401(client, extension):
    response = post(client, order_event(), HTTP_AUTHORIZATION=f"Basic {extension.webhook_secret}")
    assert_refused(response, 401, "unauthorized")


def test_an_inactive_tenant_is_403(client, extension):
    TenantExtension.objects.filter(pk=extension.pk).update(is_active=False)
    response = post(client, order_event(), secret=extension.webhook_secret)
    assert_refused(response, 403, "tenant_inactive")


def test_an_inactive_tenant_is_not_revealed_without_the_secret(client, extension):
    TenantExtension.objects.filter(pk=extension.pk).update(is_active=False)
    assert_refused(post(client, order_event(), secret="guess"), 401, "unauthorized")


def test_a_body_over_the_limit_is_413(client, extension, settings):
    settings.OMNIUM_INTEGRATION = {**settings.OMNIUM_INTEGRATION, "WEBHOOK_MAX_BODY_BYTES": 1000}
    event = order_event(message="x" * 1000)
    response = post(client, event, secret=extension.webhook_secret)
    assert_refused(response, 413, "body_too_large")
    small = post(client, order_event(message="x" * 100), secret=extension.webhook_secret)
    assert small.status_code == 202


@pytest.mark.parametrize(
    ("body", "error"),
    [
        (b"", "malformed_json"),
        (b"{not json", "malformed_json"),
        (b'{"className": "Order", "objectId": "A"', "malformed_json"),
        (b"\xff\xfe\x00garbage", "malformed_json"),
        (b'{"className": "Order", "objectId": NaN}', "malformed_json"),
        (b"[]", "invalid_event"),
        (b'"Order"', "invalid_event"),
        (b"{}", "invalid_event"),
        (b'{"className": "Order"}', "invalid_event"),
        (b'{"className": "Order", "objectId": ""}', "invalid_event"),
        (b'{"className": "Order", "objectId": ["A"]}', "invalid_event"),
        (b'{"className": "Order", "objectId": {"id": "A"}}', "invalid_event"),
        (b'{"className": 7, "objectId": "A", "id": true}', "invalid_event"),
        (b'{"className": "Order", "objectId": "A", "operationId": "abc"}', "invalid_event"),
        (b'{"className": "Order", "objectId": "A\\u0000"}', "invalid_event"),
        (b'{"className": "Order", "objectId": "A", "x": "\\ud800"}', "invalid_event"),
        (b'{"className": "Order", "objectId": "A", "x": 1e999}', "invalid_event"),
        (b'{"className": "Order", "objectId": "' + b"A" * 201 + b'"}', "invalid_event"),
        (
            b'{"className": "Order", "objectId": "A", "x": ' + b"[" * 40 + b"]" * 40 + b"}",
            "invalid_event",
        ),
        (b"[" * 100_000 + b"]" * 100_000, "malformed_json"),
    ],
    ids=lambda value: value if isinstance(value, str) else None,
)
def test_bodies_that_are_not_a_storable_event_are_400(client, extension, settings, body, error):
    settings.OMNIUM_INTEGRATION = {
        **settings.OMNIUM_INTEGRATION,
        "WEBHOOK_MAX_BODY_BYTES": 1_000_000,
    }
    response = post(client, body, secret=extension.webhook_secret)
    assert_refused(response, 400, error)


def test_other_methods_are_405_with_the_same_error_shape(client, extension):
    response = client.get(url_for(), HTTP_AUTHORIZATION=f"Bearer {extension.webhook_secret}")
    assert response.status_code == 405
    assert set(response.json()) == {"error", "detail"}


def test_the_webhook_needs_no_csrf_token_and_opts_out_of_atomic_requests(extension):
    csrf_client = Client(enforce_csrf_checks=True)
    response = post(csrf_client, order_event(), secret=extension.webhook_secret)
    assert response.status_code == 202
    view = resolve(url_for()).func
    assert "default" in view._non_atomic_requests
    assert view.login_required is False


@pytest.mark.django_db(transaction=True)
def test_a_database_outage_answers_503_so_omnium_retries(client, extension, tmp_path):
    connection = connections["default"]
    saved = dict(connection.settings_dict)
    connection.close()
    if connection.vendor == "postgresql":
        connection.settings_dict["PORT"] = "1"  # nothing listens there: connection refused
    else:
        connection.settings_dict["NAME"] = str(tmp_path / "missing" / "flow.sqlite3")
    try:
        response = post(client, order_event(), secret="whatever")
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(saved)
    assert response.status_code == 503
    assert response.json()["error"] == "unavailable"
    assert response["Retry-After"]
    # Once the database is back, Omnium's retry is taken.
    response = post(client, order_event(), secret=extension.webhook_secret)
    assert response.status_code == 202


# ----------------------------------------------------------------- over real HTTP


@pytest.mark.django_db(transaction=True)
def test_simultaneous_deliveries_of_one_event_store_it_once(live_server, extension):
    url = live_server.url + url_for()
    headers = {"Authorization": f"Bearer {extension.webhook_secret}"}
    body = json.dumps(order_event("ORD-RACE"))
    barrier = threading.Barrier(8)

    def deliver(_):
        barrier.wait()
        return requests.post(url, data=body, headers=headers, timeout=30)

    with ThreadPoolExecutor(8) as pool:
        responses = list(pool.map(deliver, range(8)))
    statuses = sorted(r.json()["status"] for r in responses)
    assert all(r.status_code in (200, 202) for r in responses)
    assert statuses == ["duplicate"] * 7 + ["queued"]
    assert InboundEvent.objects.count() == 1 and ExternalSyncJob.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_simultaneous_events_for_one_order_make_one_job(live_server, extension):
    url = live_server.url + url_for()
    headers = {"Authorization": f"Bearer {extension.webhook_secret}"}
    barrier = threading.Barrier(8)

    def deliver(n):
        barrier.wait()
        body = json.dumps(order_event("ORD-RACE", id=f"evt-{n}"))
        return requests.post(url, data=body, headers=headers, timeout=30)

    with ThreadPoolExecutor(8) as pool:
        responses = list(pool.map(deliver, range(8)))
    assert all(r.status_code == 202 for r in responses)
    job = ExternalSyncJob.objects.get()
    assert InboundEvent.objects.filter(job=job).count() == 8


# ------------------------------------------------------------------ refused, recorded


def test_every_refusal_is_recorded_without_credentials(client, extension):
    from omnium_integration.models import RefusedDelivery

    secret_in_header = "not-the-secret-but-still-private"
    post(client, order_event("ORD-401"), HTTP_AUTHORIZATION=f"Bearer {secret_in_header}")
    post(client, order_event(), secret=extension.webhook_secret, tenant_key="nobody")
    post(client, b"{not json", secret=extension.webhook_secret)
    TenantExtension.objects.filter(pk=extension.pk).update(is_active=False)
    post(client, order_event(), secret=extension.webhook_secret, HTTP_USER_AGENT="Omnium/1")
    refused = {r.status: r for r in RefusedDelivery.objects.all()}
    assert sorted(refused) == [400, 401, 403, 404]
    unauthorized = refused[401]
    assert (unauthorized.tenant_key, unauthorized.error) == ("tenant_no", "unauthorized")
    assert unauthorized.extension_id == extension.pk
    assert '"objectId": "ORD-401"' in unauthorized.body_head  # the start of the body
    assert unauthorized.remote_addr == "127.0.0.1"
    assert refused[404].tenant_key == "nobody" and refused[404].extension_id is None
    assert refused[400].error == "malformed_json" and refused[400].body_head == "{not json"
    assert refused[403].headers["User-Agent"] == "Omnium/1"
    for row in refused.values():
        stored = json.dumps(row.headers) + row.body_head + row.reason
        assert secret_in_header not in stored and extension.webhook_secret not in stored
        assert "Authorization" not in row.headers


def test_a_large_refused_body_is_kept_to_its_first_kb_and_a_413_is_not_read(
    client, extension, settings
):
    from omnium_integration.models import RefusedDelivery

    big = order_event(message="x" * 5000)
    post(client, big, HTTP_AUTHORIZATION="Bearer wrong")
    (row,) = RefusedDelivery.objects.all()
    assert len(row.body_head) == 1024 and row.body_size == len(json.dumps(big))
    settings.OMNIUM_INTEGRATION = {**settings.OMNIUM_INTEGRATION, "WEBHOOK_MAX_BODY_BYTES": 1000}
    post(client, big, secret=extension.webhook_secret)
    too_large = RefusedDelivery.objects.get(status=413)
    assert too_large.body_head == "" and too_large.body_size == len(json.dumps(big))


def test_refused_deliveries_are_capped_per_hour(client, extension, settings):
    from omnium_integration.models import RefusedDelivery

    settings.OMNIUM_INTEGRATION = {
        **settings.OMNIUM_INTEGRATION,
        "REFUSED_DELIVERIES_PER_HOUR": 3,
    }
    for n in range(5):
        response = post(client, order_event(f"O-{n}"), HTTP_AUTHORIZATION="Bearer wrong")
        assert response.status_code == 401  # answered whether or not it is recorded
    assert RefusedDelivery.objects.count() == 3


def test_an_ignored_order_event_keeps_why(client, extension):
    post(client, order_event("POS-9", subClassName="Pos"), secret=extension.webhook_secret)
    event = InboundEvent.objects.get()
    assert event.get_outcome_display() == "Not imported (see reason)"
    assert event.reason == "Order type 'Pos' is not imported."
