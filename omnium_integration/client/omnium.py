"""The Omnium REST client: every call the integration makes to Omnium goes through here.

:func:`~omnium_integration.client.get_client` returns the tenant's :class:`OmniumClient`
(one per tenant per process, safe to share between threads). It owns a ``requests``
session with connect and read timeouts (``CONNECT_TIMEOUT``, ``READ_TIMEOUT``), the base
URL of the tenant (``extension.base_url``), the tenant's token (:mod:`.tokens`) and its
share of Omnium's limits (docs/omnium-api.md#rate-limits): at most
``MAX_CONCURRENT_CALLS_PER_TENANT`` calls in flight per API user from this machine, across
processes, and at most ``MAX_CONCURRENT_BULK_CALLS_PER_TENANT`` bulk updates (:mod:`.slots`);
bulk bodies are cut into batches of ``BATCH_SIZE_LIMIT`` items, sent one after the other.

Errors are classified once (:func:`.http.read_response`); here connection errors and
timeouts become :class:`RetryableError`, a 401 renews the token and repeats the call, and
a 401 to a token just obtained from Omnium (not one another worker stored, which may have
been revoked since) is a :class:`PermanentError` that says why (deactivated API user).
GETs return ``None`` on 404.
"""

from __future__ import annotations

import hashlib
import logging
import os
import time
from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from datetime import datetime
from typing import Any

import requests

from .. import metrics, stopping
from ..conf import app_settings
from ..exceptions import DuplicateGoodsReception, PermanentError, RetryableError
from ..models import TenantExtension
from .connection import ConnectionCheck, test_connection
from .credentials import refused
from .http import (
    USER_AGENT,
    duplicate_reception_ids,
    encode_json,
    path_segment,
    read_response,
    root_cause,
    transport_adapter,
)
from .reads import ReadCalls
from .slots import SlotTimeout, slot_pool
from .tokens import Token, TokenCache

logger = logging.getLogger(__name__)

_NO_BODY = object()


def client_fingerprint(extension: TenantExtension) -> str:
    """Changes when what the client was built from (URL, client id) changes, or the
    extension was saved since (new credentials are saved).

    The client secret is not part of it: the token cache reads the secret from the row
    when it fetches a token, so the secret is decrypted then, not for every job.
    """
    parts = (str(extension.pk), extension.base_url, extension.client_id, str(extension.updated_at))
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


class OmniumClient(ReadCalls):
    """Typed calls to Omnium for one tenant. Get it with :func:`get_client`.

    The calls that read many documents at once (scroll, searches) are in :mod:`.reads`.
    """

    def __init__(self, extension: TenantExtension):
        if extension.pk is None:
            raise ValueError("The tenant extension must be saved before calling Omnium.")
        self.extension_pk: int = extension.pk
        self.base_url = extension.base_url
        self.fingerprint = client_fingerprint(extension)
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

    # ---------------------------------------------------------------- orders

    def get_order(self, order_id: str) -> dict | None:
        return self._call("GET", f"/api/Orders/{path_segment(order_id)}", none_on_404=True)

    def search_orders(
        self,
        modified_from: datetime | str,
        order_types: Sequence[str] | None = None,
        store_ids: Sequence[str] | None = None,
        page: int = 0,
        take: int = 100,
    ) -> dict:
        """Orders modified at or after ``modified_from``, oldest change first.

        Omnium's search filters on one ``orderType`` (docs/omnium-api.md#search-and-paging),
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

    def add_order(self, order: dict) -> Any:
        """``POST /api/Orders``; :class:`OmniumConflict` when the id exists."""
        return self._call("POST", "/api/Orders", body=order)

    def update_order_status(self, order_id: str, status: str, **fields: Any) -> Any:
        """``POST /api/Orders/{id}/UpdateStatus`` (runs Omnium's workflow for the status)."""
        body = {"status": status, **fields}
        return self._call("POST", f"/api/Orders/{path_segment(order_id)}/UpdateStatus", body=body)

    def patch_order(self, order_id: str, patch: dict) -> Any:
        """``PATCH /api/Orders/{id}/PatchOrder`` (no workflow runs)."""
        return self._call("PATCH", f"/api/Orders/{path_segment(order_id)}/PatchOrder", body=patch)

    def create_return(self, order_id: str, request: dict) -> Any:
        """``POST /api/Returns/{orderId}/Return``; answers the return order form."""
        return self._call("POST", f"/api/Returns/{path_segment(order_id)}/Return", body=request)

    # ------------------------------------------------------------- customers

    def get_private_customer(self, customer_id: str) -> dict | None:
        return self._call(
            "GET", f"/api/PrivateCustomers/{path_segment(customer_id)}", none_on_404=True
        )

    def create_private_customer(self, customer: dict) -> Any:
        return self._call("POST", "/api/PrivateCustomers", body=customer)

    def update_private_customer(self, customer: dict) -> Any:
        return self._call("POST", "/api/PrivateCustomers/Update", body=customer)

    def get_business_customer(self, customer_id: str) -> dict | None:
        return self._call(
            "GET", f"/api/BusinessCustomers/{path_segment(customer_id)}", none_on_404=True
        )

    def create_business_customer(self, customer: dict) -> Any:
        return self._call("POST", "/api/BusinessCustomers", body=customer)

    def update_business_customer(self, customer: dict) -> Any:
        return self._call("POST", "/api/BusinessCustomers/Update", body=customer)

    def anonymize_private_customer(self, customer_id: str) -> bool:
        """``DELETE /api/PrivateCustomers/Anonymize?id=``: Omnium forgets who the customer
        is and keeps the customer and its orders. ``False``: Omnium has no such customer."""
        return self._delete("/api/PrivateCustomers/Anonymize", params={"id": customer_id})

    def delete_private_customer(self, customer_id: str) -> bool:
        """``DELETE /api/PrivateCustomers/{id}``; ``False``: no such customer."""
        return self._delete(f"/api/PrivateCustomers/{path_segment(customer_id)}")

    def delete_business_customer(self, customer_id: str) -> bool:
        """``DELETE /api/BusinessCustomers/{id}``, Omnium's erasure of a business customer
        (it has no anonymisation for them); ``False``: no such customer."""
        return self._delete(f"/api/BusinessCustomers/{path_segment(customer_id)}")

    def _delete(self, path: str, params: dict | None = None) -> bool:
        try:
            self._call("DELETE", path, params=params)
        except PermanentError as exc:
            if exc.status_code == 404:
                return False
            raise
        return True

    def update_inventory(self, items: Sequence[dict]) -> int:
        """Absolute stock ``{sku, warehouseCode, inventory}`` via ``PUT /api/Inventory/
        UpdateMany``, in sequential batches of ``BATCH_SIZE_LIMIT``; returns the calls made."""
        return self._batched("/api/Inventory/UpdateMany", items, app_settings.BATCH_SIZE_LIMIT)

    def search_inventory(
        self, warehouse_codes: Sequence[str] = (), product_codes: Sequence[str] = ()
    ) -> Iterator[dict]:
        """Every inventory item of these warehouses / SKUs: ``POST /api/Inventory/Search``
        gives the first 1,000, ``GET /api/Inventory/Scroll/{scrollId}`` the rest
        (docs/omnium-api.md#inventory). An expired scroll fails rather than end early."""
        body = {"warehouseCodes": list(warehouse_codes), "productCodes": list(product_codes)}
        body = {key: value for key, value in body.items() if value}
        if not body:
            raise ValueError("An inventory search needs warehouse codes or product codes.")
        page = self._call("POST", "/api/Inventory/Search", body=body) or {}
        total, seen = page.get("totalHits"), 0
        while True:
            items = list(page.get("result") or [])
            yield from items
            seen += len(items)
            scroll_id = page.get("scrollId")
            if not items or not scroll_id or (total is not None and seen >= total):
                return
            page = self._call("GET", f"/api/Inventory/Scroll/{path_segment(scroll_id)}") or {}

    def _batched(self, path: str, items: Sequence[dict], size: int) -> int:
        items = list(items)
        calls = 0
        for start in range(0, len(items), size):
            self._call("PUT", path, body=items[start : start + size], bulk=True)
            calls += 1
        return calls

    # ---------------------------------------------- purchase orders, deliveries

    def get_purchase_order(self, po_id: str) -> dict | None:
        return self._call("GET", f"/api/PurchaseOrders/{path_segment(po_id)}", none_on_404=True)

    def get_delivery(self, delivery_id: str) -> dict | None:
        return self._call("GET", f"/api/Deliveries/{path_segment(delivery_id)}", none_on_404=True)

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
        path = f"/api/Deliveries/CreateDelivery/{path_segment(po_id)}"
        return self._call("POST", path, body=list(lines), params=params or None)

    def process_goods_reception(self, delivery_id: str, lines: Sequence[dict]) -> Any:
        """``POST /api/Deliveries/{id}/ProcessGoodsReception``: ``deliveredQuantity`` is added
        to each purchase-order line. Raises :class:`DuplicateGoodsReception` (with ``.ids``)
        when Omnium has processed some of the lines' ``goodsReceptionId`` s already."""
        path = f"/api/Deliveries/{path_segment(delivery_id)}/ProcessGoodsReception"
        try:
            return self._call("POST", path, body=list(lines))
        except PermanentError as exc:
            duplicates = duplicate_reception_ids(exc, lines)
            if duplicates:
                raise DuplicateGoodsReception(
                    f"Omnium has already processed goods reception(s) {', '.join(duplicates)} "
                    f"of delivery {delivery_id}.",
                    ids=duplicates,
                    status_code=exc.status_code,
                    body=exc.body,
                ) from exc
            raise

    # -------------------------------------------------------------- invoices

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
        ("upload from stream"; the encoding is not documented: docs/omnium-api.md#invoices)."""
        return self._call(
            "POST",
            f"/api/Invoices/{path_segment(invoice_id)}/AddFileToInvoice",
            params={"fileName": file_name},
            data=content,
            content_type=content_type,
        )

    def get_invoice(self, invoice_id: str) -> dict | None:
        return self._call("GET", f"/api/Invoices/{path_segment(invoice_id)}", none_on_404=True)

    # ------------------------------------------------------------------ operations

    def check(self) -> ConnectionCheck:
        """A new token and one authenticated read call (see :mod:`.connection`)."""
        extension = TenantExtension.objects.select_related("tenant").get(pk=self.extension_pk)
        result = test_connection(extension, self.session)
        self.tokens.forget()  # the row holds the new token (or the refusal) now
        return result

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
                refused(self.extension_pk, "Omnium refused a token it had just issued (401).")
                raise PermanentError(
                    f"Omnium refused a renewed token (401) on {method} {path}: the API "
                    "user is probably deactivated (Omnium: Configuration > Authorization > "
                    "API Users > Is active).",
                    status_code=401,
                    body=response.text,
                )
        return read_response(method, path, response, none_on_404)

    def _send(self, method, path, params, data, headers, token: Token, bulk) -> requests.Response:
        connect, read = float(app_settings.CONNECT_TIMEOUT), float(app_settings.READ_TIMEOUT)
        started = time.monotonic()
        failure = outcome = ""
        try:
            with self._slots(bulk, timeout=connect + read), stopping.interruptible():
                response = self.session.request(
                    method,
                    self.base_url + path,
                    params=params,
                    data=data,
                    headers={**headers, **token.bearer_headers()},
                    timeout=(connect, read),
                )
        except SlotTimeout:
            failure = f"every Omnium call slot of the tenant stayed busy for {connect + read:.0f}s."
        except requests.ConnectTimeout:
            failure, outcome = "connecting to Omnium timed out.", "timeout"
        except requests.ReadTimeout:
            failure, outcome = f"Omnium did not answer within {read:g}s.", "timeout"
        except requests.RequestException as exc:
            failure = f"connection to Omnium failed ({root_cause(exc)})."
            outcome = "connection_error"
        # Raised after the except block: requests' error holds the request, whose headers
        # carry the token, and must not travel with ours as its cause or context.
        if failure:
            if outcome:
                metrics.omnium_call(method, path, outcome, time.monotonic() - started)
            raise RetryableError(f"{method} {path}: {failure}")
        metrics.omnium_call(method, path, response.status_code, time.monotonic() - started)
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
