"""How a Flow object's Omnium id is chosen: the rule of the identity map, as pure functions.

Flow's docs say UIDs sent to Omnium keep only letters, digits and ``_``
(docs/flow.md#uids). Stripping is many-to-one (``COL-7``, ``COL.7`` and ``COL7`` all
strip to ``COL7``), so the stripped UID is only the *first choice*: when another Flow
object already holds it (in the map, or in Omnium), the object gets the stripped UID plus
a short digest of its raw UID, which is as stable as the UID itself and tells the two
apart. :func:`choose_id` is the whole rule; :mod:`omnium_integration.identities` stores
what it chose, so later calls never choose again.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable

from ..exceptions import MappingError
from ..transform import sanitize_uid

# Omnium does not document a maximum id length; ids stay within what every id field of
# Flow and of the integration's own tables holds.
MAX_ID_LENGTH = 100
DIGEST_LENGTH = 10
VALID_ID = re.compile(r"[A-Za-z0-9_]+")
# The prefix a tenant parameter may set (OMNIUM_ID_PREFIX): the same characters.
VALID_PREFIX = re.compile(r"[A-Za-z0-9_]*")


def is_valid_id(value: str) -> bool:
    """Whether ``value`` is an id Flow's rule allows to send to Omnium."""
    return bool(VALID_ID.fullmatch(value)) and len(value) <= MAX_ID_LENGTH


def digest(kind: str, raw: str, round_: int = 0) -> str:
    """A short, stable digest of a Flow UID (and the round, for the rare second try)."""
    text = f"{kind}\0{raw}" if not round_ else f"{kind}\0{raw}\0{round_}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:DIGEST_LENGTH]


def plain_id(raw: str, prefix: str = "") -> str:
    """The first choice: the tenant's prefix and the UID stripped to letters, digits, ``_``.

    A UID with nothing left after stripping (``"---"``) has no plain id (``""``): its
    :func:`distinct_id` is used.
    """
    try:
        stripped = sanitize_uid(raw)
    except MappingError:
        return ""
    candidate = f"{prefix}{stripped}"
    return candidate if len(candidate) <= MAX_ID_LENGTH else ""


def distinct_id(kind: str, raw: str, prefix: str = "", round_: int = 0) -> str:
    """The plain id (cut to fit) plus ``_`` and a digest of the raw UID."""
    suffix = f"_{digest(kind, raw, round_)}"
    try:
        stripped = sanitize_uid(raw)
    except MappingError:
        stripped = "id"
    head = f"{prefix}{stripped}"[: MAX_ID_LENGTH - len(suffix)]
    return f"{head}{suffix}"


def choose_id(
    kind: str, raw: str, taken: Callable[[str], bool], prefix: str = "", first: str = ""
) -> str:
    """The id for Flow UID ``raw``: the plain id (or ``first``) unless ``taken``, else a
    distinct one.

    ``taken(candidate)`` says whether another object holds the candidate. Deterministic
    for a given answer of ``taken``; the distinct ids of two different UIDs differ (their
    digests do), and a distinct id that is somehow taken too gets the next round's.
    """
    candidate = f"{prefix}{first}" if first else plain_id(raw, prefix)
    if candidate and not taken(candidate):
        return candidate
    for round_ in range(5):
        candidate = distinct_id(kind, raw, prefix, round_)
        if not taken(candidate):
            return candidate
    raise MappingError(f"No free Omnium id for {kind} {raw!r}: every candidate is taken.")


def unique_ids(raw_uids: list[str]) -> dict[str, str]:
    """Ids for objects that live inside one Omnium document (an order's lines, payments).

    Within a document there is no map to consult: the plain ids are used unless two of
    the UIDs strip to the same id, and then those get distinct ids.
    """
    plain = {raw: plain_id(raw) for raw in raw_uids}
    counts: dict[str, int] = {}
    for value in plain.values():
        counts[value] = counts.get(value, 0) + 1
    return {
        raw: value if value and counts[value] == 1 else distinct_id("line", raw)
        for raw, value in plain.items()
    }
