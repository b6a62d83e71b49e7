"""Chaos: both directions at once against an Omnium that fails ~30 % of calls.

1,000 POS sales are made the way Flow's POS makes them (an order, its lines, settlement,
one transaction each), so the integration captures one ``order.export`` job per sale.
Meanwhile 300 web orders (Click & Collect and Online) are placed in the Omnium sandbox,
whose event emitter posts their events, shuffled and partly repeated, to Flow's live
webhook. Worker processes run the engine (``worker.drain`` in a loop) with a compressed
clock (``TIME_SCALE``), so the retry table, ``Retry-After`` and leases run in seconds.

The sandbox fails ~30 % of the API calls: 500/502/503, 429 with ``Retry-After``, calls
dropped before they take effect, answers lost after they took effect, answers slower than
the client's read timeout, and the token is revoked three times while the workers run.

The end state must be exact: Omnium holds the 1,000 sales once each (never rewritten),
Flow holds the 300 web orders once each (one handling task each, no duplicate customer),
and every job has succeeded.
"""

from __future__ import annotations

import random
import re
import threading
import time
from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection, transaction

from flow_stub_project.devstack import wait_for
from flow_stub_project.flow import pos
from flow_stub_project.flow.models import Customer, Order, OrderHandling
from omnium_integration.enums import (
    ACTIVE_STATUSES,
    AttemptOutcome,
    JobKind,
    JobStatus,
    Queue,
)
from omnium_integration.jobs import clock
from omnium_integration.models import ExternalSyncJob, ImportedOrder, InboundEvent, JobAttempt
from omnium_integration.transform import sanitize_uid
from tests.conftest import subscribe_live_flow
from tests.drain_worker import DrainWorkers
from tests.omnium_orders import omnium_line, omnium_order

pytestmark = [pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SALES = 1000
WEB_ORDERS = 300
CUSTOMERS = 20  # Omnium customers shared by some web orders (created in Flow once)
REPEATED_EVENTS = 30
REVOCATIONS = 3
WORKERS = 3
TERMINALS = 4  # POS terminals selling at once

TIME_SCALE = 3000.0  # one minute of the retry table is 20 ms, two hours 2.4 s
# 40 s of wall time: no lease may expire here, even when SQLite makes a worker wait
# for its write lock on a busy 2-core machine (the crash test covers expiry).
LEASE_SECONDS = 120_000
READ_TIMEOUT = 0.5  # seconds (not scaled: the client's own timeout)
RETRY_AFTER = 240  # seconds: longer than the first retries of the table, so it decides

FAULTS = {
    "error_rates": {500: 0.05, 502: 0.03, 503: 0.05, 429: 0.06},
    "drop_rate": 0.04,  # connection closed before the call takes effect
    "lost_reply_rate": 0.04,  # closed after it took effect: only the answer is lost
    "slow_rate": 0.04,  # answered after the client's read timeout (the call takes effect)
    "slow_delay": READ_TIMEOUT + 0.3,
    "retry_after": RETRY_AFTER,
}

OMNIUM_TROUBLE = re.compile(
    r"Omnium answered (429|5\d\d)|Omnium did not answer within|connection to Omnium failed"
)
POS_ORDERS = "POST /api/Orders"


@pytest.fixture
def flow(omnium, store, sandbox, live_server, settings):
    """Flow live with its webhook subscribed in Omnium, and the compressed engine clock."""
    settings.OMNIUM_INTEGRATION = {
        **settings.OMNIUM_INTEGRATION,
        "TIME_SCALE": TIME_SCALE,
        "LEASE_SECONDS": LEASE_SECONDS,
        "READ_TIMEOUT": READ_TIMEOUT,
    }
    return subscribe_live_flow(omnium, sandbox, live_server)


def web_orders(sandbox, rng: random.Random) -> dict[str, dict]:
    """Seed the web orders in Omnium (their Created events are held); returns them by id."""
    for n in range(CUSTOMERS):
        sandbox.state.create_customer(
            "private",
            {"customerId": f"cust-{n}@example.no", "firstName": "Kari", "lastName": f"N{n}"},
            origin="test",
        )
    seeded = {}
    for n in range(WEB_ORDERS):
        order_id = f"WEB-{n:04d}"
        lines = [
            omnium_line(f"L{i}", f"SKU-{rng.randrange(50)}", rng.randint(1, 3), f"{9 + i}9.90")
            for i in range(rng.randint(1, 3))
        ]
        extra = {"customerId": f"cust-{n // 5 % CUSTOMERS}@example.no"} if n % 5 == 0 else {}
        kind = "ClickAndCollect" if n % 2 else "Online"
        seeded[order_id] = sandbox.seed_order(omnium_order(order_id, kind, lines, **extra))
    return seeded


def make_sale(store, n: int, rng: random.Random) -> Order:
    """A completed POS sale, made as Flow's POS API makes it: one transaction."""
    lines = [
        {
            "sku": f"SKU-{rng.randrange(200)}",
            "name": "Product",
            "quantity": Decimal(rng.choice(["1", "2", "0.5", "1.25"])),
            "unit_price": rng.randrange(1_000, 50_000),
            "discount": rng.choice([0, 0, 250]),  # never more than the line
        }
        for _ in range(rng.randint(1, 3))
    ]
    with transaction.atomic():
        order = pos.create_order(store, lines, uid=f"POS-{n:05d}")
        pos.settle(order, [{"method": "Card", "amount": order.total}])
    return order


def sell(store) -> list[Order]:
    """``SALES`` sales from ``TERMINALS`` POS terminals at once."""
    sales: list[Order] = []
    errors: list[BaseException] = []

    def terminal(number: int) -> None:
        rng = random.Random(number)
        try:
            for n in range(number, SALES, TERMINALS):
                sales.append(make_sale(store, n, rng))
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=terminal, args=(n,)) for n in range(TERMINALS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return sales


class Revoker(threading.Thread):
    """Revokes Omnium's tokens ``REVOCATIONS`` times, spread over the workers' progress
    (a quarter, half, three quarters of the jobs done), so workers always meet them."""

    def __init__(self, sandbox, total: int):
        super().__init__()
        self.sandbox = sandbox
        self.thresholds = [total * (k + 1) // (REVOCATIONS + 1) for k in range(REVOCATIONS)]
        self.revoked = 0  # revocations that invalidated a token
        self.halt = threading.Event()

    def run(self) -> None:
        done = ExternalSyncJob.objects.filter(status=JobStatus.SUCCEEDED)
        try:
            while self.thresholds and not self.halt.wait(0.05):
                if done.count() >= self.thresholds[0]:
                    self.thresholds.pop(0)
                    self.revoked += bool(self.sandbox.revoke_tokens())
        finally:
            connection.close()

    def stop(self) -> int:
        self.halt.set()
        if self.is_alive():
            self.join()
        return self.revoked


def test_a_thousand_sales_and_300_web_orders_survive_a_failing_omnium(
    flow, store, sandbox, child_env, tmp_path
):
    rng = random.Random(2026)
    started = time.monotonic()
    sandbox.seed(7)
    sandbox.events.hold()
    seeded = web_orders(sandbox, rng)
    held = [event["id"] for event in sandbox.events.held_events()]
    repeated = rng.sample(held, REPEATED_EVENTS)
    for event_id in repeated:  # copies shuffled in among the originals
        sandbox.events.repeat(event_id)
    sandbox.faults.configure(**FAULTS)

    workers = DrainWorkers(
        WORKERS,
        Queue.ORDER,
        env={
            **child_env,
            "OMNIUM_TIME_SCALE": str(TIME_SCALE),
            "OMNIUM_LEASE_SECONDS": str(LEASE_SECONDS),
        },
        directory=tmp_path / "workers",
        settings={"READ_TIMEOUT": READ_TIMEOUT},
    )
    revoker = Revoker(sandbox, SALES + WEB_ORDERS)
    try:
        workers.start()
        revoker.start()
        sandbox.events.release("shuffle")
        sales = sell(store)
        created = time.monotonic()
        assert sandbox.events.wait_idle(timeout=60)
        active = ExternalSyncJob.objects.filter(status__in=ACTIVE_STATUSES)
        wait_for(lambda: workers.check() or not active.exists(), timeout=150, interval=0.2)
        settled = time.monotonic()
    finally:
        revocations = revoker.stop()
        totals = workers.stop()
    injected = sandbox.faults.injected()
    calls = sandbox.counters()

    # --- Omnium holds every sale once, written once -------------------------------------
    expected = {sanitize_uid(order.uid): order for order in sales}
    pos_orders = {i: o for i, o in sandbox.state.orders.items() if o["orderType"] == "Pos"}
    assert set(pos_orders) == set(expected)
    assert len(sandbox.state.orders) == SALES + WEB_ORDERS
    assert not set(sandbox.state.order_versions) & set(expected)  # never rewritten
    for order_id, omnium in pos_orders.items():
        sale = expected[order_id]
        assert (omnium["versionId"], omnium["status"]) == (1, "Completed")
        assert Decimal(omnium["orderForm"]["total"]) * 100 == sale.total
        assert len(omnium["orderForm"]["lineItems"]) == sale.lines.count()
    assert calls["byEndpoint"].get("PATCH /api/Orders/{id}/PatchOrder", 0) == 0
    posted = sandbox.object_calls(POS_ORDERS)
    assert set(posted) == set(expected)

    # --- Flow holds every web order once ------------------------------------------------
    imported = Order.objects.exclude(external_id="")
    assert sorted(imported.values_list("external_id", flat=True)) == sorted(seeded)
    for order in imported.prefetch_related("lines", "handlings"):
        omnium = seeded[order.external_id]
        clickcollect = omnium["orderType"] == "ClickAndCollect"
        assert order.state == ("PARKED" if clickcollect else "CONFIRMED")
        assert [h.handling_uid for h in order.handlings.all()] == [
            "cc_pickup" if clickcollect else "web_shipping"
        ]
        assert sorted(line.external_id for line in order.lines.all()) == sorted(
            line["lineItemId"] for line in omnium["orderForm"]["lineItems"]
        )
        assert (order.customer.external_id if order.customer else None) == omnium.get("customerId")
    assert Order.objects.count() == SALES + WEB_ORDERS
    assert Customer.objects.count() == CUSTOMERS
    assert ImportedOrder.objects.filter(outcome="created").count() == WEB_ORDERS
    assert OrderHandling.objects.count() == WEB_ORDERS

    # --- events: each stored once, every send answered 2xx in the end -------------------
    # A send the webhook did not answer in time (SQLite makes writers queue for its one
    # write lock) was retried, as Omnium retries.
    deliveries = sandbox.events.deliveries
    answered = [d for d in deliveries if d["status"] and 200 <= d["status"] < 300]
    assert len(answered) == WEB_ORDERS + REPEATED_EVENTS
    assert all(d["willRetry"] for d in deliveries if d not in answered), deliveries
    assert InboundEvent.objects.count() == WEB_ORDERS
    assert InboundEvent.objects.filter(outcome="queued").count() == WEB_ORDERS

    # --- jobs: one per sale and per web order, all succeeded ----------------------------
    jobs = ExternalSyncJob.objects.all()
    assert dict(Counter(jobs.values_list("status", flat=True))) == {
        JobStatus.SUCCEEDED: SALES + WEB_ORDERS
    }
    exports = jobs.filter(kind=JobKind.ORDER_EXPORT)
    assert sorted(map(int, exports.values_list("object_id", flat=True))) == sorted(
        s.pk for s in sales
    )
    imports = jobs.filter(kind=JobKind.ORDER_IMPORT)
    assert sorted(imports.values_list("object_id", flat=True)) == sorted(seeded)
    attempts = JobAttempt.objects.all()
    outcomes = Counter(attempts.values_list("outcome", flat=True))
    assert outcomes[AttemptOutcome.SUCCEEDED] == SALES + WEB_ORDERS
    assert set(outcomes) <= {AttemptOutcome.SUCCEEDED, AttemptOutcome.RETRY}
    assert len(attempts) == sum(t["claimed"] - t["released"] for t in totals)

    # --- the faults really happened, and were handled as they should be -----------------
    api_calls = calls["total"] - sum(calls["tokenRequests"].values())
    rate = sum(injected.values()) / api_calls
    assert 0.25 <= rate <= 0.38, (injected, api_calls)
    assert {"500", "502", "503", "429", "drop", "lost_reply", "slow"} <= set(injected)
    errors = list(attempts.filter(outcome=AttemptOutcome.RETRY).values_list("error", flat=True))
    assert any("did not answer within" in e for e in errors)  # read timeouts
    assert any("connection to Omnium failed" in e for e in errors)  # dropped connections
    # Every retry was Omnium's doing: none came from an exception of ours (a race, a bug).
    assert [e for e in errors if not OMNIUM_TROUBLE.search(e)] == []
    # Retry-After was honoured on the compressed clock: the next attempt of a job that
    # was told to wait started no sooner than that.
    wait = clock.scaled(RETRY_AFTER)
    told_to_wait = attempts.filter(outcome=AttemptOutcome.RETRY, status_code=429)
    assert told_to_wait.exists()
    for attempt in told_to_wait:
        following = attempts.get(job_id=attempt.job_id, number=attempt.number + 1)
        assert following.started_at >= attempt.finished_at + wait - timedelta(milliseconds=1)
    # Every revocation cost one token request, whichever of the workers hit the 401 first.
    assert revocations == REVOCATIONS
    assert sandbox.token_requests() == 1 + revocations

    print(
        f"\nchaos: {SALES} sales + {WEB_ORDERS} web orders ({WORKERS} workers): "
        f"created in {created - started:.1f}s, settled {settled - created:.1f}s later "
        f"({settled - started:.1f}s in all); {len(attempts)} attempts "
        f"({outcomes[AttemptOutcome.RETRY]} retried); {api_calls} Omnium calls, "
        f"{sum(injected.values())} faults injected ({rate:.0%}): {dict(sorted(injected.items()))}; "
        f"{revocations} token revocations, {sandbox.token_requests()} token requests; "
        f"{len(deliveries)} webhook deliveries for {WEB_ORDERS + REPEATED_EVENTS} sends"
    )
