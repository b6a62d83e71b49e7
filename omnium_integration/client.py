"""The Omnium API client: every call the integration makes to Omnium goes through here.

``get_client(extension)`` returns the tenant's :class:`OmniumClient` (one per tenant per
process, safe to share between threads). It owns a ``requests`` session with connect and
read timeouts (``CONNECT_TIMEOUT``, ``READ_TIMEOUT``), the base URL of the tenant
(``extension.base_url``), the tenant's token (:mod:`omnium_integration.tokens`) and its
share of Omnium's limits (spec §5): at most ``MAX_CONCURRENT_CALLS_PER_TENANT`` calls in
flight per API user from this machine, across processes, and at most
``MAX_CONCURRENT_BULK_CALLS_PER_TENANT`` bulk updates; bulk bodies are cut into batches of
``BATCH_SIZE_LIMIT`` items (``CUSTOMER_BATCH_SIZE_LIMIT`` for customers), sent one after
the other.

Errors are classified here, once:

* :class:`RetryableError`: connection errors, timeouts, 5xx, 408 and 429 (with the
  ``Retry-After`` seconds in ``retry_after``);
* :class:`PermanentError` for any other 4xx, with Omnium's body in ``.body``;
  :class:`OmniumConflict` for 409; :class:`DuplicateGoodsReception` for the goods-reception
  400 that lists already-processed ``goodsReceptionId`` s;
* a 401 renews the token and repeats the call; a 401 to a token just obtained from
  Omnium (not one another worker stored, which may have been revoked since), or a 403,
  is a :class:`PermanentError` that says why (deactivated API user, missing role).

GETs return ``None`` on 404. Bodies go out as JSON with ``Decimal`` amounts written
exactly; answers are parsed with ``parse_float=Decimal``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from datetime import UTC, date, datetime
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote

import requests
from requests.adapters import BaseAdapter, HTTPAdapter

from . import __version__
from .concurrency import SlotTimeout, slot_pool
from .conf import app_settings
from .exceptions import (
    DuplicateGoodsReception,
    MappingError,
    OmniumConflict,
    PermanentError,
    RetryableError,
)
from .models import TenantExtension
from .redaction import RedactingFilter
from .tokens import Token, TokenCache
from .transform import json_number

__all__ = [
    "DuplicateGoodsReception",
    "OmniumClient",
    "OmniumConflict",
    "clear_clients",
    "encode_json",
    "get_client",
]

logger = logging.getLogger(__name__)

USER_AGENT = f"omnium-integration/{__version__} python-requests/{requests.__version__}"

# urllib3 logs every request line, query string included, at DEBUG; the token request
# carries the client secret there. Redact it at the source, whatever the host's handlers.
logging.getLogger("urllib3.connectionpool").addFilter(RedactingFilter())


# ------------------------------------------------------------------------------ JSON


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise MappingError(f"Cannot send {value} to Omnium: not a finite number.")
        number = json_number(value)
        if Decimal(repr(number)) != value:
            raise MappingError(f"Cannot send {value} to Omnium exactly: too many digits.")
        return number
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(UTC).replace(tzinfo=None)
        return value.isoformat() + "Z"  # Omnium's dates are UTC (spec §4.1)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def encode_json(body: Any) -> bytes:
    """A request body as JSON; Decimals keep their exact decimal value, dates are UTC ISO."""
    return json.dumps(body, default=_json_default, ensure_ascii=False).encode("utf-8")


def decode_json(text: str) -> Any:
    return json.loads(text, parse_float=Decimal)


def _retry_after(value: str | None) -> float | None:
    """``Retry-After`` as seconds: delta-seconds or an HTTP date (RFC 9110 §10.2.3)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(float(value), 0.0)
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max((when - datetime.now(UTC)).total_seconds(), 0.0)


def _summary(response: requests.Response) -> str:
    """A short reason from Omnium's error body, whatever its shape (spec §4.3)."""
    text = response.text or ""
    try:
        data = json.loads(text)
    except ValueError:
        return " ".join(text.split())[:300]
    if not isinstance(data, dict):
        return " ".join(str(data).split())[:300]
    parts = [str(data[key]) for key in ("title", "detail", "message") if data.get(key)]
    errors = data.get("errors")
    if isinstance(errors, dict):
        for name, messages in errors.items():
            shown = "; ".join(map(str, messages)) if isinstance(messages, list) else messages
            parts.append(f"{name}: {shown}")
    elif isinstance(errors, list):
        parts.extend(str(e) for e in errors)
    return " ".join(" | ".join(parts).split())[:500]


# ---------------------------------------------------------------------------- client


def transport_adapter() -> BaseAdapter:
    """The ``requests`` transport every client session sends through.

    ``HTTP_ADAPTER`` names a factory for another one (an in-process fake Omnium in a
    host's unit tests, a custom TLS setup); by default it is requests' own, with enough
    pooled keep-alive connections for every call slot and no silent retries: retrying
    is the engine's decision.
    """
    factory = app_settings.HTTP_ADAPTER
    if factory is not None:
        return factory()
    return HTTPAdapter(
        pool_connections=1,
        pool_maxsize=max(int(app_settings.MAX_CONCURRENT_CALLS_PER_TENANT), 10),
        max_retries=0,
    )


_NO_BODY = object()


class OmniumClient:
    """Typed calls to Omnium for one tenant. Get it with :func:`get_client`."""

    def __init__(self, extension: TenantExtension):
        if extension.pk is None:
            raise ValueError("The tenant extension must be saved before calling Omnium.")
        self.extension_pk: int = extension.pk
        self.base_url = extension.base_url
        self.fingerprint = _fingerprint(extension)
        self.session = requests.Session()
        self.session.headers.update({"User-Agent": USER_AGENT, "Accept": "application/json"})
        adapter = transport_adapter()
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        # requests reads proxy and CA-bundle variables from the environment on every call
        # (about 1 ms each); read them once, for this tenant's URL.
        self.session.trust_env = False
        self.session.proxies.update(requests.utils.get_environ_proxies(self.base_url))
        ca_bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
        if ca_bundle:
            self.session.verify = ca_bundle
        self.tokens = TokenCache(self.extension_pk, self.session, self.base_url)
        # The limits are Omnium's per API user: key the slots on (base URL, client id),
        # hashed so the client id never appears in a file name.
        key = hashlib.sha256(f"{self.base_url}\0{extension.client_id}".encode()).hexdigest()
        self._slot_key = key[:24]

    def __repr__(self) -> str:
        return f"<OmniumClient extension={self.extension_pk} base_url={self.base_url}>"

    def close(self) -> None:
        self.session.close()

    # ---------------------------------------------------------------- orders (§7)

    def get_order(self, order_id: str) -> dict | None:
        return self._call("GET", f"/api/Orders/{_seg(order_id)}", none_on_404=True)

    def search_orders(
        self,
        modified_from: datetime | str,
        order_types: Sequence[str] | None = None,
        store_ids: Sequence[str] | None = None,
        page: int = 0,
        take: int = 100,
    ) -> dict:
        """Orders modified at or after ``modified_from``, oldest change first.

        Omnium's search filters on one ``orderType`` (spec §7.1, OmniumOrderSearchRequest),
        so several types mean one search per type; the pages are merged (sorted by
        ``modified``) and ``totalHits`` summed. Keep paging while ``len(result) == take``
        (or ``(page + 1) * take < totalHits``): a page shorter than ``take`` means every
        type is exhausted.
        """
        body: dict[str, Any] = {
            "modifiedFrom": modified_from,
            "sortOrder": "ModifiedAscending",
            "disableFacets": True,
            "page": page,
            "take": take,
        }
        if store_ids:
            body["selectedStores"] = list(store_ids)
        if not order_types:
            return self._search(body)
        results: list[dict] = []
        total = 0
        for order_type in order_types:
            found = self._search({**body, "orderType": order_type})
            results.extend(found["result"])
            total += found["totalHits"]
        results.sort(key=lambda order: (str(order.get("modified") or ""), str(order.get("id"))))
        return {"result": results, "totalHits": total}

    def _search(self, body: dict) -> dict:
        found = self._call("POST", "/api/Orders/Search", body=body) or {}
        return {"result": list(found.get("result") or []), "totalHits": found.get("totalHits", 0)}

    def put_pos_order(self, order: dict) -> Any:
        """``PUT /api/Orders/PosOrders``: create or replace the POS order with ``order["id"]``."""
        return self._call("PUT", "/api/Orders/PosOrders", body=order)

    def add_order(self, order: dict) -> Any:
        """``POST /api/Orders``; :class:`OmniumConflict` when the id exists."""
        return self._call("POST", "/api/Orders", body=order)

    def update_order_status(self, order_id: str, status: str, **fields: Any) -> Any:
        """``POST /api/Orders/{id}/UpdateStatus`` (runs Omnium's workflow for the status)."""
        body = {"status": status, **fields}
        return self._call("POST", f"/api/Orders/{_seg(order_id)}/UpdateStatus", body=body)

    def cancel_order(self, order_id: str, status: str = "OrderCanceled", **fields: Any) -> Any:
        """Cancel a whole order: ``UpdateStatus`` to a cancel status (spec §7.3)."""
        return self.update_order_status(order_id, status, **fields)

    def patch_order(self, order_id: str, patch: dict) -> Any:
        """``PATCH /api/Orders/{id}/PatchOrder`` (no workflow runs)."""
        return self._call("PATCH", f"/api/Orders/{_seg(order_id)}/PatchOrder", body=patch)

    def create_return(self, order_id: str, request: dict) -> Any:
        """``POST /api/Returns/{orderId}/Return``; answers the return order form."""
        return self._call("POST", f"/api/Returns/{_seg(order_id)}/Return", body=request)

    # ------------------------------------------------------------- customers (§8)

    def get_private_customer(self, customer_id: str) -> dict | None:
        return self._call("GET", f"/api/PrivateCustomers/{_seg(customer_id)}", none_on_404=True)

    def create_private_customer(self, customer: dict) -> Any:
        return self._call("POST", "/api/PrivateCustomers", body=customer)

    def update_private_customer(self, customer: dict) -> Any:
        return self._call("POST", "/api/PrivateCustomers/Update", body=customer)

    def upsert_private_customers(self, customers: Sequence[dict]) -> int:
        """``PUT /api/PrivateCustomers/AddOrUpdateMany`` in batches; returns the calls made."""
        return self._batched(
            "/api/PrivateCustomers/AddOrUpdateMany",
            customers,
            app_settings.CUSTOMER_BATCH_SIZE_LIMIT,
        )

    def get_business_customer(self, customer_id: str) -> dict | None:
        return self._call("GET", f"/api/BusinessCustomers/{_seg(customer_id)}", none_on_404=True)

    def create_business_customer(self, customer: dict) -> Any:
        return self._call("POST", "/api/BusinessCustomers", body=customer)

    def update_business_customer(self, customer: dict) -> Any:
        return self._call("POST", "/api/BusinessCustomers/Update", body=customer)

    def upsert_business_customers(self, customers: Sequence[dict]) -> int:
        return self._batched(
            "/api/BusinessCustomers/AddOrUpdateMany",
            customers,
            app_settings.CUSTOMER_BATCH_SIZE_LIMIT,
        )

    # ------------------------------------------------------------- inventory (§9)

    def update_inventory(self, items: Sequence[dict]) -> int:
        """Absolute stock ``{sku, warehouseCode, inventory}`` via ``PUT /api/Inventory/
        UpdateMany``, in sequential batches of ``BATCH_SIZE_LIMIT``; returns the calls made."""
        return self._batched("/api/Inventory/UpdateMany", items, app_settings.BATCH_SIZE_LIMIT)

    def _batched(self, path: str, items: Sequence[dict], size: int) -> int:
        items = list(items)
        calls = 0
        for start in range(0, len(items), size):
            self._call("PUT", path, body=items[start : start + size], bulk=True)
            calls += 1
        return calls

    # ---------------------------------------------- purchase orders, deliveries (§10)

    def get_purchase_order(self, po_id: str) -> dict | None:
        return self._call("GET", f"/api/PurchaseOrders/{_seg(po_id)}", none_on_404=True)

    def get_delivery(self, delivery_id: str) -> dict | None:
        return self._call("GET", f"/api/Deliveries/{_seg(delivery_id)}", none_on_404=True)

    def get_delivery_lines(self, delivery_id: str) -> list | None:
        """The purchase-order lines of a delivery."""
        path = f"/api/Deliveries/{_seg(delivery_id)}/PurchaseOrderLines"
        return self._call("GET", path, none_on_404=True)

    def create_delivery(
        self,
        po_id: str,
        lines: Sequence[dict],
        *,
        new_delivery_id: str | None = None,
        existing_delivery_id: str | None = None,
    ) -> dict:
        """``POST /api/Deliveries/CreateDelivery/{purchaseOrderId}``: put the purchase-order
        lines ``[{lineItemId, code, quantity}]`` on a new delivery (named
        ``new_delivery_id``) or on ``existing_delivery_id``; returns the delivery."""
        params = {
            key: value
            for key, value in (
                ("newDeliveryId", new_delivery_id),
                ("existingDeliveryId", existing_delivery_id),
            )
            if value
        }
        path = f"/api/Deliveries/CreateDelivery/{_seg(po_id)}"
        return self._call("POST", path, body=list(lines), params=params or None)

    def process_goods_reception(self, delivery_id: str, lines: Sequence[dict]) -> Any:
        """``POST /api/Deliveries/{id}/ProcessGoodsReception``: ``deliveredQuantity`` is added
        to each purchase-order line. Raises :class:`DuplicateGoodsReception` (with ``.ids``)
        when Omnium has processed some of the lines' ``goodsReceptionId`` s already."""
        path = f"/api/Deliveries/{_seg(delivery_id)}/ProcessGoodsReception"
        try:
            return self._call("POST", path, body=list(lines))
        except PermanentError as exc:
            duplicates = _duplicate_reception_ids(exc, lines)
            if duplicates:
                raise DuplicateGoodsReception(
                    f"Omnium has already processed goods reception(s) {', '.join(duplicates)} "
                    f"of delivery {delivery_id}.",
                    ids=duplicates,
                    status_code=exc.status_code,
                    body=exc.body,
                ) from exc
            raise

    # -------------------------------------------------------------- invoices (§12)

    def update_invoice(self, invoice: dict) -> Any:
        """``PUT /api/Invoices/UpdateInvoice``: create or update the invoice ``invoice["id"]``."""
        return self._call("PUT", "/api/Invoices/UpdateInvoice", body=invoice)

    def add_file_to_invoice(
        self,
        invoice_id: str,
        file_name: str,
        content: bytes,
        content_type: str = "application/pdf",
    ) -> Any:
        """Attach a file (the receipt PDF) to an existing invoice, sent as the raw body
        ("upload from stream"; spec §12 leaves the encoding open)."""
        return self._call(
            "POST",
            f"/api/Invoices/{_seg(invoice_id)}/AddFileToInvoice",
            params={"fileName": file_name},
            data=content,
            content_type=content_type,
        )

    def get_invoice(self, invoice_id: str) -> dict | None:
        return self._call("GET", f"/api/Invoices/{_seg(invoice_id)}", none_on_404=True)

    # ------------------------------------------------------------------ operations

    def check(self) -> dict:
        """Fetch a token and call ``GET /api/Health`` (for ``omnium_check`` and the admin)."""
        started = time.monotonic()
        token = self.tokens.get()
        health = self._call("GET", "/api/Health")
        elapsed = (time.monotonic() - started) * 1000
        return {
            "ok": True,
            "base_url": self.base_url,
            "token_renewal_due": token.renew_at.isoformat(timespec="seconds"),
            "health": health,
            "detail": f"token valid, /api/Health answered in {elapsed:.0f} ms",
        }

    # --------------------------------------------------------------------- transport

    def _call(
        self,
        method: str,
        path: str,
        *,
        body: Any = _NO_BODY,
        params: dict | None = None,
        data: bytes | None = None,
        content_type: str | None = None,
        none_on_404: bool = False,
        bulk: bool = False,
    ) -> Any:
        headers = {}
        if body is not _NO_BODY:
            data, content_type = encode_json(body), "application/json"
        if content_type:
            headers["Content-Type"] = content_type
        token = self.tokens.get()
        response = self._send(method, path, params, data, headers, token, bulk)
        if response.status_code == 401:
            # Expired early, revoked, or replaced by another worker: renew and repeat. The
            # token another worker stored may have been revoked since as well, so only a
            # token obtained from Omnium just now and refused says the user is refused.
            for _ in range(2):
                token, obtained = self.tokens.renew(token)
                response = self._send(method, path, params, data, headers, token, bulk)
                if response.status_code != 401 or obtained:
                    break
            if response.status_code == 401:
                raise PermanentError(
                    f"Omnium refused a renewed token (401) on {method} {path}: the API "
                    "user is probably deactivated (Omnium: Configuration > Authorization > "
                    "API Users > Is active).",
                    status_code=401,
                    body=response.text,
                )
        return self._result(method, path, response, none_on_404)

    def _send(self, method, path, params, data, headers, token: Token, bulk) -> requests.Response:
        connect, read = float(app_settings.CONNECT_TIMEOUT), float(app_settings.READ_TIMEOUT)
        started = time.monotonic()
        try:
            with self._slots(bulk, timeout=connect + read):
                response = self.session.request(
                    method,
                    self.base_url + path,
                    params=params,
                    data=data,
                    headers={**headers, **token.bearer_headers()},
                    timeout=(connect, read),
                )
        except SlotTimeout:
            raise RetryableError(
                f"{method} {path}: every Omnium call slot of the tenant stayed busy for "
                f"{connect + read:.0f}s."
            ) from None
        except requests.ConnectTimeout as exc:
            raise RetryableError(f"{method} {path}: connecting to Omnium timed out.") from exc
        except requests.ReadTimeout as exc:
            raise RetryableError(
                f"{method} {path}: Omnium did not answer within {read:g}s."
            ) from exc
        except requests.RequestException as exc:
            raise RetryableError(
                f"{method} {path}: connection to Omnium failed ({_root_cause(exc)})."
            ) from exc
        logger.debug(
            "%s %s -> %s in %.0f ms",
            method,
            path,
            response.status_code,
            (time.monotonic() - started) * 1000,
        )
        return response

    @contextmanager
    def _slots(self, bulk: bool, timeout: float) -> Iterator[None]:
        base_dir = app_settings.CONCURRENCY_LOCK_DIR
        with ExitStack() as stack:
            if bulk:  # take the scarcer bulk slot first, then a general one
                size = int(app_settings.MAX_CONCURRENT_BULK_CALLS_PER_TENANT)
                pool = slot_pool(self._slot_key, "bulk", size, base_dir)
                stack.enter_context(pool.slot(timeout))
            size = int(app_settings.MAX_CONCURRENT_CALLS_PER_TENANT)
            stack.enter_context(slot_pool(self._slot_key, "call", size, base_dir).slot(timeout))
            yield

    def _result(self, method: str, path: str, response: requests.Response, none_on_404: bool):
        status = response.status_code
        if 200 <= status < 300:
            return _parse(response)
        if status == 404 and none_on_404:
            return None
        where = f"{method} {path}"
        if status == 408 or status == 429 or status >= 500:
            retry_after = _retry_after(response.headers.get("Retry-After"))
            extra = f" (Retry-After {retry_after:g}s)" if retry_after is not None else ""
            raise RetryableError(
                f"Omnium answered {status} to {where}{extra}.",
                retry_after=retry_after,
                status_code=status,
            )
        if status == 403:
            raise PermanentError(
                f"Omnium refused {where} (403): the API user lacks the role for it (e.g. "
                "OrderAdmin, CustomerAdmin, InventoryAdmin, PurchaseOrderAdmin) or access to "
                "the store/market.",
                status_code=403,
                body=response.text,
            )
        summary = _summary(response)
        message = f"Omnium answered {status} to {where}" + (f": {summary}" if summary else ".")
        if status == 409:
            raise OmniumConflict(message, status_code=409, body=response.text)
        if 300 <= status < 400:
            # Redirects are followed by requests; one left over is a misconfigured base URL.
            message += " Check the tenant's Omnium API base URL."
        raise PermanentError(message, status_code=status, body=response.text)


def _parse(response: requests.Response) -> Any:
    if not response.content:
        return None
    text = response.text
    try:
        return decode_json(text)
    except ValueError:
        return text


def _root_cause(exc: BaseException) -> str:
    """The innermost error's type (``RemoteDisconnected``, ``ConnectionRefusedError``…),
    without its text: urllib3's texts repeat the URL."""
    seen = exc
    for _ in range(10):
        inner = getattr(seen, "reason", None)
        if not isinstance(inner, BaseException):
            inner = seen.args[0] if seen.args and isinstance(seen.args[0], BaseException) else None
        inner = inner or seen.__cause__ or seen.__context__
        if inner is None:
            break
        seen = inner
    return type(seen).__name__


def _seg(value: object) -> str:
    """An id as one path segment (Omnium ids are client-chosen strings)."""
    return quote(str(value), safe="")


def _duplicate_reception_ids(exc: PermanentError, lines: Sequence[dict]) -> list[str]:
    """The sent ``goodsReceptionId`` s that a goods-reception 400 names as processed.

    Omnium documents that it answers 400 "listing the duplicate IDs" (spec §10.2) but not
    the body's shape, so we look for the ids we sent in whatever the body is.
    """
    if exc.status_code != 400 or not exc.body:
        return []
    body = exc.body
    lowered = body.lower()
    if not any(word in lowered for word in ("already", "duplicate", "processed")):
        return []
    sent = []
    for line in lines:
        gid = line.get("goodsReceptionId")
        if gid and str(gid) not in sent:
            sent.append(str(gid))
    return [gid for gid in sent if gid in body]


def _fingerprint(extension: TenantExtension) -> str:
    parts = (str(extension.pk), extension.base_url, extension.client_id, extension.client_secret)
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


# -------------------------------------------------------------------------- registry

_clients: dict[int, OmniumClient] = {}
_clients_lock = threading.Lock()


def get_client(extension: TenantExtension) -> OmniumClient:
    """The tenant's client in this process; rebuilt when its URL or credentials change."""
    fingerprint = _fingerprint(extension)
    with _clients_lock:
        client = _clients.get(extension.pk)
        if client is None or client.fingerprint != fingerprint:
            if client is not None:
                client.close()
            client = _clients[extension.pk] = OmniumClient(extension)
        return client


def clear_clients() -> None:
    """Close and forget every client of this process (tests; after credentials change)."""
    with _clients_lock:
        for client in _clients.values():
            client.close()
        _clients.clear()


def _forget_clients_in_child() -> None:
    # A forked worker must not share the parent's sockets or locks.
    global _clients_lock
    _clients.clear()
    _clients_lock = threading.Lock()


os.register_at_fork(after_in_child=_forget_clients_in_child)
