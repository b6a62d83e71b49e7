"""Every encrypted value in the database, handled as ciphertext: which ones the configured
keys cannot open, and moving them all under the newest key (key rotation).

The values are read through a cast to plain text, so they are never decrypted into
memory here except inside ``MultiFernet.rotate``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from cryptography.fernet import InvalidToken
from django.apps import apps
from django.db import models
from django.db.models.functions import Cast

from . import crypto
from .fields import EncryptedTextField


@dataclass
class RotationReport:
    """What :func:`reencrypt` did, per field label."""

    moved: dict[str, int]
    current: dict[str, int]
    unreadable: dict[str, int]

    @property
    def total_moved(self) -> int:
        return sum(self.moved.values())


def encrypted_fields() -> Iterator[tuple[type[models.Model], EncryptedTextField]]:
    """(model, field) for every encrypted field of the app's models."""
    for model in apps.get_app_config("omnium_integration").get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, EncryptedTextField):
                yield model, field


def _ciphertexts(model, field, alias: str) -> Iterator[tuple[object, str]]:
    rows = (
        model._default_manager.using(alias)
        .exclude(**{field.name: ""})
        .exclude(**{f"{field.name}__isnull": True})
        .annotate(ciphertext=Cast(field.name, models.TextField()))
        .values_list("pk", "ciphertext")
        .order_by("pk")
    )
    yield from rows.iterator()


def _opens(ciphertext: str) -> bool:
    try:
        crypto.fernet().decrypt(ciphertext.encode("ascii"))
    except (InvalidToken, UnicodeEncodeError):
        return False
    return True


def unreadable_values(alias: str = "default") -> dict[str, int]:
    """Per field label, how many stored values no configured key decrypts."""
    counts: dict[str, int] = {}
    for model, field in encrypted_fields():
        bad = sum(not _opens(value) for _, value in _ciphertexts(model, field, alias))
        if bad:
            counts[field.label()] = bad
    return counts


def reencrypt(alias: str = "default", *, dry_run: bool = False) -> RotationReport:
    """Move every value not yet under the first key of ``ENCRYPTION_KEYS`` under it.

    Each row is written only if it still holds the ciphertext that was read (a token
    renewed meanwhile is already under the newest key), so this runs safely while the
    engines work, and can be run again at any time.
    """
    multi = crypto.fernet()
    report = RotationReport({}, {}, {})
    for model, field in encrypted_fields():
        label = field.label()
        for pk, ciphertext in _ciphertexts(model, field, alias):
            if crypto.is_under_newest_key(ciphertext):
                report.current[label] = report.current.get(label, 0) + 1
                continue
            try:
                rotated = multi.rotate(ciphertext.encode("ascii")).decode("ascii")
            except (InvalidToken, UnicodeEncodeError):
                report.unreadable[label] = report.unreadable.get(label, 0) + 1
                continue
            if not dry_run:
                _swap(model, field, alias, pk, ciphertext, rotated)
            report.moved[label] = report.moved.get(label, 0) + 1
    return report


def _swap(model, field, alias: str, pk: object, old: str, new: str) -> None:
    """Write ``new`` over ``old`` as is (already encrypted), if the row still holds ``old``."""
    (
        model._default_manager.using(alias)
        .alias(ciphertext=Cast(field.name, models.TextField()))
        .filter(pk=pk, ciphertext=old)
        .update(**{field.name: models.Value(new, output_field=models.TextField())})
    )
