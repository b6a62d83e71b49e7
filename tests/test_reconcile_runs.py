"""Running reconciliations: the command, stored runs, failures, the nightly schedule, the
admin, and staying within Omnium's limits."""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Permission, User
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone
from django_q.models import OrmQ, Schedule
from django_q.signing import SignedPackage

from omnium_integration import tasks
from omnium_integration.enums import JobKind, Queue
from omnium_integration.jobs import manager
from omnium_integration.models import ExternalSyncJob, ReconciliationRun, TenantExtension
from omnium_integration.schedules import RECONCILE_NAME, ensure_schedules
from tests.flow_factories import make_order
from tests.reconciling import command, drain, run, seed_in_sync

OSLO = ZoneInfo("Europe/Oslo")


def lost_sale(store, uid="POS-1"):
    """A sale whose job an operator cancelled: missing in Omnium."""
    order = make_order(store, uid)
    manager.cancel(ExternalSyncJob.objects.filter(object_id=str(order.pk)))
    return order


def today() -> str:
    return timezone.now().astimezone(OSLO).date().isoformat()


# ------------------------------------------------------------------------------ command


def test_the_command_prints_a_summary_and_stores_the_run(omnium, sandbox, store):
    make_order(store, "POS-2")
    drain()
    lost_sale(store)
    out = command("--tenant", "tenant_no", "--since", today())
    assert "POS sales, returns, cancellations" in out
    assert "missing in Omnium" in out and "total" in out
    stored = ReconciliationRun.objects.get()
    assert (stored.trigger, stored.status, stored.difference_count) == ("command", "done", 1)
    assert stored.checked["pos_order"] == 2 and stored.triggered_by
    # Dates are days in the tenant's zone: from midnight in Oslo until now.
    start = stored.period_start.astimezone(OSLO)
    assert (start.hour, start.minute, start.date().isoformat()) == (0, 0, today())
    assert not ExternalSyncJob.objects.filter(source="reconcile").exists()  # no --heal


def test_json_shows_every_difference_with_both_sides(omnium, sandbox, store):
    order = lost_sale(store)
    document = json.loads(command("--tenant", "tenant_no", "--since", today(), "--json"))
    (missing,) = document["differences"]
    assert missing == {
        "area": "pos_order",
        "kind": "missing_in_omnium",
        "flow": {"ref": str(order.pk), "uid": "POS-1"},
        "omnium": None,
        "fields": {
            "status": {"flow": "completed", "omnium": None},
            "total": {"flow": 39929, "omnium": None},
        },
        "heal": {"job": "order.export", "object": str(order.pk)},
        "note": "",
    }
    assert document["counts"]["pos_order"] == {"missing_in_omnium": 1}


def test_heal_reports_the_jobs_it_enqueued_and_the_next_run_is_clean(omnium, sandbox, store):
    order = lost_sale(store)
    out = command("--tenant", "tenant_no", "--since", today(), "--heal")
    job = ExternalSyncJob.objects.get(source="reconcile")
    assert (job.kind, job.object_id) == (JobKind.ORDER_EXPORT, str(order.pk))
    assert "Healed: 1 job(s) enqueued (1 new" in out and f"job #{job.pk}" in out
    assert ReconciliationRun.objects.get().healed[0]["jobId"] == job.pk
    drain()
    assert "POS1" in sandbox.state.orders
    again = json.loads(command("--tenant", "tenant_no", "--since", today(), "--json"))
    assert again["differenceCount"] == 0 and again["differences"] == []


def test_until_includes_its_day_and_the_period_can_be_in_the_past(omnium, sandbox, store):
    lost_sale(store)
    yesterday = (timezone.now().astimezone(OSLO) - timedelta(days=1)).date().isoformat()
    document = json.loads(
        command("--tenant", "tenant_no", "--since", yesterday, "--until", yesterday, "--json")
    )
    assert document["differenceCount"] == 0  # the sale is today's
    stored = ReconciliationRun.objects.get()
    assert stored.period_end - stored.period_start == timedelta(days=1)


@pytest.mark.parametrize(
    "args, message",
    [
        (("--tenant", "nobody", "--since", "2026-11-01"), "No Omnium extension"),
        (("--tenant", "tenant_no", "--since", "yesterday"), "neither a date"),
        (("--tenant", "tenant_no", "--since", "2026-11-02", "--until", "2026-11-01"), "ends"),
    ],
)
def test_the_command_refuses_what_it_cannot_do(omnium, args, message):
    with pytest.raises(CommandError, match=message):
        command(*args)


def test_heal_is_refused_for_an_inactive_tenant(omnium, sandbox, store):
    TenantExtension.objects.filter(pk=omnium.pk).update(is_active=False)
    with pytest.raises(CommandError, match="not active"):
        command("--tenant", "tenant_no", "--since", today(), "--heal")


def test_a_run_omnium_cannot_answer_fails_visibly_and_reports_nothing(omnium, sandbox, store):
    lost_sale(store)
    sandbox.faults.configure(error_rates={503: 1.0}, path=r"/api/Orders/Scroll")
    with pytest.raises(CommandError, match="nothing was compared.*503"):
        command("--tenant", "tenant_no", "--since", today(), "--heal")
    failed = ReconciliationRun.objects.get()
    assert failed.status == "failed" and "503" in failed.error
    assert (failed.difference_count, failed.differences, failed.healed) == (0, [], [])
    assert not ExternalSyncJob.objects.filter(source="reconcile").exists()


# ------------------------------------------------------------------------ Omnium's limits


def test_a_day_is_read_in_scroll_batches_within_the_call_caps(omnium, sandbox, store):
    seed_in_sync(store, omnium, sandbox, 2500)
    calls_before = sandbox.call_count()
    result = run(omnium)
    assert result.checked["pos_order"] == 2500 and result.difference_count == 0
    assert sandbox.call_count("POST /api/Orders/Scroll") == 1 + 3  # POS, three web types
    assert sandbox.call_count("GET /api/Orders/Scroll/{id}") == 2  # 1,000 + 1,000 + 500
    assert sandbox.call_count("GET /api/Orders/{id}") == 0
    assert sandbox.call_count() - calls_before <= 10
    assert sandbox.max_in_flight() <= 20


# ---------------------------------------------------------------------- nightly schedule


def nightly(settings, **more):
    settings.OMNIUM_INTEGRATION = {
        **settings.OMNIUM_INTEGRATION,
        "RECONCILE_NIGHTLY": True,
        **more,
    }


def test_the_nightly_schedule_follows_the_settings(db, settings):
    settings.TIME_ZONE = "Europe/Oslo"
    ensure_schedules()
    assert not Schedule.objects.filter(name=RECONCILE_NAME).exists()  # off in the stub
    nightly(settings, RECONCILE_NIGHTLY_AT="02:30")
    assert ensure_schedules() == 1
    schedule = Schedule.objects.get(name=RECONCILE_NAME)
    assert (schedule.func, schedule.cluster, schedule.schedule_type) == (
        "omnium_integration.tasks.reconcile_previous_day",
        Queue.ORDER,
        Schedule.DAILY,
    )
    assert timezone.localtime(schedule.next_run).time() == time(2, 30)
    assert schedule.next_run > timezone.now()
    assert ensure_schedules() == 0  # idempotent
    nightly(settings, RECONCILE_NIGHTLY_AT="04:00")
    assert ensure_schedules() == 1
    assert timezone.localtime(Schedule.objects.get(name=RECONCILE_NAME).next_run).hour == 4
    settings.OMNIUM_INTEGRATION = {**settings.OMNIUM_INTEGRATION, "RECONCILE_NIGHTLY": False}
    assert ensure_schedules() == 1
    assert not Schedule.objects.filter(name=RECONCILE_NAME).exists()


def test_each_active_tenant_gets_a_task_of_its_own_with_a_long_timeout(extension, settings):
    nightly(settings, RECONCILE_TASK_TIMEOUT=1800)
    before = OrmQ.objects.count()
    assert tasks.reconcile_previous_day() == {"tenants": 1}
    (queued,) = OrmQ.objects.order_by("-pk")[: OrmQ.objects.count() - before]
    task = SignedPackage.loads(queued.payload)
    assert task["func"] == "omnium_integration.tasks.reconcile_tenant"
    assert task["args"] == (extension.pk,) and task["timeout"] == 1800
    assert task["cluster"] == Queue.ORDER


def test_the_nightly_run_reconciles_yesterday_once_and_heals_if_told(
    omnium, sandbox, store, settings
):
    nightly(settings, RECONCILE_NIGHTLY_HEAL=True)
    order = lost_sale(store)
    yesterday_evening = timezone.now() - timedelta(days=1)
    ExternalSyncJob.objects.filter(object_id=str(order.pk)).delete()
    type(order).objects.filter(pk=order.pk).update(completed_at=yesterday_evening)
    now = timezone.now().isoformat()
    result = tasks.reconcile_tenant(omnium.pk, now)
    stored = ReconciliationRun.objects.get(pk=result["run"])
    assert (stored.trigger, stored.triggered_by, stored.difference_count) == ("schedule", "", 1)
    assert stored.period_start.astimezone(OSLO).date() == yesterday_evening.astimezone(OSLO).date()
    assert ExternalSyncJob.objects.get(source="reconcile").object_id == str(order.pk)
    # Handed to a second worker (django-q2's retry): the day is not reconciled twice.
    assert "skipped" in tasks.reconcile_tenant(omnium.pk, now)
    assert ReconciliationRun.objects.count() == 1


# --------------------------------------------------------------------------------- admin


@pytest.fixture
def admin_client(client, db):
    client.force_login(User.objects.create_superuser("ops", "ops@example.com", "pw"))
    return client


def test_the_admin_lists_runs_newest_first_and_heals_one(admin_client, omnium, sandbox, store):
    order = lost_sale(store)
    older = run(omnium)
    older.started_at = timezone.now() - timedelta(days=1)
    older.save()
    newer = run(omnium)
    listing = admin_client.get(reverse("admin:omnium_integration_reconciliationrun_changelist"))
    html = listing.content.decode()
    assert listing.status_code == 200
    assert html.index(f"/{newer.pk}/change/") < html.index(f"/{older.pk}/change/")
    assert "1 missing in Omnium" in html
    page = admin_client.get(
        reverse("admin:omnium_integration_reconciliationrun_change", args=[newer.pk])
    )
    detail = page.content.decode()
    assert "POS-1" in detail and "39929" in detail and "order.export" in detail
    response = admin_client.post(
        reverse("admin:omnium_integration_reconciliationrun_changelist"),
        {"action": "heal", "_selected_action": [newer.pk]},
        follow=True,
    )
    assert "1 job(s) enqueued for 1 run(s)" in response.content.decode()
    newer.refresh_from_db()
    assert newer.healed_by == "ops" and newer.healed[0]["object"] == str(order.pk)
    assert ExternalSyncJob.objects.get(source="reconcile").object_id == str(order.pk)


def test_healing_from_the_admin_needs_permission(client, omnium, sandbox, store):
    lost_sale(store)
    stored = run(omnium)
    viewer = User.objects.create_user("viewer", password="pw", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_reconciliationrun"))
    client.force_login(viewer)
    url = reverse("admin:omnium_integration_reconciliationrun_changelist")
    assert client.get(url).status_code == 200
    client.post(url, {"action": "heal", "_selected_action": [stored.pk]})
    assert not ExternalSyncJob.objects.filter(source="reconcile").exists()


def test_the_admin_shows_a_failed_run_with_its_reason(admin_client, omnium, sandbox, store):
    sandbox.faults.configure(error_rates={503: 1.0}, path=r"/api/Orders/Scroll")
    with pytest.raises(Exception, match="503"):
        run(omnium)
    failed = ReconciliationRun.objects.get()
    page = admin_client.get(
        reverse("admin:omnium_integration_reconciliationrun_change", args=[failed.pk])
    )
    assert "503" in page.content.decode() and "Failed" in page.content.decode()


def test_datetimes_name_exact_ends(omnium, sandbox, store):
    since = datetime(2026, 3, 1, 12, 0, tzinfo=OSLO)
    command("--tenant", "tenant_no", "--since", since.isoformat(), "--until", "2026-03-01T13:00")
    stored = ReconciliationRun.objects.get()
    assert stored.period_start == since
    assert stored.period_end == datetime(2026, 3, 1, 13, 0, tzinfo=OSLO)
