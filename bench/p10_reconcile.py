"""P10: reconciling one day of 100,000 POS sales against the fake Omnium.

Set-up (not timed): a tenant with one store; N completed sales of three lines each
written to Flow in bulk, spread over one day, with their identity-map rows confirmed; the
same N sales in the fake Omnium as the order export sends them, as if every job had run.
The fake Omnium runs in a process of its own: Omnium is a server elsewhere, and its work
(filtering, JSON) is not the reconciliation's. Timed: one reconciliation of that day
(``omnium_integration.reconcile.run``), which reads Flow with its bulk readers and
Omnium through the tenant's client over HTTP on loopback (the scroll, 1,000 orders per
call; the web-order scrolls, the customer search), compares, and stores the run. It
must find every sale and no difference.

Figures: sales reconciled per second, and Omnium calls per 1,000 sales (every call the
fake Omnium counted during the run, the token call included). Goals (docs/benchmarks.md):
>= 1,000 sales/s on PostgreSQL, <= 15 calls per 1,000 sales. ``--check`` exits 1 when a
goal is missed (the speed goal only on PostgreSQL).
"""

from __future__ import annotations

import multiprocessing as mp
import sys
import time
from datetime import timedelta
from decimal import Decimal

from bench.common import (
    SALE_LINES,
    SALE_TOTAL,
    Timer,
    bench_store,
    figure,
    fresh_tenant,
    parse_args,
    setup_django,
)

UID = "bench_reconcile"
CHUNK = 5_000


def sale_lines(uid: str):
    """The three lines of bench sale ``uid``, as Flow's records."""
    from omnium_integration.mapping.records import OrderLineRecord

    return tuple(
        OrderLineRecord(
            uid=str(number),
            sku=line["sku"],
            name=line["name"],
            quantity=Decimal(line.get("quantity", 1)),
            unit_price=line["unit_price"],
            discount=line.get("discount", 0),
        )
        for number, line in enumerate(SALE_LINES, start=1)
    )


def moments(sales: int, since, until):
    """When each sale was made: spread evenly over ``[since, until)``."""
    step = (until - since) / sales
    return [since + step * n for n in range(sales)]


def seed_flow(store, extension, sales: int, since, until) -> None:
    """``sales`` completed sales in Flow, and their identity-map rows, confirmed."""
    from django.utils import timezone

    from flow_stub_project.flow.models import Order, OrderLine, OrderPayment
    from omnium_integration.enums import IdentityKind
    from omnium_integration.models import OmniumIdentity

    when = moments(sales, since, until)
    for start in range(0, sales, CHUNK):
        numbers = range(start, min(start + CHUNK, sales))
        orders = Order.objects.bulk_create(
            Order(
                tenant=store.tenant,
                store=store,
                uid=f"R-{n:06d}",
                state=Order.State.COMPLETED,
                currency="NOK",
                created_at=when[n],
                completed_at=when[n],
            )
            for n in numbers
        )
        OrderLine.objects.bulk_create(
            OrderLine(
                order=order,
                uid=line.uid,
                sku=line.sku,
                name=line.name,
                quantity=line.quantity,
                unit_price=line.unit_price,
                discount=line.discount,
            )
            for order in orders
            for line in sale_lines(order.uid)
        )
        OrderPayment.objects.bulk_create(
            OrderPayment(order=order, uid=f"{order.uid}-p", method="Card", amount=SALE_TOTAL)
            for order in orders
        )
        OmniumIdentity.objects.bulk_create(
            (
                OmniumIdentity(
                    extension=extension,
                    kind=IdentityKind.ORDER,
                    flow_ref=str(order.pk),
                    flow_uid=order.uid,
                    omnium_id=order.uid.replace("-", ""),
                    confirmed_at=timezone.now(),
                )
                for order in orders
            ),
            batch_size=1000,
        )
        print(f"  Flow: {numbers.stop:,} sales", file=sys.stderr, flush=True)


def omnium_process(conn, client: tuple[str, str], options, store_uid, sales, since, until):
    """The fake Omnium in a process of its own (it is a server elsewhere, not our CPU):
    holds the same sales as the order export sends them, answers ``counts``, ``stop``."""
    from omnium_sandbox import OmniumSandbox

    from omnium_integration.mapping.orders import pos_order
    from omnium_integration.mapping.records import (
        OrderKind,
        OrderRecord,
        OrderState,
        PaymentRecord,
        StoreRecord,
    )

    sandbox = OmniumSandbox().start()
    sandbox.add_credentials(*client)
    store = StoreRecord(uid=store_uid, country_code="NO")
    for n, moment in enumerate(moments(sales, since, until)):
        uid = f"R-{n:06d}"
        record = OrderRecord(
            pk=n,
            uid=uid,
            kind=OrderKind.SALE,
            state=OrderState.COMPLETED,
            currency="NOK",
            store=store,
            lines=sale_lines(uid),
            payments=(PaymentRecord(uid=f"{uid}-p", method="Card", amount=SALE_TOTAL),),
            omnium_id=uid.replace("-", ""),
            created_at=moment,
            completed_at=moment,
        )
        sandbox.state.add_order(pos_order(record, options))
    conn.send(sandbox.url)
    while (command := conn.recv()) != "stop":
        conn.send(sandbox.counters() if command == "counts" else None)
    sandbox.stop()


def prepare(sales: int):
    """Both sides holding the same day of ``sales`` sales (the fake in its own process):
    the extension, the day, the fake's process and the pipe to it."""
    from django.db import connections
    from django.utils import timezone

    from omnium_integration.reconcile.dates import Period
    from omnium_integration.sync.outbound import export_options

    extension = fresh_tenant(UID)
    store = bench_store(extension)
    until = timezone.now()
    period = Period(until - timedelta(days=1), until)  # the day just ended
    made = (period.since, period.until - timedelta(minutes=1))
    options = export_options(extension)
    connections.close_all()  # the fake Omnium's process must not share them
    parent, child = mp.Pipe()
    omnium = mp.get_context("fork").Process(
        target=omnium_process,
        args=(child, (extension.client_id, extension.client_secret), options),
        kwargs=dict(store_uid=store.uid, sales=sales, since=made[0], until=made[1]),
    )
    omnium.start()
    seed_flow(store, extension, sales, *made)
    extension.api_base_url = parent.recv()  # the fake holds its sales too
    extension.save(update_fields=["api_base_url"])
    return extension, period, omnium, parent


def measure(extension, period, pipe) -> tuple:
    """One timed reconciliation: the run, wall seconds, CPU seconds, the calls it made."""
    from omnium_integration.models import ReconciliationRun
    from omnium_integration.reconcile.run import reconcile

    pipe.send("counts")
    before = pipe.recv()["total"]
    cpu = time.process_time()
    with Timer() as timed:
        run = reconcile(extension, period, trigger=ReconciliationRun.Trigger.COMMAND)
    cpu = time.process_time() - cpu
    pipe.send("counts")
    counts = pipe.recv()
    return run, timed.seconds, cpu, counts["total"] - before, counts["byEndpoint"]


def main() -> int:
    args = parse_args(
        __doc__.splitlines()[0],
        lambda p: (
            p.add_argument("--sales", type=int, default=100_000),
            p.add_argument("--check", action="store_true", help="Exit 1 when a goal is missed."),
        ),
    )
    setup_django(args.db)
    with Timer() as setup:
        extension, period, omnium, pipe = prepare(args.sales)
    print(f"set-up: {args.sales:,} sales on both sides in {setup.seconds:.0f} s")
    try:
        run, seconds, cpu, calls, by_endpoint = measure(extension, period, pipe)
    finally:
        pipe.send("stop")
        omnium.join(30)
    assert run.checked["pos_order"] == args.sales, run.checked
    assert run.difference_count == 0, run.differences[:5]
    rate = args.sales / seconds
    per_thousand = calls * 1000 / args.sales
    print(f"reconciled {args.sales:,} sales in {seconds:.1f} s, {calls} Omnium calls")
    print(
        f"CPU of this process: {cpu:.1f} s ({args.sales / cpu:,.0f} sales per CPU second; "
        f"a busy machine makes the wall clock slower, not this)"
    )
    print(f"calls by endpoint: {by_endpoint}")
    speed_ok = rate >= 1000 or args.db != "postgres"
    calls_ok = per_thousand <= 15
    figure(
        f"P10 [{args.db}] reconcile {args.sales:,} sales: {rate:,.0f} sales/s, "
        f"{per_thousand:.2f} Omnium calls per 1,000 sales "
        f"(goal >= 1,000/s on PostgreSQL, <= 15 calls)"
    )
    return 0 if not args.check or (speed_ok and calls_ok) else 1


if __name__ == "__main__":
    sys.exit(main())
