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
