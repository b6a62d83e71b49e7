"""Omnium's FlowRetail connector, as the stub host plays it: Omnium master data into Flow.

In production Omnium runs this connector itself and pushes products, prices, stores,
purchase orders and stock into Flow's REST API (``flow_stub_project/flow/api/masterdata``).
The stub host needs the same traffic to fill a development Flow and to test that API, so
this package imitates it over HTTP:

* :mod:`.catalogue`: a generated, seeded catalogue in Omnium's shapes, and
  :func:`~.catalogue.seed_omnium` to give its Omnium side to a fake Omnium;
* :mod:`.mapping`: what the connector makes of it for Flow (pure functions);
* :mod:`.push`: the pusher and its report.

It imports nothing from the integration app: its UID, number and date rules are its own.
"""

from .catalogue import Catalogue, generate_catalogue, seed_omnium
from .mapping import ConnectorSettings
from .push import ConnectorError, FlowConnector, PushReport, push_catalogue

__all__ = [
    "Catalogue",
    "ConnectorError",
    "ConnectorSettings",
    "FlowConnector",
    "PushReport",
    "generate_catalogue",
    "push_catalogue",
    "seed_omnium",
]
