"""A fake Omnium on loopback: the test double every e2e test, the demo and the benchmarks use.

Run it with ``python manage.py omnium_sandbox --port 8765`` or, in Python::

    with OmniumSandbox() as sandbox:
        sandbox.add_credentials("client-id", "secret")
        ...  # point a tenant's api_base_url at sandbox.url

It is a test double of Omnium's *documented* behaviour (``shared/spec/omnium-api.md``):
paths and payload shapes, the token endpoint, validation, status codes, limits, events. The
modules say, per behaviour, which parts come from the spec and which are our assumptions
where the spec leaves a question open (§16): :mod:`.auth` (token endpoint, roles),
:mod:`.store` (what each endpoint does to the data), :mod:`.events` (subscriptions and
delivery), :mod:`.faults` (fault injection), :mod:`.server` (HTTP, counters, the
``/sandbox`` control API).

Connector mode (:mod:`.connector`): the sandbox also plays Omnium's FlowRetail connector,
pushing master data into a running Flow through Flow's REST API::

    sandbox.load_catalogue(generate_catalogue(products=2000, seed=1))
    report = sandbox.push_catalogue("http://127.0.0.1:8000/api/", flow_api_token)
    print(report.format())

or ``python manage.py omnium_sandbox --push-catalogue http://127.0.0.1:8000/api/
--flow-token KEY``.

Data lives per Omnium tenant (``sandbox.state`` is the ``default`` one); an API user
belongs to one tenant (``add_credentials(..., tenant=...)``). State, counters, faults and
events are readable and settable from Python and over HTTP under ``/sandbox/``.
"""

from .catalogue import Catalogue, generate_catalogue
from .connector import ConnectorError, ConnectorSettings, FlowConnector, PushReport, push_catalogue
from .server import OmniumSandbox

__all__ = [
    "Catalogue",
    "ConnectorError",
    "ConnectorSettings",
    "FlowConnector",
    "OmniumSandbox",
    "PushReport",
    "generate_catalogue",
    "push_catalogue",
]
