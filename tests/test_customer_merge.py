"""The field-by-field merge of a customer changed on both sides (pure: no database)."""

from __future__ import annotations

from datetime import UTC, datetime

from omnium_integration.mapping.customer_imports import is_anonymized, personal_values
from omnium_integration.mapping.customer_merge import (
    PERSON_FIELDS,
    digests,
    flow_changed_later,
    plan_merge,
)


def digest(name: str, value: str) -> str:
    return f"{name}={value}"  # a readable stand-in for the keyed digest


BASE = {"first_name": "Kari", "email": "kari@x.no", "mobile": "+4740000000"}


def merge(flow, omnium, *, later=False, base=True):
    return plan_merge(
        {**BASE, **flow},
        {**BASE, **omnium},
        PERSON_FIELDS,
        base_flow=digests(BASE, PERSON_FIELDS, digest) if base else None,
        base_omnium=digests(BASE, PERSON_FIELDS, digest) if base else None,
        flow_is_later=later,
        digest=digest,
    )


def test_omnium_changes_come_in_and_flows_own_pending_changes_stay():
    plan = merge({"email": "till@x.no"}, {"mobile": "+4791111111"})
    assert plan.to_flow == {"mobile": "+4791111111"} and plan.kept_in_flow == ()


def test_the_echo_of_flows_own_values_changes_nothing():
    assert merge({}, {}).to_flow == {}
    assert merge({"email": "new@x.no"}, {}).to_flow == {}  # Omnium still has what it had


def test_a_field_both_changed_goes_to_the_later_change():
    assert merge({"email": "a@x.no"}, {"email": "b@x.no"}, later=True).kept_in_flow == ("email",)
    assert merge({"email": "a@x.no"}, {"email": "b@x.no"}).to_flow == {"email": "b@x.no"}


def test_without_a_base_every_difference_is_a_conflict_the_later_side_wins():
    assert merge({"email": "a@x.no"}, {}, base=False, later=True).kept_in_flow == ("email",)
    assert merge({"email": "a@x.no"}, {}, base=False).to_flow == {"email": "kari@x.no"}


def test_an_unknown_omnium_time_never_beats_a_flow_change():
    flow_time = datetime(2026, 3, 1, tzinfo=UTC)
    assert flow_changed_later(flow_time, None)
    assert not flow_changed_later(None, flow_time)
    assert flow_changed_later(flow_time, datetime(2026, 2, 1, tzinfo=UTC))


def test_the_anonymised_marker_and_what_says_who_a_customer_is():
    assert is_anonymized({"isAnonymized": True}, "isAnonymized")
    assert is_anonymized({"anon": "true"}, "anon")
    assert not is_anonymized({"isAnonymized": False}, "isAnonymized")
    assert not is_anonymized({}, "isAnonymized")
    values = personal_values(
        {
            "firstName": "Kari",
            "lastName": "Nordmann",
            "email": "kari@x.no",
            "address": {"line1": "Storgata 1", "city": "Oslo"},
            "contacts": [{"firstName": "Ada", "lastName": "Berg", "phone": "+4790000000"}],
            "externalIds": [{"id": "VOY-1", "providerName": "Voyado"}],
            "customerNumber": "LOY-1",
        }
    )
    for value in ("Kari Nordmann", "kari@x.no", "Storgata 1", "Ada Berg", "+4790000000"):
        assert value in values
    assert {"VOY-1", "LOY-1"} <= set(values) and "Oslo" not in values
