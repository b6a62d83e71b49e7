"""Omnium -> Flow customers: the ``customer.import`` handler.

An Omnium customer event names a customer; the job reads it from Omnium when it runs and
brings the Flow customer it belongs to (the identity map's, else the one holding its id)
in line, inside the job's lease and with outbound capture suppressed (no echo):

* a customer Omnium changed is merged into Flow field by field
  (:mod:`omnium_integration.mapping.customer_merge`): Omnium's changes come in, Flow's
  later changes stay, and an Omnium version older than the one last exchanged is never
  applied;
* a customer Omnium anonymised (``ANONYMIZED_CUSTOMER_MEMBER``) or deleted (404) is
  erased in Flow with Flow's erase action, and the integration's own rows are scrubbed of
  the person in the transaction that records the job's success;
* nothing is applied to a Flow customer Omnium was never seen to hold under this id (one
  found by its uid alone): it may be another person;
* a customer Flow does not have is created only when the tenant's
  ``create_customers_from_events`` is on (and never from an anonymised one);
* an erased Flow customer is left alone.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Model

from .. import identities
from ..client import get_client
from ..conf import app_settings
from ..enums import (
    Direction,
    ErasureOrigin,
    IdentityKind,
    ImportOutcome,
    JobKind,
    OmniumErasure,
    Queue,
)
from ..exceptions import ConfigurationError
from ..host import get_adapter
from ..jobs import manager
from ..jobs.registry import handles, on_success
from ..mapping.customer_imports import is_anonymized
from ..mapping.customer_merge import flow_changed_later, plan_merge, synced_fields
from ..mapping.records import CustomerKind
from ..models import CustomerErasure, ExternalSyncJob, TenantExtension
from ..privacy.erasures import record_erasure, settle_erasure
from ..receivers import capture_suppressed
from ..transform import parse_omnium_datetime
from .customers import (
    PRIVATE,
    digest,
    fetch_customer,
    merge_base,
    omnium_values,
    save_base,
    wait_while_running,
)
from .inbound_orders import known_customer


@handles(JobKind.CUSTOMER_IMPORT, queue=Queue.ORDER, direction=Direction.INBOUND)
def import_customer(job: ExternalSyncJob) -> dict[str, Any]:
    """Bring the Flow customer in line with the Omnium customer the job names."""
    extension = job.extension
    if not extension.is_active:
        raise ConfigurationError("The tenant's Omnium extension is not active.")
    adapter = get_adapter()
    omnium_id = job.object_id
    customer = known_customer(extension, omnium_id)
    if customer is not None and adapter.customer_is_erased(customer):
        return ignored(customer, "The Flow customer is erased: Omnium's changes are not applied.")
    if customer is not None and not _held(extension, customer, omnium_id):
        return ignored(customer, NOT_HELD)
    if customer is None and not extension.create_customers_from_events:
        return ignored(None, UNKNOWN)
    company = customer is not None and adapter.customer_kind(customer) == CustomerKind.COMPANY
    if customer is not None:
        wait_while_running(job, JobKind.CUSTOMER_EXPORT, customer.pk, "The import")
    found = fetch_customer(get_client(extension), omnium_id, business_first=company)
    if found is None:
        return _gone(job, extension, customer, omnium_id)
    kind, document = found
    if is_anonymized(document, app_settings.ANONYMIZED_CUSTOMER_MEMBER):
        if customer is None:
            return ignored(None, "Anonymised in Omnium: no Flow customer is made from it.")
        return _erase(job, extension, customer, omnium_id, OmniumErasure.ANONYMIZED)
    if customer is None:
        return _create(job, extension, omnium_id, kind, document)
    return _update(job, extension, customer, kind, document)


UNKNOWN = (
    "No Flow customer is this Omnium customer, and customer events create none "
    "(the tenant's 'Create Flow customers from Omnium customer events' is off)."
)
NOT_HELD = (
    "The Flow customer with this id as its uid was never this Omnium customer (never sent "
    "or confirmed under it): nothing is applied, so two people are not mixed up."
)


def _held(extension: TenantExtension, customer: Model, omnium_id: str) -> bool:
    """Whether the Flow customer is known to be this Omnium customer: the identity map
    confirmed it (sent, imported, or from the sync history), or Flow holds Omnium's id."""
    row = identities.find(extension, IdentityKind.CUSTOMER, customer.pk)
    if row is not None and row.omnium_id == omnium_id and row.confirmed_at is not None:
        return True
    return get_adapter().customer_omnium_id(customer) == omnium_id


@on_success(JobKind.CUSTOMER_IMPORT)
def forget_erased(job: ExternalSyncJob, result: dict[str, Any]) -> None:
    """A customer erased because Omnium forgot it: scrub our rows with the success."""
    if result.get("erasure"):
        settle_erasure(result)


def ignored(customer: Model | None, reason: str) -> dict[str, Any]:
    return {
        "outcome": ImportOutcome.IGNORED,
        "customer": customer.pk if customer else None,
        "reason": reason,
    }


def _gone(
    job: ExternalSyncJob, extension: TenantExtension, customer: Model | None, omnium_id: str
) -> dict[str, Any]:
    """Omnium has no such customer (404): the Flow customer it held was deleted there."""
    if customer is None:
        return ignored(None, "Omnium has no such customer (404).")
    return _erase(job, extension, customer, omnium_id, OmniumErasure.DELETED)


def _erase(
    job: ExternalSyncJob,
    extension: TenantExtension,
    customer: Model,
    omnium_id: str,
    outcome: str,
) -> dict[str, Any]:
    """Flow's erase action on the customer, and the erasure's record (no job: Omnium is
    where it started)."""
    adapter = get_adapter()
    with manager.leased(job), capture_suppressed():
        locked = adapter.locked_customer(extension.tenant_id, customer.pk)
        if locked is None or adapter.customer_is_erased(locked):
            return ignored(customer, "The Flow customer is erased already.")
        values = adapter.personal_values(locked)
        adapter.erase_customer(locked, by=adapter.IMPORTED_BY)
        erasure = record_erasure(
            extension.pk,
            locked.pk,
            origin=ErasureOrigin.OMNIUM,
            values=values,
            omnium_id=omnium_id,
        )
        CustomerErasure.objects.filter(pk=erasure.pk).update(job=job)
    return {
        "outcome": ImportOutcome.ERASED,
        "customer": customer.pk,
        "omnium": outcome,
        "erasure": erasure.pk,
    }


def _create(
    job: ExternalSyncJob,
    extension: TenantExtension,
    omnium_id: str,
    kind: str,
    document: dict[str, Any],
) -> dict[str, Any]:
    adapter = get_adapter()
    values = omnium_values(extension, kind, document)
    fields = synced_fields(kind != PRIVATE)
    with manager.leased(job), capture_suppressed():
        created = adapter.create_customer(
            extension.tenant, uid=omnium_id, values={**values, "external_id": omnium_id}
        )
        identities.resolve(extension, IdentityKind.CUSTOMER, created.pk, omnium_id, known=omnium_id)
        mine = adapter.customer_field_values(created, fields)
        modified = parse_omnium_datetime(document.get("modified"))
        save_base(extension, created.pk, mine, values, fields, modified)
    return {"outcome": ImportOutcome.CREATED, "customer": created.pk}


def _update(
    job: ExternalSyncJob,
    extension: TenantExtension,
    customer: Model,
    kind: str,
    document: dict[str, Any],
) -> dict[str, Any]:
    """Merge Omnium's changes into the Flow customer (see the module docstring)."""
    adapter = get_adapter()
    fields = synced_fields(kind != PRIVATE)
    theirs = omnium_values(extension, kind, document)
    modified = parse_omnium_datetime(document.get("modified"))
    with manager.leased(job), capture_suppressed():
        locked = adapter.locked_customer(extension.tenant_id, customer.pk)
        if locked is None or adapter.customer_is_erased(locked):
            return ignored(customer, "The Flow customer is gone or erased.")
        base = merge_base(extension, locked.pk)
        if base and base.omnium_modified and modified and modified < base.omnium_modified:
            return {
                "outcome": ImportOutcome.UNCHANGED,
                "customer": locked.pk,
                "reason": f"Stale read: Omnium's modified {modified} is older than the "
                f"{base.omnium_modified} last exchanged.",
            }
        plan = plan_merge(
            adapter.customer_field_values(locked, fields),
            theirs,
            fields,
            base_flow=base.flow_digests if base else None,
            base_omnium=base.omnium_digests if base else None,
            flow_is_later=flow_changed_later(adapter.customer_changed_at(locked), modified),
            digest=digest,
        )
        changed = adapter.update_customer_fields(locked, plan.to_flow)
        identities.resolve(
            extension, IdentityKind.CUSTOMER, locked.pk, locked.uid, known=job.object_id
        )
        mine = adapter.customer_field_values(locked, fields)
        save_base(extension, locked.pk, mine, theirs, fields, modified)
    result: dict[str, Any] = {
        "outcome": ImportOutcome.UPDATED if changed else ImportOutcome.UNCHANGED,
        "customer": locked.pk,
        "fields": changed,
    }
    if plan.kept_in_flow:
        result["keptInFlow"] = list(plan.kept_in_flow)
    return result
