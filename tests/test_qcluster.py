"""The engines as django-q2 clusters: on-commit dispatch, schedules, a real ``qcluster``."""

from __future__ import annotations

import os

import pytest
from django.db import transaction
from django_q.models import OrmQ, Schedule

from flow_stub_project.devstack import start_engine, stop, wait_for
from omnium_integration import tasks
from omnium_integration.enums import JobStatus, Queue
from omnium_integration.jobs import manager
from omnium_integration.models import ExternalSyncJob, JobSource
from omnium_integration.schedules import ensure_schedules
from tests.conftest import read_runs
from tests.testapp.handlers import RECORD

ORDER_Q = Queue.ORDER.value


def test_a_committed_transaction_kicks_its_queue_once(
    extension, django_capture_on_commit_callbacks
):
    before = OrmQ.objects.count()
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        for i in range(5):
            manager.enqueue(RECORD, extension_id=extension.pk, object_id=f"order-{i}")
    kicks = OrmQ.objects.all()[before:]
    assert [k.key for k in kicks] == [ORDER_Q]  # one drain task, on the queue's own cluster
    assert kicks[0].task["func"] == "omnium_integration.tasks.drain"
    assert kicks[0].task["args"] == (ORDER_Q,)


@pytest.mark.django_db(transaction=True)  # real commits: each kick is sent by its own
def test_a_flow_change_joining_a_waiting_job_kicks_again_a_webhook_does_not(extension):
    # The joining change row-locks the waiting job, so a drain running meanwhile skips
    # it; the change's own kick brings a drain back once it commits.
    manager.enqueue(RECORD, extension_id=extension.pk, object_id="order-1")
    OrmQ.objects.all().delete()
    with transaction.atomic():
        job_id, created = manager.enqueue(RECORD, extension_id=extension.pk, object_id="order-1")
    assert not created
    assert [k.key for k in OrmQ.objects.all()] == [ORDER_Q]
    OrmQ.objects.all().delete()
    with transaction.atomic():  # an Omnium event changed nothing in Flow: no lock, no kick
        manager.enqueue(
            RECORD, extension_id=extension.pk, object_id="order-1", source=JobSource.WEBHOOK
        )
    assert not OrmQ.objects.exists()


def test_a_rolled_back_transaction_kicks_nothing(extension, django_capture_on_commit_callbacks):
    before = OrmQ.objects.count()
    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        manager.enqueue(RECORD, extension_id=extension.pk, object_id="order-1")
        raise RuntimeError
    assert callbacks == []
    assert OrmQ.objects.count() == before
    assert not ExternalSyncJob.objects.exists()


def test_each_engine_has_a_sweeper_schedule_on_its_own_cluster(db):
    ensure_schedules()
    sweepers = {
        s.cluster: s
        for s in Schedule.objects.filter(
            name__startswith="omnium_integration", func="omnium_integration.tasks.drain"
        )
    }
    assert set(sweepers) == {q.value for q in Queue}
    for queue, schedule in sweepers.items():
        assert schedule.func == "omnium_integration.tasks.drain"
        assert eval(schedule.args) == queue  # noqa: S307 - django-q2 stores args as a literal
        assert (schedule.schedule_type, schedule.minutes) == (Schedule.MINUTES, 1)
    assert ensure_schedules() == 0  # idempotent


def test_the_sweeper_task_runs_due_retries_and_expired_leases(extension, runs_file):
    from datetime import timedelta

    from django.utils import timezone

    retry_id, _ = manager.enqueue(
        RECORD, extension_id=extension.pk, object_id="a", payload={"path": str(runs_file)}
    )
    orphan_id, _ = manager.enqueue(
        RECORD, extension_id=extension.pk, object_id="b", payload={"path": str(runs_file)}
    )
    manager.claim(ORDER_Q, worker="killed-worker")  # both now leased by a dead worker
    ExternalSyncJob.objects.filter(pk=orphan_id).update(
        lease_expires_at=timezone.now() - timedelta(seconds=1)
    )
    ExternalSyncJob.objects.filter(pk=retry_id).update(
        status=JobStatus.PENDING, next_attempt_at=timezone.now(), lease_token=None
    )
    result = tasks.drain(ORDER_Q)
    assert result["succeeded"] == 2
    assert sorted(read_runs(runs_file)) == sorted([retry_id, orphan_id])


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_a_job_enqueued_in_a_transaction_is_run_by_a_real_qcluster(
    extension, runs_file, child_env, tmp_path
):
    # Only the on-commit kick may start the job: keep the sweeper schedules away.
    Schedule.objects.filter(name__startswith="omnium_integration").delete()
    log_path = tmp_path / "qcluster.log"
    with log_path.open("w") as log:
        cluster = start_engine(ORDER_Q, env=child_env, workers=1, log=log)
        try:
            ids = []
            for name in ("warm-up", "sale-1"):
                with transaction.atomic():
                    job_id, _ = manager.enqueue(
                        RECORD,
                        extension_id=extension.pk,
                        object_id=name,
                        payload={"path": str(runs_file)},
                    )
                ids.append(job_id)
                wait_for(
                    lambda job_id=job_id: (
                        cluster.poll() is not None
                        or ExternalSyncJob.objects.get(pk=job_id).status == JobStatus.SUCCEEDED
                    ),
                    timeout=60,
                )
            assert cluster.poll() is None, log_path.read_text()
        finally:
            stop(cluster)
    jobs = ExternalSyncJob.objects.filter(pk__in=ids)
    assert [j.status for j in jobs] == [JobStatus.SUCCEEDED] * 2, log_path.read_text()
    assert read_runs(runs_file) == ids
    # It ran in the cluster's worker process, not in this test process.
    pids = {int(line.split()[1]) for line in runs_file.read_text().splitlines()}
    assert os.getpid() not in pids
