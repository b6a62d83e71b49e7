"""The field-by-field merge of a customer changed on both sides.

See docs/decisions.md#customers-both-ways.

Flow and Omnium each hold the customer; :class:`~omnium_integration.models.CustomerSync`
holds a digest of each field as both sides had it after their last exchange (the base).
A side whose field no longer matches its base changed it since. For each field:

* Omnium did not change it: nothing comes from Omnium (Flow's value stands; when Flow
  changed it, its own export sends it). This is also what keeps our own writes from
  echoing: Omnium answering our update with the same values changed nothing;
* Omnium changed it and Flow did not: Flow takes Omnium's value;
* both changed it: the later change wins, by Flow's last change and Omnium's
  ``modified``; Flow keeps its value when it changed later (an older Omnium version never
  overwrites a newer Flow change), and when Omnium's time is unknown.

Without a base (a customer synced before the base existed) every differing field counts
as changed on both sides, so the later side wins.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

# The Flow fields each kind of customer is synced by, both ways (docs/flow.md#customers).
PERSON_FIELDS = (
    "first_name",
    "last_name",
    "display_name",
    "email",
    "mobile",
    "address",
    "city",
    "postal_code",
    "country_code",
    "loyalty_id",
)
COMPANY_FIELDS = (
    "company_name",
    "display_name",
    "vat_number",
    "contact_person_name",
    "contact_person_email",
    "email",
    "mobile",
    "address",
    "city",
    "postal_code",
    "country_code",
    "loyalty_id",
)

Digest = Callable[[str, str], str]  # (field, value) -> a keyed digest of the value


def synced_fields(company: bool) -> tuple[str, ...]:
    return COMPANY_FIELDS if company else PERSON_FIELDS


def digests(values: Mapping[str, str], fields: tuple[str, ...], digest: Digest) -> dict[str, str]:
    """The base to store for ``values`` (no value itself is kept)."""
    return {name: digest(name, values.get(name) or "") for name in fields}


@dataclass(frozen=True)
class MergePlan:
    """What Flow takes from Omnium, and the fields where Flow's later change stays."""

    to_flow: dict[str, str] = field(default_factory=dict)
    kept_in_flow: tuple[str, ...] = ()


def flow_changed_later(flow_changed: datetime | None, omnium_modified: datetime | None) -> bool:
    """Whether Flow's last change is later than Omnium's version (unknown Omnium: yes)."""
    if flow_changed is None:
        return False
    return omnium_modified is None or flow_changed > omnium_modified


def plan_merge(
    flow: Mapping[str, str],
    omnium: Mapping[str, str],
    fields: tuple[str, ...],
    *,
    base_flow: Mapping[str, str] | None,
    base_omnium: Mapping[str, str] | None,
    flow_is_later: bool,
    digest: Digest,
) -> MergePlan:
    """Which of Omnium's values Flow takes (see the module docstring)."""
    to_flow: dict[str, str] = {}
    kept: list[str] = []
    for name in fields:
        mine, theirs = flow.get(name) or "", omnium.get(name) or ""
        if mine == theirs:
            continue
        if base_omnium is not None and digest(name, theirs) == base_omnium.get(name):
            continue  # Omnium still holds what it had: nothing new from Omnium
        flow_changed = base_flow is None or digest(name, mine) != base_flow.get(name)
        if flow_changed and flow_is_later:
            kept.append(name)
            continue
        to_flow[name] = theirs
    return MergePlan(to_flow, tuple(kept))
