"""The admin as an operator uses it: finding a sale's job, acting on it, reading a tenant."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.core.checks import run_checks
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from omnium_integration.enums import IdentityKind, JobKind, JobStatus, Queue
from omnium_integration.jobs import manager, worker
from omnium_integration.models import ExternalSyncJob, InboundEvent, OmniumIdentity
from tests.flow_factories import make_order
from tests.jobs import job_of
from tests.testapp.handlers import RECORD

JOBS = "admin:omnium_integration_externalsyncjob"


@pytest.fixture
def admin_client(client, db):
    client.force_login(User.objects.create_superuser("ops", "ops@example.com", "pw"))
    return client


@pytest.fixture
def sale(omnium, sandbox, store):
    order = make_order(store, "POS-DE-0001")
    sandbox.faults.fail_next(400, path="/api/Orders$")
    worker.drain(Queue.ORDER.value)
    assert job_of(order).status == JobStatus.FAILED
    return order


def test_a_sale_is_found_by_its_uid_and_its_omnium_id_and_links_to_flow(admin_client, sale):
    job = job_of(sale)
    url = reverse(f"{JOBS}_changelist")
    found = admin_client.get(url, {"q": "POS-DE-0001"})
    assert [j.pk for j in found.context["cl"].result_list] == [job.pk]
    html = found.content.decode()
    flow_url = reverse("admin:flow_order_change", args=[sale.pk])
    assert f'<a href="{flow_url}">sale POS-DE-0001</a>' in html
    assert "omnium-status-failed" in html  # the status badge
    OmniumIdentity.objects.get_or_create(
        extension=job.extension,
        kind=IdentityKind.ORDER,
        flow_ref=str(sale.pk),
        defaults={"flow_uid": sale.uid, "omnium_id": "POSDE0001"},
    )
    by_omnium_id = admin_client.get(url, {"q": "POSDE0001"})
    assert [j.pk for j in by_omnium_id.context["cl"].result_list] == [job.pk]
    by_job_id = admin_client.get(url, {"q": f"#{job.pk}"})
    assert [j.pk for j in by_job_id.context["cl"].result_list] == [job.pk]
    assert not admin_client.get(url, {"q": "POS-NOPE"}).context["cl"].result_list


def test_an_imported_order_is_found_by_its_omnium_id_and_links_to_its_flow_order(
    admin_client, extension, store
):
    order = make_order(store, "WEB-7-FLOW")
    job_id, _ = manager.enqueue(JobKind.ORDER_IMPORT, extension_id=extension.pk, object_id="WEB7")
    OmniumIdentity.objects.create(
        extension=extension,
        kind=IdentityKind.ORDER,
        flow_ref=str(order.pk),
        flow_uid=order.uid,
        omnium_id="WEB7",
    )
    url = reverse(f"{JOBS}_changelist")
    found = admin_client.get(url, {"q": "WEB7"})
    assert job_id in [j.pk for j in found.context["cl"].result_list]
    assert reverse("admin:flow_order_change", args=[order.pk]) in found.content.decode()


def test_the_job_page_retries_and_cancels_with_buttons(admin_client, sale, sandbox):
    job = job_of(sale)
    page = admin_client.get(reverse(f"{JOBS}_change", args=[job.pk])).content.decode()
    retry_url = reverse(f"{JOBS}_retry", args=[job.pk])
    assert f'action="{retry_url}"' in page and "Retry now</button>" in page
    assert admin_client.get(retry_url).status_code == 405  # a change needs a POST
    response = admin_client.post(retry_url, follow=True)
    assert "1 job(s) will run now." in response.content.decode()
    worker.drain(Queue.ORDER.value)
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED and "POSDE0001" in sandbox.state.orders
    # A succeeded job has no buttons; a waiting one can be cancelled from its page.
    page = admin_client.get(reverse(f"{JOBS}_change", args=[job.pk])).content.decode()
    assert "Retry now</button>" not in page and "Cancel job</button>" not in page
    waiting, _ = manager.enqueue(RECORD, extension_id=job.extension_id, object_id="later")
    admin_client.post(reverse(f"{JOBS}_cancel", args=[waiting]))
    assert ExternalSyncJob.objects.get(pk=waiting).status == JobStatus.CANCELLED


def test_the_buttons_need_the_change_permission(client, sale):
    from django.contrib.auth.models import Permission

    viewer = User.objects.create_user("viewer", password="pw", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_externalsyncjob"))
    client.force_login(viewer)
    job = job_of(sale)
    page = client.get(reverse(f"{JOBS}_change", args=[job.pk])).content.decode()
    assert "Retry now</button>" not in page
    assert client.post(reverse(f"{JOBS}_retry", args=[job.pk])).status_code == 403
    assert ExternalSyncJob.objects.get(pk=job.pk).status == JobStatus.FAILED


def test_jobs_and_events_cannot_be_deleted_in_the_admin(admin_client, extension):
    job_id, _ = manager.enqueue(RECORD, extension_id=extension.pk, object_id="o-1")
    listing = admin_client.get(reverse(f"{JOBS}_changelist")).content.decode()
    assert "delete_selected" not in listing
    assert admin_client.get(reverse(f"{JOBS}_delete", args=[job_id])).status_code == 403
    event = InboundEvent.objects.create(extension=extension, body={}, outcome="queued")
    name = "admin:omnium_integration_inboundevent"
    assert "delete_selected" not in admin_client.get(reverse(f"{name}_changelist")).content.decode()
    assert admin_client.get(reverse(f"{name}_delete", args=[event.pk])).status_code == 403
    assert ExternalSyncJob.objects.filter(pk=job_id).exists()


def test_updated_at_is_the_time_of_the_last_change(extension):
    job_id, _ = manager.enqueue(RECORD, extension_id=extension.pk, object_id="o-1")
    created = timezone.now() - timedelta(hours=1)
    with connection.cursor() as cursor:  # as if written an hour ago
        cursor.execute(
            "UPDATE omnium_integration_externalsyncjob SET created_at = %s, updated_at = %s",
            [created, created],
        )
    worker.drain(Queue.ORDER.value)  # claim and finish are bulk UPDATEs
    job = ExternalSyncJob.objects.get(pk=job_id)
    assert job.updated_at > created + timedelta(minutes=59)
    assert job.updated_at >= job.finished_at


def test_tenant_page_labels_parameters_and_shows_the_absolute_webhook_url(
    admin_client, extension, settings
):
    settings.OMNIUM_INTEGRATION = {**settings.OMNIUM_INTEGRATION, "PUBLIC_BASE_URL": ""}
    url = reverse("admin:omnium_integration_tenantextension_change", args=[extension.pk])
    html = admin_client.get(url).content.decode()
    assert ">Click &amp; Collect handling:</label>" in html
    assert "OMNIUM_CLICK_COLLECT_ORDERHANDLING_UID. The Flow handling task attached" in html
    assert ">Send receipts as invoices</label>" in html
    # The header the subscription sends, escaped, not a cut-off tag.
    assert "<code>Authorization: Bearer &lt;secret&gt;</code>" in html
    assert "http://testserver/omnium/events/tenant_no/" in html
    assert "PUBLIC_BASE_URL is not set" in html
    assert extension.webhook_secret not in html and extension.client_secret not in html
    settings.OMNIUM_INTEGRATION = {
        **settings.OMNIUM_INTEGRATION,
        "PUBLIC_BASE_URL": "https://flow.example.com/",
    }
    html = admin_client.get(url).content.decode()
    assert "https://flow.example.com/omnium/events/tenant_no/" in html
    assert "PUBLIC_BASE_URL is not set" not in html


def test_a_system_check_warns_without_public_base_url(settings):
    settings.OMNIUM_INTEGRATION = {**settings.OMNIUM_INTEGRATION, "PUBLIC_BASE_URL": ""}
    ids = {message.id for message in run_checks()}
    assert "omnium_integration.W014" in ids
    settings.OMNIUM_INTEGRATION = {
        **settings.OMNIUM_INTEGRATION,
        "PUBLIC_BASE_URL": "https://flow.example.com",
    }
    assert "omnium_integration.W014" not in {message.id for message in run_checks()}


def test_refused_deliveries_are_listed_read_only(admin_client, extension):
    from omnium_integration.models import RefusedDelivery

    row = RefusedDelivery.objects.create(
        tenant_key="tenant_no", status=401, error="unauthorized", reason="Missing secret."
    )
    name = "admin:omnium_integration_refuseddelivery"
    listing = admin_client.get(reverse(f"{name}_changelist")).content.decode()
    assert "Missing secret." in listing and "delete_selected" not in listing
    page = admin_client.get(reverse(f"{name}_change", args=[row.pk]))
    assert page.status_code == 200 and "<textarea" not in page.content.decode()
