"""P3: draining a backlog of order exports with 50 ms Omnium latency, engine vs a bare loop.

One in-process Omnium sandbox (``OmniumSandbox``) answers every ``/api`` call after
50 ms (its latency fault). Both sides run against it side by side in one run, with the
same number of worker processes (``--workers``, default 4):

* bare loop: the limit. Each process holds a plain ``requests`` session and POSTs its
  share of the request bodies to ``POST /api/Orders``, one after the other, with a
  Bearer token fetched beforehand. The bodies are exactly what the engine sends: the
  same sales mapped by the same ``pos_order`` mapper. They go to a second API user
  whose Omnium tenant is empty, so every call creates an order (201) as on the engine
  side, and no id is taken twice.
* engine: a backlog of real ``order.export`` jobs, one per completed POS sale (written
  in bulk, as ``tests/test_concurrency.py`` builds them); each process runs
  ``worker.drain`` until nothing is due. Every job reads its sale from Flow's database,
  maps it and sends it with the integration's client (token cache, call slots).

The processes start once (Django loaded, keep-alive connection or token in hand) and
serve every round. In each round the bare loop runs, then the engine, on the same sales:
the sandbox forgets the orders in between and the jobs are written anew. The clock
starts when the work is visible to the waiting processes and stops when the last of them
is done. Each process measures its own CPU time, so the CPU cost per call and per job
is printed too. The figure is the median of the rounds' ratios.

Why 4 processes: with 50 ms per call each process makes at most ~20 calls/s, so 4 give a
limit of ~80 calls/s. That is a backlog drained in parallel (as ``tests/
test_concurrency.py`` does with four workers) while the 2-core machine, which also runs
the sandbox and the database, stays below saturation: the ratio then shows what the
engine adds around each call (claims, queries, finishes, uneven sharing of the backlog)
rather than how many cores the machine has. Run with ``--workers 8`` to see it under
CPU pressure.

Goal (docs/benchmarks.md): engine jobs/s / bare calls/s >= 0.8.
"""

from __future__ import annotations

import multiprocessing as mp
import statistics
import time

from bench.common import Pool, drain_worker, figure, fresh_tenant, parse_args, setup_django

LATENCY = 0.05  # seconds added by the sandbox to every /api call
BARE_CLIENT = ("bench-bare", "bench-bare-secret")
BARE_TENANT = "bare"  # the bare loop's Omnium tenant, apart from the engine's
ORDERS = "POST /api/Orders"


def _bare_worker(url: str, commands, barrier, results) -> None:
    import requests

    session = requests.Session()
    session.trust_env = False
    session.get(url + "/api/Health", timeout=10)  # open the keep-alive connection
    while (command := commands.get()) is not None:
        token, bodies = command
        headers = {
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
            "Accept": "application/json",
        }
        barrier.wait()
        cpu = time.process_time()
        created = 0
        for body in bodies:
            response = session.post(url + "/api/Orders", data=body, headers=headers, timeout=30)
            created += response.status_code == 201
        results.put((created, time.process_time() - cpu))


def main() -> None:
    args = parse_args(
        __doc__.splitlines()[0],
        lambda p: (
            p.add_argument("--jobs", type=int, default=800),
            p.add_argument("--workers", type=int, default=4),
            p.add_argument("--rounds", type=int, default=3),
        ),
    )
    setup_django(args.db)
    from django.utils import timezone
    from omnium_sandbox import OmniumSandbox

    from flow_stub_project.flow.models import Store
    from omnium_integration.client import get_client
    from omnium_integration.client.http import encode_json
    from omnium_integration.client.tokens import Credentials, fetch_token
    from omnium_integration.enums import Direction, JobKind, JobStatus, Queue
    from omnium_integration.host import get_adapter
    from omnium_integration.mapping.orders import pos_order
    from omnium_integration.models import ExternalSyncJob
    from omnium_integration.sync.outbound import export_options
    from tests.flow_factories import completed_sales

    sandbox = OmniumSandbox().start()
    extension = fresh_tenant()
    extension.api_base_url = sandbox.url
    extension.save()
    sandbox.add_credentials(extension.client_id, extension.client_secret)
    sandbox.add_credentials(*BARE_CLIENT, tenant=BARE_TENANT)
    store = Store.objects.create(
        tenant=extension.tenant, uid="bench_store", name="Bench", country_code="NO"
    )
    sales = completed_sales(store, args.jobs)
    # The bare loop's bodies: the very documents the engine's handler sends.
    options, adapter = export_options(extension), get_adapter()
    bodies = [
        encode_json(pos_order(adapter.order_for_export(extension.tenant_id, sale.pk), options))
        for sale in sales
    ]
    # Both sides hold a token before the clock starts: the workers find the engine's stored.
    client = get_client(extension)
    client.tokens.get()
    bare_token = fetch_token(client.session, sandbox.url, Credentials(*BARE_CLIENT)).access_token
    sandbox.faults.configure(latency=LATENCY)

    ctx = mp.get_context("spawn")
    bare = Pool(ctx, args.workers, _bare_worker, sandbox.url)
    engine = Pool(ctx, args.workers, drain_worker, args.db)
    bare_rates, engine_rates, bare_cpu, engine_cpu = [], [], [], []
    try:
        for round_ in range(args.rounds):
            with sandbox.lock:  # Omnium forgets the orders of the previous round
                sandbox.state.orders.clear()
                sandbox.tenant(BARE_TENANT).orders.clear()
            before = {
                user: sandbox.call_count(ORDERS, client_id=user)
                for user in (extension.client_id, BARE_CLIENT[0])
            }
            shares = [bodies[n :: args.workers] for n in range(args.workers)]
            seconds, created, cpu = bare.run([(bare_token, share) for share in shares])
            assert created == args.jobs, (created, args.jobs)
            bare_rates.append(args.jobs / seconds)
            bare_cpu.append(cpu / args.jobs)

            ExternalSyncJob.objects.all().delete()  # no earlier export of these sales
            now = timezone.now()
            ExternalSyncJob.objects.bulk_create(
                ExternalSyncJob(
                    queue=Queue.ORDER,
                    direction=Direction.OUTBOUND,
                    kind=JobKind.ORDER_EXPORT,
                    extension=extension,
                    object_id=str(sale.pk),
                    next_attempt_at=now,
                )
                for sale in sales
            )
            seconds, claimed, cpu = engine.run([True] * args.workers)
            succeeded = ExternalSyncJob.objects.filter(status=JobStatus.SUCCEEDED).count()
            assert claimed == succeeded == args.jobs, (claimed, succeeded, args.jobs)
            engine_rates.append(args.jobs / seconds)
            engine_cpu.append(cpu / args.jobs)
            # One call per sale on each side: nothing retried, nothing sent twice.
            for user in before:
                calls = sandbox.call_count(ORDERS, client_id=user) - before[user]
                assert calls == args.jobs, (user, calls)
            print(
                f"round {round_ + 1}: bare {bare_rates[-1]:5.1f} calls/s, engine "
                f"{engine_rates[-1]:5.1f} jobs/s, ratio {engine_rates[-1] / bare_rates[-1]:.2f}",
                flush=True,
            )
    finally:
        bare.close()
        engine.close()
        sandbox.stop()

    limit = args.workers / LATENCY
    ratio = statistics.median(e / b for e, b in zip(engine_rates, bare_rates, strict=True))
    print(
        f"bare loop: {statistics.median(bare_rates):5.1f} calls/s (median of {args.rounds} "
        f"rounds; {limit:.0f}/s if each call took exactly {LATENCY * 1000:.0f} ms); "
        f"CPU {statistics.median(bare_cpu) * 1000:.2f} ms per call"
    )
    print(
        f"engine:    {statistics.median(engine_rates):5.1f} jobs/s  ({args.jobs} order.export "
        f"jobs a round); worker CPU {statistics.median(engine_cpu) * 1000:.2f} ms per job"
    )
    figure(
        f"P3 [{args.db}, {args.workers} workers, {LATENCY * 1000:.0f} ms latency] backlog drain, "
        f"engine / bare loop = {ratio:.2f} (goal >= 0.8)"
    )


if __name__ == "__main__":
    main()
