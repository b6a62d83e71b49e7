"""What the integration keeps about customers: the base of the two-way merge, and erasures."""

from __future__ import annotations

from django.db import models
from django.utils import timezone

from ..enums import ErasureOrigin, OmniumErasure


class CustomerSync(models.Model):
    """What Flow and Omnium last agreed a customer looks like: the merge's common base.

    For each synced field, a keyed digest (never the value) of the field as Flow had it and
    as Omnium had it after the last exchange either way, and Omnium's ``modified`` of that
    version. A side whose field no longer matches its digest has changed it since; an
    Omnium version older than ``omnium_modified`` is never applied
    (docs/decisions.md#customers-both-ways). Deleted when the customer is erased.
    """

    extension = models.ForeignKey(
        "omnium_integration.TenantExtension", on_delete=models.CASCADE, related_name="+"
    )
    flow_ref = models.CharField(max_length=200, help_text="The Flow customer's primary key.")
    flow_digests = models.JSONField(default=dict, blank=True)
    omnium_digests = models.JSONField(default=dict, blank=True)
    omnium_modified = models.DateTimeField(
        null=True, blank=True, help_text="Omnium's `modified` of the version last exchanged."
    )
    synced_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = "customer sync state"
        constraints = [
            models.UniqueConstraint(
                fields=["extension", "flow_ref"], name="omnium_customer_sync_unique"
            )
        ]

    def __str__(self) -> str:
        return f"customer {self.flow_ref} synced {self.synced_at:%Y-%m-%d %H:%M}"


class CustomerErasure(models.Model):
    """One customer forgotten: where it started, what Omnium did, when our rows were scrubbed.

    ``pending_terms`` holds the person's values (name, e-mail, phone…) from the moment the
    customer is erased until the integration's own rows are scrubbed of them, in the same
    transaction as the erasure job's success (or by ``omnium_forget``); it is emptied then,
    and never shown (docs/operations.md#gdpr-erasure).
    """

    extension = models.ForeignKey(
        "omnium_integration.TenantExtension", on_delete=models.CASCADE, related_name="erasures"
    )
    flow_ref = models.CharField(
        max_length=200, help_text="The Flow customer's primary key (it stays, anonymous)."
    )
    origin = models.CharField(max_length=10, choices=ErasureOrigin.choices)
    omnium_id = models.CharField(
        max_length=200, blank=True, help_text="The customer's id in Omnium, if it had one."
    )
    requested_at = models.DateTimeField(default=timezone.now)
    job = models.ForeignKey(
        "omnium_integration.ExternalSyncJob",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The job that anonymises the customer in Omnium.",
    )
    pending_terms = models.JSONField(default=list, blank=True)
    omnium_outcome = models.CharField(max_length=20, choices=OmniumErasure.choices, blank=True)
    omnium_done_at = models.DateTimeField(null=True, blank=True)
    scrubbed_at = models.DateTimeField(
        null=True, blank=True, help_text="When the integration's own rows were scrubbed."
    )
    scrubbed_rows = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = "customer erasure"
        indexes = [models.Index(fields=["extension", "flow_ref"], name="omnium_erasure_customer")]

    def __str__(self) -> str:
        return f"customer {self.flow_ref} erased ({self.get_origin_display()})"
