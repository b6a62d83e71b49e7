"""The data rules between Flow and Omnium, in one module of pure functions.

* Money: Flow keeps integer cents, Omnium decimal major units. Conversions use exact
  decimal arithmetic: 199.50 <-> 19950 and 0.29 <-> 29 (never 28, which is what
  ``int(0.29 * 100)`` gives in binary floating point).
* Fixed-point quantities: Flow's purchase-order, reception and stock quantities are
  integers with two implied decimals (1 piece = 100).
* UIDs sent to Omnium keep only ASCII letters, digits and ``_``.
* Omnium dates are ISO-8601 UTC; ``0001-01-01T00:00:00`` means "not set".
* Country -> Omnium market: NO->NOR, SE->SWE, DK->DNK, FI->FIN, unless the store's
  ``externalId`` names the market. An unknown country is an error, never a guess.
* Instants are sent as ISO-8601 UTC (``2026-03-01T12:00:00Z``).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import UTC, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from .exceptions import MappingError

HUNDRED = Decimal(100)
CENT = Decimal("0.01")

MARKETS: dict[str, str] = {"NO": "NOR", "SE": "SWE", "DK": "DNK", "FI": "FIN"}


# ----------------------------------------------------------------------------- money


def to_decimal(value: object) -> Decimal:
    """An exact Decimal from an Omnium number (Decimal, int, str, or float via its repr)."""
    if isinstance(value, bool) or value is None:
        raise MappingError(f"Not a number: {value!r}")
    try:
        # str(float) is the shortest repr that round-trips, so 0.29 stays 0.29.
        result = value if isinstance(value, Decimal) else Decimal(str(value))
    except InvalidOperation:
        raise MappingError(f"Not a number: {value!r}") from None
    if not result.is_finite():
        raise MappingError(f"Not a finite number: {value!r}")
    return result


def cents_to_decimal(cents: int) -> Decimal:
    """Flow cents -> Omnium amount: 19950 -> Decimal('199.50')."""
    if isinstance(cents, bool) or not isinstance(cents, int):
        raise MappingError(f"Flow money must be integer cents, not {cents!r}")
    return (Decimal(cents) / HUNDRED).quantize(CENT)


def decimal_to_cents(amount: object) -> int:
    """Omnium amount -> Flow cents: 199.5 -> 19950, 0.29 -> 29.

    Amounts with more than two decimals are rounded half up to the cent.
    """
    return int((to_decimal(amount) * HUNDRED).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def gross_cents(quantity: object, unit_price_cents: int) -> int:
    """quantity × unit price in cents, rounded half up: Flow's line total before discount."""
    return int((to_decimal(quantity) * unit_price_cents).quantize(Decimal(1), ROUND_HALF_UP))


def json_number(amount: Decimal) -> float | int:
    """A Decimal as a JSON-serialisable number whose JSON text is the same decimal.

    ``repr(float(d))`` reproduces ``d`` exactly for up to 15 significant digits, which
    covers every amount up to 10^13 major units.
    """
    if amount == amount.to_integral_value():
        return int(amount)
    return float(amount)


def line_total(quantity: object, unit_price_cents: int, discount_cents: int = 0) -> int:
    """A line's total in cents: quantity x unit price - discount, half up to the cent.

    Signs are the caller's business: pass absolute values to get the goods' value of a
    return line whatever sign convention Flow used for it.
    """
    gross = to_decimal(quantity) * unit_price_cents
    return int(gross.quantize(Decimal(1), rounding=ROUND_HALF_UP)) - discount_cents


def unit_amount(total_cents: int, quantity: object) -> Decimal:
    """Per-unit amount of a line total: 10000 cents over 3 units -> Decimal('33.33').

    Rounded half up to the cent when the total does not divide evenly (Omnium takes
    per-item amounts, e.g. a return's ``creditAmount``).
    """
    units = to_decimal(quantity)
    if not units:
        raise MappingError("A per-unit amount needs a quantity other than zero")
    per_unit = cents_to_decimal(total_cents) / units
    return per_unit.quantize(CENT, rounding=ROUND_HALF_UP)


# ------------------------------------------------------------------------ quantities


def quantity_to_hundredths(quantity: object) -> int:
    """Omnium quantity -> Flow fixed-point quantity: 2.5 -> 250."""
    return decimal_to_cents(quantity)


def hundredths_to_quantity(hundredths: int) -> Decimal:
    """Flow fixed-point quantity -> Omnium quantity: 250 -> Decimal('2.50')."""
    return cents_to_decimal(hundredths)


def plain_decimal(value: object) -> Decimal:
    """A Decimal without trailing fractional zeros: 2.500 -> 2.5, 25.00 -> 25, 1E+2 -> 100.

    For order-line quantities and VAT rates, so Omnium receives ``2.5`` and ``25``
    rather than ``2.500`` and ``25.00`` (same value, tidier documents).
    """
    number = to_decimal(value)
    if number == number.to_integral_value():
        return number.quantize(Decimal(1))
    return number.normalize()


# ------------------------------------------------------------------------------ uids

_NOT_UID = re.compile(r"[^A-Za-z0-9_]+")
# Letters NFKD does not decompose into an ASCII base letter.
_TRANSLITERATE = str.maketrans(
    {"æ": "ae", "Æ": "AE", "ø": "o", "Ø": "O", "ß": "ss", "đ": "d", "Đ": "D", "ł": "l", "Ł": "L"}
)


def _ascii(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.translate(_TRANSLITERATE))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def sanitize_uid(value: object) -> str:
    """A UID Omnium accepts: only ASCII letters, digits and ``_`` are kept.

    ``"ORD-2026/0001"`` -> ``"ORD20260001"``; ``"Bjørn"`` -> ``"Bjorn"``.
    """
    uid = _NOT_UID.sub("", _ascii(str(value)))
    if not uid:
        raise MappingError(f"{value!r} has no letters or digits to make a UID from")
    return uid


def slug_uid(value: object) -> str:
    """A lowercase UID from a display name: ``"Nike Air"`` -> ``"nike_air"`` (brands)."""
    words = _NOT_UID.sub(" ", _ascii(str(value))).split()
    uid = "_".join(words).lower()
    if not uid:
        raise MappingError(f"{value!r} has no letters or digits to make a UID from")
    return uid


# --------------------------------------------------------------------------- markets


def market_for(country_code: str, store_external_id: str = "") -> str:
    """The Omnium market of a store: its ``externalId`` if set, else from its country."""
    if store_external_id and store_external_id.strip():
        return store_external_id.strip()
    try:
        return MARKETS[(country_code or "").strip().upper()]
    except KeyError:
        raise MappingError(
            f"No Omnium market is known for country {country_code!r}; set the store's "
            f"externalId to its Omnium market id (known: {', '.join(sorted(MARKETS))})."
        ) from None


# -------------------------------------------------------------------------- instants


def omnium_datetime(value: datetime | None) -> str | None:
    """An aware datetime as Omnium's ISO-8601 UTC text; ``None`` stays ``None``."""
    if value is None:
        return None
    if value.tzinfo is None:
        raise MappingError(f"Naive datetime {value!r}: Flow's instants must be timezone-aware")
    text = value.astimezone(UTC).isoformat()
    return text.removesuffix("+00:00") + "Z"


def parse_omnium_datetime(value: object) -> datetime | None:
    """An aware UTC datetime from an Omnium date, or ``None`` when it is unset.

    Omnium writes ISO-8601 UTC with up to seven fractional digits (the seventh is
    dropped) and ``0001-01-01T00:00:00`` for an unset non-nullable date. A date without
    an offset is UTC.
    """
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    if parsed.year <= 1:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


# ------------------------------------------------------------------ goods reception

# Omnium's "delivery as PO" export mode names a Flow purchase order after one delivery.
DELIVERY_AS_PO_SEPARATOR = "-delivery-"


def split_purchase_order_uid(uid: str) -> tuple[str, str | None]:
    """A Flow purchase-order UID -> (Omnium purchase order id, delivery id or ``None``).

    With Omnium's ``ExportDeliveryAsPo`` on, each delivery reaches Flow as its own
    purchase order named ``{PurchaseOrderId}-delivery-{DeliveryId}``:
    ``"PO1001-delivery-D7"`` -> ``("PO1001", "D7")``; ``"PO1001"`` -> ``("PO1001", None)``.
    The purchase-order id is UID-sanitised (no ``-``), so the first separator is the one.
    """
    po_id, separator, delivery_id = uid.partition(DELIVERY_AS_PO_SEPARATOR)
    if separator and po_id and delivery_id:
        return po_id, delivery_id
    return uid, None


def goods_reception_id(tenant_uid: str, reception_uid: str, line_item_id: str) -> str:
    """The idempotency key of one purchase-order line of one Flow goods reception.

    ``flow:{reception}:{lineItemId}:{digest}``: readable in Omnium's inventory
    transactions, stable across retries, distinct for every reception (a second
    reception of the same line gets its own key) and across Flow tenants sharing one
    Omnium tenant. The fixed-length digest of all three parts ends every key, so no key
    is a prefix or substring of another (``...:L1`` inside ``...:L10``) when Omnium's
    error text listing duplicates is searched for the keys we sent.
    """
    digest = hashlib.sha256(f"{tenant_uid}\0{reception_uid}\0{line_item_id}".encode()).hexdigest()
    return f"flow:{reception_uid}:{line_item_id}:{digest[:16]}"


def reception_delivery_id(tenant_uid: str, reception_uid: str) -> str:
    """The id of the Omnium delivery created for a reception's lines that had none."""
    return sanitize_uid(f"flow_{tenant_uid}_{reception_uid}")
