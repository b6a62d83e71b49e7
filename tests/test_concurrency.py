"""Concurrency on PostgreSQL, where workers really write at the same time.

Four worker processes drain 5,000 ``order.export`` jobs from one queue. The jobs are real:
each names a completed Flow sale and its handler sends the sale to the Omnium sandbox over
HTTP. The workers start together and claim in small batches, so they contend for the same
rows the whole time. No job may run twice: each job has exactly one attempt, and the
sandbox sees exactly one call per sale (counted per order id).
"""

from __future__ import annotations

import threading
import time
from collections import Counter

import pytest
from django.db import connection, transaction

from flow_stub_project.devstack import wait_for
from flow_stub_project.flow.models import Customer, Order
from omnium_integration.enums import AttemptOutcome, JobKind, JobStatus, Queue
from omnium_integration.jobs import manager
from omnium_integration.models import ExternalSyncJob, JobAttempt, JobSource
from omnium_integration.sync.inbound_orders import apply_order
from omnium_integration.transform import sanitize_uid
from tests.drain_worker import DrainWorkers
from tests.flow_factories import completed_sales
from tests.omnium_orders import omnium_order

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

JOBS = 5000
WORKERS = 4
# Small claims: 500 of them, four workers competing for the same due rows on each one.
CLAIM_BATCH_SIZE = 10
POS_ORDERS = "POST /api/Orders"


@pytest.mark.slow
def test_four_workers_drain_5000_jobs_each_run_once_with_one_call_each(
    omnium, store, sandbox, child_env, tmp_path
):
    sales = completed_sales(store, JOBS)
    with transaction.atomic():  # as a backfill would enqueue them
        for sale in sales:
            manager.enqueue(
                JobKind.ORDER_EXPORT,
                extension_id=omnium.pk,
                object_id=sale.pk,
                source=JobSource.COMMAND,
            )
    jobs = ExternalSyncJob.objects.all()
    assert jobs.filter(status=JobStatus.PENDING).count() == JOBS

    workers = DrainWorkers(
        WORKERS,
        Queue.ORDER,
        env=child_env,
        directory=tmp_path / "workers",
        settings={"CLAIM_BATCH_SIZE": CLAIM_BATCH_SIZE},
    )
    try:
        workers.start()
        started = time.monotonic()
        succeeded = jobs.filter(status=JobStatus.SUCCEEDED)
        wait_for(lambda: workers.check() or succeeded.count() == JOBS, timeout=180, interval=0.5)
        took = time.monotonic() - started
    finally:
        totals = workers.stop()

    # Each job ran once: one attempt, and it succeeded.
    assert set(jobs.values_list("status", "attempts")) == {(JobStatus.SUCCEEDED, 1)}
    attempts = JobAttempt.objects.all()
    assert attempts.count() == JOBS
    assert set(attempts.values_list("outcome", flat=True)) == {AttemptOutcome.SUCCEEDED}
    assert sorted(attempts.values_list("job_id", flat=True)) == sorted(
        jobs.values_list("pk", flat=True)
    )
    # The four workers shared the work.
    per_worker = Counter(attempts.values_list("worker", flat=True))
    assert len(per_worker) == WORKERS
    assert min(per_worker.values()) >= JOBS // (WORKERS * 4)
    # Claims given back unstarted (a worker's time budget ran out) do not count as runs.
    assert sum(t["claimed"] - t["released"] for t in totals) == JOBS
    assert sum(t["lost"] + t["retried"] + t["failed"] for t in totals) == 0

    # Omnium saw exactly one call per sale, and holds each sale once.
    expected = {sanitize_uid(sale.uid) for sale in sales}
    assert sandbox.object_calls(POS_ORDERS) == dict.fromkeys(expected, 1)
    assert sandbox.calls() == {"POST /api/token": 1, POS_ORDERS: JOBS}  # one token, shared
    assert set(sandbox.state.orders) == expected
    assert sandbox.max_in_flight(omnium.client_id) >= 2  # the workers really ran at once

    print(
        f"\nconcurrency: {JOBS} jobs by {WORKERS} worker processes in {took:.1f}s "
        f"({JOBS / took:.0f} jobs/s); per worker {sorted(per_worker.values())}; claims of "
        f"{CLAIM_BATCH_SIZE}, {sum(t['released'] for t in totals)} jobs given back unstarted; "
        f"at most {sandbox.max_in_flight(omnium.client_id)} calls in flight"
    )


def test_two_imports_creating_the_same_new_customer_at_once_share_it(extension, store):
    # Two web orders of one new customer, imported by two workers at the same moment:
    # the second import must find the customer the first one created, not fail its job.
    customer = ("private", {"customerId": "kari@example.no", "firstName": "Kari"})
    created = threading.Event()
    errors: list[BaseException] = []

    def first_worker() -> None:
        try:
            with transaction.atomic():
                order = omnium_order("CC-1", customerId="kari@example.no")
                apply_order(extension, "CC-1", order, customer=customer)
                created.set()
                time.sleep(0.5)  # the second import runs while this one is uncommitted
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            created.set()
            connection.close()

    thread = threading.Thread(target=first_worker)
    thread.start()
    created.wait(10)
    order = omnium_order("CC-2", customerId="kari@example.no")
    result = apply_order(extension, "CC-2", order, customer=customer)
    thread.join()
    assert not errors
    assert result["outcome"] == "created"
    (kari,) = Customer.objects.all()
    assert {o.customer for o in Order.objects.all()} == {kari}


def test_a_pending_job_is_not_claimed_while_a_change_that_joined_it_is_uncommitted(omnium):
    # A second change of an object joins its pending job. Until that change commits, no
    # worker may claim the job: it would read the object without the change, and the
    # change would then never be sent (it found the job pending, not running).
    job_id, _ = manager.enqueue(JobKind.ORDER_EXPORT, extension_id=omnium.pk, object_id="42")
    joined, commit = threading.Event(), threading.Event()
    results: list[tuple[int, bool]] = []

    def change() -> None:
        try:
            with transaction.atomic():
                results.append(
                    manager.enqueue(JobKind.ORDER_EXPORT, extension_id=omnium.pk, object_id="42")
                )
                joined.set()
                commit.wait(10)
        finally:
            joined.set()
            connection.close()

    thread = threading.Thread(target=change)
    thread.start()
    joined.wait(10)
    try:
        assert manager.claim(Queue.ORDER, worker="early").jobs == []
    finally:
        commit.set()
        thread.join()
    assert results == [(job_id, False)]
    assert [job.pk for job in manager.claim(Queue.ORDER, worker="after").jobs] == [job_id]
