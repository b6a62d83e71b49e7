"""Reading an Omnium event envelope from a request body: JSON, then shape.

Omnium's envelope (docs/omnium-api.md#events-and-webhooks) is event metadata only; the
order itself is fetched later by the import job. Every field is tolerated as missing
except ``className`` (which says what the event is about) and, for order and customer
events, ``objectId`` (which order or customer): the 2022-style event without ``id`` and
``operationId`` is valid. Anything else in the body is kept as it came, provided the
database can store it.
"""

from __future__ import annotations

import json
import math
from typing import Any

from rest_framework import serializers

# Deeper than any real envelope, shallow enough for every database's JSON type.
MAX_DEPTH = 32


class EventRejected(Exception):
    """The request cannot be taken: answered with ``status`` and a JSON error body."""

    def __init__(self, status: int, error: str, detail: str):
        super().__init__(detail)
        self.status = status
        self.error = error
        self.detail = detail


def _text(max_length: int) -> serializers.CharField:
    return serializers.CharField(
        required=False, allow_null=True, allow_blank=True, max_length=max_length
    )


class OmniumEventSerializer(serializers.Serializer):
    """The envelope fields the integration reads; their types and sizes are checked."""

    id = _text(200)
    operationId = serializers.IntegerField(required=False, allow_null=True)  # noqa: N815
    timestamp = _text(100)
    className = serializers.CharField(max_length=100)  # noqa: N815
    subClassName = _text(100)  # noqa: N815
    objectId = _text(200)  # noqa: N815
    objectNumber = _text(200)  # noqa: N815
    category = _text(200)
    status = _text(100)
    previousStatus = _text(100)  # noqa: N815
    market = _text(200)
    storeId = _text(200)  # noqa: N815
    isError = serializers.BooleanField(required=False, allow_null=True)  # noqa: N815

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if is_order_event(attrs) and not (attrs.get("objectId") or "").strip():
            raise serializers.ValidationError({"objectId": "An Order event must name its order."})
        if is_customer_event(attrs) and not (attrs.get("objectId") or "").strip():
            raise serializers.ValidationError(
                {"objectId": "A customer event must name its customer."}
            )
        return attrs


def is_order_event(event: dict[str, Any]) -> bool:
    return (event.get("className") or "").strip().lower() == "order"


CUSTOMER_CLASSES = ("privatecustomer", "businesscustomer")


def is_customer_event(event: dict[str, Any]) -> bool:
    """A ``PrivateCustomer`` or ``BusinessCustomer`` event (any case)."""
    return (event.get("className") or "").strip().lower() in CUSTOMER_CLASSES


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _unstorable(value: Any) -> str:
    """Why ``value`` cannot go into a JSON column (PostgreSQL's jsonb is strictest), or ""."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            return f"The event is nested deeper than {MAX_DEPTH} levels."
        if isinstance(item, dict):
            stack.extend((key, depth) for key in item)
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list):
            stack.extend((child, depth + 1) for child in item)
        elif isinstance(item, str):
            if "\x00" in item:
                return "The event contains a NUL character."
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return "The event contains an unpaired surrogate."
        elif isinstance(item, float) and not math.isfinite(item):
            return "The event contains a number out of range."
    return ""


def parse_event(raw: bytes) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(body, event)``: the whole JSON object, and its validated envelope fields.

    Missing or null optional fields come back as ``""`` (or ``None`` for numbers and
    flags). Raises :class:`EventRejected` (400) for anything that is not a storable
    event.
    """
    try:
        body = json.loads(raw, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        detail = str(exc) if isinstance(exc, json.JSONDecodeError) else "Not valid JSON."
        raise EventRejected(400, "malformed_json", detail[:200]) from None
    if not isinstance(body, dict):
        raise EventRejected(400, "invalid_event", "The event must be a JSON object.")
    problem = _unstorable(body)
    if problem:
        raise EventRejected(400, "invalid_event", problem)
    serializer = OmniumEventSerializer(data=body)
    if not serializer.is_valid():
        raise EventRejected(400, "invalid_event", _describe(serializer.errors))
    event: dict[str, Any] = {}
    for name, field in serializer.fields.items():
        value = serializer.validated_data.get(name)
        event[name] = "" if value is None and isinstance(field, serializers.CharField) else value
    return body, event


def _describe(errors: Any, prefix: str = "") -> str:
    if isinstance(errors, dict):
        return "; ".join(
            _describe(value, f"{key}: " if key != "non_field_errors" else "")
            for key, value in errors.items()
        )
    if isinstance(errors, list):
        return " ".join(_describe(item, prefix) for item in errors)
    return f"{prefix}{errors}"
