"""Scrubbing a person's values from every text and JSON column of the integration's models.

The columns are found, not listed: every ``CharField``, ``TextField`` and ``JSONField``
(and their subclasses) of every model of this app, so a model added later is scrubbed
too. Fields with choices (statuses, kinds) and primary keys hold no personal data and are
left out. Given a tenant extension, rows are limited to that tenant's where the model
leads to the extension (its own foreign key, or one through a parent row, as an attempt
through its job); other models are scrubbed whole.

Rows are found by the database (a case-insensitive ``LIKE`` on
:meth:`.Matcher.fragments`, which is wider than the terms), then each candidate value is
rewritten by the :class:`.Matcher` and written back with a queryset ``update`` (no
signal, no ``auto_now``). Runs in the caller's transaction.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import reduce
from operator import or_

from django.apps import apps
from django.db import models

from ..fields import EncryptedTextField
from .terms import Matcher

logger = logging.getLogger(__name__)

APP_LABEL = "omnium_integration"


@dataclass
class ScrubReport:
    """How many rows a scrub changed (or would change), per model."""

    rows_by_model: Counter = field(default_factory=Counter)

    @property
    def rows(self) -> int:
        return sum(self.rows_by_model.values())

    def as_dict(self) -> dict[str, int]:
        return dict(sorted(self.rows_by_model.items()))


def is_scrubbed(field_: models.Field) -> bool:
    """Whether a model field may hold personal data: free text or JSON.

    Encrypted fields hold credentials, never a person's data, and cannot be searched.
    """
    if field_.primary_key or field_.choices or isinstance(field_, EncryptedTextField):
        return False
    return isinstance(field_, models.CharField | models.TextField | models.JSONField)


def scrubbed_columns() -> list[tuple[type[models.Model], list[models.Field]]]:
    """Every model of the app with its text and JSON fields (those it has)."""
    found = []
    for model in apps.get_app_config(APP_LABEL).get_models():
        fields = [f for f in model._meta.concrete_fields if is_scrubbed(f)]
        if fields:
            found.append((model, fields))
    return found


def tenant_scope(model: type[models.Model], extension_id: int) -> models.Q | None:
    """The rows of ``model`` that belong to the extension's tenant, if the model says."""
    extension_model = apps.get_model(APP_LABEL, "TenantExtension")
    if model is extension_model:
        return models.Q(pk=extension_id)
    relations = [f for f in model._meta.concrete_fields if f.many_to_one]
    for relation in relations:
        if relation.related_model is extension_model:
            return models.Q(**{relation.name: extension_id})
    for relation in relations:
        for inner in relation.related_model._meta.concrete_fields:
            if inner.many_to_one and inner.related_model is extension_model:
                return models.Q(**{f"{relation.name}__{inner.name}": extension_id})
    return None


def scrub(
    terms: Iterable[str], *, extension_id: int | None = None, dry_run: bool = False
) -> ScrubReport:
    """Replace every term in every scrubbed column (of the extension's tenant's rows, when
    given); return how many rows changed."""
    matcher = Matcher(terms)
    report = ScrubReport()
    if not matcher:
        return report
    fragments = matcher.fragments()
    for model, fields in scrubbed_columns():
        scope = tenant_scope(model, extension_id) if extension_id is not None else None
        changed = _scrub_model(model, fields, matcher, fragments, scope, dry_run)
        if changed:
            report.rows_by_model[model._meta.label] = changed
    logger.info("scrubbed %s rows of the integration's records", report.rows)
    return report


def _scrub_model(
    model: type[models.Model],
    fields: list[models.Field],
    matcher: Matcher,
    fragments: list[str],
    scope: models.Q | None,
    dry_run: bool,
) -> int:
    possible = reduce(
        or_,
        (models.Q(**{f"{f.name}__icontains": text}) for f in fields for text in fragments),
    )
    if scope is not None:
        possible &= scope
    manager = model._base_manager
    names = [f.attname for f in fields]
    # Read first, write after: SQLite gives no isolation between a cursor being read and
    # updates of the same table on the same connection.
    rows = list(manager.filter(possible).values_list("pk", *names))
    changed = 0
    for pk, *values in rows:
        updates = {}
        for f, name, value in zip(fields, names, values, strict=True):
            new = matcher.data(value) if isinstance(f, models.JSONField) else matcher.text(value)
            if isinstance(new, str) and f.max_length:
                new = new[: f.max_length]  # a placeholder can be longer than a short value
            if new != value:
                updates[name] = new
        if updates:
            changed += 1
            if not dry_run:
                manager.filter(pk=pk).update(**updates)
    return changed
