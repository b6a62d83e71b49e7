"""What a reconciliation finds: one :class:`Difference` per object the two sides disagree
on, with both sides' values and the job that repairs it.

Stored as JSON on :class:`~omnium_integration.models.ReconciliationRun`, in one shape for
every area, so a report can be read, healed later and scrubbed of personal data by key
(``area``, ``flow.ref``, ``omnium.id``, ``fields.<name>.flow`` / ``.omnium``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Area(StrEnum):
    """What was compared."""

    POS_ORDER = "pos_order"  # Flow's POS sales, returns and cancellations
    WEB_ORDER = "web_order"  # Omnium's Click & Collect and online orders
    CUSTOMER = "customer"  # Flow customers linked to Omnium
    INVOICE = "invoice"  # Flow receipts sent as Omnium invoices


AREA_LABELS = {
    Area.POS_ORDER: "POS sales, returns, cancellations",
    Area.WEB_ORDER: "Omnium web orders",
    Area.CUSTOMER: "customers linked to Omnium",
    Area.INVOICE: "receipts sent as invoices",
}


class Kind(StrEnum):
    """How the two sides disagree."""

    MISSING_IN_OMNIUM = "missing_in_omnium"
    UNKNOWN_TO_FLOW = "unknown_to_flow"  # in Omnium, no Flow object is it
    DIFFERENT = "different"
    MISSING_IN_FLOW = "missing_in_flow"
    STATE = "state"  # cancelled in one, open (or completed) in the other
    STALE = "stale"  # Flow holds an older version of the Omnium order
    MISSING_INVOICE = "missing_invoice"
    MISSING_PDF = "missing_pdf"  # the invoice is there, its receipt PDF is not


KIND_LABELS = {
    Kind.MISSING_IN_OMNIUM: "missing in Omnium",
    Kind.UNKNOWN_TO_FLOW: "in Omnium, unknown to Flow",
    Kind.DIFFERENT: "different",
    Kind.MISSING_IN_FLOW: "missing in Flow",
    Kind.STATE: "different state",
    Kind.STALE: "older version in Flow",
    Kind.MISSING_INVOICE: "missing invoice",
    Kind.MISSING_PDF: "invoice without its PDF",
}


@dataclass(frozen=True)
class Heal:
    """The job that repairs a difference: ``job`` (a :class:`~..enums.JobKind` value) for
    ``object_id`` (a Flow primary key, or the Omnium id for ``order.import``)."""

    job: str
    object_id: str

    def as_json(self) -> dict[str, str]:
        return {"job": self.job, "object": self.object_id}


@dataclass(frozen=True)
class Difference:
    """One object the two sides disagree on.

    ``fields`` maps each compared value to both sides' ``{"flow": …, "omnium": …}`` (``None``
    for a side that has nothing). ``heal`` is ``None`` when no job can repair it (it then
    needs a person, and ``note`` says why).
    """

    area: Area
    kind: Kind
    flow_ref: str = ""
    flow_uid: str = ""
    omnium_id: str = ""
    fields: dict[str, dict[str, Any]] = field(default_factory=dict)
    heal: Heal | None = None
    note: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "area": self.area.value,
            "kind": self.kind.value,
            "flow": {"ref": self.flow_ref, "uid": self.flow_uid} if self.flow_ref else None,
            "omnium": {"id": self.omnium_id} if self.omnium_id else None,
            "fields": self.fields,
            "heal": self.heal.as_json() if self.heal else None,
            "note": self.note,
        }


def both(flow: Any, omnium: Any) -> dict[str, Any]:
    """One compared value, as each side has it."""
    return {"flow": flow, "omnium": omnium}


def heal_of(stored: dict[str, Any]) -> Heal | None:
    """The repair job of a stored difference (``Difference.as_json``), if it has one."""
    heal = stored.get("heal")
    if not heal:
        return None
    return Heal(job=str(heal["job"]), object_id=str(heal["object"]))
