"""Fields that apply the connector's mapping rules as they read a push.

Omnium's values arrive as Omnium holds them, under Flow's field names; these fields turn
them into what Flow stores, through ``omnium_integration.transform``:

* money (``Amount``): decimal major units -> integer cents, exactly (0.29 -> 29);
* fixed-point quantities (``Quantity``): decimal units -> hundredths (2.5 -> 250);
* UIDs (``SanitizedUid``): only letters, digits and ``_`` kept; brands lowercased
  (``"Nike Air"`` -> ``nike_air``);
* descriptions (``PlainText``): HTML stripped.
"""

from __future__ import annotations

import codecs
import json
from collections.abc import Callable
from decimal import Decimal, InvalidOperation

from django.conf import settings
from django.utils.dateparse import parse_date, parse_datetime
from rest_framework import serializers
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from omnium_integration.exceptions import MappingError
from omnium_integration.transform import decimal_to_cents, quantity_to_hundredths, sanitize_uid

from ...plaintext import strip_html

MAX_UNITS = Decimal(10) ** 13  # largest amount / quantity accepted, in major units


class DecimalJSONParser(JSONParser):
    """JSON with its numbers read as exact Decimals (``0.29`` stays 0.29, never 0.28999...)."""

    def parse(self, stream, media_type=None, parser_context=None):
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        try:
            return json.load(
                codecs.getreader(encoding)(stream),
                parse_float=Decimal,
                parse_constant=_reject_constant,
            )
        except ValueError as exc:
            raise ParseError(f"JSON parse error - {exc}") from None


def _reject_constant(name: str):
    raise ValueError(f"{name} is not a number JSON allows")


class _Fixed(serializers.Field):
    """A decimal number in major units, stored as an integer of hundredths."""

    convert: Callable[[object], int]
    default_error_messages = {
        "invalid": "A number is required, e.g. 199.50.",
        "negative": "Must not be negative.",
        "too_large": "Must be less than 10^13 in absolute value.",
    }

    def __init__(self, *, allow_negative: bool = False, **kwargs):
        self.allow_negative = allow_negative
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, int | float | Decimal | str):
            self.fail("invalid")
        try:
            value = type(self).convert(data)
        except (MappingError, InvalidOperation, ValueError):
            self.fail("invalid")
        if value < 0 and not self.allow_negative:
            self.fail("negative")
        if abs(value) >= MAX_UNITS * 100:
            self.fail("too_large")
        return value

    def to_representation(self, value):
        return value


class Amount(_Fixed):
    """Money: Omnium's decimal amount -> Flow cents (199.50 -> 19950, 0.29 -> 29)."""

    convert = staticmethod(decimal_to_cents)


class Quantity(_Fixed):
    """A PO or stock quantity: Omnium's decimal -> Flow hundredths (2.5 -> 250)."""

    convert = staticmethod(quantity_to_hundredths)
    default_error_messages = {"invalid": "A number is required, e.g. 12 or 2.5."}


class SanitizedUid(serializers.CharField):
    """An Omnium id made a Flow UID (``sanitize_uid`` by default, ``slug_uid`` for brands)."""

    default_error_messages = {"no_uid": "Has no letters or digits to make a UID from."}

    def __init__(self, sanitize: Callable[[object], str] = sanitize_uid, **kwargs):
        self.sanitize = sanitize
        kwargs.setdefault("max_length", 100)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        try:
            return self.sanitize(value)
        except MappingError:
            self.fail("no_uid")


class PlainText(serializers.CharField):
    """Text with its HTML stripped (product descriptions)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("allow_blank", True)
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        return strip_html(super().to_internal_value(data))


class LenientDate(serializers.Field):
    """A date, given as a date or as a date-time (its date part): Omnium sends date-times."""

    default_error_messages = {"invalid": "Use a date (2026-03-01) or date-time (ISO 8601)."}

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid")
        try:
            moment = parse_datetime(data)
            day = moment.date() if moment else parse_date(data)
        except ValueError:
            day = None
        if day is None:
            self.fail("invalid")
        return day

    def to_representation(self, value):
        return value.isoformat()


class Coordinate(serializers.Field):
    """A latitude or longitude, from a number or a string (Omnium keeps them as strings)."""

    default_error_messages = {"invalid": "A number between -{limit} and {limit} is required."}

    def __init__(self, *, limit: int, **kwargs):
        self.limit = limit
        super().__init__(**kwargs)

    def to_internal_value(self, data):
        try:
            value = Decimal(str(data).strip().replace(",", "."))
        except InvalidOperation:
            value = None
        if isinstance(data, bool) or value is None or not value.is_finite():
            self.fail("invalid", limit=self.limit)
        if abs(value) > self.limit:
            self.fail("invalid", limit=self.limit)
        return value.quantize(Decimal("0.000001"))

    def to_representation(self, value):
        return str(value)
