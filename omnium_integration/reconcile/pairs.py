"""Who is whom: the identity map and the import records read in bulk.

Objects are paired through what the syncs recorded (the identity map, ``ImportedOrder``),
never by working an id out again: a Flow object's Omnium id is the one its sync chose
and stored, which may differ from its stripped UID.

Rows are looked up by lists of keys in chunks (``IN`` on the map's unique index), not by
joining the day's orders in SQL: a join's plan depends on the table statistics, and
right after a bulk load or a restore, before ``ANALYZE``, PostgreSQL planned it as a
nested loop that took seconds per thousand sales.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..host.reconcile import chunked
from ..models import ImportedOrder, OmniumIdentity, TenantExtension
from .facts import Imported


@dataclass(frozen=True, slots=True)
class MapRow:
    omnium_id: str
    confirmed: bool  # Omnium was seen to hold it


def omnium_ids(
    extension: TenantExtension, kind: str, flow_refs: Iterable[object]
) -> dict[str, MapRow]:
    """The map's rows of these Flow objects, by ``str(flow ref)`` (those it has)."""
    found: dict[str, MapRow] = {}
    for chunk in chunked(str(ref) for ref in flow_refs):
        rows = OmniumIdentity.objects.filter(extension=extension, kind=kind, flow_ref__in=chunk)
        for ref, omnium_id, confirmed in rows.values_list("flow_ref", "omnium_id", "confirmed_at"):
            found[ref] = MapRow(omnium_id, confirmed is not None)
    return found


def flow_refs(extension: TenantExtension, kind: str, ids: Iterable[str]) -> dict[str, str]:
    """The Flow objects the map pairs with these Omnium ids: ``{omnium id: flow ref}``."""
    found: dict[str, str] = {}
    for chunk in chunked(ids):
        rows = OmniumIdentity.objects.filter(extension=extension, kind=kind, omnium_id__in=chunk)
        found.update(rows.values_list("omnium_id", "flow_ref"))
    return found


def imports(extension: TenantExtension, ids: Iterable[str]) -> dict[str, Imported]:
    """What the import last applied of each of these Omnium orders."""
    found: dict[str, Imported] = {}
    for chunk in chunked(ids):
        rows = ImportedOrder.objects.filter(extension=extension, omnium_order_id__in=chunk)
        for omnium_id, modified, order_pk, outcome in rows.values_list(
            "omnium_order_id", "omnium_modified", "order_id", "outcome"
        ):
            found[omnium_id] = Imported(modified, order_pk, outcome)
    return found
