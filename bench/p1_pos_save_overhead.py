"""P1: time to save a POS sale with the integration on vs off.

One "POS sale" is what the till does in one transaction: open an order with three
lines, settle it with a card payment (lines paid and delivered, receipt with its PDF).

* off: the app's receivers are disconnected (as if the app were not installed);
* inactive: receivers connected, the tenant's extension inactive (one lookup, no job);
* on: extension active with receipts to Omnium, so each sale writes an ``order.export``
  and a ``receipt.export`` job and one engine kick, in the sale's transaction.

The three modes run interleaved in rounds so drift hits all of them alike.
Goal (docs/benchmarks.md): on / off <= 1.25.
"""

from __future__ import annotations

import statistics
import time

from bench.common import bench_store, figure, fresh_tenant, parse_args, pos_sale, setup_django


def main() -> None:
    args = parse_args(
        __doc__.splitlines()[0],
        lambda p: (
            p.add_argument("--rounds", type=int, default=8),
            p.add_argument("--per-round", type=int, default=50),
        ),
    )
    setup_django(args.db)

    from flow_stub_project.flow.models import Order
    from omnium_integration import receivers
    from omnium_integration.models import ExternalSyncJob

    extension = fresh_tenant()
    extension.send_order_receipt_to_omnium = True
    extension.save()
    store = bench_store(extension)

    def set_mode(mode: str) -> None:
        receivers.disconnect_receivers()
        if mode != "off":
            receivers.connect_receivers()
        type(extension).objects.filter(pk=extension.pk).update(is_active=mode == "on")

    modes = ["off", "inactive", "on"]
    timings: dict[str, list[float]] = {mode: [] for mode in modes}
    for mode in modes:  # warm up every path once
        set_mode(mode)
        pos_sale(store)
    for _ in range(args.rounds):
        for mode in modes:
            set_mode(mode)
            started = time.perf_counter()
            for _ in range(args.per_round):
                pos_sale(store)
            timings[mode].append((time.perf_counter() - started) / args.per_round)
    set_mode("on")

    jobs = ExternalSyncJob.objects.filter(extension=extension).count()
    expected = 2 * (args.rounds * args.per_round + 1)
    assert jobs == expected, (jobs, expected)
    assert Order.objects.filter(tenant=extension.tenant).count() == 3 * (
        args.rounds * args.per_round + 1
    )
    median = {mode: statistics.median(values) * 1000 for mode, values in timings.items()}
    for mode in modes:
        print(f"{mode:9} {median[mode]:7.2f} ms per sale (median of {args.rounds} rounds)")
    print(f"jobs written with the integration on: {jobs} (2 per sale)")
    figure(
        f"P1 [{args.db}] POS sale save time, integration on / off = "
        f"{median['on'] / median['off']:.2f} (goal <= 1.25)"
    )


if __name__ == "__main__":
    main()
