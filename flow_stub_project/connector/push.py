"""Omnium's FlowRetail connector pushing master data into Flow's REST API.

:class:`FlowConnector` sends what :mod:`.mapping` makes of a
:class:`~.catalogue.Catalogue` to Flow's master-data API
(``flow_stub_project/flow/api/masterdata``), one resource after another in the order
their references need, each in sequential batches of at most 1000 items::

    brands, product-groups, stores, products, price-lists, prices, cost-prices,
    purchase-orders, stock

Stock is not sent for a store where Flow is stock master (``flowStockMaster`` of
``GET stores/<uid>``), nor at all when Omnium is not stock master
(``omnium_is_master_for_stock``); the report says what was skipped.

A batch Flow refuses stops the push with :class:`ConnectorError` (its field errors, and
the report so far); pushes are idempotent, so pushing again after a fix is safe.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any
from urllib.parse import quote

import requests

from . import mapping
from .catalogue import Catalogue
from .mapping import ConnectorSettings

RESOURCES = (
    "brands",
    "product-groups",
    "stores",
    "products",
    "price-lists",
    "prices",
    "cost-prices",
    "purchase-orders",
    "stock",
)
COUNTS = ("items", "batches", "created", "updated", "unchanged", "deleted")
USER_AGENT = "OmniumFlowConnector-stub/1.0"


def _number(value: object) -> Any:
    if isinstance(value, Decimal):
        # Flow reads JSON numbers as exact decimals; float's repr keeps up to 15 digits.
        if value == value.to_integral_value():
            return int(value)
        number = float(value)
        if Decimal(repr(number)) != value:
            raise ValueError(f"{value} cannot be sent exactly as a JSON number")
        return number
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def dumps(value: Any) -> bytes:
    """JSON with Decimals as exact numbers (``0.29``, never ``0.28999…``)."""
    return json.dumps(value, default=_number, ensure_ascii=False).encode("utf-8")


# ---------------------------------------------------------------------------- report


@dataclass
class ResourceReport:
    """What Flow answered for one resource, summed over its batches."""

    resource: str
    items: int = 0
    batches: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    seconds: float = 0.0
    skipped: list[str] = field(default_factory=list)

    def add(self, answer: dict[str, Any], items: int) -> None:
        self.items += items
        self.batches += 1
        for name in COUNTS[2:]:
            setattr(self, name, getattr(self, name) + int(answer.get(name) or 0))


@dataclass
class PushReport:
    """Per resource, in push order: items sent, batches, what Flow did, what was skipped."""

    api_url: str
    resources: dict[str, ResourceReport] = field(default_factory=dict)
    seconds: float = 0.0

    def __getitem__(self, resource: str) -> ResourceReport:
        return self.resources[resource]

    @property
    def skipped(self) -> list[str]:
        return [f"{r.resource}: {note}" for r in self.resources.values() for note in r.skipped]

    def as_dict(self) -> dict[str, Any]:
        return {
            "apiUrl": self.api_url,
            "seconds": round(self.seconds, 3),
            "resources": {
                name: {**asdict(r), "seconds": round(r.seconds, 3)}
                for name, r in self.resources.items()
            },
        }

    def format(self) -> str:
        """A table for people (the management command prints it)."""
        rows = [f"{'resource':<16}" + "".join(f"{name:>10}" for name in (*COUNTS, "seconds"))]
        for r in self.resources.values():
            numbers = "".join(f"{getattr(r, name):>10,}" for name in COUNTS)
            rows.append(f"{r.resource:<16}{numbers}{r.seconds:>10.2f}")
        rows += [f"skipped: {note}" for note in self.skipped]
        rows.append(f"Pushed to {self.api_url} in {self.seconds:.1f} s.")
        return "\n".join(rows)


class ConnectorError(Exception):
    """Flow refused a batch, or could not be reached; ``report`` holds what was done."""

    def __init__(
        self,
        message: str,
        *,
        resource: str,
        status: int | None = None,
        body: Any = None,
        report: PushReport | None = None,
    ):
        super().__init__(message)
        self.resource = resource
        self.status = status
        self.body = body
        self.report = report


# ---------------------------------------------------------------------------- pusher


class FlowConnector:
    """Pushes catalogues into one Flow tenant: ``api_url`` (e.g. ``http://127.0.0.1:8000/api/``)
    and the tenant's API token. Use it as a context manager, or call :meth:`close`."""

    def __init__(
        self,
        api_url: str,
        token: str,
        settings: ConnectorSettings | None = None,
        *,
        timeout: float = 300.0,
        adapter: requests.adapters.BaseAdapter | None = None,
    ):
        self.api_url = api_url.rstrip("/") + "/"
        self.settings = settings or ConnectorSettings()
        self.timeout = (10.0, timeout)
        self.session = requests.Session()
        self.session.headers.update(
            {
                "Authorization": f"Token {token}",
                "Content-Type": "application/json",
                "Accept": "application/json",
                "User-Agent": USER_AGENT,
            }
        )
        # Proxy settings read once, for Flow's URL (requests would re-read them per call).
        self.session.trust_env = False
        self.session.proxies.update(requests.utils.get_environ_proxies(self.api_url))
        if adapter is not None:  # e.g. Flow in the same process, in tests
            self.session.mount(self.api_url, adapter)

    def __repr__(self) -> str:
        return f"<FlowConnector {self.api_url}>"

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> FlowConnector:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def push(self, catalogue: Catalogue) -> PushReport:
        """Push every resource of ``catalogue``, in dependency order; the report says what
        Flow did. Raises :class:`ConnectorError` at the first batch Flow refuses."""
        settings = self.settings
        report = PushReport(self.api_url)
        started = time.monotonic()
        plan = {
            "brands": lambda: (mapping.brands(catalogue), []),
            "product-groups": lambda: (mapping.product_groups(catalogue), []),
            "stores": lambda: mapping.stores(catalogue, settings),
            "products": lambda: (mapping.products(catalogue, settings), []),
            "price-lists": lambda: mapping.price_lists(catalogue, settings),
            "prices": lambda: (mapping.prices(catalogue, settings), []),
            "cost-prices": lambda: (mapping.cost_prices(catalogue), []),
            "purchase-orders": lambda: mapping.purchase_orders(catalogue, settings),
            "stock": lambda: self._stock(catalogue),
        }
        try:
            for resource in RESOURCES:
                section = report.resources[resource] = ResourceReport(resource)
                began = time.monotonic()
                items, section.skipped = plan[resource]()
                self._send(resource, items, section)
                section.seconds = time.monotonic() - began
        except ConnectorError as exc:
            exc.report = report
            raise
        finally:
            report.seconds = time.monotonic() - started
        return report

    def _stock(self, catalogue: Catalogue) -> tuple[list[dict], list[str]]:
        if not self.settings.omnium_is_master_for_stock:
            return [], ["no stock sent: Omnium is not stock master (OmniumIsMasterForStock)"]
        by_store, skipped = mapping.stock_levels(catalogue)
        items = []
        for store_id, levels in by_store.items():
            flow_store = self._get("stock", f"stores/{quote(mapping.flow_uid(store_id), safe='')}")
            if flow_store is None:
                skipped.append(f"store {store_id!r} not in Flow: {len(levels):,} level(s) not sent")
            elif flow_store.get("flowStockMaster"):
                skipped.append(
                    f"store {store_id!r}: Flow is stock master there; "
                    f"{len(levels):,} level(s) not sent"
                )
            else:
                items.extend(levels)
        return items, skipped

    def _send(self, resource: str, items: list[dict], section: ResourceReport) -> None:
        size = self.settings.batch_size
        for number, start in enumerate(range(0, len(items), size), start=1):
            batch = items[start : start + size]
            answer = self._call("POST", resource, resource, dumps(batch), f"batch {number}")
            section.add(answer, len(batch))

    def _get(self, resource: str, path: str) -> dict | None:
        return self._call("GET", resource, path, None, f"GET {path}", none_on_404=True)

    def _call(
        self,
        method: str,
        resource: str,
        path: str,
        body: bytes | None,
        what: str,
        *,
        none_on_404: bool = False,
    ) -> Any:
        try:
            response = self.session.request(
                method, self.api_url + path, data=body, timeout=self.timeout
            )
        except requests.RequestException as exc:
            raise ConnectorError(
                f"{resource}: {what}: Flow could not be reached ({type(exc).__name__}: {exc})",
                resource=resource,
            ) from None
        if response.status_code == 404 and none_on_404:
            return None
        try:
            data = response.json()
        except ValueError:
            data = response.text[:500]
        if response.status_code != 200:
            detail = data.get("detail") if isinstance(data, dict) else data
            raise ConnectorError(
                f"{resource}: {what}: Flow answered {response.status_code}: {detail}",
                resource=resource,
                status=response.status_code,
                body=data,
            )
        return data


def push_catalogue(
    catalogue: Catalogue,
    api_url: str,
    token: str,
    settings: ConnectorSettings | None = None,
    *,
    adapter: requests.adapters.BaseAdapter | None = None,
) -> PushReport:
    """Push ``catalogue`` into the Flow tenant of ``token`` at ``api_url``."""
    with FlowConnector(api_url, token, settings, adapter=adapter) as connector:
        return connector.push(catalogue)
