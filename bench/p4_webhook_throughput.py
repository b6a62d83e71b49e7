"""P4: webhook requests/s through the Omnium Event API view vs a bare DRF view.

Both views are served by the same HTTP server (``devstack.FlowServer``: Django's threaded
WSGI server on loopback, in this process) on the same database, measured side by side:

* webhook: ``POST /omnium/events/<tenant>/``, the real view: the tenant looked up, its
  secret checked (``Authorization: Bearer``), the envelope parsed and validated, the
  event stored as an ``InboundEvent`` and an ``order.import`` job written, in one
  transaction. Every request is a distinct valid order event (its own event id and
  order id), so none is answered as a duplicate and none joins another's job.
* bare: ``POST /bench/bare/``, a DRF view that parses the same JSON body and inserts it
  as one row (``bench.benchapp.BareEvent``), with no authentication.

The clients are ``--clients`` processes (default 4), each with one keep-alive
``requests`` session, posting one request after the other: processes, so the client
side does not share the server's interpreter lock. The server threads keep their
database connection between requests (``CONN_MAX_AGE``), as a production host would.
On PostgreSQL the tables are vacuumed and analysed before each round. Rounds alternate
bare and webhook; the figure is the median of the rounds' ratios.

Goal (docs/benchmarks.md): webhook / bare requests/s >= 0.7.
"""

from __future__ import annotations

import json
import os
import statistics
import time

from bench.common import Pool, figure, fresh_tenant, parse_args, setup_django

TABLES = (
    "omnium_integration_inboundevent",
    "omnium_integration_externalsyncjob",
    "omnium_bench_bareevent",
)


def _client(url: str, commands, barrier, results) -> None:
    import requests

    session = requests.Session()
    session.trust_env = False
    while (command := commands.get()) is not None:
        path, headers, expected, warm_up, bodies = command
        for body in warm_up:  # opens the keep-alive connection, warms the server thread
            session.post(url + path, data=body, headers=headers, timeout=30)
        barrier.wait()
        cpu = time.process_time()
        answered = 0
        for body in bodies:
            response = session.post(url + path, data=body, headers=headers, timeout=30)
            answered += response.status_code == expected
        results.put((answered, time.process_time() - cpu))


def order_event(event_id: str, order_id: str) -> bytes:
    """An Omnium order event as its subscription posts it (the sandbox's envelope)."""
    from omnium_sandbox.subscriptions import envelope

    return json.dumps(
        envelope(
            id=event_id,
            operationId=111102,
            message="Workflow completed",
            subClassName="ClickAndCollect",
            objectId=order_id,
            category="Workflow",
            market="NOR",
            storeId="oslo_city",
            status="New",
            origin="POST /api/Orders",
        )
    ).encode()


def vacuum(db: str) -> None:
    if db != "postgres":
        return
    from django.db import connection

    with connection.cursor() as cursor:
        for table in TABLES:
            cursor.execute(f"VACUUM ANALYZE {table}")


def main() -> None:
    args = parse_args(
        __doc__.splitlines()[0],
        lambda p: (
            p.add_argument("--requests", type=int, default=2000, help="per side and round"),
            p.add_argument("--clients", type=int, default=4),
            p.add_argument("--rounds", type=int, default=3),
            p.add_argument("--conn-max-age", type=int, default=60),
        ),
    )
    os.environ["BENCH_CONN_MAX_AGE"] = str(args.conn_max_age)
    setup_django(args.db)
    from django.db import close_old_connections

    from bench.benchapp.models import BareEvent
    from flow_stub_project.devstack import FlowServer
    from omnium_integration.enums import EventOutcome, JobKind, JobStatus
    from omnium_integration.models import ExternalSyncJob, InboundEvent

    extension = fresh_tenant()
    BareEvent.objects.all().delete()
    webhook = (
        f"/omnium/events/{extension.tenant.uid}/",
        {"Authorization": f"Bearer {extension.webhook_secret}", "Content-Type": "application/json"},
        202,
    )
    bare = ("/bench/bare/", {"Content-Type": "application/json"}, 201)
    per_client = args.requests // args.clients
    total = per_client * args.clients

    server = FlowServer().start()
    pool = Pool(_mp_context(), args.clients, _client, server.url)
    rates: dict[str, list[float]] = {"bare": [], "webhook": []}
    cpu: dict[str, list[float]] = {"bare": [], "webhook": []}
    try:
        for round_ in range(args.rounds):
            for side, (path, headers, expected) in (("bare", bare), ("webhook", webhook)):
                vacuum(args.db)
                commands = []
                for client in range(args.clients):
                    ids = [f"{round_}-{client}-{n}" for n in range(per_client + 2)]
                    bodies = [order_event(f"evt-{i}", f"ORD-{i}") for i in ids]
                    commands.append((path, headers, expected, bodies[:2], bodies[2:]))
                seconds, answered, spent = pool.run(commands)
                assert answered == total, (side, answered, total)
                rates[side].append(total / seconds)
                cpu[side].append(spent / total)
            print(
                f"round {round_ + 1}: bare {rates['bare'][-1]:6.0f} req/s, webhook "
                f"{rates['webhook'][-1]:6.0f} req/s, ratio "
                f"{rates['webhook'][-1] / rates['bare'][-1]:.2f}",
                flush=True,
            )
    finally:
        pool.close()
        server.stop()
        close_old_connections()

    # Every webhook request stored its event and queued its own import job.
    stored = InboundEvent.objects.filter(extension=extension, outcome=EventOutcome.QUEUED)
    jobs = ExternalSyncJob.objects.filter(
        extension=extension, kind=JobKind.ORDER_IMPORT, status=JobStatus.PENDING
    )
    expected_rows = args.rounds * (total + 2 * args.clients)
    assert stored.count() == jobs.count() == expected_rows, (stored.count(), jobs.count())
    assert BareEvent.objects.count() == expected_rows

    ratio = statistics.median(w / b for w, b in zip(rates["webhook"], rates["bare"], strict=True))
    for side in ("bare", "webhook"):
        print(
            f"{side:8} {statistics.median(rates[side]):6.0f} requests/s (median of "
            f"{args.rounds} rounds of {total}; {args.clients} keep-alive clients); client CPU "
            f"{statistics.median(cpu[side]) * 1000:.2f} ms per request"
        )
    figure(
        f"P4 [{args.db}, {args.clients} clients] webhook / bare DRF view requests/s = "
        f"{ratio:.2f} (goal >= 0.7)"
    )


def _mp_context():
    import multiprocessing as mp

    return mp.get_context("spawn")


if __name__ == "__main__":
    main()
