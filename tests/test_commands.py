"""The operator's commands: ``omnium_check`` and ``omnium_resync``."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from flow_stub_project.flow.models import Customer, Order
from omnium_integration.enums import JobKind, JobStatus
from omnium_integration.jobs import worker
from omnium_integration.models import ExternalSyncJob, JobSource
from tests.flow_factories import make_customer, make_order


def run(*args) -> str:
    from io import StringIO

    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


# ------------------------------------------------------------------- omnium_check


def test_check_reports_token_connectivity_and_the_webhook_to_configure(omnium, sandbox):
    out = run("omnium_check", "--base-url", "https://flow.example.com")
    assert "Tenant tenant_no (active)" in out
    assert "token         OK" in out and "connection    OK" in out
    assert "https://flow.example.com/omnium/events/tenant_no/" in out
    assert "classes Order, PrivateCustomer, BusinessCustomer" in out  # what to subscribe
    assert "Authorization: Bearer <webhook secret>" in out
    assert omnium.client_secret not in out and omnium.webhook_secret not in out
    assert sandbox.token_requests() == 1


def test_check_shows_the_webhook_secret_only_when_asked(omnium, sandbox):
    out = run("omnium_check", "--show-webhook-secret")
    assert f"Authorization: Bearer {omnium.webhook_secret}" in out


def test_check_fails_with_one_line_per_problem(omnium, sandbox, tenant):
    omnium.client_secret = "not-the-secret"
    omnium.save()
    with pytest.raises(CommandError, match="1 tenant\\(s\\) failed the check"):
        call_command("omnium_check")
    omnium.client_id = ""
    omnium.save()
    from io import StringIO

    out = StringIO()
    with pytest.raises(CommandError):
        call_command("omnium_check", stdout=out)
    assert "credentials   MISSING" in out.getvalue()


def test_check_of_an_unknown_tenant_is_an_error(db):
    with pytest.raises(CommandError, match="No Omnium extension for tenant 'nope'"):
        call_command("omnium_check", "--tenant", "nope")


# ------------------------------------------------------------------ omnium_resync


def test_resync_one_order_by_uid_queues_a_job_and_it_sends_the_order(omnium, sandbox, store):
    order = make_order(store, "POS-7")
    ExternalSyncJob.objects.all().delete()  # as if its job had been lost
    out = run("omnium_resync", "order", "POS-7")
    job = ExternalSyncJob.objects.get()
    assert f"Queued job #{job.pk} for order POS-7." in out
    assert (job.kind, job.object_id, job.source) == (JobKind.ORDER_EXPORT, str(order.pk), "command")
    worker.drain(job.queue)
    assert "POS7" in sandbox.state.orders


def test_resync_joins_a_waiting_job(omnium, store):
    make_order(store, "POS-7")
    (job,) = ExternalSyncJob.objects.all()
    out = run("omnium_resync", "order", str(Order.objects.get(uid="POS-7").pk))
    assert f"already has job #{job.pk} waiting" in out
    assert ExternalSyncJob.objects.count() == 1


def test_resync_of_something_with_nothing_to_send_says_so(omnium, store):
    make_order(store, "OPEN-1", state=Order.State.OPEN)
    out = run("omnium_resync", "order", "OPEN-1")
    assert "Nothing to send for order OPEN-1" in out
    assert not ExternalSyncJob.objects.exists()


def test_resync_of_an_unknown_object_exits_non_zero(omnium):
    with pytest.raises(CommandError, match="No Flow customer 'C-404'"):
        call_command("omnium_resync", "customer", "C-404")


def test_resync_omnium_order_reimports_it(omnium):
    out = run("omnium_resync", "omnium-order", "WEB-1", "--tenant", "tenant_no")
    job = ExternalSyncJob.objects.get()
    assert (job.kind, job.object_id, job.source) == (JobKind.ORDER_IMPORT, "WEB-1", "command")
    assert f"Queued job #{job.pk}" in out
    with pytest.raises(CommandError, match="needs --tenant"):
        call_command("omnium_resync", "omnium-order", "WEB-1")


def test_resync_since_catches_changes_the_signals_never_saw(omnium, store):
    old = timezone.now() - timedelta(days=3)
    for n in range(3):
        make_order(store, f"POS-{n}")
    customer = make_customer(store.tenant)
    ExternalSyncJob.objects.all().delete()
    # A bulk update (no post_save) changed customers and orders; one order is old.
    Customer.objects.filter(pk=customer.pk).update(city="Bergen")
    Order.objects.filter(uid="POS-0").update(updated_at=old)
    since = (timezone.now() - timedelta(hours=1)).isoformat()

    out = run("omnium_resync", "--since", since, "--dry-run")
    assert "order: 2 changed since" in out and "2 would be queued" in out
    assert not ExternalSyncJob.objects.exists()

    out = run("omnium_resync", "--since", since, "--kind", "order", "--kind", "customer")
    assert "order: 2 changed since" in out and "2 queued" in out
    assert "customer: 1 changed since" in out
    objects = set(ExternalSyncJob.objects.values_list("kind", "source"))
    assert objects == {
        (JobKind.ORDER_EXPORT, JobSource.COMMAND),
        (JobKind.CUSTOMER_EXPORT, "command"),
    }
    assert ExternalSyncJob.objects.filter(status=JobStatus.PENDING).count() == 3


def test_resync_since_inbound_reimports_omnium_orders_changed_since(omnium, sandbox, store):
    from tests.omnium_orders import omnium_order

    sandbox.seed_order(omnium_order("WEB-1"))
    since = (timezone.now() - timedelta(hours=1)).strftime("%Y-%m-%d %H:%M")
    out = run("omnium_resync", "--since", since, "--kind", "order", "--inbound")
    assert "Omnium orders of tenant tenant_no: 1 changed, 1 queued" in out
    job = ExternalSyncJob.objects.get(kind=JobKind.ORDER_IMPORT)
    assert job.object_id == "WEB-1"


def test_resync_needs_an_object_or_a_date(db):
    with pytest.raises(CommandError, match="Name an object"):
        call_command("omnium_resync")
    with pytest.raises(CommandError, match="expected a date"):
        call_command("omnium_resync", "--since", "yesterday")
