"""A model field for credentials: stored encrypted (:mod:`.crypto`), read back in clear."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import FieldError
from django.db import models
from django.db.models.lookups import Exact

from . import crypto


class EncryptedTextField(models.TextField):
    """Text encrypted at rest with the keys of ``ENCRYPTION_KEYS``.

    The column holds a Fernet token; Python code sees the clear text. An empty value is
    stored empty, so "not set" needs no key and can be queried. Nothing else can be
    queried: the same text encrypts differently every time. ``dumpdata`` writes the
    encrypted value, and ``loaddata`` reads it back, so fixtures and dumps stay encrypted.
    A value no configured key opens raises :class:`~.crypto.UnreadableSecret` when the
    row is loaded, so it is never used as if it were the secret.
    """

    description = "Text encrypted at rest"

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        if not value:
            return value
        return crypto.decrypt(value, what=self.label())

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        if not value:
            return value
        return crypto.encrypt(value)

    def to_python(self, value: Any) -> Any:
        # A serialized row (loaddata) carries the encrypted value: open it with our keys.
        value = super().to_python(value)
        if isinstance(value, str) and crypto.looks_encrypted(value):
            try:
                return crypto.decrypt(value, what=self.label())
            except crypto.UnreadableSecret:
                return value  # not one of ours: a secret that merely looks like a token
        return value

    def value_to_string(self, obj: models.Model) -> str:
        value = self.value_from_object(obj)
        return crypto.encrypt(value) if value else ""

    def get_lookup(self, lookup_name: str):
        if lookup_name not in ("exact", "isnull"):
            return None  # Django then raises "Unsupported lookup … for EncryptedTextField"
        return super().get_lookup(lookup_name)

    def label(self) -> str:
        model = getattr(self, "model", None)
        return f"{model._meta.label}.{self.name}" if model else self.name


@EncryptedTextField.register_lookup
class EmptyOnlyExact(Exact):
    """``field=""`` (not set) only: any other value would be compared with a ciphertext."""

    lookup_name = "exact"

    def get_prep_lookup(self):
        if self.rhs not in ("", None):
            raise FieldError(
                f"{self.lhs.output_field.label()} is encrypted: only whether it is empty "
                "can be queried."
            )
        return super().get_prep_lookup()
