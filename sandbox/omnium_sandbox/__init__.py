"""omnium-sandbox: a fake Omnium OMS, a test double of Omnium's documented behaviour.

What stripe-mock is beside dj-stripe, this is beside the ``omnium_integration`` app: it
answers Omnium's REST API (paths and payload shapes, the token endpoint, validation with
ProblemDetails bodies, status codes, limits) and posts Omnium's webhook events, from data
held in memory. It is written from Omnium's documentation (docs/omnium-api.md in this
repository), not from the app, and shares no code with it: a rule the app gets wrong is
not wrong here too. Production code never imports it.

Install it beside the app (``make`` does)::

    pip install -e ./sandbox

Run it on loopback (``omnium-sandbox`` is the same command)::

    python -m omnium_sandbox --port 8765 --credentials CLIENT_ID:SECRET \\
        [--latency 0.05] [--error-rate 503=0.05] [--seed 1] [--token-lifetime S] \\
        [--subscribe URL --subscribe-header "Authorization: Bearer …"]

or in Python, on a free port::

    with OmniumSandbox() as sandbox:
        sandbox.add_credentials("client-id", "secret")
        ...  # point a tenant's Omnium API base URL at sandbox.url

or in process, with no server at all, for a host's unit tests: :mod:`.testing`
(``FakeOmnium``, and the ``HTTP_ADAPTER`` factory ``omnium_sandbox.testing.adapter``).

The surface, all of it used by this repository's tests, benchmarks or demo:

* HTTP: Omnium's ``/api/...`` routes (:data:`.api.ROUTES`); ``GET /sandbox/state``
  (``?tenant=``) shows the data; ``GET /sandbox/invoices/{id}/files/{assetId}`` is where
  an invoice asset's ``url`` points. Everything else is set from Python or at start.
* Settings: ``configure(token_lifetime=, jwt_lifetime=, markets=, order_types=,
  order_statuses=, stores=, default_return_order_type=, webhook_retry_delays=,
  webhook_timeout=)``; ``reset()`` returns to the ones given at construction; ``seed(n)``.
* API users: ``add_credentials(client_id, secret, tenant=, roles=, active=)``,
  ``deactivate(client_id)``, ``revoke_tokens(client_id=None)``.
* What Omnium holds, per tenant: ``state`` / ``tenant(name)`` (orders, their earlier
  versions, customers, inventory and its transactions, purchase orders, deliveries, goods
  receptions, invoices and their files); changes made in Omnium itself: ``seed_order``,
  ``edit_order``, ``delete_order``, ``set_order_status``, ``patch_customer``,
  ``anonymize_customer``, ``delete_customer``, ``add_purchase_order``,
  ``add_delivery``, ``add_inventory``. ``lock`` guards the data.
* Counters: ``call_count(endpoint, client_id=)``, ``calls()``, ``object_calls(endpoint)``,
  ``token_requests(client_id)``, ``max_in_flight(client_id)``, ``last_requests(endpoint)``,
  ``counters()``.
* Faults (:mod:`.faults`): ``faults.configure(latency=, error_rates=, drop_rate=,
  lost_reply_rate=, slow_rate=, slow_delay=, retry_after=, path=)``, ``fail_next``,
  ``burst_429``, ``drop_next``, ``delay_next``, ``injected()``, ``clear()``, ``seed()``.
* Events (:mod:`.subscriptions`): ``subscribe(url, headers=, class_names=, order_types=,
  …)``; ``events.hold()``, ``release("fifo"|"reverse"|"shuffle")``, ``repeat(id)``,
  ``emit(**fields)``, ``wait_idle()``; ``events.emitted``, ``deliveries``, ``log``,
  ``held_events()``.

Each module says, per behaviour, what Omnium documents and what is assumed where it is
silent: :mod:`.auth` (token endpoint, roles), :mod:`.store` (what each endpoint does to
the data; customers in :mod:`.customers`), :mod:`.inventory` (the inventory search and its
scroll), :mod:`.subscriptions` (event subscriptions and webhook delivery), :mod:`.faults` (fault
injection), :mod:`.api` (routes, counters), :mod:`.server` (HTTP).
"""

from .server import OmniumSandbox

__all__ = ["OmniumSandbox"]
