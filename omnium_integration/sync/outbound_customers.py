"""Flow customers -> Omnium private and business customers.

A customer's Omnium id comes from the identity map: the id Omnium holds for it when Flow
knows one (``external_id``), else its stripped UID, else (taken by another customer) its
distinct id. A customer without an Omnium id is created in Omnium and the id is stored
back on the Flow customer with a queryset update inside ``capture_suppressed()``, so
storing it does not send the customer again. A customer with one is updated.

A create answered with 409 is read back: ours (``<prefix>CustomerUid``), an earlier attempt
created it but did not live to store the id, so it is updated and the id stored; another
person's, nothing of theirs is touched and this customer moves to its distinct id. An
update answered with 409 (a concurrent update) is sent again on the current version; one
answered with 404 (the customer was deleted in Omnium) creates it again from Flow.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from .. import identities
from ..client import get_client
from ..enums import Direction, JobKind, Queue
from ..exceptions import OmniumConflict, PermanentError
from ..host import get_adapter
from ..jobs import manager, registry
from ..mapping.common import is_ours, owner_of
from ..mapping.customers import customer_document, is_business
from ..models import ExternalSyncJob
from ..receivers import capture_suppressed
from .outbound import (
    active_extension,
    customer_identity,
    export_options,
    id_note,
    retry_conflicts,
    skipped,
)


@registry.handles(JobKind.CUSTOMER_EXPORT, queue=Queue.ORDER, direction=Direction.OUTBOUND)
def export_customer(job: ExternalSyncJob) -> dict[str, Any]:
    """Create or update the Flow customer in Omnium (see the module docstring)."""
    extension = active_extension(job)
    adapter = get_adapter()
    customer = adapter.customer_for_export(extension.tenant_id, job.object_id)
    if customer is None:
        return skipped("The customer no longer exists in Flow.")
    options = export_options(extension)
    client = get_client(extension)
    business = is_business(customer)
    get = client.get_business_customer if business else client.get_private_customer
    create = client.create_business_customer if business else client.create_private_customer
    update = client.update_business_customer if business else client.update_private_customer
    row = customer_identity(extension, customer)
    action = "updated"
    while True:
        document = customer_document(replace(customer, omnium_id=row.omnium_id), options)
        if customer.external_id or row.confirmed_at is not None:
            break
        try:
            create(document)
            action = "created"
            break
        except OmniumConflict:
            current = get(row.omnium_id)
            if current is None or is_ours(current, options, "CustomerUid", customer.uid):
                break  # ours: an earlier attempt created it (or it vanished: update says)
            owner = owner_of(current, options, "CustomerUid")
            held_by = f"Flow customer {owner}" if owner else "a customer Flow did not send"
            row = identities.reassign(row, held_by)
    if action == "updated":
        try:
            retry_conflicts(lambda: update(document), f"customer update {row.omnium_id}")
        except PermanentError as exc:
            if exc.status_code != 404:
                raise
            create(document)  # gone from Omnium (deleted there): Flow's customer is sent again
            action = "created"
    identities.confirm(row)
    with manager.leased(job), capture_suppressed():
        stored = adapter.store_customer_external_id(
            extension.tenant_id, job.object_id, row.omnium_id
        )
    kind = "business" if business else "private"
    return {
        "action": action,
        "idStored": stored,
        "customerId": row.omnium_id,
        "type": kind,
        **id_note(row),
    }
