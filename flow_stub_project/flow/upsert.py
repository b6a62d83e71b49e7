"""Idempotent bulk upserts for master data: the same push twice writes nothing the second time."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from django.db.models import Model
from django.utils import timezone

Outcome = Literal["created", "updated", "unchanged"]


@dataclass
class Upserted:
    """What an upsert did: each key's object and outcome, in the order the keys came."""

    objects: dict[Hashable, Model] = field(default_factory=dict)
    outcomes: dict[Hashable, Outcome] = field(default_factory=dict)


def upsert(
    model: type[Model],
    rows: Mapping[Hashable, Mapping[str, Any]],
    *,
    key: tuple[str, ...],
    scope: Mapping[str, Any] | None = None,
    on_create: Mapping[Hashable, Mapping[str, Any]] | None = None,
    existing: Mapping[Hashable, Model] | None = None,
) -> Upserted:
    """Create or update one ``model`` row per key of ``rows``; touch only what changed.

    ``rows`` maps a key (a tuple of the values of the ``key`` fields) to the field values
    it should have; fields not named are left as they are. Values use attribute names
    (``brand_id``, not ``brand``). ``scope`` is applied to the lookup and to new rows
    (e.g. ``{"tenant": tenant}``); ``on_create`` adds values written only when a row is
    created. ``existing`` passes rows the caller already loaded (and locked). A model
    with an ``updated_at`` field gets it set on created and changed rows only.
    """
    scope = dict(scope or {})
    on_create = on_create or {}
    if existing is None:
        existing = _load(model, rows.keys(), key=key, scope=scope)
    stamp = "updated_at" if any(f.name == "updated_at" for f in model._meta.fields) else None
    now = timezone.now()
    result = Upserted()
    to_create: list[Model] = []
    to_update: list[Model] = []
    changed_fields: set[str] = set()
    for row_key, values in rows.items():
        obj = existing.get(row_key)
        if obj is None:
            obj = model(
                **{
                    **scope,
                    **dict(zip(key, row_key, strict=True)),
                    **on_create.get(row_key, {}),
                    **values,
                }
            )
            if stamp:
                setattr(obj, stamp, now)
            to_create.append(obj)
            result.outcomes[row_key] = "created"
        else:
            changed = [name for name, value in values.items() if getattr(obj, name) != value]
            for name in changed:
                setattr(obj, name, values[name])
            if changed:
                if stamp:
                    setattr(obj, stamp, now)
                    changed.append(stamp)
                to_update.append(obj)
                changed_fields.update(changed)
            result.outcomes[row_key] = "updated" if changed else "unchanged"
        result.objects[row_key] = obj
    if to_create:
        model.objects.bulk_create(to_create)
    if to_update:
        model.objects.bulk_update(to_update, sorted(_field_names(model, changed_fields)))
    return result


def _load(
    model: type[Model], keys, *, key: tuple[str, ...], scope: Mapping[str, Any]
) -> dict[Hashable, Model]:
    """Existing rows for ``keys``: filter on each key field's values, match exactly in Python."""
    keys = list(keys)
    if not keys:
        return {}
    lookups = {f"{name}__in": {k[i] for k in keys} for i, name in enumerate(key)}
    wanted = set(keys)
    found = {}
    for obj in model.objects.filter(**scope, **lookups):
        obj_key = tuple(getattr(obj, name) for name in key)
        if obj_key in wanted:
            found[obj_key] = obj
    return found


def _field_names(model: type[Model], attnames: set[str]) -> set[str]:
    """Field names for ``bulk_update`` from attribute names (``brand_id`` -> ``brand``)."""
    by_attname = {f.attname: f.name for f in model._meta.concrete_fields}
    return {by_attname.get(name, name) for name in attnames}
