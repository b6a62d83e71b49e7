"""Who changed which tenant's credentials, and when; never the value."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from ..enums import CredentialChangeKind


class CredentialChange(models.Model):
    """One change an operator made to a tenant's credentials (admin or command).

    The tenant's key is kept as text too, so the record outlives the extension.
    """

    extension = models.ForeignKey(
        "omnium_integration.TenantExtension",
        null=True,
        on_delete=models.SET_NULL,
        related_name="credential_changes",
    )
    tenant_key = models.CharField("tenant", max_length=200)
    kind = models.CharField(max_length=40, choices=CredentialChangeKind.choices)
    detail = models.CharField(max_length=200, blank=True, help_text="Never a value.")
    changed_by = models.CharField(max_length=150)
    changed_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        verbose_name = "credential change"
        ordering = ["-changed_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.tenant_key} by {self.changed_by}"
