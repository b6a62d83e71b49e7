"""P5: the calls Omnium (the sandbox) receives for a known amount of work.

Both engines run as real ``qcluster`` processes (4 workers on the order engine). Three
Flow tenants, each with its own Omnium tenant and API user, sell at once: this process
saves their POS sales one transaction each, interleaved, so the kicks spread the work
over every order worker. The first tenant has one more store, where Flow is stock master
and nothing is sold; a stock count there (Flow's ledger, one movement) changes ``--skus``
SKUs in one transaction.

Expected (docs/benchmarks.md): one ``POST /api/Orders`` per order job, one token request per tenant
however many workers share it, and ceil(n / 1000) ``PUT /api/Inventory/UpdateMany`` calls
for n changed SKUs. The figure is the number of counts that differ from that (goal 0).
"""

from __future__ import annotations

import math
import time
from collections import Counter

from bench.common import engines, figure, parse_args, sandbox_tenant, setup_django

TENANTS = ("bench_a", "bench_b", "bench_c")
ORDERS = "POST /api/Orders"
STOCK = "PUT /api/Inventory/UpdateMany"
TOKEN = "POST /api/token"


def main() -> None:
    args = parse_args(
        __doc__.splitlines()[0],
        lambda p: (
            p.add_argument("--sales", type=int, default=150, help="sales per tenant"),
            p.add_argument("--skus", type=int, default=2500),
            p.add_argument("--workers", type=int, default=4, help="order engine workers"),
        ),
    )
    setup_django(args.db)
    from django.db import transaction
    from omnium_sandbox import OmniumSandbox

    from flow_stub_project.flow import pos, stock
    from flow_stub_project.flow.models import InventoryLevel, Store
    from omnium_integration.enums import JobKind, JobStatus
    from omnium_integration.models import (
        ExternalSyncJob,
        JobAttempt,
        StoreExtension,
        TenantExtension,
    )
    from omnium_integration.transform import sanitize_uid

    sandbox = OmniumSandbox().start()
    # Tenants left active by other benchmarks would be polled too; only ours are active.
    TenantExtension.objects.update(is_active=False)
    stores = []
    for uid in TENANTS:
        extension = sandbox_tenant(sandbox, uid, omnium_tenant=uid)
        stores.append(
            Store.objects.create(
                tenant=extension.tenant, uid=f"{uid}_store", name=uid, country_code="NO"
            )
        )
    stock_store = Store.objects.create(
        tenant=stores[0].tenant, uid=f"{TENANTS[0]}_stock", name="stock", country_code="NO"
    )
    StoreExtension.objects.create(store=stock_store, flow_stock_master=True)
    skus = [f"SKU-{n:05d}" for n in range(args.skus)]
    InventoryLevel.objects.bulk_create(
        InventoryLevel(tenant=stock_store.tenant, store=stock_store, sku=sku, quantity=100 * n)
        for n, sku in enumerate(skus)
    )
    lines = [{"sku": "SKU-00001", "name": "Shirt", "quantity": 1, "unit_price": 19950}]

    sold: list[str] = []
    jobs = ExternalSyncJob.objects.all()
    with engines(order_workers=args.workers):
        started = time.monotonic()
        for _ in range(args.sales):
            for store in stores:
                with transaction.atomic():
                    order = pos.create_order(store, lines)
                    pos.settle(order, [{"method": "Card", "amount": 19950}])
                sold.append(sanitize_uid(order.uid))
        with transaction.atomic():  # a stock count: every SKU of the store changed
            stock.book(
                stock_store,
                stock.Kind.COUNT,
                [stock.Change(sku, counted=100 * n + 1) for n, sku in enumerate(skus)],
            )
        deadline = time.monotonic() + 300
        while jobs.exclude(status=JobStatus.SUCCEEDED).exists():
            if time.monotonic() > deadline:
                raise TimeoutError(list(jobs.exclude(status=JobStatus.SUCCEEDED).values()))
            time.sleep(0.1)
        took = time.monotonic() - started
    sandbox.stop()

    order_jobs = jobs.filter(kind=JobKind.ORDER_EXPORT)
    workers = Counter(
        JobAttempt.objects.filter(job__kind=JobKind.ORDER_EXPORT).values_list("worker", flat=True)
    )
    per_order = Counter(sandbox.object_calls(ORDERS).values())
    held = sum(len(sandbox.tenant(uid).orders) for uid in TENANTS)
    stock_levels = len(sandbox.tenant(TENANTS[0]).inventory)
    checks = [
        ("order jobs", order_jobs.count(), len(sold)),
        (f"{ORDERS} calls", sandbox.call_count(ORDERS), order_jobs.count()),
        ("orders called more than once", sum(n for k, n in per_order.items() if k > 1), 0),
        ("orders Omnium holds", held, len(sold)),
        *(
            (f"token requests of {uid}", sandbox.token_requests(f"{uid}-client"), 1)
            for uid in TENANTS
        ),
        (f"{STOCK} calls", sandbox.call_count(STOCK), math.ceil(args.skus / 1000)),
        ("stock levels Omnium holds", stock_levels, args.skus),
    ]
    print(
        f"{len(sold)} sales of {len(TENANTS)} tenants and {args.skus} stock changes in {took:.1f} s"
    )
    print(f"order jobs run per worker: {sorted(workers.values())}")
    print("calls by endpoint:", dict(sorted(sandbox.calls().items())))
    misses = 0
    for name, counted, expected in checks:
        ok = counted == expected
        misses += not ok
        print(f"  {'ok  ' if ok else 'MISS'} {name}: {counted} (expected {expected})")
    figure(f"P5 [{args.db}] call counts differing from the expected: {misses} of {len(checks)}")


if __name__ == "__main__":
    main()
