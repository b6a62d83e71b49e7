"""The job store and engine: enqueue in the caller's transaction, claim, lease, finish."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import close_old_connections, transaction
from django.utils import timezone

from omnium_integration.enums import AttemptOutcome, Direction, JobStatus, Queue
from omnium_integration.exceptions import LeaseLost
from omnium_integration.jobs import manager, worker
from omnium_integration.models import ExternalSyncJob, JobAttempt
from tests.conftest import read_runs
from tests.testapp.handlers import RECORD, RECORD_RECEIVEMENT, SETTLED

ORDER_Q = Queue.ORDER.value


def add(extension, object_id, **payload):
    return manager.enqueue(RECORD, extension_id=extension.pk, object_id=object_id, payload=payload)


# ------------------------------------------------------------------------ enqueue


def test_enqueue_writes_a_pending_job_on_the_kinds_queue(extension):
    job_id, created = add(extension, "order-1")
    job = ExternalSyncJob.objects.get(pk=job_id)
    assert created
    assert (job.queue, job.direction, job.status) == (ORDER_Q, Direction.OUTBOUND, "pending")
    assert job.object_id == "order-1" and job.attempts == 0


def test_a_rolled_back_change_leaves_no_job(extension):
    with pytest.raises(RuntimeError), transaction.atomic():
        add(extension, "order-1")
        raise RuntimeError("the POS sale failed")
    assert not ExternalSyncJob.objects.exists()


def test_repeated_saves_while_pending_give_one_job(extension):
    first, created = add(extension, "order-1")
    second, created_again = add(extension, "order-1")
    assert created and not created_again and first == second
    assert ExternalSyncJob.objects.count() == 1


def test_a_success_hook_writes_in_the_transaction_that_records_the_success(extension):
    job_id, _ = manager.enqueue(SETTLED, extension_id=extension.pk, object_id="c-1")
    stats = worker.drain(ORDER_Q)
    job = ExternalSyncJob.objects.get(pk=job_id)
    assert stats.succeeded == 1 and job.status == JobStatus.SUCCEEDED
    assert job.payload == {"settled": {"ran": job_id}}


def test_a_failing_success_hook_is_rolled_back_and_the_job_retries(extension):
    payload = {"hook_fail": True, "hook_fail_times": 1}
    job_id, _ = manager.enqueue(
        SETTLED, extension_id=extension.pk, object_id="c-1", payload=payload
    )
    stats = worker.drain(ORDER_Q)
    job = ExternalSyncJob.objects.get(pk=job_id)
    assert (stats.succeeded, stats.retried) == (0, 1)
    assert job.status == JobStatus.PENDING and job.failures == 1
    assert "settled" not in job.payload  # the hook's write went with its failure
    assert "the scrub could not finish" in job.last_error
    (attempt,) = JobAttempt.objects.filter(job=job)
    assert attempt.outcome == AttemptOutcome.RETRY and "scrub" in attempt.error
    assert job.next_attempt_at > timezone.now()  # on the retry table, not at once
    ExternalSyncJob.objects.filter(pk=job_id).update(next_attempt_at=timezone.now())
    worker.drain(ORDER_Q)
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED and job.payload["settled"] == {"ran": job_id}


def test_a_success_whose_lease_was_lost_runs_no_hook(extension):
    job_id, _ = manager.enqueue(SETTLED, extension_id=extension.pk, object_id="c-1")
    batch = manager.claim(ORDER_Q, worker="w1")
    result = worker.execute(batch.jobs[0])
    ExternalSyncJob.objects.filter(pk=job_id).update(lease_token=None)  # taken over meanwhile
    assert manager.finish(batch, [result]) == []
    assert "settled" not in ExternalSyncJob.objects.get(pk=job_id).payload


def test_a_change_while_running_makes_the_job_run_once_more(extension, runs_file):
    job_id, _ = add(extension, "order-1", path=str(runs_file))
    batch = manager.claim(ORDER_Q, worker="w1")
    add(extension, "order-1", path=str(runs_file))  # the order changed meanwhile
    assert ExternalSyncJob.objects.get(pk=job_id).rerun
    manager.finish(batch, [worker.execute(batch.jobs[0])])
    job = ExternalSyncJob.objects.get(pk=job_id)
    assert job.status == JobStatus.PENDING  # runs again, reading the newest state
    worker.drain(ORDER_Q)
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED
    assert read_runs(runs_file) == [job_id, job_id]


def test_a_finished_object_gets_a_new_job_for_a_new_change(extension):
    first, _ = add(extension, "order-1")
    worker.drain(ORDER_Q)
    second, created = add(extension, "order-1")
    assert created and second != first


# ------------------------------------------------------------------ claim and run


def test_drain_runs_due_jobs_and_records_the_attempt(extension, runs_file):
    ids = [add(extension, f"order-{i}", path=str(runs_file))[0] for i in range(3)]
    stats = worker.drain(ORDER_Q)
    assert (stats.claimed, stats.succeeded) == (3, 3)
    assert sorted(read_runs(runs_file)) == ids
    for job in ExternalSyncJob.objects.all():
        assert job.status == JobStatus.SUCCEEDED
        assert job.result == {"ran": job.pk}
        assert job.lease_owner == "" and job.finished_at is not None
    attempts = JobAttempt.objects.filter(outcome=AttemptOutcome.SUCCEEDED)
    assert sorted(attempts.values_list("job_id", flat=True)) == ids


def test_each_engine_takes_only_its_own_queue(extension, runs_file):
    order_job, _ = add(extension, "order-1", path=str(runs_file))
    receivement_job, _ = manager.enqueue(
        RECORD_RECEIVEMENT,
        extension_id=extension.pk,
        object_id="rcv-1",
        payload={"path": str(runs_file)},
    )
    worker.drain(Queue.RECEIVEMENT.value)
    assert read_runs(runs_file) == [receivement_job]
    assert ExternalSyncJob.objects.get(pk=order_job).status == JobStatus.PENDING


def test_jobs_not_yet_due_are_not_claimed(extension):
    job_id, _ = add(extension, "order-1")
    ExternalSyncJob.objects.filter(pk=job_id).update(
        next_attempt_at=timezone.now() + timedelta(minutes=1)
    )
    assert manager.claim(ORDER_Q, worker="w1").jobs == []


def test_a_retryable_failure_waits_on_the_retry_table(extension):
    job_id, _ = add(extension, "order-1", fail="retry")
    expected_minutes = [1, 2, 5, 10, 20, 30, 45, 60, 90, 120, 120]
    for attempt, minutes in enumerate(expected_minutes, start=1):
        ExternalSyncJob.objects.filter(pk=job_id).update(next_attempt_at=timezone.now())
        stats = worker.drain(ORDER_Q)
        job = ExternalSyncJob.objects.get(pk=job_id)
        assert stats.retried == 1
        assert (job.status, job.attempts, job.failures) == ("pending", attempt, attempt)
        assert job.last_status_code == 503 and "503" in job.last_error
        waited = job.next_attempt_at - job.finished_at
        assert waited == timedelta(minutes=minutes), f"retry {attempt}"


def test_retry_after_longer_than_the_schedule_is_honoured(extension):
    job_id, _ = add(extension, "order-1", fail="retry", retry_after=600)
    worker.drain(ORDER_Q)
    job = ExternalSyncJob.objects.get(pk=job_id)
    assert job.next_attempt_at - job.finished_at == timedelta(seconds=600)


def test_a_permanent_failure_is_kept_visible_and_can_be_retried_by_hand(extension, runs_file):
    job_id, _ = add(extension, "order-1", fail="permanent", fail_times=1, path=str(runs_file))
    stats = worker.drain(ORDER_Q)
    job = ExternalSyncJob.objects.get(pk=job_id)
    assert stats.failed == 1
    assert job.status == JobStatus.FAILED and job.last_status_code == 400
    assert "MarketId is required" in job.last_error
    assert worker.drain(ORDER_Q).claimed == 0  # failed jobs stay put

    assert manager.retry_now(ExternalSyncJob.objects.filter(pk=job_id)) == 1
    worker.drain(ORDER_Q)
    job.refresh_from_db()
    assert job.status == JobStatus.SUCCEEDED and job.attempts == 2
    assert read_runs(runs_file) == [job_id]
    outcomes = list(job.attempt_log.values_list("outcome", flat=True))
    assert outcomes == [AttemptOutcome.FAILED, AttemptOutcome.SUCCEEDED]


def test_an_unexpected_exception_is_retried_with_its_traceback(extension):
    job_id, _ = add(extension, "order-1", fail="crash")
    worker.drain(ORDER_Q)
    job = ExternalSyncJob.objects.get(pk=job_id)
    assert job.status == JobStatus.PENDING and job.failures == 1
    assert "KeyError: 'lineItems'" in job.last_error and "Traceback" in job.last_error


def test_max_attempts_turns_retries_into_a_failure(extension, settings):
    settings.OMNIUM_INTEGRATION = {**settings.OMNIUM_INTEGRATION, "MAX_ATTEMPTS": 2}
    job_id, _ = add(extension, "order-1", fail="retry")
    worker.drain(ORDER_Q)
    ExternalSyncJob.objects.filter(pk=job_id).update(next_attempt_at=timezone.now())
    worker.drain(ORDER_Q)
    job = ExternalSyncJob.objects.get(pk=job_id)
    assert job.status == JobStatus.FAILED and "Gave up after 2 attempts" in job.last_error


def test_cancel_stops_a_pending_job(extension):
    job_id, _ = add(extension, "order-1")
    assert manager.cancel(ExternalSyncJob.objects.filter(pk=job_id)) == 1
    assert worker.drain(ORDER_Q).claimed == 0
    assert ExternalSyncJob.objects.get(pk=job_id).status == JobStatus.CANCELLED


# ------------------------------------------------------------------------ leases


def expire_leases():
    ExternalSyncJob.objects.filter(status=JobStatus.RUNNING).update(
        lease_expires_at=timezone.now() - timedelta(seconds=1)
    )


def test_an_expired_lease_hands_the_job_to_another_worker(extension, runs_file):
    job_id, _ = add(extension, "order-1", path=str(runs_file))
    dead = manager.claim(ORDER_Q, worker="dead-worker")
    assert manager.claim(ORDER_Q, worker="w2").jobs == []  # leased: nobody else may take it
    expire_leases()
    takeover = manager.claim(ORDER_Q, worker="w2")
    assert [j.pk for j in takeover.jobs] == [job_id]
    manager.finish(takeover, [worker.execute(takeover.jobs[0])])

    # The first worker wakes up and tries to finish: its result is discarded.
    late = manager.finish(dead, [worker.execute(dead.jobs[0])])
    assert late == []
    job = ExternalSyncJob.objects.get(pk=job_id)
    assert job.status == JobStatus.SUCCEEDED and job.attempts == 2
    outcomes = list(job.attempt_log.values_list("worker", "outcome"))
    assert ("dead-worker", AttemptOutcome.LEASE_EXPIRED) in outcomes
    assert ("w2", AttemptOutcome.SUCCEEDED) in outcomes
    assert ("dead-worker", AttemptOutcome.LEASE_LOST) in outcomes


def test_a_worker_that_lost_its_lease_cannot_mark_the_job_failed(extension):
    job_id, _ = add(extension, "order-1", fail="permanent")
    dead = manager.claim(ORDER_Q, worker="dead-worker")
    expire_leases()
    takeover = manager.claim(ORDER_Q, worker="w2")
    assert manager.finish(dead, [worker.execute(dead.jobs[0])]) == []
    job = ExternalSyncJob.objects.get(pk=job_id)
    assert job.status == JobStatus.RUNNING and job.lease_owner == "w2"
    assert takeover.jobs[0].pk == job_id


def test_leased_block_refuses_to_commit_without_the_lease(extension):
    add(extension, "order-1")
    dead = manager.claim(ORDER_Q, worker="dead-worker")
    with manager.leased(dead.jobs[0]):
        pass  # still ours
    expire_leases()
    manager.claim(ORDER_Q, worker="w2")
    with pytest.raises(LeaseLost), manager.leased(dead.jobs[0]):
        pytest.fail("must not get here")


def test_unstarted_jobs_are_released_when_the_time_budget_runs_out(extension, runs_file):
    for i in range(5):
        add(extension, f"order-{i}", path=str(runs_file), sleep=0.05)
    stats = worker.drain(ORDER_Q, time_budget=0.01, batch_size=5)
    assert stats.budget_exhausted and stats.claimed == 5
    assert stats.succeeded + stats.released == 5 and stats.released >= 3
    released = ExternalSyncJob.objects.filter(status=JobStatus.PENDING)
    assert released.count() == stats.released
    assert all(job.attempts == 0 for job in released)  # never started: no attempt used


# ----------------------------------------------------------------- concurrency


@pytest.mark.django_db(transaction=True)
def test_two_workers_draining_one_queue_run_every_job_once(extension, runs_file):
    # A little work per job keeps both workers busy at once.
    with transaction.atomic():
        ids = [
            add(extension, f"order-{i}", path=str(runs_file), sleep=0.002)[0] for i in range(300)
        ]
    errors: list[BaseException] = []

    def work(name):
        try:
            while worker.drain(ORDER_Q, worker=name, batch_size=7).claimed:
                pass
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            close_old_connections()

    threads = [threading.Thread(target=work, args=(f"w{i}",)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    runs = read_runs(runs_file)
    assert sorted(runs) == ids  # every job, each exactly once
    assert set(ExternalSyncJob.objects.values_list("status", flat=True)) == {"succeeded"}
    workers = set(JobAttempt.objects.values_list("worker", flat=True))
    assert workers == {"w0", "w1"}


# -------------------------------------------------------------------- command


def test_omnium_sync_drain_runs_due_jobs(extension, runs_file, capsys):
    job_id, _ = add(extension, "order-1", path=str(runs_file))
    call_command("omnium_sync", "--drain", "--queue", ORDER_Q)
    assert read_runs(runs_file) == [job_id]
    assert "1 run, 1 succeeded" in capsys.readouterr().out


def test_omnium_sync_drain_exits_non_zero_when_a_job_fails(extension):
    add(extension, "order-1", fail="permanent")
    with pytest.raises(CommandError, match="1 job\\(s\\) failed"):
        call_command("omnium_sync", "--drain")


def test_omnium_sync_without_flags_drains_both_queues(extension, runs_file, capsys):
    job_id, _ = add(extension, "order-1", path=str(runs_file))
    call_command("omnium_sync")
    assert read_runs(runs_file) == [job_id]
    out = capsys.readouterr().out
    assert f"{ORDER_Q}: 1 run, 1 succeeded" in out
    assert "external_receivement_sync: 0 run" in out
