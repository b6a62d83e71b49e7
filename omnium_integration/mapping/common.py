"""Small helpers the mappers share."""

from __future__ import annotations

from typing import Any

from .options import ExportOptions


def text(value: object) -> str:
    """An Omnium scalar as stripped text ("" for null and for anything not a scalar)."""
    if value is None or isinstance(value, dict | list | bool):
        return ""
    return str(value).strip()


def join(*parts: object) -> str:
    """The non-empty parts as text, separated by spaces (a first and last name)."""
    return " ".join(piece for piece in map(text, parts) if piece)


def compact(document: dict[str, Any]) -> dict[str, Any]:
    """``document`` without the keys whose value is ``None``, ``""`` or an empty collection.

    Omnium keeps what it has for a field that is absent, so we leave out what Flow
    does not know rather than sending blanks. ``0`` and ``False`` are kept.
    """
    return {k: v for k, v in document.items() if v is not None and v != "" and v != [] and v != {}}


def properties(options: ExportOptions, **values: str) -> list[dict[str, str]]:
    """Omnium ``properties`` under the tenant's prefix, in the order given; blanks skipped."""
    return [
        {"key": options.key(name), "value": str(value)}
        for name, value in values.items()
        if value not in (None, "")
    ]


def is_ours(document: dict[str, Any] | None, options: ExportOptions, name: str, uid: str) -> bool:
    """Whether an Omnium object (order, return form, customer, invoice) is this Flow object.

    Ours: its ``<prefix><name>`` property holds the Flow UID, and its ``<prefix>TenantUid``
    (written since the identity map exists) is absent or this tenant's.
    """
    if not document:
        return False
    have = {
        str(p.get("key")): str(p.get("value"))
        for p in document.get("properties") or []
        if isinstance(p, dict)
    }
    tenant = have.get(options.key("TenantUid"))
    return have.get(options.key(name)) == uid and tenant in (None, "", options.tenant_uid)


def owner_of(document: dict[str, Any] | None, options: ExportOptions, name: str) -> str:
    """Whose an Omnium object is, by our properties, for an error message ("" if unknown)."""
    for p in (document or {}).get("properties") or []:
        if isinstance(p, dict) and p.get("key") == options.key(name):
            return str(p.get("value"))
    return ""
