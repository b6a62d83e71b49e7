"""The identity map: which Omnium object each Flow object is, chosen once and kept."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from ..enums import IdentityKind


class OmniumIdentity(models.Model):
    """One Flow object and its one Omnium counterpart, for every later call both ways.

    Written the first time the object is synced (or imported) and read by every call
    after it: update, status, return, cancel, invoice, import, poll. Two unique indexes
    keep the pair one-to-one within a tenant: a Flow object has one Omnium id, and an
    Omnium id names one Flow object (see ``mapping/ids.py`` for how ids are chosen).
    """

    extension = models.ForeignKey(
        "omnium_integration.TenantExtension", on_delete=models.CASCADE, related_name="identities"
    )
    kind = models.CharField(max_length=20, choices=IdentityKind.choices)
    flow_ref = models.CharField(
        max_length=200, help_text="The Flow object's primary key (reception/line for lines)."
    )
    flow_uid = models.CharField(max_length=200, blank=True, help_text="Its Flow UID, as is.")
    omnium_id = models.CharField(max_length=200)
    confirmed_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When Omnium was seen to hold the object as this Flow object's.",
    )
    note = models.CharField(
        max_length=500, blank=True, help_text="Why the id differs from the stripped UID."
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "Omnium identity"
        verbose_name_plural = "Omnium identities"
        constraints = [
            models.UniqueConstraint(
                fields=["extension", "kind", "flow_ref"], name="omnium_identity_flow_unique"
            ),
            models.UniqueConstraint(
                fields=["extension", "kind", "omnium_id"], name="omnium_identity_omnium_unique"
            ),
        ]
        indexes = [models.Index(fields=["flow_uid"], name="omnium_identity_flow_uid")]

    def __str__(self) -> str:
        return f"{self.kind} {self.flow_uid or self.flow_ref} = {self.omnium_id}"
