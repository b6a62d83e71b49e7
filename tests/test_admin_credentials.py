"""Least privilege in the admin: seeing jobs, running them again, changing parameters,
seeing and changing credentials are separate permissions; credential changes are
recorded; a new webhook secret is shown once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission, User
from django.urls import reverse
from django.utils import timezone

from omnium_integration.enums import CredentialChangeKind, JobStatus, Queue
from omnium_integration.jobs import manager, worker
from omnium_integration.models import CredentialChange, ExternalSyncJob, TenantExtension
from tests.test_admin import form_data
from tests.testapp.handlers import RECORD

APP = "omnium_integration"
TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjF9.c2ln"


def staff(client, name: str, *codenames: str):
    user = User.objects.create_user(name, password="pw", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(content_type__app_label=APP, codename__in=codenames)
    )
    assert user.user_permissions.count() == len(codenames)
    client.force_login(user)
    return client


def change_url(extension) -> str:
    return reverse(f"admin:{APP}_tenantextension_change", args=[extension.pk])


def page_url(extension, page: str, *args) -> str:
    return reverse(f"admin:{APP}_tenantextension_{page}", args=[extension.pk, *args])


@pytest.fixture
def configured(extension):
    extension.token = TOKEN
    extension.token_expires_at = timezone.now() + timedelta(hours=10)
    extension.save()
    return extension


# ------------------------------------------------------------------ jobs


@pytest.fixture
def failed_job(extension):
    job, _ = manager.enqueue(
        RECORD, extension_id=extension.pk, object_id="o-1", payload={"fail": "permanent"}
    )
    worker.drain(Queue.ORDER)
    assert ExternalSyncJob.objects.get(pk=job).status == JobStatus.FAILED
    return job


@pytest.mark.parametrize(
    ("codenames", "may_retry"),
    [
        (("view_externalsyncjob",), False),
        (("view_externalsyncjob", "change_externalsyncjob"), False),  # no longer enough
        (("view_externalsyncjob", "operate_externalsyncjob"), True),
    ],
)
def test_retry_and_cancel_need_the_operate_permission(client, failed_job, codenames, may_retry):
    staff(client, "u", *codenames)
    url = reverse(f"admin:{APP}_externalsyncjob_changelist")
    listing = client.get(url)
    assert listing.status_code == 200
    assert ('value="retry_now"' in listing.content.decode()) is may_retry
    client.post(url, {"action": "retry_now", "_selected_action": [failed_job]})
    status = ExternalSyncJob.objects.get(pk=failed_job).status
    assert status == (JobStatus.PENDING if may_retry else JobStatus.FAILED)
    client.post(url, {"action": "cancel", "_selected_action": [failed_job]})
    cancelled = ExternalSyncJob.objects.get(pk=failed_job).status == JobStatus.CANCELLED
    assert cancelled is may_retry


def test_seeing_events_needs_only_their_view_permission(client, extension):
    from tests.test_webhook import order_event, post

    post(client, order_event("A"), secret=extension.webhook_secret)
    staff(client, "viewer", "view_inboundevent")
    page = client.get(reverse(f"admin:{APP}_inboundevent_changelist"))
    assert page.status_code == 200 and "#1" in page.content.decode()  # the secret used
    assert client.get(reverse(f"admin:{APP}_externalsyncjob_changelist")).status_code == 403
    assert client.get(change_url(extension)).status_code == 403


# ------------------------------------------------------ parameters and credentials


def test_parameters_only_no_credentials_shown_and_none_changed_by_a_crafted_post(
    client, configured
):
    staff(client, "params", "view_tenantextension", "change_tenantextension")
    page = client.get(change_url(configured)).content.decode()
    assert "OMNIUM_CLICK_COLLECT_ORDERHANDLING_UID" in page
    assert 'name="client_secret"' not in page and "OMNIUM_TOKEN" not in page
    assert "Webhook secrets" not in page and "Omnium API base URL" not in page
    listing = client.get(reverse(f"admin:{APP}_tenantextension_changelist")).content.decode()
    assert "test_connection" not in listing and "credentials" not in listing
    data = form_data(
        configured,
        click_collect_expiry_days="4",
        client_secret="attacker",
        client_id="attacker",
        api_base_url="https://attacker.example",
    )
    assert client.post(change_url(configured), data).status_code == 302
    row = TenantExtension.objects.get(pk=configured.pk)
    assert row.click_collect_expiry_days == 4
    assert (row.client_secret, row.client_id, row.api_base_url) == (
        "s3cr3t-value",
        "flow-client",
        "",
    )
    assert row.token == TOKEN and not CredentialChange.objects.exists()
    assert client.get(page_url(configured, "add_webhook_secret")).status_code == 403


def test_view_credentials_shows_their_state_never_an_input_or_a_value(client, configured):
    staff(client, "auditor", "view_credentials")
    page = client.get(change_url(configured)).content.decode()
    assert "valid, expires" in page and "OMNIUM_CLIENT_SECRET set" in page
    assert "Webhook secrets" in page and "#1" in page and "accepted" in page
    assert 'name="client_secret"' not in page and "Retire" not in page
    assert "Add a webhook secret" not in page
    for value in ("s3cr3t-value", TOKEN, configured.webhook_secret, "flow-client"):
        assert value not in page
    assert client.post(change_url(configured), form_data(configured)).status_code == 403
    assert client.get(page_url(configured, "add_webhook_secret")).status_code == 403
    assert client.get(reverse(f"admin:{APP}_credentialchange_changelist")).status_code == 200


def test_change_credentials_replaces_them_leaves_parameters_and_records_who(client, configured):
    staff(client, "keeper", "change_credentials")
    page = client.get(change_url(configured)).content.decode()
    assert 'name="client_secret"' in page and 'name="click_collect_expiry_days"' not in page
    data = form_data(
        configured,
        click_collect_expiry_days="9",
        client_secret="rotated-secret",
        api_base_url="https://apitest.omnium.no",
    )
    assert client.post(change_url(configured), data).status_code == 302
    row = TenantExtension.objects.get(pk=configured.pk)
    assert row.client_secret == "rotated-secret" and row.client_id == "flow-client"
    assert row.api_base_url == "https://apitest.omnium.no"
    assert row.click_collect_expiry_days is None  # a parameter: read-only here
    assert row.token == "" and row.token_expires_at is None  # obtained with the old ones
    changes = CredentialChange.objects.order_by("pk")
    assert [(c.kind, c.changed_by, c.tenant_key) for c in changes] == [
        (CredentialChangeKind.API_BASE_URL, "keeper", "tenant_no"),
        (CredentialChangeKind.CLIENT_SECRET, "keeper", "tenant_no"),
    ]
    record_page = client.get(reverse(f"admin:{APP}_credentialchange_changelist"))
    assert "rotated-secret" not in record_page.content.decode()


def test_the_credential_change_record_is_read_only_and_hidden_without_permission(
    client, configured
):
    staff(client, "params", "view_tenantextension", "change_tenantextension")
    url = reverse(f"admin:{APP}_credentialchange_changelist")
    assert client.get(url).status_code == 403
    staff(client, "root", "view_credentials", "change_credentials")
    assert client.get(url).status_code == 200
    assert client.get(reverse(f"admin:{APP}_credentialchange_add")).status_code == 403


# -------------------------------------------------------------- webhook secrets


def test_a_new_webhook_secret_is_shown_once_and_the_form_cannot_add_it_twice(client, configured):
    staff(client, "keeper", "change_credentials")
    form = client.get(page_url(configured, "add_webhook_secret"))
    assert form.status_code == 200 and "#1 (accepted)" in form.content.decode()
    data = {"after": "1", "overlap_hours": "24"}
    added = client.post(page_url(configured, "add_webhook_secret"), data)
    reveal = page_url(configured, "reveal_webhook_secret", 2)
    assert added.status_code == 302 and added["Location"] == reveal
    new = configured.webhook_secret
    shown = client.get(reveal)
    html = shown.content.decode()
    assert shown.status_code == 200 and new in html and "only time" in html
    assert "no-store" in shown["Cache-Control"]
    again = client.get(reveal, follow=True)
    assert new not in again.content.decode() and "cannot be shown" in again.content.decode()
    assert client.post(page_url(configured, "add_webhook_secret"), data).status_code == 302
    assert configured.webhook_secrets.count() == 2  # the repeated form added nothing
    first = configured.webhook_secrets.get(number=1)
    assert abs(first.expires_at - timezone.now() - timedelta(hours=24)) < timedelta(minutes=1)
    assert new not in client.get(change_url(configured)).content.decode()


def test_only_credential_keepers_reach_the_secret_pages(client, configured):
    staff(client, "ops", "view_credentials", "change_tenantextension", "view_tenantextension")
    for url in (
        page_url(configured, "add_webhook_secret"),
        page_url(configured, "reveal_webhook_secret", 1),
        page_url(configured, "retire_webhook_secret", 1),
    ):
        assert client.get(url).status_code == 403
        assert client.post(url, {"after": "1", "overlap_hours": "1"}).status_code == 403
    assert configured.webhook_secrets.count() == 1


def test_retiring_in_the_admin_asks_first_and_refuses_the_last_one(client, configured):
    staff(client, "keeper", "change_credentials")
    retire = page_url(configured, "retire_webhook_secret", 1)
    refused = client.post(retire, follow=True)
    assert "only one Omnium can use" in refused.content.decode()
    client.post(page_url(configured, "add_webhook_secret"), {"after": "1", "overlap_hours": "1"})
    confirm = client.get(retire)
    assert confirm.status_code == 200 and "last event that came with it" in confirm.content.decode()
    assert configured.webhook_secrets.get(number=1).retired_at is None  # a GET changes nothing
    done = client.post(retire, follow=True)
    assert "Webhook secret #1 retired." in done.content.decode()
    assert configured.webhook_secrets.get(number=1).secret == ""
    assert CredentialChange.objects.filter(
        kind=CredentialChangeKind.WEBHOOK_SECRET_RETIRED, changed_by="keeper"
    ).exists()


def test_adding_an_extension_shows_its_first_webhook_secret_once(admin_client_fixture):
    from flow_stub_project.flow.models import Tenant

    client = admin_client_fixture
    tenant = Tenant.objects.create(uid="se", name="Sweden", country_code="SE", currency="SEK")
    data = {**form_data(TenantExtension(tenant=tenant)), "client_id": "c", "client_secret": "x"}
    response = client.post(reverse(f"admin:{APP}_tenantextension_add"), data)
    created = TenantExtension.objects.get(tenant=tenant)
    assert response.status_code == 302
    assert response["Location"] == page_url(created, "reveal_webhook_secret", 1)
    assert created.webhook_secret in client.get(response["Location"]).content.decode()
    assert (
        created.webhook_secret not in client.get(response["Location"], follow=True).content.decode()
    )
    kinds = set(CredentialChange.objects.values_list("kind", flat=True))
    assert kinds == {
        CredentialChangeKind.CLIENT_ID,
        CredentialChangeKind.CLIENT_SECRET,
        CredentialChangeKind.WEBHOOK_SECRET_ADDED,
    }


def test_deleting_an_extension_is_recorded_and_the_record_outlives_it(
    admin_client_fixture, configured
):
    client = admin_client_fixture
    url = reverse(f"admin:{APP}_tenantextension_delete", args=[configured.pk])
    assert client.post(url, {"post": "yes"}).status_code == 302
    assert not TenantExtension.objects.exists()
    change = CredentialChange.objects.get()
    assert (change.kind, change.tenant_key, change.changed_by, change.extension) == (
        CredentialChangeKind.EXTENSION_DELETED,
        "tenant_no",
        "root",
        None,
    )


@pytest.fixture
def admin_client_fixture(client, db):
    client.force_login(User.objects.create_superuser("root", "root@example.com", "pw"))
    return client


def test_the_permissions_exist_with_their_names(db):
    names = dict(
        Permission.objects.filter(content_type__app_label=APP).values_list("codename", "name")
    )
    assert names["operate_externalsyncjob"] == "Can retry and cancel Omnium sync jobs"
    assert names["view_credentials"].startswith("Can see the state of Omnium credentials")
    assert names["change_credentials"] == "Can change Omnium credentials and webhook secrets"
