"""Property-based tests of every rule in ``omnium_integration.transform``."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from omnium_integration.client.http import decode_json, encode_json
from omnium_integration.exceptions import MappingError, PermanentError
from omnium_integration.transform import (
    MARKETS,
    cents_to_decimal,
    decimal_to_cents,
    hundredths_to_quantity,
    json_number,
    line_total,
    market_for,
    omnium_datetime,
    plain_decimal,
    quantity_to_hundredths,
    sanitize_uid,
    slug_uid,
    to_decimal,
    unit_amount,
)

MAX_CENTS = 10**11
cents = st.integers(min_value=-MAX_CENTS, max_value=MAX_CENTS)
UID = re.compile(r"^[A-Za-z0-9_]+$")


# ---------------------------------------------------------------------------- money


@given(cents)
@example(19950)
@example(29)
@example(MAX_CENTS)
@example(-1)
def test_cents_to_decimal_and_back_is_exact(amount):
    decimal = cents_to_decimal(amount)
    assert decimal.as_tuple().exponent == -2
    assert decimal * 100 == amount
    assert decimal_to_cents(decimal) == amount


@given(cents)
@example(29)
@example(19950)
def test_cents_survive_json_text_both_ways(amount):
    # Flow -> Omnium: the JSON text we send holds the exact decimal ...
    text = json.dumps({"amount": json_number(cents_to_decimal(amount))})
    parsed = json.loads(text, parse_float=Decimal)["amount"]
    assert Decimal(parsed) == cents_to_decimal(amount)
    # ... and Omnium -> Flow: reading it back (as Decimal or as float) gives the cents.
    assert decimal_to_cents(parsed) == amount
    assert decimal_to_cents(json.loads(text)["amount"]) == amount


@given(cents)
@example(29)
def test_cents_survive_the_clients_wire_format(amount):
    # The exact bytes the Omnium client sends, read back the way it reads answers.
    body = encode_json({"placedPrice": cents_to_decimal(amount)})
    assert decimal_to_cents(decode_json(body.decode())["placedPrice"]) == amount


@given(cents)
def test_decimal_text_with_two_places_reads_as_its_cents(amount):
    text = str(cents_to_decimal(amount))
    assert decimal_to_cents(text) == amount
    assert decimal_to_cents(float(text)) == amount  # floats go through their shortest repr


def test_the_documented_examples():
    assert cents_to_decimal(19950) == Decimal("199.50")
    assert decimal_to_cents(Decimal("199.50")) == 19950
    assert decimal_to_cents(199.5) == 19950
    assert decimal_to_cents(0.29) == 29  # int(0.29 * 100) would be 28
    assert cents_to_decimal(29) == Decimal("0.29")
    assert json.dumps(json_number(cents_to_decimal(29))) == "0.29"


@given(st.decimals(min_value=-(10**9), max_value=10**9, places=4))
def test_more_than_two_places_round_half_up_to_the_cent(amount):
    expected = (amount * 100).quantize(Decimal(1), rounding="ROUND_HALF_UP")
    assert decimal_to_cents(amount) == int(expected)


@pytest.mark.parametrize(
    "bad", [None, True, "abc", "NaN", float("inf"), Decimal("Infinity"), Decimal("NaN")]
)
def test_what_is_not_a_number_is_a_mapping_error(bad):
    with pytest.raises(MappingError):
        to_decimal(bad)


@pytest.mark.parametrize("bad", [1.5, Decimal("1.5"), "100", True])
def test_flow_money_must_be_integer_cents(bad):
    with pytest.raises(MappingError):
        cents_to_decimal(bad)


@given(
    st.integers(min_value=-MAX_CENTS, max_value=MAX_CENTS),
    st.integers(min_value=1, max_value=10_000),
)
def test_unit_amount_is_the_total_over_the_quantity_to_the_cent(total, quantity):
    per_unit = unit_amount(total, quantity)
    assert per_unit.as_tuple().exponent == -2
    # Within half a cent of the exact share, and exact whenever it divides evenly.
    assert abs(per_unit * quantity * 100 - total) <= Decimal(quantity) / 2
    if total % quantity == 0:
        assert per_unit * quantity == cents_to_decimal(total)


@given(
    st.decimals(min_value=0, max_value=10_000, places=3),
    st.integers(min_value=0, max_value=10**7),
    st.integers(min_value=0, max_value=10**6),
)
@example(Decimal("1.5"), 29, 0)
def test_line_total_is_quantity_times_price_less_discount_half_up(quantity, price, discount):
    total = line_total(quantity, price, discount)
    assert isinstance(total, int)
    assert abs(Decimal(total + discount) - quantity * price) <= Decimal("0.5")
    if quantity == quantity.to_integral_value():
        assert total == int(quantity) * price - discount


def test_line_total_example():
    assert line_total(Decimal("1.5"), 29) == 44  # 43.5 rounds half up
    assert line_total(2, 19950, 100) == 39800


def test_unit_amount_of_zero_units_is_a_mapping_error():
    with pytest.raises(MappingError):
        unit_amount(100, 0)


# ------------------------------------------------------------------------ quantities


@given(st.integers(min_value=-MAX_CENTS, max_value=MAX_CENTS))
def test_fixed_point_quantities_round_trip(hundredths):
    assert quantity_to_hundredths(hundredths_to_quantity(hundredths)) == hundredths
    assert quantity_to_hundredths(float(hundredths_to_quantity(hundredths))) == hundredths


@given(st.decimals(min_value=-(10**8), max_value=10**8, places=3))
@example(Decimal("25.00"))
@example(Decimal("1E+2"))
def test_plain_decimal_keeps_the_value_and_drops_trailing_zeros(value):
    plain = plain_decimal(value)
    assert plain == value
    text = str(plain)
    assert "E" not in text
    assert "." not in text or not text.endswith("0")


def test_plain_decimal_examples():
    assert str(plain_decimal(Decimal("2.500"))) == "2.5"
    assert str(plain_decimal(Decimal("25.00"))) == "25"
    assert str(plain_decimal(Decimal("1E+2"))) == "100"


# ------------------------------------------------------------------------------ uids


@given(st.text())
@example("ORD-2026/0001")
@example("Bjørn Æøå")
@example("+47 400 00 000")
def test_sanitize_uid_keeps_only_letters_digits_and_underscore(value):
    try:
        uid = sanitize_uid(value)
    except MappingError:
        # Only when nothing usable is left: ASCII letters, digits and "_" always survive.
        assert not re.search(r"[A-Za-z0-9_]", value)
        return
    assert UID.match(uid)
    assert sanitize_uid(uid) == uid  # idempotent: a sanitised UID is its own UID


@given(st.from_regex(UID, fullmatch=True))
def test_valid_uids_are_kept_as_they_are(uid):
    assert sanitize_uid(uid) == uid


def test_sanitize_uid_examples():
    assert sanitize_uid("ORD-2026/0001") == "ORD20260001"
    assert sanitize_uid("Bjørn") == "Bjorn"
    assert sanitize_uid("store_1") == "store_1"
    with pytest.raises(MappingError):
        sanitize_uid("---")


@given(st.text())
@example("Nike Air")
def test_slug_uid_is_lowercase_letters_digits_and_underscores(value):
    try:
        slug = slug_uid(value)
    except MappingError:
        return
    assert re.match(r"^[a-z0-9_]+$", slug)
    assert slug_uid(slug) == slug


def test_slug_uid_example():
    assert slug_uid("Nike Air") == "nike_air"


# --------------------------------------------------------------------------- markets

countries = st.sampled_from(sorted(MARKETS))
blank = st.sampled_from(["", " ", "\t"])
market_ids = st.text(min_size=1).filter(lambda s: s.strip())


@given(countries, blank, st.sampled_from([str.upper, str.lower, lambda s: f" {s} "]))
def test_a_known_country_gives_its_market(country, external_id, spelling):
    assert market_for(spelling(country), external_id) == MARKETS[country]


def test_the_documented_markets():
    assert [market_for(c) for c in ("NO", "SE", "DK", "FI")] == ["NOR", "SWE", "DNK", "FIN"]


@given(st.one_of(countries, st.text(max_size=3)), market_ids)
def test_the_stores_external_id_takes_precedence_over_any_country(country, external_id):
    assert market_for(country, external_id) == external_id.strip()


@given(st.text(max_size=4).filter(lambda c: c.strip().upper() not in MARKETS), blank)
@example("DE", "")
@example("", "")
def test_an_unknown_country_without_external_id_is_a_permanent_mapping_error(country, ext):
    with pytest.raises(MappingError) as raised:
        market_for(country, ext)
    assert isinstance(raised.value, PermanentError)  # the job fails, it does not retry
    assert "externalId" in str(raised.value) and repr(country) in str(raised.value)


# -------------------------------------------------------------------------- instants


@given(
    st.datetimes(
        min_value=datetime(1970, 1, 2), max_value=datetime(2200, 1, 1), timezones=st.just(UTC)
    ),
    st.integers(min_value=-12 * 60, max_value=14 * 60),
)
def test_instants_are_sent_as_utc_iso_text_that_reads_back_equal(instant, offset_minutes):
    local = instant.astimezone(timezone(timedelta(minutes=offset_minutes)))
    text = omnium_datetime(local)
    assert text.endswith("Z")
    assert datetime.fromisoformat(text.replace("Z", "+00:00")) == instant


def test_no_instant_stays_none_and_naive_instants_are_refused():
    assert omnium_datetime(None) is None
    with pytest.raises(MappingError):
        omnium_datetime(datetime(2026, 1, 1, 12, 0))
