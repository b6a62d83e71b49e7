"""omnium-sandbox: a fake Omnium OMS, a test double of Omnium's documented behaviour.

What stripe-mock is beside dj-stripe, this is beside the ``omnium_integration`` app: it
answers Omnium's REST API (paths and payload shapes, the token endpoint, validation with
ProblemDetails bodies, status codes, limits) and posts Omnium's webhook events, from data
held in memory. It is written from Omnium's documentation (docs/omnium-api.md in this
repository), not from the app: it shares no code with it, so a rule the app gets wrong is
not wrong here too. Production code never imports it.

Install it beside the app (``make`` does)::

    pip install -e ./sandbox

Run it on loopback::

    python -m omnium_sandbox --port 8765 --credentials CLIENT_ID:SECRET

or in Python::

    from omnium_sandbox import OmniumSandbox

    with OmniumSandbox() as sandbox:
        sandbox.add_credentials("client-id", "secret")
        ...  # point a tenant's Omnium API base URL at sandbox.url

Data lives per Omnium tenant (``sandbox.state`` is the ``default`` one); an API user
belongs to one tenant (``add_credentials(..., tenant=...)``). The modules say, per
behaviour, what Omnium documents and what is assumed where it is silent: :mod:`.auth`
(token endpoint, roles), :mod:`.store` (what each endpoint does to the data),
:mod:`.subscriptions` (event subscriptions and webhook delivery), :mod:`.faults` (fault
injection), :mod:`.server` (HTTP, counters).
"""

from .server import OmniumSandbox

__all__ = ["OmniumSandbox"]
