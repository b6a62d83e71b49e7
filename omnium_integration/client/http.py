"""HTTP with Omnium: request bodies, answers and errors, and the transport.

Errors are classified here, once (:func:`read_response`):

* :class:`RetryableError`: 5xx, 408 and 429 (with the ``Retry-After`` seconds in
  ``retry_after``); the client adds connection errors and timeouts;
* :class:`PermanentError` for any other 4xx, with Omnium's body in ``.body``;
  :class:`OmniumConflict` for 409; a 403 says which roles the API user may lack.

Bodies go out as JSON with ``Decimal`` amounts written exactly; answers are parsed with
``parse_float=Decimal``. Omnium's error body has no documented shape, so nothing here
depends on one (docs/omnium-api.md#status-codes-and-errors).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import quote

import requests
from requests.adapters import BaseAdapter, HTTPAdapter

from .. import __version__
from ..conf import app_settings
from ..exceptions import MappingError, OmniumConflict, PermanentError, RetryableError
from ..transform import json_number

USER_AGENT = f"omnium-integration/{__version__} python-requests/{requests.__version__}"


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
        return value.isoformat() + "Z"  # Omnium's dates are UTC (docs/omnium-api.md#conventions)
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def encode_json(body: Any) -> bytes:
    """A request body as JSON; Decimals keep their exact decimal value, dates are UTC ISO."""
    return json.dumps(body, default=_json_default, ensure_ascii=False).encode("utf-8")


def decode_json(text: str) -> Any:
    return json.loads(text, parse_float=Decimal)


def retry_after_seconds(value: str | None) -> float | None:
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


def error_summary(response: requests.Response) -> str:
    """A short reason from Omnium's error body, whatever its shape (it is not documented)."""
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


def read_response(method: str, path: str, response: requests.Response, none_on_404: bool) -> Any:
    """The answer's body, or the error it means, classified once (see the module docstring)."""
    status = response.status_code
    if 200 <= status < 300:
        return parse_body(response)
    if status == 404 and none_on_404:
        return None
    where = f"{method} {path}"
    if status == 408 or status == 429 or status >= 500:
        retry_after = retry_after_seconds(response.headers.get("Retry-After"))
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
    summary = error_summary(response)
    message = f"Omnium answered {status} to {where}" + (f": {summary}" if summary else ".")
    if status == 409:
        raise OmniumConflict(message, status_code=409, body=response.text)
    if 300 <= status < 400:
        # Redirects are followed by requests; one left over is a misconfigured base URL.
        message += " Check the tenant's Omnium API base URL."
    raise PermanentError(message, status_code=status, body=response.text)


def parse_body(response: requests.Response) -> Any:
    """A JSON answer with exact Decimals; a text answer as text; no body as ``None``."""
    if not response.content:
        return None
    text = response.text
    try:
        return decode_json(text)
    except ValueError:
        return text


def root_cause(exc: BaseException) -> str:
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


def path_segment(value: object) -> str:
    """An id as one path segment (Omnium ids are client-chosen strings)."""
    return quote(str(value), safe="")


def duplicate_reception_ids(exc: PermanentError, lines: Sequence[dict]) -> list[str]:
    """The sent ``goodsReceptionId`` s that a goods-reception 400 names as processed.

    Omnium documents that it answers 400 "listing the duplicate IDs" but not the body's
    shape (docs/omnium-api.md#purchase-orders-and-goods-reception), so we look for the ids
    we sent in whatever the body is.
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
