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

Before an update of a customer synced before, the Omnium customer is read and merged with
Flow's field by field (:mod:`omnium_integration.mapping.customer_merge`): a field Omnium
changed since and Flow did not is sent as Omnium has it, not overwritten, and Flow takes it
too. After each exchange the merge base is stored. An erased customer is never sent: its
erasure is the ``customer.erase`` job.
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
from ..mapping.customer_merge import MergePlan, flow_changed_later, plan_merge, synced_fields
from ..mapping.customers import customer_document, is_business
from ..mapping.options import ExportOptions
from ..mapping.records import CustomerRecord
from ..models import ExternalSyncJob, JobSource, OmniumIdentity, TenantExtension
from ..receivers import capture_suppressed
from ..transform import parse_omnium_datetime
from .customers import BUSINESS, PRIVATE, digest, merge_base, omnium_values, save_base
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
    if customer.is_erased:
        return skipped("The customer is erased in Flow; its customer.erase job handles Omnium.")
    options = export_options(extension)
    client = get_client(extension)
    business = is_business(customer)
    get = client.get_business_customer if business else client.get_private_customer
    create = client.create_business_customer if business else client.create_private_customer
    update = client.update_business_customer if business else client.update_private_customer
    row = customer_identity(extension, customer)
    action, answer, plan = "updated", None, MergePlan()
    while True:
        document = customer_document(replace(customer, omnium_id=row.omnium_id), options)
        if customer.external_id or row.confirmed_at is not None:
            break
        try:
            answer = create(document)
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
        # A reconciliation's heal puts Flow's customer back as it is: Flow is the truth
        # for customers made in Flow (docs/decisions.md#reconciliation). Otherwise what
        # Omnium changed since the last exchange is kept.
        merge = job.source != JobSource.RECONCILE
        try:
            document, answer, plan = retry_conflicts(
                lambda: _merge_and_update(extension, customer, row, options, get, update, merge),
                f"customer update {row.omnium_id}",
            )
        except PermanentError as exc:
            if exc.status_code != 404:
                raise
            # Gone from Omnium (deleted there): Flow's customer is sent again.
            document = customer_document(replace(customer, omnium_id=row.omnium_id), options)
            answer, plan, action = create(document), MergePlan(), "created"
    identities.confirm(row)
    with manager.leased(job), capture_suppressed():
        stored = adapter.store_customer_external_id(
            extension.tenant_id, job.object_id, row.omnium_id
        )
        taken = _settle_flow(extension, customer, plan, answer or document)
    kind = BUSINESS if business else PRIVATE
    result = {"action": action, "idStored": stored, "customerId": row.omnium_id, "type": kind}
    if taken:
        result["fromOmnium"] = taken
    return {**result, **id_note(row)}


def _merge_and_update(
    extension: TenantExtension,
    customer: CustomerRecord,
    row: OmniumIdentity,
    options: ExportOptions,
    get: Any,
    update: Any,
    merge: bool = True,
) -> tuple[dict[str, Any], Any, MergePlan]:
    """Read Omnium's customer, keep what it changed since the last exchange, send the rest.

    Without a merge base (never exchanged since bases exist), or without ``merge``, Flow's
    record goes as is.
    """
    plan = MergePlan()
    base = merge_base(extension, customer.pk) if merge else None
    if base is not None:
        current = get(row.omnium_id)
        if isinstance(current, dict):
            fields = synced_fields(is_business(customer))
            kind = BUSINESS if is_business(customer) else PRIVATE
            plan = plan_merge(
                {name: getattr(customer, name) or "" for name in fields},
                omnium_values(extension, kind, current),
                fields,
                base_flow=base.flow_digests,
                base_omnium=base.omnium_digests,
                flow_is_later=flow_changed_later(
                    customer.last_modified_at, parse_omnium_datetime(current.get("modified"))
                ),
                digest=digest,
            )
    merged = replace(customer, omnium_id=row.omnium_id, **plan.to_flow)
    document = customer_document(merged, options)
    return document, update(document), plan


def _settle_flow(
    extension: TenantExtension, customer: CustomerRecord, plan: MergePlan, answer: Any
) -> list[str]:
    """In the job's lease: Flow takes what it kept of Omnium's, and the base is stored.

    A field staff changed while the job ran keeps their value (the job runs again for
    it). An erased customer gets neither.
    """
    adapter = get_adapter()
    locked = adapter.locked_customer(extension.tenant_id, customer.pk)
    if locked is None or adapter.customer_is_erased(locked):
        return []
    fields = synced_fields(is_business(customer))
    current = adapter.customer_field_values(locked, fields)
    unchanged = {
        name: value
        for name, value in plan.to_flow.items()
        if current[name] == (getattr(customer, name) or "")
    }
    taken = adapter.update_customer_fields(locked, unchanged)
    kind = BUSINESS if is_business(customer) else PRIVATE
    sent = answer if isinstance(answer, dict) else {}
    save_base(
        extension,
        customer.pk,
        adapter.customer_field_values(locked, fields),
        omnium_values(extension, kind, sent),
        fields,
        parse_omnium_datetime(sent.get("modified")),
    )
    return taken
