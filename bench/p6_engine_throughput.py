"""P6: engine throughput with a no-op handler vs django-q2 running one no-op task per job.

Both sides use the same database, the same number of worker processes and the same
number of jobs, measured side by side in one run:

* engine: N pending ``ExternalSyncJob`` rows, W processes each running ``worker.drain``
  (batched claims with SKIP LOCKED, batched finishes) until nothing is due;
* django-q2: N tasks in its ORM broker (``OrmQ``), one ``qcluster`` with W workers.

The clock starts when the work is visible to already-running workers and stops when the
last job is finished (engine) / the last task is acknowledged (django-q2).
Goal (docs/benchmarks.md): ratio >= 10 on PostgreSQL.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import subprocess
import sys
import time
from pathlib import Path

from bench.common import Pool, Timer, drain_worker, figure, fresh_tenant, parse_args, setup_django

ROOT = Path(__file__).resolve().parent.parent


def run_engine(db: str, jobs: int, workers: int) -> float:
    from django.utils import timezone

    from bench.benchapp.handlers import NOOP
    from omnium_integration.enums import Direction, JobStatus, Queue
    from omnium_integration.models import ExternalSyncJob

    extension = fresh_tenant()
    now = timezone.now()
    ExternalSyncJob.objects.bulk_create(
        ExternalSyncJob(
            queue=Queue.ORDER,
            direction=Direction.OUTBOUND,
            kind=NOOP,
            extension=extension,
            object_id=str(i),
            next_attempt_at=now,
        )
        for i in range(jobs)
    )
    pool = Pool(mp.get_context("spawn"), workers, drain_worker, db)
    try:
        seconds, total, _cpu = pool.run([True] * workers)
    finally:
        pool.close()
    succeeded = ExternalSyncJob.objects.filter(status=JobStatus.SUCCEEDED).count()
    assert total == jobs == succeeded, (total, jobs, succeeded)
    return jobs / seconds


def run_django_q(db: str, jobs: int, workers: int) -> float:
    from django_q.brokers import get_broker
    from django_q.models import OrmQ
    from django_q.signing import SignedPackage
    from django_q.tasks import async_task

    fresh_tenant()
    env = {**os.environ, "Q_CLUSTER_NAME": "bench_q", "OMNIUM_WORKERS": str(workers)}
    env["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    cluster = subprocess.Popen(
        [sys.executable, "manage.py", "qcluster"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        # Warm up: the cluster is running once it has drained one task.
        async_task("bench.benchapp.handlers.noop_task", cluster="bench_q", save=False)
        _wait_empty(OrmQ, timeout=60)
        # Build the N signed task rows first, then publish them in one INSERT.
        broker = get_broker("bench_q")
        rows = []
        for i in range(jobs):
            task = {
                "id": f"bench-{i}",
                "name": f"bench-{i}",
                "func": "bench.benchapp.handlers.noop_task",
                "args": (i,),
                "kwargs": {},
                "started": None,
                "cluster": "bench_q",
            }
            rows.append(OrmQ(key=broker.list_key, payload=SignedPackage.dumps(task), lock=None))
        from django.utils import timezone

        lock = timezone.now()
        for row in rows:
            row.lock = lock
        with Timer() as t:
            OrmQ.objects.bulk_create(rows)
            _wait_empty(OrmQ, timeout=3600)
        return jobs / t.seconds
    finally:
        cluster.terminate()
        cluster.wait(30)


def _wait_empty(model, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while model.objects.exists():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{model.__name__} still has rows after {timeout}s")
        time.sleep(0.05)


def main() -> None:
    args = parse_args(
        __doc__.splitlines()[0],
        lambda p: (
            p.add_argument("--jobs", type=int, default=5000),
            p.add_argument("--workers", type=int, default=2),
            p.add_argument("--q-jobs", type=int, default=None, help="Jobs for the django-q2 side"),
        ),
    )
    setup_django(args.db)
    engine_rate = run_engine(args.db, args.jobs, args.workers)
    print(f"engine, no-op handler:      {engine_rate:8.0f} jobs/s ({args.jobs} jobs)")
    q_jobs = args.q_jobs or min(args.jobs, 1000)
    q_rate = run_django_q(args.db, q_jobs, args.workers)
    print(f"django-q2, one task per job: {q_rate:8.0f} jobs/s ({q_jobs} tasks)")
    figure(
        f"P6 [{args.db}, {args.workers} workers] engine / django-q2 throughput = "
        f"{engine_rate / q_rate:.1f}x (goal >= 10x)"
    )


if __name__ == "__main__":
    main()
