"""The identity map, read and written: each Flow object's one Omnium id.

The first sync of a Flow object chooses its Omnium id (:func:`resolve`, by the rule of
:mod:`.mapping.ids`) and stores it; every later call in either direction reads it back.
When Omnium turns out to hold the chosen id for some other object (a 409 whose object is
not ours), :func:`reassign` moves the object to its distinct id, which is only allowed
while the object has never been confirmed in Omnium under the first one. Handlers that
see the object in Omnium as theirs call :func:`confirm`; dependants (a return, a
cancellation, a receipt's invoice) wait for that.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from .exceptions import PermanentError, RetryableError
from .mapping.ids import choose_id, plain_id
from .models import OmniumIdentity, TenantExtension


def _taken(extension: TenantExtension, kind: str, exclude_ref: str = ""):
    def taken(candidate: str) -> bool:
        held = OmniumIdentity.objects.filter(extension=extension, kind=kind, omnium_id=candidate)
        return held.exclude(flow_ref=exclude_ref).exists()

    return taken


def find(extension: TenantExtension, kind: str, flow_ref: Any) -> OmniumIdentity | None:
    return OmniumIdentity.objects.filter(
        extension=extension, kind=kind, flow_ref=str(flow_ref)
    ).first()


def resolve(
    extension: TenantExtension,
    kind: str,
    flow_ref: Any,
    flow_uid: str,
    *,
    known: str = "",
    derived: str = "",
    first_choice: str = "",
) -> OmniumIdentity:
    """The Flow object's map row, chosen now if it has none.

    ``known``: the id Omnium already holds for the object (a customer's Omnium id, a web
    order's id); it is taken as is (and confirmed), and a second Flow object claiming it
    is refused. ``derived``: an id of ours that is unique by construction, taken as is.
    ``first_choice``: tried before the stripped UID (an id format of ours).
    """
    flow_ref = str(flow_ref)
    row = find(extension, kind, flow_ref)
    if row is not None:
        return row
    prefix = extension.id_prefix
    for _ in range(3):
        given = known or derived
        omnium_id = given or choose_id(
            kind, flow_uid, _taken(extension, kind), prefix, first=first_choice
        )
        note = "" if given else _why_not(extension, kind, flow_uid, omnium_id, first_choice)
        try:
            with transaction.atomic():
                return OmniumIdentity.objects.create(
                    extension=extension,
                    kind=kind,
                    flow_ref=flow_ref,
                    flow_uid=flow_uid[:200],
                    omnium_id=omnium_id,
                    note=note[:500],
                    confirmed_at=timezone.now() if known else None,
                )
        except IntegrityError:
            # Written meanwhile: this object's row by a concurrent job, or the candidate
            # taken by another object (choose again).
            row = find(extension, kind, flow_ref)
            if row is not None:
                return row
            if given:
                other = OmniumIdentity.objects.filter(
                    extension=extension, kind=kind, omnium_id=given
                ).first()
                raise PermanentError(
                    f"Omnium {kind} {given} is already Flow {kind} "
                    f"{other.flow_uid or other.flow_ref if other else '?'}; Flow {kind} "
                    f"{flow_uid} cannot be the same Omnium {kind}."
                ) from None
    raise RetryableError(f"Could not choose an Omnium id for Flow {kind} {flow_uid}: busy.")


def _why_not(
    extension: TenantExtension, kind: str, flow_uid: str, chosen: str, first_choice: str
) -> str:
    """Why an object did not get its first-choice id (who holds it), or "" if it did."""
    prefix = extension.id_prefix
    wanted = f"{prefix}{first_choice}" if first_choice else plain_id(flow_uid, prefix)
    if chosen == wanted:
        return ""
    holder = OmniumIdentity.objects.filter(extension=extension, kind=kind, omnium_id=wanted).first()
    whose = f"Flow {kind} {holder.flow_uid or holder.flow_ref}'s" if holder else "taken"
    return f"{wanted or repr(flow_uid)} is {whose}; this one is {chosen}."


def reassign(row: OmniumIdentity, reason: str) -> OmniumIdentity:
    """Move an object whose id Omnium holds for something else to its distinct id.

    Refused once the object was confirmed under its id: then the other object is the
    intruder, and a person has to look.
    """
    if row.confirmed_at is not None:
        raise PermanentError(
            f"Omnium {row.kind} {row.omnium_id} was Flow {row.kind} {row.flow_uid}'s, and now "
            f"is not ({reason}); nothing was changed."
        )
    extension = row.extension
    taken = _taken(extension, row.kind, exclude_ref=row.flow_ref)
    previous = row.omnium_id
    row.omnium_id = choose_id(
        row.kind, row.flow_uid, lambda c: c == previous or taken(c), extension.id_prefix
    )
    row.note = (
        f"{previous} is held in Omnium by another object ({reason}); this one is {row.omnium_id}."[
            :500
        ]
    )
    row.save(update_fields=["omnium_id", "note"])
    return row


def confirm(row: OmniumIdentity) -> None:
    """Record that Omnium holds the object as ours (its dependants may now follow)."""
    if row.confirmed_at is None:
        row.confirmed_at = timezone.now()
        row.save(update_fields=["confirmed_at"])


def flow_ref_for(extension: TenantExtension, kind: str, omnium_id: str) -> str | None:
    """The Flow object an Omnium id names, if the map knows it."""
    return (
        OmniumIdentity.objects.filter(extension=extension, kind=kind, omnium_id=omnium_id)
        .values_list("flow_ref", flat=True)
        .first()
    )


def known_ids(extension: TenantExtension, kind: str, flow_refs: Iterable[Any]) -> dict[str, str]:
    """The Omnium ids the map holds for ``flow_refs`` (those it has), by flow ref."""
    refs = [str(ref) for ref in flow_refs]
    found: dict[str, str] = {}
    for start in range(0, len(refs), 500):  # SQLite's bound-parameter limit
        found.update(
            OmniumIdentity.objects.filter(
                extension=extension, kind=kind, flow_ref__in=refs[start : start + 500]
            ).values_list("flow_ref", "omnium_id")
        )
    return found


def resolve_derived(
    extension: TenantExtension, kind: str, wanted: dict[str, tuple[str, str]]
) -> dict[str, str]:
    """Map rows for many objects whose ids are ours and unique by construction, at once.

    ``wanted``: ``{flow_ref: (flow_uid, derived id)}``. An object that has a row keeps the
    id it holds (chosen once: a later change of the derivation changes nothing). Returns
    ``{flow_ref: omnium_id}``.
    """
    held = known_ids(extension, kind, wanted)
    missing = [ref for ref in wanted if ref not in held]
    if missing:
        OmniumIdentity.objects.bulk_create(
            [
                OmniumIdentity(
                    extension=extension,
                    kind=kind,
                    flow_ref=ref,
                    flow_uid=wanted[ref][0][:200],
                    omnium_id=wanted[ref][1],
                )
                for ref in missing
            ],
            ignore_conflicts=True,
            batch_size=500,
        )
        held = known_ids(extension, kind, wanted)
    lost = [ref for ref in wanted if ref not in held]
    if lost:
        raise PermanentError(
            f"The Omnium ids of {kind} {', '.join(lost[:5])} are held by other Flow objects."
        )
    return held
