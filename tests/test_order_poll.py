"""The safety-net poll: its schedule, its first run, and tenants kept apart."""

from __future__ import annotations

import json
from datetime import timedelta

from django.utils import timezone
from django_q.models import Schedule

from flow_stub_project.flow.models import Store, Tenant
from omnium_integration import tasks
from omnium_integration.enums import Queue
from omnium_integration.models import ExternalSyncJob, TenantExtension
from omnium_integration.schedules import POLL_NAME, ensure_schedules
from omnium_integration.sync.order_poll import poll_tenant
from omnium_integration.transform import parse_omnium_datetime
from tests.omnium_orders import omnium_order


def test_the_poll_is_scheduled_on_the_order_cluster_every_interval(db, settings):
    ensure_schedules()
    schedule = Schedule.objects.get(name=POLL_NAME)
    assert (schedule.func, schedule.cluster) == (
        "omnium_integration.tasks.poll_orders",
        Queue.ORDER,
    )
    assert (schedule.schedule_type, schedule.minutes) == (Schedule.MINUTES, 5)
    settings.OMNIUM_INTEGRATION = {**settings.OMNIUM_INTEGRATION, "POLL_INTERVAL_MINUTES": 2}
    assert ensure_schedules() == 1
    assert Schedule.objects.get(name=POLL_NAME).minutes == 2


def test_the_first_poll_looks_back_one_interval_not_through_history(omnium, store, sandbox):
    sandbox.seed_order(omnium_order("CC-1"))
    before = timezone.now()
    stats = poll_tenant(omnium)
    omnium.refresh_from_db()
    assert stats.enqueued == 1
    # The watermark is the newest change seen; it was one interval back before that.
    assert before - timedelta(minutes=5, seconds=5) < omnium.poll_watermark <= timezone.now()
    search = json.loads(sandbox.last_requests("POST /api/Orders/Search")[0]["body"])
    assert (search["selectedStores"], search["sortOrder"]) == (["oslo_city"], "ModifiedAscending")
    modified_from = parse_omnium_datetime(search["modifiedFrom"])
    assert modified_from < before - timedelta(minutes=5)  # one interval back, and the overlap


def test_a_tenant_without_stores_is_not_polled(omnium, sandbox):
    stats = poll_tenant(omnium)
    assert stats.note and stats.enqueued == 0
    assert sandbox.call_count("POST /api/Orders/Search") == 0


def test_one_tenants_failing_poll_stops_no_other(omnium, store, sandbox):
    broken_tenant = Tenant.objects.create(uid="t2", name="T2", country_code="NO", currency="NOK")
    Store.objects.create(tenant=broken_tenant, uid="s2", name="S2", country_code="NO")
    broken = TenantExtension.objects.create(
        tenant=broken_tenant,
        is_active=True,
        client_id="unknown-to-omnium",
        client_secret="nope",
        api_base_url=sandbox.url,
    )
    inactive_tenant = Tenant.objects.create(uid="t3", name="T3", country_code="NO")
    TenantExtension.objects.create(
        tenant=inactive_tenant, client_id="x", client_secret="y", api_base_url=sandbox.url
    )
    sandbox.seed_order(omnium_order("CC-1"))
    results = tasks.poll_orders()
    assert set(results) == {str(omnium.pk), str(broken.pk)}  # inactive: not polled
    assert "error" in results[str(broken.pk)]
    assert results[str(omnium.pk)]["enqueued"] == 1
    assert list(ExternalSyncJob.objects.values_list("extension_id", "object_id")) == [
        (omnium.pk, "CC-1")
    ]


def test_operators_can_poll_and_import_at_once_after_an_outage(omnium, store, sandbox):
    from io import StringIO

    from django.core.management import call_command

    from flow_stub_project.flow.models import Order

    sandbox.seed_order(omnium_order("CC-1"))
    out = StringIO()
    call_command("omnium_sync", "--poll", "--drain", stdout=out)
    assert "poll of tenant tenant_no: 1 enqueued" in out.getvalue()  # its UID, not a db id
    assert Order.objects.get(uid="CC-1").state == "PARKED"
