"""Health view, ``omnium_jobs`` and the job log lines."""

from __future__ import annotations

import json
import logging
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import timezone

from omnium_integration.enums import JobStatus, Queue
from omnium_integration.jobs import manager, worker
from omnium_integration.logs import JobContextFormatter
from omnium_integration.models import ExternalSyncJob
from tests.testapp.handlers import RECORD

ORDER_Q = Queue.ORDER.value


def add(extension, object_id, **payload):
    return manager.enqueue(RECORD, extension_id=extension.pk, object_id=object_id, payload=payload)[
        0
    ]


@pytest.fixture
def history(extension):
    add(extension, "done")
    add(extension, "broken", fail="permanent")
    worker.drain(ORDER_Q)
    return add(extension, "waiting")


def test_health_reports_each_queue(client, history):
    response = client.get(reverse("omnium_integration:health"))
    body = response.json()
    # A failed job needs a person: degraded, but the engines run (200).
    assert response.status_code == 200 and body["status"] == "degraded"
    order = next(q for q in body["queues"] if q["queue"] == ORDER_Q)
    assert (order["pending"], order["failed"], order["running"]) == (1, 1, 0)
    assert order["status"] == "degraded" and order["reasons"] == ["1 failed job(s)"]
    assert body["reasons"] == [
        f"{ORDER_Q}: 1 failed job(s)",
        "tenant tenant_no: 1 failed job(s)",
    ]
    assert body["tenants"] == [
        {"tenant": "tenant_no", "failed": 1, "status": "degraded", "reasons": ["1 failed job(s)"]}
    ]
    assert order["oldest_pending_age"] >= 0 and order["last_success_at"]
    receivement = next(q for q in body["queues"] if q["queue"] != ORDER_Q)
    assert receivement["pending"] == 0 and receivement["last_success_at"] is None
    assert receivement["status"] == "ok" and receivement["reasons"] == []


def test_a_job_overdue_for_long_makes_the_queue_unhealthy(client, history):
    ExternalSyncJob.objects.filter(pk=history).update(
        next_attempt_at=timezone.now() - timedelta(minutes=30)
    )
    response = client.get(reverse("omnium_integration:health"))
    assert response.status_code == 503 and response.json()["status"] == "down"
    order = next(q for q in response.json()["queues"] if q["queue"] == ORDER_Q)
    assert order["status"] == "down" and order["oldest_due_age"] >= 1800
    assert "is the engine running?" in order["reasons"][0]
    with pytest.raises(CommandError, match="overdue .* on external_order_sync"):
        call_command("omnium_jobs")
    # --allow-degraded keeps the old rule: a queue down still fails.
    with pytest.raises(CommandError, match="^down: "):
        call_command("omnium_jobs", "--allow-degraded")


def test_a_job_waiting_for_its_retry_is_not_overdue(client, extension):
    job = add(extension, "retrying", fail="retry")
    worker.drain(ORDER_Q)
    assert ExternalSyncJob.objects.get(pk=job).status == JobStatus.PENDING
    response = client.get(reverse("omnium_integration:health"))
    assert response.status_code == 200 and response.json()["status"] == "ok"


def test_omnium_jobs_summary_and_failed_list(history, capsys):
    # A failed job makes the health degraded: the command exits non-zero, in one line.
    with pytest.raises(CommandError, match="^degraded: external_order_sync: 1 failed job"):
        call_command("omnium_jobs")
    out = capsys.readouterr().out
    line = next(line for line in out.splitlines() if line.startswith(ORDER_Q))
    assert line.split()[1:4] == ["1", "0", "1"]  # pending, running, failed
    assert "status: degraded" in out
    call_command("omnium_jobs", "--allow-degraded")  # today's behaviour: exit 0
    call_command("omnium_jobs", "--failed")
    out = capsys.readouterr().out
    assert "broken" in out and "HTTP 400" in out and "Omnium answered 400" in out
    assert "(tenant tenant_no, attempts 1" in out
    call_command("omnium_jobs", "--failed", "--json")
    rows = json.loads(capsys.readouterr().out)
    assert [r["object_id"] for r in rows] == ["broken"]


def test_omnium_jobs_retry_failed(history, capsys):
    call_command("omnium_jobs", "--retry-failed")
    assert "1 failed job(s) will run again now." in capsys.readouterr().out
    assert not ExternalSyncJob.objects.filter(status=JobStatus.FAILED).exists()


def test_omnium_jobs_prune_keeps_recent_successes(history, capsys):
    old = timezone.now() - timedelta(days=30)
    done = ExternalSyncJob.objects.get(object_id="done")
    ExternalSyncJob.objects.filter(pk=done.pk).update(finished_at=old)
    call_command("omnium_jobs", "--prune")
    assert not ExternalSyncJob.objects.filter(pk=done.pk).exists()
    assert ExternalSyncJob.objects.filter(object_id="broken").exists()


def test_job_log_lines_carry_job_tenant_kind_and_attempt(extension, caplog):
    add(extension, "broken", fail="permanent")
    with caplog.at_level(logging.INFO, logger="omnium_integration"):
        worker.drain(ORDER_Q)
    (record,) = [r for r in caplog.records if r.getMessage().startswith("job failed")]
    line = JobContextFormatter("%(message)s").format(record)
    job = ExternalSyncJob.objects.get(object_id="broken")
    assert f"job_id={job.pk} extension_id={extension.pk} kind={RECORD} attempt=1" in line
    assert "outcome=failed status_code=400" in line


@pytest.mark.django_db(transaction=True)
def test_an_unreachable_database_is_down_as_json_not_an_error_page(client):
    from django.db import connection

    from flow_stub_project.devstack import free_port

    saved = dict(connection.settings_dict)
    connection.close()
    if connection.vendor == "postgresql":
        connection.settings_dict["PORT"] = str(free_port())  # nothing listens there
    else:
        connection.settings_dict["NAME"] = "/nonexistent/dir/flow.sqlite3"
    try:
        response = client.get(reverse("omnium_integration:health"))
    finally:
        connection.close()
        connection.settings_dict.update(saved)
    assert response.status_code == 503
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["status"] == "down"
    assert body["reasons"] == ["database unreachable (OperationalError)"]


def test_an_active_tenant_without_credentials_is_degraded(client, tenant):
    from omnium_integration.models import TenantExtension

    TenantExtension.objects.create(tenant=tenant, is_active=True)
    body = client.get(reverse("omnium_integration:health")).json()
    assert body["status"] == "degraded"
    assert body["reasons"] == ["tenant tenant_no: no Omnium credentials (client id and secret)"]
