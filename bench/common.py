"""Shared set-up for the benchmarks: a database of their own, a tenant, figures printed.

Run a benchmark as a module from the repository root, e.g.
``.venv/bin/python -m bench.p6_engine_throughput --db postgres``.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import statistics
import sys
import time
from collections.abc import Callable, Iterator

PG_URL = os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/omnium_bench")


def parse_args(description: str, extra: Callable[[argparse.ArgumentParser], None] | None = None):
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--db", choices=["postgres", "sqlite"], default="postgres")
    if extra:
        extra(parser)
    return parser.parse_args()


def setup_django(db: str) -> None:
    """Point Django at the benchmark database (created and migrated if needed)."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    if db == "postgres":
        os.environ["DATABASE_URL"] = PG_URL
        _create_pg_database(PG_URL)
    else:
        os.environ.pop("DATABASE_URL", None)
    import django
    from django.core.management import call_command

    django.setup()
    if os.environ.get("BENCH_CHILD") != "1":
        call_command("migrate", verbosity=0)


def _create_pg_database(url: str) -> None:
    import psycopg
    from psycopg import sql

    base, name = url.rsplit("/", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def fresh_tenant(uid: str = "bench"):
    """A clean tenant with an active extension; all jobs and queued tasks removed."""
    from django_q.models import OrmQ

    from flow_stub_project.flow.models import Tenant
    from omnium_integration.models import ExternalSyncJob, TenantExtension

    ExternalSyncJob.objects.all().delete()
    OrmQ.objects.all().delete()
    for tenant in Tenant.objects.filter(uid=uid):
        _wipe(tenant)
    tenant = Tenant.objects.create(uid=uid, name=uid, country_code="NO", currency="NOK")
    return TenantExtension.objects.create(
        tenant=tenant,
        is_active=True,
        client_id="bench-client",
        client_secret="bench-secret",
        default_shipping_method_id="in-store",
    )


def sandbox_tenant(sandbox, uid: str = "bench", omnium_tenant: str = "default"):
    """:func:`fresh_tenant` pointed at the Omnium sandbox, with an API user of its own in
    the sandbox's ``omnium_tenant``."""
    extension = fresh_tenant(uid)
    extension.client_id, extension.client_secret = f"{uid}-client", f"{uid}-secret"
    extension.api_base_url = sandbox.url
    extension.save()
    sandbox.add_credentials(extension.client_id, extension.client_secret, tenant=omnium_tenant)
    return extension


@contextlib.contextmanager
def engines(order_workers: int = 2, receivement_workers: int = 2) -> Iterator[list]:
    """Both sync engines as real ``qcluster`` processes on the benchmark database (yields
    the two ``Popen`` s, each the leader of its cluster's process group)."""
    from flow_stub_project import devstack

    env = devstack.child_env(DJANGO_SETTINGS_MODULE="bench.settings", BENCH_CHILD="1")
    processes = [
        devstack.start_engine("external_order_sync", env=env, workers=order_workers),
        devstack.start_engine("external_receivement_sync", env=env, workers=receivement_workers),
    ]
    try:
        yield processes
    finally:
        for process in processes:
            devstack.stop(process)


# A POS sale as the benchmarks make it: three lines (one discounted, one of 0.29) and a card.
SALE_LINES = [
    {"sku": "SKU-1", "name": "Shirt", "quantity": 2, "unit_price": 19950},
    {"sku": "SKU-2", "name": "Socks", "quantity": 1, "unit_price": 2900, "discount": 500},
    {"sku": "SKU-3", "name": "Bag", "quantity": 1, "unit_price": 29},
]
SALE_TOTAL = 2 * 19950 + 2900 - 500 + 29


def bench_store(extension):
    from flow_stub_project.flow.models import Store

    return Store.objects.create(
        tenant=extension.tenant, uid="bench_store", name="Bench", country_code="NO"
    )


def pos_sale(store):
    """One sale the way the till makes it: open, add lines, settle; one transaction."""
    from django.db import transaction

    from flow_stub_project.flow import pos

    with transaction.atomic():
        order = pos.create_order(store, SALE_LINES)
        pos.settle(order, [{"method": "Card", "amount": SALE_TOTAL}])
    return order


def drain_worker(db: str, commands, barrier, results) -> None:
    """A :class:`Pool` target: each round, drain the order queue until nothing is due."""
    os.environ["BENCH_CHILD"] = "1"
    setup_django(db)
    from django.db import connection

    from omnium_integration.enums import Queue
    from omnium_integration.jobs import worker

    connection.ensure_connection()
    while commands.get() is not None:
        barrier.wait()
        cpu = time.process_time()
        claimed = 0
        while claimed_now := worker.drain(Queue.ORDER.value).claimed:
            claimed += claimed_now
        results.put((claimed, time.process_time() - cpu))


def _wipe(tenant) -> None:
    """Delete a tenant and everything it owns, children before the rows they protect."""
    from flow_stub_project.flow.models import Order, OrderReceipt, PurchaseOrder, Receivement

    OrderReceipt.objects.filter(tenant=tenant).delete()
    Order.objects.filter(tenant=tenant, original_order__isnull=False).delete()
    Order.objects.filter(tenant=tenant).delete()
    Receivement.objects.filter(tenant=tenant).delete()
    PurchaseOrder.objects.filter(tenant=tenant).delete()
    tenant.delete()


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(pct / 100 * (len(ordered) - 1))))
    return ordered[index]


def summary(values: list[float]) -> str:
    return (
        f"n={len(values)} p50={percentile(values, 50):.4f} p99={percentile(values, 99):.4f} "
        f"mean={statistics.fmean(values):.4f}"
    )


def figure(line: str) -> None:
    """Print the benchmark's figure: the last line of its output."""
    print(line, flush=True)
    sys.stdout.flush()


class Pool:
    """``count`` processes running ``target(*args, commands, barrier, results)``, started
    once and released all at once for each round.

    ``target`` loops: ``commands.get()`` (``None``: exit), ``barrier.wait()``, work, then
    ``results.put((count, cpu_seconds))``.
    """

    def __init__(self, ctx, count: int, target, *args) -> None:
        self.barrier = ctx.Barrier(count + 1)
        self.results = ctx.Queue()
        self.commands = [ctx.Queue() for _ in range(count)]
        self.procs = [
            ctx.Process(target=target, args=(*args, q, self.barrier, self.results))
            for q in self.commands
        ]
        for p in self.procs:
            p.start()

    def run(self, commands: list) -> tuple[float, int, float]:
        """Seconds from release to the last result, the results' sum, their CPU seconds."""
        for queue, command in zip(self.commands, commands, strict=True):
            queue.put(command)
        self.barrier.wait(timeout=120)
        with Timer() as t:
            results = [self.results.get(timeout=600) for _ in self.procs]
        return t.seconds, sum(r[0] for r in results), sum(r[1] for r in results)

    def close(self) -> None:
        for queue in self.commands:
            queue.put(None)
        for p in self.procs:
            p.join(30)
            if p.is_alive():
                p.terminate()


class Timer:
    def __enter__(self) -> Timer:
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc) -> None:
        self.seconds = time.perf_counter() - self.start
