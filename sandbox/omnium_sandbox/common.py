"""Pieces every part of the sandbox uses: API errors, model validation, dates, JSON.

Error bodies are ASP.NET Core ProblemDetails (RFC 7807: ``type``, ``title``, ``status``,
``traceId``, ``errors{field: [messages]}``). Omnium does not document its error body (see
docs/omnium-api.md, Errors); ProblemDetails is what its Swagger declares and what ASP.NET
answers for model-binding failures, so the sandbox uses it for every error with a body. A
client must not depend on it.
"""

from __future__ import annotations

import json
import re
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

PROBLEM_TYPES = {
    400: "https://tools.ietf.org/html/rfc9110#section-15.5.1",
    401: "https://tools.ietf.org/html/rfc9110#section-15.5.2",
    403: "https://tools.ietf.org/html/rfc9110#section-15.5.4",
    404: "https://tools.ietf.org/html/rfc9110#section-15.5.5",
    409: "https://tools.ietf.org/html/rfc9110#section-15.5.10",
    429: "https://tools.ietf.org/html/rfc6585#section-4",
    500: "https://tools.ietf.org/html/rfc9110#section-15.6.1",
}
TITLES = {
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    409: "Conflict",
    413: "Payload Too Large",
    429: "Too Many Requests",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}


def problem(
    status: int,
    title: str | None = None,
    *,
    detail: str | None = None,
    errors: dict[str, list[str]] | None = None,
    **extra: Any,
) -> dict:
    body: dict[str, Any] = {
        "type": PROBLEM_TYPES.get(status, "about:blank"),
        "title": title or TITLES.get(status, "Error"),
        "status": status,
    }
    if detail:
        body["detail"] = detail
    if errors:
        body["errors"] = errors
    body.update(extra)
    body["traceId"] = f"00-{uuid.uuid4().hex}-{uuid.uuid4().hex[:16]}-00"
    return body


class ApiError(Exception):
    """An HTTP error answer: raised by the model, turned into a response by the server."""

    def __init__(self, status: int, body: Any = None, headers: dict[str, str] | None = None):
        super().__init__(status)
        self.status = status
        self.body = body
        self.headers = headers or {}


def not_found(what: str, ident: object) -> ApiError:
    return ApiError(404, problem(404, detail=f"{what} with id '{ident}' was not found."))


def bad_request(detail: str, **extra: Any) -> ApiError:
    return ApiError(400, problem(400, detail=detail, **extra))


# ------------------------------------------------------------------------ validation

_TYPE_NAMES = {"string": "System.String", "number": "System.Decimal", "boolean": "System.Boolean"}


def _pascal(key: str) -> str:
    return key[:1].upper() + key[1:]


class Validator:
    """Collects model errors the way ASP.NET reports them.

    ``"OrderForm.LineItems[0].LineItemId": ["The LineItemId field is required."]`` for a
    missing member; ``"$.orderForm.lineItems[0].quantity": ["The JSON value could not be
    converted to System.Decimal…"]`` for a wrong JSON type.
    """

    def __init__(self) -> None:
        self.errors: dict[str, list[str]] = {}

    def add(self, field: str, message: str) -> None:
        self.errors.setdefault(field, []).append(message)

    def check(self) -> None:
        if self.errors:
            raise ApiError(
                400, problem(400, "One or more validation errors occurred.", errors=self.errors)
            )

    def _get(self, obj: dict, key: str, where: str, kind: str, required: bool) -> Any:
        value = obj.get(key)
        field = f"{where}.{_pascal(key)}" if where else _pascal(key)
        if value is None or (kind == "string" and value == "" and required):
            if required:
                self.add(field, f"The {_pascal(key)} field is required.")
            return None
        ok = {
            "string": isinstance(value, str),
            "number": isinstance(value, int | Decimal) and not isinstance(value, bool),
            "boolean": isinstance(value, bool),
            "object": isinstance(value, dict),
            "array": isinstance(value, list),
        }[kind]
        if not ok:
            json_path = "$." + ".".join(
                part[:1].lower() + part[1:] for part in field.split(".") if part
            )
            target = _TYPE_NAMES.get(kind, f"a JSON {kind}")
            self.add(json_path, f"The JSON value could not be converted to {target}.")
            return None
        return value

    def string(self, obj: dict, key: str, where: str = "", required: bool = False):
        return self._get(obj, key, where, "string", required)

    def number(self, obj: dict, key: str, where: str = "", required: bool = False, minimum=None):
        value = self._get(obj, key, where, "number", required)
        if value is not None and minimum is not None and value < minimum:
            self.add(f"{where}.{_pascal(key)}".lstrip("."), f"Must be at least {minimum}.")
        return value

    def boolean(self, obj: dict, key: str, where: str = "", required: bool = False):
        return self._get(obj, key, where, "boolean", required)

    def object(self, obj: dict, key: str, where: str = "", required: bool = False):
        return self._get(obj, key, where, "object", required)

    def array(self, obj: dict, key: str, where: str = "", required: bool = False):
        return self._get(obj, key, where, "array", required)

    def items(self, values: list, where: str) -> list[tuple[str, dict]]:
        """``(path, item)`` for each object of a list; non-objects are errors."""
        out = []
        for index, item in enumerate(values):
            path = f"{where}[{index}]"
            if isinstance(item, dict):
                out.append((path, item))
            else:
                self.add(path, "The JSON value could not be converted to an object.")
        return out


def require_object(body: Any) -> dict:
    if not isinstance(body, dict):
        raise ApiError(
            400,
            problem(
                400,
                "One or more validation errors occurred.",
                errors={"$": ["The JSON value could not be converted to an object."]},
            ),
        )
    return body


def require_list(body: Any, limit: int | None = None, what: str = "items") -> list:
    if not isinstance(body, list):
        raise ApiError(
            400,
            problem(
                400,
                "One or more validation errors occurred.",
                errors={"$": ["The JSON value could not be converted to a list."]},
            ),
        )
    if limit is not None and len(body) > limit:
        raise bad_request(f"Too many {what} in one request: {len(body)} (at most {limit}).")
    return body


def camel_keys(value: Any) -> Any:
    """Omnium binds member names case-insensitively and answers camelCase."""
    if isinstance(value, dict):
        return {
            (k[:1].lower() + k[1:] if isinstance(k, str) else k): camel_keys(v)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [camel_keys(v) for v in value]
    return value


# ----------------------------------------------------------------------------- dates

_SEVEN_DIGITS = re.compile(r"(\.\d{6})\d+")  # .NET ticks: Python reads six digits
_clock_lock = threading.Lock()
_last_now = datetime(2000, 1, 1, tzinfo=UTC)


def omnium_now() -> datetime:
    """Now in UTC, strictly increasing across calls (so ``modified`` orders every change)."""
    global _last_now
    with _clock_lock:
        now = datetime.now(UTC)
        if now <= _last_now:
            now = _last_now + timedelta(microseconds=1)
        _last_now = now
        return now


def format_date(value: datetime) -> str:
    """Omnium's date format: UTC with seven fractional digits."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f") + "0Z"


def parse_date(value: Any) -> datetime | None:
    """An aware datetime from an ISO 8601 date as Omnium writes and reads them (a date
    without an offset is UTC; a seventh fractional digit is dropped), else ``None``."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    text = _SEVEN_DIGITS.sub(r"\1", text)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


# ------------------------------------------------------------------------------ JSON


def exact_number(value: Decimal) -> int | float:
    """A Decimal as a JSON number with the same digits (``0.29`` stays ``0.29``).

    Omnium reads and writes amounts as JSON numbers. ``repr(float(d))`` gives back ``d``
    for up to 15 significant digits; a value that would change is refused, not rounded.
    """
    if not value.is_finite():
        raise ValueError(f"{value} is not a JSON number")
    if value == value.to_integral_value():
        return int(value)
    number = float(value)
    if Decimal(repr(number)) != value:
        raise ValueError(f"{value} cannot be written exactly as a JSON number")
    return number


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return exact_number(value)
    if isinstance(value, datetime):
        return format_date(value)
    if isinstance(value, set | tuple):
        return list(value)
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def dumps(value: Any) -> bytes:
    return json.dumps(value, default=_default, ensure_ascii=False).encode("utf-8")


def loads(data: bytes | str) -> Any:
    return json.loads(data, parse_float=Decimal)


# ----------------------------------------------------------------------------- events


@dataclass
class Event:
    """What an operation tells subscribers (turned into an envelope by the sandbox)."""

    class_name: str
    object_id: str
    category: str
    operation_id: int
    message: str
    origin: str
    sub_class_name: str = ""
    status: str = ""
    previous_status: str = ""
    store_id: str = ""
    market: str = ""
    tags: list = field(default_factory=list)
    external_ids: list = field(default_factory=list)
    attachments: list = field(default_factory=list)
