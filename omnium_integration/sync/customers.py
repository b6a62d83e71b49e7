"""What the customer handlers share: the Omnium customer, the merge base, waiting for a
sibling job of the same customer (docs/decisions.md#customers-both-ways)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils.crypto import salted_hmac

from ..enums import JobStatus
from ..exceptions import WaitingForDependency
from ..mapping.customer_imports import customer_values
from ..models import CustomerSync, ExternalSyncJob, TenantExtension

DIGEST_SALT = "omnium_integration.customer_sync"

PRIVATE, BUSINESS = "private", "business"


def digest(name: str, value: str) -> str:
    """A keyed digest of one field's value (the base stores no value itself)."""
    return salted_hmac(DIGEST_SALT, f"{name}\0{value}", algorithm="sha256").hexdigest()[:20]


def fetch_customer(
    client: Any, omnium_id: str, *, business_first: bool
) -> tuple[str, dict[str, Any]] | None:
    """``(kind, customer)`` as Omnium holds it now, looking among business customers first
    when the Flow customer is a company; ``None`` when Omnium has neither."""
    lookups = [(PRIVATE, client.get_private_customer), (BUSINESS, client.get_business_customer)]
    if business_first:
        lookups.reverse()
    for kind, get in lookups:
        found = get(omnium_id)
        if isinstance(found, dict):
            return kind, found
    return None


def omnium_values(extension: TenantExtension, kind: str, document: dict[str, Any]) -> dict:
    """An Omnium customer as Flow customer fields (the inbound mapping)."""
    values = customer_values(kind, document, loyalty_key=extension.customer_loyalty_id_property_key)
    return {name: value for name, value in values.items() if isinstance(value, str)}


def merge_base(extension: TenantExtension, flow_ref: Any) -> CustomerSync | None:
    return CustomerSync.objects.filter(extension=extension, flow_ref=str(flow_ref)).first()


def save_base(
    extension: TenantExtension,
    flow_ref: Any,
    flow: dict[str, str],
    omnium: dict[str, str],
    fields: tuple[str, ...],
    omnium_modified: datetime | None,
) -> None:
    """What both sides hold now, as digests: the next merge's base."""
    CustomerSync.objects.update_or_create(
        extension=extension,
        flow_ref=str(flow_ref),
        defaults={
            "flow_digests": {name: digest(name, flow.get(name) or "") for name in fields},
            "omnium_digests": {name: digest(name, omnium.get(name) or "") for name in fields},
            "omnium_modified": omnium_modified,
        },
    )


def wait_while_running(job: ExternalSyncJob, kind: str, object_id: Any, dependant: str) -> None:
    """Wait (not a failure) while another worker runs a ``kind`` job of the same customer,
    so two jobs never write one customer at once. A job claimed with this one (same lease)
    runs before or after it in this worker, never at the same time."""
    running = (
        ExternalSyncJob.objects.filter(
            extension_id=job.extension_id,
            kind=kind,
            object_id=str(object_id),
            status=JobStatus.RUNNING,
        )
        .exclude(lease_token=job.lease_token)
        .values_list("pk", flat=True)
        .first()
    )
    if running is not None:
        raise WaitingForDependency(f"{dependant} waits for job #{running} of the same customer.")
