"""The admin, through Django's test client: what operators see and can do."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.urls import reverse
from django.utils import timezone

from flow_stub_project.flow.models import Tenant
from omnium_integration.enums import EventOutcome, JobStatus, Queue
from omnium_integration.jobs import manager, worker
from omnium_integration.models import ExternalSyncJob, StoreExtension, TenantExtension
from tests.testapp.handlers import RECORD

SECRETS = (
    "s3cr3t-value",
    "eyJhbGciOiJIUzI1NiJ9.payload.signature",
    "hook-secret-123",
    "flow-client",  # the client id is a credential too
)


@pytest.fixture
def admin_client(client, db):
    user = User.objects.create_superuser("ops", "ops@example.com", "pw")
    client.force_login(user)
    return client


@pytest.fixture
def configured(extension):
    extension.token = SECRETS[1]
    extension.token_expires_at = timezone.now() + timedelta(hours=10)
    extension.save()
    extension.webhook_secrets.update(secret=SECRETS[2])  # the secret #1 it was given
    return extension


def assert_no_secret(response):
    html = response.content.decode()
    for secret in SECRETS:
        assert secret not in html


def test_tenant_parameters_page_shows_secret_state_never_the_secret(admin_client, configured):
    url = reverse("admin:omnium_integration_tenantextension_change", args=[configured.pk])
    response = admin_client.get(url)
    assert response.status_code == 200
    assert_no_secret(response)
    html = response.content.decode()
    assert "OMNIUM_CLICK_COLLECT_ORDERHANDLING_UID" in html
    assert "valid, expires" in html  # the token: state and expiry only
    listing = admin_client.get(reverse("admin:omnium_integration_tenantextension_changelist"))
    assert_no_secret(listing)


def form_data(extension, **changes):
    data = {
        "tenant": extension.tenant_id,
        "is_active": "on",
        "api_base_url": "",
        "client_id": "",
        "client_secret": "",
        "webhook_secret": "",
        "default_shipping_method_id": "",
        "click_collect_orderhandling_uid": "",
        "online_order_handling_uid": "",
        "click_collect_expiry_days": "",
        "customer_market_group_id": "",
        "customer_loyalty_id_property_key": "",
        "property_prefix": "flow",
    }
    data.update(changes)
    return data


def test_an_empty_secret_field_keeps_the_stored_secret(admin_client, configured):
    url = reverse("admin:omnium_integration_tenantextension_change", args=[configured.pk])
    response = admin_client.post(url, form_data(configured, click_collect_expiry_days="3"))
    assert response.status_code == 302
    configured.refresh_from_db()
    assert configured.client_secret == SECRETS[0] and configured.webhook_secret == SECRETS[2]
    assert configured.click_collect_expiry_days == 3
    assert configured.token == SECRETS[1]  # credentials unchanged: the token stays


def test_new_credentials_replace_the_secret_and_drop_the_old_token(admin_client, configured):
    url = reverse("admin:omnium_integration_tenantextension_change", args=[configured.pk])
    response = admin_client.post(url, form_data(configured, client_secret="rotated-secret"))
    assert response.status_code == 302
    configured.refresh_from_db()
    assert configured.client_secret == "rotated-secret"
    assert configured.token == "" and configured.token_expires_at is None


def test_a_new_tenant_extension_can_be_added(admin_client):
    tenant = Tenant.objects.create(uid="se", name="Sweden", country_code="SE", currency="SEK")
    url = reverse("admin:omnium_integration_tenantextension_add")
    data = {**form_data(TenantExtension(tenant=tenant)), "client_id": "c", "client_secret": "x"}
    assert admin_client.post(url, data).status_code == 302
    created = TenantExtension.objects.get(tenant=tenant)
    assert created.client_secret == "x" and created.webhook_secret  # generated


def test_store_flag_is_editable(admin_client, store):
    flag = StoreExtension.objects.create(store=store)
    response = admin_client.get(reverse("admin:omnium_integration_storeextension_changelist"))
    assert response.status_code == 200 and "OMNIUM_FLOW_STOCK_MASTER" in response.content.decode()
    assert flag.flow_stock_master is False


@pytest.fixture
def jobs(configured):
    ok, _ = manager.enqueue(RECORD, extension_id=configured.pk, object_id="order-ok")
    bad, _ = manager.enqueue(
        RECORD, extension_id=configured.pk, object_id="order-bad", payload={"fail": "permanent"}
    )
    worker.drain(Queue.ORDER.value)
    waiting, _ = manager.enqueue(RECORD, extension_id=configured.pk, object_id="order-new")
    return {"ok": ok, "bad": bad, "waiting": waiting}


def test_job_list_counts_filters_and_searches(admin_client, jobs):
    url = reverse("admin:omnium_integration_externalsyncjob_changelist")
    response = admin_client.get(url)
    html = response.content.decode()
    assert "Succeeded: <strong>1</strong>" in html
    assert "Failed: <strong>1</strong>" in html and "Pending: <strong>1</strong>" in html
    failed = admin_client.get(url, {"status__exact": "failed"})
    assert list(failed.context["cl"].result_list) == [ExternalSyncJob.objects.get(pk=jobs["bad"])]
    found = admin_client.get(url, {"q": "order-new"})
    assert [j.pk for j in found.context["cl"].result_list] == [jobs["waiting"]]
    for param in ("queue__exact", "kind__exact", "direction__exact"):
        assert admin_client.get(url, {param: "x"}).status_code == 200
    assert_no_secret(response)


def test_job_page_shows_error_payload_and_attempt_history(admin_client, jobs):
    url = reverse("admin:omnium_integration_externalsyncjob_change", args=[jobs["bad"]])
    response = admin_client.get(url)
    html = response.content.decode()
    assert response.status_code == 200
    assert "MarketId is required" in html  # Omnium's body, kept for the operator
    assert "&quot;fail&quot;: &quot;permanent&quot;" in html  # readable payload
    assert "Failed" in html and "400" in html  # the attempt row
    assert_no_secret(response)


def test_retry_now_and_cancel_actions(admin_client, jobs):
    url = reverse("admin:omnium_integration_externalsyncjob_changelist")
    later = timezone.now() + timedelta(hours=1)
    ExternalSyncJob.objects.filter(pk=jobs["waiting"]).update(next_attempt_at=later)
    admin_client.post(url, {"action": "retry_now", "_selected_action": [jobs["bad"]]})
    bad = ExternalSyncJob.objects.get(pk=jobs["bad"])
    assert bad.status == JobStatus.PENDING and bad.next_attempt_at <= timezone.now()
    admin_client.post(url, {"action": "cancel", "_selected_action": [jobs["waiting"]]})
    assert ExternalSyncJob.objects.get(pk=jobs["waiting"]).status == JobStatus.CANCELLED


def test_actions_need_the_change_permission(client, jobs):
    viewer = User.objects.create_user("viewer", password="pw", is_staff=True)
    from django.contrib.auth.models import Permission

    viewer.user_permissions.add(Permission.objects.get(codename="view_externalsyncjob"))
    client.force_login(viewer)
    url = reverse("admin:omnium_integration_externalsyncjob_changelist")
    assert client.get(url).status_code == 200
    client.post(url, {"action": "retry_now", "_selected_action": [jobs["bad"]]})
    assert ExternalSyncJob.objects.get(pk=jobs["bad"]).status == JobStatus.FAILED


def test_test_connection_reports_success_and_failure_without_secrets(admin_client, omnium, sandbox):
    url = reverse("admin:omnium_integration_tenantextension_changelist")
    data = {"action": "test_connection", "_selected_action": [omnium.pk]}
    response = admin_client.post(url, data, follow=True)
    html = response.content.decode()
    assert "OK (new token obtained; POST /api/Orders/Search answered 200" in html
    assert sandbox.token_requests() == 1
    omnium.refresh_from_db()
    assert omnium.token  # fetched and stored for every worker to reuse

    sandbox.revoke_tokens()  # now bad credentials: the next token request is refused
    TenantExtension.objects.filter(pk=omnium.pk).update(client_secret="wrong-secret", token="")
    response = admin_client.post(url, data, follow=True)
    html = response.content.decode()
    assert "wrong credentials: Omnium refused the client id and secret (401)" in html
    assert "wrong-secret" not in html and omnium.token not in html


def test_read_only_records_render_and_cannot_be_edited(admin_client, configured, store):
    from omnium_integration.models import (
        ImportedOrder,
        InboundEvent,
        OmniumIdentity,
        PendingStockChange,
    )

    event = InboundEvent.objects.create(
        extension=configured,
        event_id="evt-1",
        class_name="Order",
        object_id="WEB-1",
        body={"className": "Order", "objectId": "WEB-1"},
        headers={"User-Agent": "Omnium"},
        outcome=EventOutcome.QUEUED,
    )
    imported = ImportedOrder.objects.create(extension=configured, omnium_order_id="WEB-1")
    note = PendingStockChange.objects.create(extension=configured, store=store, sku="SKU-1")
    identity = OmniumIdentity.objects.create(
        extension=configured, kind="order", flow_ref="1", flow_uid="COL-7", omnium_id="COL7"
    )
    for model, obj in (
        (InboundEvent, event),
        (ImportedOrder, imported),
        (PendingStockChange, note),
        (OmniumIdentity, identity),
    ):
        name = f"admin:omnium_integration_{model._meta.model_name}"
        assert admin_client.get(reverse(f"{name}_changelist")).status_code == 200
        page = admin_client.get(reverse(f"{name}_change", args=[obj.pk]))
        assert page.status_code == 200 and "<textarea" not in page.content.decode()
        assert_no_secret(page)
        assert admin_client.get(reverse(f"{name}_add")).status_code == 403


def test_an_operator_sets_a_stores_omnium_id_in_the_store_list(admin_client, configured, store):
    ext = StoreExtension.objects.create(store=store)
    url = reverse("admin:omnium_integration_storeextension_changelist")
    listing = admin_client.get(url).content.decode()
    assert "oslo_city" in listing  # the id in use, derived from the store's uid
    response = admin_client.post(
        url,
        {
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "1",
            "form-0-id": str(ext.pk),
            "form-0-omnium_store_id": "oslo-city",
            "_save": "Save",
        },
    )
    assert response.status_code == 302
    ext.refresh_from_db()
    assert ext.omnium_store_id == "oslo-city"
    assert "oslo-city" in admin_client.get(url).content.decode()


def test_customer_erasures_show_their_course_and_never_the_persons_values(admin_client, configured):
    from omnium_integration.models import CustomerErasure

    erasure = CustomerErasure.objects.create(
        extension=configured,
        flow_ref="17",
        origin="flow",
        omnium_id="C17",
        pending_terms=["Kari Nordmann", "kari@example.com", "+4740000000"],
    )
    name = "admin:omnium_integration_customererasure"
    listing = admin_client.get(reverse(f"{name}_changelist"))
    page = admin_client.get(reverse(f"{name}_change", args=[erasure.pk]))
    assert listing.status_code == 200 and page.status_code == 200
    html = listing.content.decode() + page.content.decode()
    assert "values waiting for the scrub" in html.lower() and "C17" in html
    for value in erasure.pending_terms:
        assert value not in html
    assert admin_client.get(reverse(f"{name}_add")).status_code == 403


def test_the_tenant_decides_whether_customer_events_create_customers(admin_client, configured):
    url = reverse("admin:omnium_integration_tenantextension_change", args=[configured.pk])
    page = admin_client.get(url).content.decode()
    assert "Create Flow customers from Omnium customer events" in page
    assert 'name="create_customers_from_events"' in page
