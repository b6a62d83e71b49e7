"""Retention: old records go on a schedule; failed jobs stay until resolved."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

from django.core.management import call_command
from django.utils import timezone
from django_q.models import Schedule

from omnium_integration.enums import EventOutcome, JobStatus, Queue
from omnium_integration.jobs import manager, worker
from omnium_integration.models import (
    Alert,
    AlertKind,
    ExternalSyncJob,
    InboundEvent,
    JobAttempt,
    RefusedDelivery,
)
from omnium_integration.retention import prune
from omnium_integration.schedules import ensure_schedules
from tests.testapp.handlers import RECORD


def job(extension, object_id: str, status: str, finished_days_ago: float, **payload) -> int:
    job_id, _ = manager.enqueue(
        RECORD, extension_id=extension.pk, object_id=object_id, payload=payload
    )
    worker.drain(Queue.ORDER.value)
    when = timezone.now() - timedelta(days=finished_days_ago)
    ExternalSyncJob.objects.filter(pk=job_id).update(status=status, finished_at=when)
    JobAttempt.objects.filter(job_id=job_id).update(finished_at=when, started_at=when)
    return job_id


def test_prune_deletes_what_is_past_its_age_and_keeps_failed_jobs(extension):
    old_ok = job(extension, "old-ok", JobStatus.SUCCEEDED, 20)
    new_ok = job(extension, "new-ok", JobStatus.SUCCEEDED, 1)
    old_cancelled = job(extension, "old-cancelled", JobStatus.CANCELLED, 40)
    old_failed = job(extension, "old-failed", JobStatus.FAILED, 400, fail="permanent")
    retrying = job(extension, "retrying", JobStatus.PENDING, 40)
    now = timezone.now()
    for days, event_id in ((40, "old"), (1, "new")):
        InboundEvent.objects.create(
            extension=extension,
            event_id=event_id,
            body={},
            outcome=EventOutcome.QUEUED,
            received_at=now - timedelta(days=days),
        )
    for days in (10, 1):
        RefusedDelivery.objects.create(
            tenant_key="x", status=401, error="unauthorized", received_at=now - timedelta(days=days)
        )
    Alert.objects.create(
        cause="old", kind=AlertKind.FAILED_JOB, summary="s", last_seen_at=now - timedelta(days=3)
    )

    pruned = prune()

    remaining = set(ExternalSyncJob.objects.values_list("pk", flat=True))
    assert remaining == {new_ok, old_failed, retrying}
    assert {old_ok, old_cancelled}.isdisjoint(remaining)
    assert (pruned.succeeded_jobs, pruned.cancelled_jobs) == (1, 1)
    # The retrying job's old attempt is gone; the failed job keeps its history.
    assert not JobAttempt.objects.filter(job_id=retrying).exists()
    assert JobAttempt.objects.filter(job_id=old_failed).exists()
    assert list(InboundEvent.objects.values_list("event_id", flat=True)) == ["new"]
    assert RefusedDelivery.objects.count() == 1 and pruned.refused_deliveries == 1
    # The stale alert is gone; the failed job's fresh one stays.
    assert list(Alert.objects.values_list("cause", flat=True)) == [f"failed_job:{old_failed}"]
    assert pruned.alerts == 1


def test_the_command_prunes_and_says_what(extension):
    job(extension, "old-ok", JobStatus.SUCCEEDED, 20)
    out = StringIO()
    call_command("omnium_jobs", "--prune", stdout=out)
    assert out.getvalue().startswith("Deleted 1 succeeded jobs, 0 cancelled jobs")
    assert not ExternalSyncJob.objects.exists()


def test_prune_and_alerts_run_on_schedules(db):
    ensure_schedules()
    prune_schedule = Schedule.objects.get(func="omnium_integration.tasks.prune")
    assert prune_schedule.schedule_type == Schedule.HOURLY
    assert prune_schedule.cluster == Queue.ORDER.value
    alert_clusters = set(
        Schedule.objects.filter(func="omnium_integration.tasks.send_alerts").values_list(
            "cluster", flat=True
        )
    )
    assert alert_clusters == {q.value for q in Queue}  # each engine tells of the other
    assert ensure_schedules() == 0
