"""Crash: a real ``qcluster`` is killed (SIGKILL, whole process group) in the middle of a batch.

Its jobs stay ``running`` under a lease nobody renews. Once the lease has expired, a second
``qcluster`` takes them over and finishes the work. Every job must succeed exactly once:
one Omnium order per sale, no second order for the sale whose call reached Omnium while
its worker was being killed, and the dead attempts in the history as "lease expired".
"""

from __future__ import annotations

import time
from collections import Counter
from pathlib import Path

import pytest
from django.db import transaction
from django.utils import timezone
from django_q.models import Schedule

from flow_stub_project.devstack import kill, start_engine, stop, wait_for
from omnium_integration.enums import AttemptOutcome, JobKind, JobStatus, Queue
from omnium_integration.jobs import dispatch
from omnium_integration.models import ExternalSyncJob
from omnium_integration.transform import sanitize_uid
from tests.flow_factories import make_order

pytestmark = [pytest.mark.slow, pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

SALES = 30  # one claim takes them all (CLAIM_BATCH_SIZE is 50)
LATENCY = 0.15  # seconds per Omnium call: the batch takes ~5 s, so the kill lands inside it
LEASE_SECONDS = 8  # the dead worker's jobs are free 8 s after its claim
POS_ORDERS = "POST /api/Orders"
GET_ORDER = "GET /api/Orders/{id}"


def alive(pid: int) -> bool:
    """Whether ``pid`` runs (a killed worker may linger as a zombie until it is reaped)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state not in ("Z", "X")


def test_a_qcluster_killed_mid_batch_loses_nothing_and_duplicates_nothing(
    omnium, store, sandbox, child_env, settings, tmp_path
):
    settings.OMNIUM_INTEGRATION = {**settings.OMNIUM_INTEGRATION, "LEASE_SECONDS": LEASE_SECONDS}
    env = {**child_env, "OMNIUM_LEASE_SECONDS": str(LEASE_SECONDS)}
    # Only the on-commit kick, and ours after the crash, start drains.
    Schedule.objects.filter(name__startswith="omnium_integration").delete()
    sandbox.faults.configure(latency=LATENCY)
    with transaction.atomic():  # one POS batch: one kick when it commits
        sales = [make_order(store, f"POS-{n:03d}") for n in range(SALES)]
    omnium_id = {str(sale.pk): sanitize_uid(sale.uid) for sale in sales}  # by job object id
    expected = set(omnium_id.values())
    jobs = ExternalSyncJob.objects.filter(kind=JobKind.ORDER_EXPORT)
    assert jobs.count() == SALES

    # --- the first engine claims the batch and is killed while a call is in flight ------
    first_log = (tmp_path / "first.log").open("w")
    first = start_engine(Queue.ORDER, env=env, workers=1, log=first_log)

    def mid_batch() -> bool:
        """Some jobs recorded; one sale sent but its success not recorded yet (successes
        are recorded together, every ``FLUSH_INTERVAL``); and a call just sent."""
        calls = sandbox.last_requests(POS_ORDERS)
        if not calls or calls[-1]["status"] is not None:
            return False
        if time.time() - calls[-1]["at"] > LATENCY / 3:
            return False
        recorded = jobs.filter(status=JobStatus.SUCCEEDED).count()
        return recorded >= 5 and len(sandbox.state.orders) > recorded

    try:
        wait_for(lambda: first.poll() is not None or mid_batch(), 60, 0.002)
        assert first.poll() is None, (tmp_path / "first.log").read_text()
    finally:
        kill(first)  # SIGKILL to its process group: the worker dies with the cluster
        first_log.close()
    killed_at = timezone.now()

    running = list(jobs.filter(status=JobStatus.RUNNING))
    done = list(jobs.filter(status=JobStatus.SUCCEEDED))
    assert running and done and len(running) + len(done) == SALES
    # One claim took the whole batch: every job carries its lease token.
    assert {job.lease_token for job in jobs} == {running[0].lease_token}
    (dead_worker,) = {job.lease_owner for job in running}
    dead_pid = int(dead_worker.split(":")[1])
    wait_for(lambda: not alive(dead_pid), 5)  # SIGKILL reaches the worker
    assert all(job.lease_expires_at > killed_at for job in running)  # still leased

    # Sales that reached Omnium without their success being recorded: one sent before the
    # kill, and the call in flight, which Omnium carried out after its worker died. Their
    # jobs are still "running" and will run again.
    wait_for(lambda: sandbox.last_requests(POS_ORDERS)[-1]["status"] is not None, 10)
    in_omnium = set(sandbox.state.orders)
    orphans = {job.pk for job in running if omnium_id[job.object_id] in in_omnium}
    assert len(orphans) >= 2, "the kill must land with sales in Omnium but not recorded"
    assert {omnium_id[job.object_id] for job in done} <= in_omnium

    # --- after the lease expired, a second engine finishes the work ---------------------
    second_log = (tmp_path / "second.log").open("w")
    second = start_engine(Queue.ORDER, env=env, workers=1, log=second_log)
    try:
        lease_end = max(job.lease_expires_at for job in running)
        wait_for(lambda: timezone.now() > lease_end, LEASE_SECONDS + 5)
        dispatch.kick(Queue.ORDER)  # what the sweeper schedule does every minute
        wait_for(
            lambda: (
                second.poll() is not None
                or jobs.filter(status=JobStatus.SUCCEEDED).count() == SALES
            ),
            60,
        )
        assert second.poll() is None, (tmp_path / "second.log").read_text()
    finally:
        stop(second)
        second_log.close()

    # --- every job ran to success once ----------------------------------------------------
    assert set(sandbox.state.orders) == expected
    assert not sandbox.state.order_versions
    orphan_ids = {omnium_id[job.object_id] for job in running if job.pk in orphans}
    # One POST per sale. An orphan's second run read the order: straight away when the dead
    # worker had recorded it in the identity map, else after its POST met the 409.
    posts = sandbox.object_calls(POS_ORDERS)
    assert {order_id: posts[order_id] for order_id in expected if order_id not in orphan_ids} == (
        dict.fromkeys(expected - orphan_ids, 1)
    )
    assert all(posts[order_id] in (1, 2) for order_id in orphan_ids)
    assert sandbox.object_calls(GET_ORDER) == dict.fromkeys(orphan_ids, 1)
    assert sandbox.call_count("PATCH /api/Orders/{id}/PatchOrder") == 0
    assert sandbox.token_requests() == 1  # the second engine took the token from the row

    running_ids = {job.pk for job in running}
    for job in jobs.prefetch_related("attempt_log"):
        history = [(a.outcome, a.worker) for a in job.attempt_log.all()]
        outcomes = Counter(outcome for outcome, _ in history)
        assert job.status == JobStatus.SUCCEEDED
        assert outcomes[AttemptOutcome.SUCCEEDED] == 1, history
        if job.pk in running_ids:
            # The dead attempt is in the history; the second engine's run succeeded.
            (expired, succeeded) = history
            assert expired == (AttemptOutcome.LEASE_EXPIRED, dead_worker)
            assert succeeded[0] == AttemptOutcome.SUCCEEDED and succeeded[1] != dead_worker
            action = "unchanged" if job.pk in orphans else "created"
            assert job.result == {"action": action, "orderId": omnium_id[job.object_id]}
        else:
            assert history == [(AttemptOutcome.SUCCEEDED, dead_worker)]
            assert job.result["action"] == "created"
    print(
        f"\ncrash: {len(done)} of {SALES} jobs recorded before the kill, {len(running)} left "
        f"running under the dead lease ({len(orphans)} of them already in Omnium); all "
        f"{SALES} finished by the second engine with {sandbox.call_count(POS_ORDERS)} POSTs "
        f"and {sandbox.call_count(GET_ORDER)} GETs"
    )
