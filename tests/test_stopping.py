"""SIGTERM to a real qcluster mid-drain, with a slow Omnium: it exits within seconds and
leaves no job under a lease, whether its main process or its whole process group is told."""

from __future__ import annotations

import os
import signal
import subprocess
import time

import pytest
from django.db import transaction
from django_q.models import Schedule

from flow_stub_project.devstack import kill, start_engine, wait_for
from omnium_integration.enums import JobKind, JobStatus, Queue
from omnium_integration.models import ExternalSyncJob, JobAttempt
from tests.flow_factories import make_order

SALES = 30
LATENCY = 0.4  # seconds Omnium takes per call: a drain of 30 sales would take ~25 s
EXIT_WITHIN = 5.0


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    return True


def _run_and_stop(omnium, sandbox, store, child_env, tmp_path, send) -> float:
    Schedule.objects.filter(name__startswith="omnium_integration").delete()
    sandbox.faults.configure(latency=LATENCY)
    log_path = tmp_path / "qcluster.log"
    with log_path.open("w") as log:
        cluster = start_engine(Queue.ORDER.value, env=child_env, workers=1, log=log)
        try:
            with transaction.atomic():
                for n in range(SALES):
                    make_order(store, f"POS-T-{n}")
            succeeded = ExternalSyncJob.objects.filter(status=JobStatus.SUCCEEDED)
            wait_for(lambda: cluster.poll() is not None or succeeded.count() >= 2, timeout=60)
            assert cluster.poll() is None, log_path.read_text()
            started = time.monotonic()
            send(cluster)
            try:
                cluster.wait(EXIT_WITHIN)
            except subprocess.TimeoutExpired:
                pytest.fail(f"qcluster still running {EXIT_WITHIN}s after SIGTERM")
            took = time.monotonic() - started
            wait_for(lambda: not _group_alive(cluster.pid), timeout=EXIT_WITHIN)
        finally:
            if cluster.poll() is None or _group_alive(cluster.pid):
                kill(cluster)
    return took


def _assert_nothing_left_leased():
    jobs = ExternalSyncJob.objects.filter(kind=JobKind.ORDER_EXPORT)
    assert jobs.count() == SALES
    statuses = set(jobs.values_list("status", flat=True))
    assert statuses <= {JobStatus.SUCCEEDED, JobStatus.PENDING}, statuses
    assert JobStatus.PENDING in statuses  # it stopped mid-drain, far from done
    waiting = jobs.filter(status=JobStatus.PENDING)
    assert not waiting.exclude(lease_owner="").exists()
    assert not waiting.filter(lease_expires_at__isnull=False).exists()
    # Given back, not failed: nothing moved along the retry table.
    assert not waiting.exclude(failures=0).exists()
    assert not JobAttempt.objects.filter(outcome="lease_expired").exists()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_sigterm_to_the_main_process_stops_within_seconds(
    omnium, sandbox, store, child_env, tmp_path
):
    took = _run_and_stop(
        omnium, sandbox, store, child_env, tmp_path, lambda p: p.send_signal(signal.SIGTERM)
    )
    assert took < EXIT_WITHIN
    _assert_nothing_left_leased()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_sigterm_to_the_process_group_stops_within_seconds(
    omnium, sandbox, store, child_env, tmp_path
):
    took = _run_and_stop(
        omnium, sandbox, store, child_env, tmp_path, lambda p: os.killpg(p.pid, signal.SIGTERM)
    )
    assert took < EXIT_WITHIN
    _assert_nothing_left_leased()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_sigterm_interrupts_a_job_waiting_for_omnium(omnium, sandbox, store, child_env):
    # One sale, and Omnium takes 30 s to answer its call: the job is interrupted and given
    # back at once instead of holding the worker (and its lease) for the read timeout.
    import sys

    from flow_stub_project.devstack import ROOT

    with transaction.atomic():
        make_order(store, "POS-SLOW")
    sandbox.faults.delay_next(30, path="/api/Orders")
    process = subprocess.Popen(  # noqa: S603
        [sys.executable, str(ROOT / "manage.py"), "omnium_sync", "--queue", Queue.ORDER.value],
        cwd=ROOT,
        env=child_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    job = ExternalSyncJob.objects.filter(kind=JobKind.ORDER_EXPORT)
    # Wait until the sale's call has reached Omnium (which holds it for 30 s).
    wait_for(lambda: sandbox.last_requests("POST /api/Orders"), timeout=60)
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    # The job is given back within seconds, not after Omnium's 30 s...
    released = job.filter(status=JobStatus.PENDING, lease_owner="")
    wait_for(released.exists, timeout=EXIT_WITHIN, interval=0.05)
    assert time.monotonic() - started < EXIT_WITHIN
    # ...and the process exits (interpreter teardown is slow on a loaded machine).
    _out, err = process.communicate(timeout=2 * EXIT_WITHIN)
    assert process.returncode == 1 and "stopped by SIGTERM" in err
    sale = job.get()
    assert (sale.status, sale.lease_owner, sale.failures) == (JobStatus.PENDING, "", 0)
    attempt = sale.attempt_log.get()
    assert attempt.outcome == "interrupted"
