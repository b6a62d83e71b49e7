"""P9: stock freshness at Flow-master stores, movement committed -> Omnium's level equals Flow's.

Five Flow-master stores of 2,000 SKUs each; both engines run as real ``qcluster``
processes (django-q2's ORM broker) against the Omnium sandbox over HTTP on loopback.
Switching the stores to Flow-master sends their whole stock: the warm-up, after which
Omnium and Flow are in step. Then tills in ``--tills`` processes (each owning some of the
stores) book sales, returns and counts at a sustained ``--rate`` for ``--seconds``, each
in its own transaction, on a seeded random plan (:mod:`bench.p9_tills`): by default the
movements of Flow's stock ledger that they book, with ``--pos`` the whole POS
transactions, whose sales and returns also go to Omnium as orders on the order engine. A
watcher thread polls the sandbox's inventory every ``--poll`` seconds.

A movement is fresh at the first poll after its commit at which Omnium's level of each
SKU it moved equals Flow's level of that SKU at that moment. The figures: p50/p99 of that
time, and the ``UpdateMany`` calls the sandbox counted against the bound
sum(ceil(SKUs of the push / 1000)) over the pushes the engines made (logged by the bench
app through the ``job_succeeded`` signal). At the end Omnium must hold Flow's level of
every SKU at every store. Goals (docs/benchmarks.md): p99 <= 5 s, calls within the bound,
every level equal. ``--check`` exits 1 when one is missed, or when the tills could not
keep the rate (below 95 % of it).
"""

from __future__ import annotations

import bisect
import math
import multiprocessing
import os
import random
import sys
import tempfile
import threading
import time
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

from bench.common import engines, figure, parse_args, percentile, sandbox_tenant, setup_django
from bench.p9_tills import Plan, make_plan, till

STORES = 5
UPDATE_MANY = "PUT /api/Inventory/UpdateMany"


class Watcher(threading.Thread):
    """Polls the sandbox's inventory; keeps each (warehouse, sku)'s values as first seen."""

    def __init__(self, sandbox, interval: float) -> None:
        super().__init__(daemon=True)
        self.sandbox, self.interval = sandbox, interval
        self.polls: list[float] = []
        self.seen: dict[tuple[str, str], tuple[list[float], list[Decimal]]] = {}
        self.stopped = threading.Event()

    def run(self) -> None:
        inventory = self.sandbox.state.inventory
        last: dict[tuple[str, str], object] = {}
        while not self.stopped.is_set():
            with self.sandbox.lock:
                values = {(wh, sku): item["inventory"] for (sku, wh), item in inventory.items()}
            now = time.monotonic()
            for key, value in values.items():
                if last.get(key) != value:
                    last[key] = value
                    times, seen = self.seen.setdefault(key, ([], []))
                    times.append(now)
                    seen.append(Decimal(str(value)))
            self.polls.append(now)
            time.sleep(self.interval)

    def value_at(self, key: tuple[str, str], moment: float) -> Decimal:
        times, values = self.seen.get(key, ([], []))
        index = bisect.bisect_right(times, moment) - 1
        return values[index] if index >= 0 else Decimal(0)


def freshness(watcher: Watcher, records: list, initial: dict) -> list[float]:
    """Seconds from each movement's commit to the first poll at which Omnium showed Flow's
    level of every SKU it moved."""
    flow: dict[tuple[str, str], tuple[list[float], list[Decimal]]] = defaultdict(lambda: ([], []))
    for committed, _kind, moved in sorted(records, key=lambda r: r[0]):
        for warehouse, sku, level in moved:
            times, levels = flow[(warehouse, sku)]
            times.append(committed)
            levels.append(Decimal(level) / 100)

    def flow_at(key, moment: float) -> Decimal:
        times, levels = flow[key]
        index = bisect.bisect_right(times, moment) - 1
        return levels[index] if index >= 0 else initial.get(key, Decimal(0))

    latencies = []
    for committed, _kind, moved in records:
        start = bisect.bisect_left(watcher.polls, committed)
        fresh_at = None
        for poll in watcher.polls[start:]:
            keys = [(warehouse, sku) for warehouse, sku, _ in moved]
            if all(watcher.value_at(key, poll) == flow_at(key, poll) for key in keys):
                fresh_at = poll
                break
        latencies.append(math.inf if fresh_at is None else fresh_at - committed)
    return latencies


@dataclass
class Outcome:
    """What one run measured."""

    records: list  # (committed, kind, [(warehouse, sku, level)]) per movement
    initial: dict  # (warehouse, sku) -> Flow's level in units before the tills started
    in_step: bool  # Omnium held every level of Flow's at the end
    till_cpu: float
    engine_cpu: list[float]  # order engine, receivement engine


def main() -> None:
    args = parse_args(__doc__.splitlines()[0], _options)
    handle, push_log = tempfile.mkstemp(prefix="p9-pushes-", suffix=".jsonl")
    os.close(handle)
    os.environ["BENCH_PUSH_LOG"] = push_log  # the engines inherit it
    setup_django(args.db)

    from omnium_sandbox import OmniumSandbox

    from omnium_integration.models import TenantExtension

    sandbox = OmniumSandbox().start()
    TenantExtension.objects.update(is_active=False)  # only this benchmark's tenant syncs
    rng = random.Random(args.seed)
    stores = _stores(sandbox_tenant(sandbox, "p9"), rng, args.skus)
    plan = make_plan(args, rng, [store.uid for store in stores])
    watcher = Watcher(sandbox, args.poll)
    try:
        outcome = _run(args, sandbox, stores, plan, watcher)
    finally:
        watcher.stopped.set()
        sandbox.stop()
    misses = _report(
        args,
        outcome,
        freshness(watcher, outcome.records, outcome.initial),
        _pushes(push_log),
        sandbox.call_count(UPDATE_MANY),
    )
    os.unlink(push_log)
    if args.check and misses:
        sys.exit(1)


def _options(parser) -> None:
    parser.add_argument("--skus", type=int, default=2000, help="SKUs per store")
    parser.add_argument("--rate", type=float, default=50.0, help="movements per second")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--tills", type=int, default=3, help="processes booking movements")
    parser.add_argument("--workers", type=int, default=2, help="workers per cluster")
    parser.add_argument("--poll", type=float, default=0.05, help="watcher interval (s)")
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument(
        "--pos",
        action="store_true",
        help="whole POS sales and returns (orders, receipts, order exports), not only "
        "their stock movements",
    )
    parser.add_argument("--check", action="store_true", help="exit 1 when a goal is missed")


def _stores(extension, rng: random.Random, skus: int) -> list:
    """The benchmark's stores with their stock, Omnium still their master."""
    from flow_stub_project.flow.models import InventoryLevel, Store

    stores = []
    for n in range(STORES):
        store = Store.objects.create(
            tenant=extension.tenant,
            uid=f"p9_store_{n}",
            name=f"P9 {n}",
            country_code="NO",
            voucher_number_series_uid=f"receipts_{n}",  # each till numbers its own receipts
        )
        InventoryLevel.objects.bulk_create(
            InventoryLevel(
                tenant=store.tenant,
                store=store,
                sku=f"SKU-{i:05d}",
                quantity=rng.randint(5, 50) * 100,
            )
            for i in range(skus)
        )
        stores.append(store)
    return stores


def _flow_levels(stores) -> dict[tuple[str, str], Decimal]:
    from flow_stub_project.flow.models import InventoryLevel

    rows = InventoryLevel.objects.filter(store__in=stores).values_list(
        "store__uid", "sku", "quantity"
    )
    return {(uid, sku): Decimal(quantity) / 100 for uid, sku, quantity in rows}


def _in_step(sandbox, stores) -> bool:
    with sandbox.lock:
        held = {
            (wh, sku): Decimal(str(item["inventory"]))
            for (sku, wh), item in sandbox.state.inventory.items()
        }
    flow = _flow_levels(stores)
    return len(held) >= len(flow) and all(
        held.get(key, Decimal(0)) == level for key, level in flow.items()
    )


def _run(args, sandbox, stores, plan, watcher: Watcher) -> Outcome:
    """Warm up (the switch sends the whole stocks), run the tills, wait for the pushes."""
    from omnium_integration.models import ExternalSyncJob, PendingStockChange, StoreExtension

    ctx = multiprocessing.get_context("spawn")
    results = ctx.Queue()
    with engines(order_workers=args.workers, receivement_workers=args.workers) as clusters:
        for store in stores:  # the switch sends each store's whole stock
            StoreExtension.objects.create(store=store, flow_stock_master=True)
        _wait(lambda: _in_step(sandbox, stores), 300)
        initial = _flow_levels(stores)
        watcher.start()
        time.sleep(2 * args.poll)
        start = time.monotonic() + 2.0  # the tills start together
        tills = [
            ctx.Process(
                target=till, args=(args.db, Plan(k, args.tills, start, plan, args.pos), results)
            )
            for k in range(args.tills)
        ]
        for process in tills:
            process.start()
        cpu_before = [group_cpu_seconds(c.pid) for c in clusters]
        records, till_cpu = [], 0.0
        for _ in tills:
            booked, cpu = results.get(timeout=args.seconds * 10 + 600)
            records.extend(booked)
            till_cpu += cpu
        engine_cpu = [
            group_cpu_seconds(c.pid) - b for c, b in zip(clusters, cpu_before, strict=True)
        ]
        for process in tills:
            process.join(60)
        busy = ExternalSyncJob.objects.filter(
            kind="stock.export", status__in=["pending", "running"]
        )
        _wait(lambda: not busy.exists() and not PendingStockChange.objects.exists(), 120)
        time.sleep(4 * args.poll)
        return Outcome(records, initial, _in_step(sandbox, stores), till_cpu, engine_cpu)


def _report(args, outcome: Outcome, latencies: list[float], pushes: list[dict], calls: int):
    """Print the run's figures, the figure line last; return the goals missed."""
    records = outcome.records
    bound = sum(math.ceil(p["skus"] / 1000) for p in pushes)
    first = min(r[0] for r in records)
    achieved = len(records) / max(max(r[0] for r in records) - first, 1e-9)
    by_kind = defaultdict(int)
    for _t, kind, _moved in records:
        by_kind[kind] += 1
    p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
    misses = []
    if p99 > 5.0:
        misses.append("p99 above 5 s")
    if calls > bound:
        misses.append("more UpdateMany calls than the bound")
    if not outcome.in_step:
        misses.append("Omnium does not hold Flow's levels at the end")
    if achieved < 0.95 * args.rate:
        misses.append(f"tills kept only {achieved:.1f} movements/s")
    print(
        f"{len(records)} movements ({dict(by_kind)}{', POS transactions' if args.pos else ''}) "
        f"at {achieved:.1f}/s over {STORES} stores x {args.skus} SKUs, {args.tills} tills, "
        f"{args.workers} workers per cluster"
    )
    print(
        f"freshness: min {min(latencies):.2f} s, p50 {p50:.2f} s, p90 "
        f"{percentile(latencies, 90):.2f} s, p99 {p99:.2f} s, max {max(latencies):.2f} s"
    )
    print(
        f"{len(pushes)} pushes of {sum(p['skus'] for p in pushes)} SKUs in {calls} {UPDATE_MANY} "
        f"calls (bound {bound}); Omnium equals Flow at the end: {outcome.in_step}"
    )
    print(
        f"CPU seconds while the tills ran: tills {outcome.till_cpu:.0f}, order engine "
        f"{outcome.engine_cpu[0]:.0f}, receivement engine {outcome.engine_cpu[1]:.0f} "
        f"(machine load average {os.getloadavg()[0]:.1f})"
    )
    if misses:
        print("MISSED: " + "; ".join(misses))
    figure(
        f"P9 [{args.db}{', pos' if args.pos else ''}] movement committed -> Omnium's level "
        f"equals Flow's: p50 {p50:.2f} s, p99 {p99:.2f} s (goal <= 5 s); UpdateMany calls "
        f"{calls} (bound {bound}); in step at the end: {'yes' if outcome.in_step else 'NO'}"
    )
    return misses


def group_cpu_seconds(pgid: int) -> float:
    """CPU seconds (user + system) used so far by the live processes of a process group."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="ascii") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue  # gone meanwhile
        if int(fields[2]) == pgid:  # fields after the name: state, ppid, pgrp, ...
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / ticks


def _pushes(path: str) -> list[dict]:
    import json

    with open(path, encoding="utf-8") as log:
        return [json.loads(line) for line in log if line.strip()]


def _wait(predicate, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(f"still waiting after {timeout} s")
        time.sleep(0.2)


if __name__ == "__main__":
    main()
