"""What the outbound (Flow -> Omnium) handlers share: the tenant, its options, the ids of
what they send, the wait for a dependency, and the answer to a 409 on an update."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any, TypeVar

from .. import identities
from ..conf import app_settings
from ..enums import IdentityKind, JobKind, JobStatus
from ..exceptions import OmniumConflict, PermanentError, RetryableError, WaitingForDependency
from ..host import get_adapter
from ..mapping.options import ExportOptions
from ..mapping.records import CustomerRecord, OrderRecord, OrderRef
from ..models import ExternalSyncJob, OmniumIdentity, TenantExtension

T = TypeVar("T")


def active_extension(job: ExternalSyncJob) -> TenantExtension:
    """The job's tenant extension; a job of a deactivated tenant fails with a clear reason.

    It stays in the job list, so after reactivating the extension an operator can
    retry it (admin "retry now" or ``omnium_jobs --retry-failed``).
    """
    extension = job.extension
    if not extension.is_active:
        raise PermanentError(
            "The tenant's Omnium extension is not active; nothing was sent. "
            "Activate the extension and retry the job."
        )
    return extension


def export_options(extension: TenantExtension) -> ExportOptions:
    """The tenant's ``OMNIUM_*`` parameters and the app settings the mappers use."""
    return ExportOptions(
        property_prefix=extension.property_prefix,
        tenant_uid=get_adapter().tenant_key(extension),
        default_shipping_method_id=extension.default_shipping_method_id,
        fallback_shipping_method=app_settings.POS_SHIPPING_METHOD,
        customer_market_group_id=extension.customer_market_group_id,
        loyalty_id_property_key=extension.customer_loyalty_id_property_key,
        pos_order_type=app_settings.POS_ORDER_TYPE,
        completed_status=app_settings.ORDER_COMPLETED_STATUS,
        cancelled_status=app_settings.ORDER_CANCELLED_STATUS,
    )


def skipped(reason: str, **more: Any) -> dict[str, Any]:
    """The result of a job that found nothing to send (kept on the job for the operator)."""
    return {"action": "none", "reason": reason, **more}


def id_note(row: OmniumIdentity) -> dict[str, str]:
    """What a job's result says when the Omnium id is not the stripped UID (and why)."""
    return {"idNote": row.note} if row.note else {}


# ------------------------------------------------------------------------ identities


def order_identity(extension: TenantExtension, order: OrderRecord | OrderRef) -> OmniumIdentity:
    """The map row of a Flow order as an Omnium order (a web order's is Omnium's own id)."""
    return identities.resolve(
        extension, IdentityKind.ORDER, order.pk, order.uid, known=order.external_id
    )


def customer_identity(extension: TenantExtension, customer: CustomerRecord) -> OmniumIdentity:
    """The map row of a Flow customer (one Omnium already knows keeps Omnium's id)."""
    return identities.resolve(
        extension, IdentityKind.CUSTOMER, customer.pk, customer.uid, known=customer.external_id
    )


def with_customer_id(extension: TenantExtension, order: OrderRecord) -> OrderRecord:
    """The order with its customer's Omnium id from the map (chosen now if need be)."""
    if order.customer is None:
        return order
    row = customer_identity(extension, order.customer)
    return replace(order, customer=replace(order.customer, omnium_id=row.omnium_id))


def require_in_omnium(
    extension: TenantExtension, order: OrderRef | OrderRecord, dependant: str
) -> OmniumIdentity:
    """The map row of an order that ``dependant`` needs in Omnium first; waits otherwise.

    A web order is in Omnium by definition. A Flow sale is once its export confirmed it.
    While the sale's own job is pending or running, the dependant waits
    (:class:`WaitingForDependency`, not a failure); when that job failed, was cancelled or
    is gone, the dependant is held back on the retry table with a reason naming the sale.
    """
    row = order_identity(extension, order)
    if row.confirmed_at is not None:
        return row
    job = (
        ExternalSyncJob.objects.filter(
            extension=extension, kind=JobKind.ORDER_EXPORT, object_id=str(order.pk)
        )
        .order_by("-pk")
        .only("pk", "status", "last_error")
        .first()
    )
    if job is not None and job.status in (JobStatus.PENDING, JobStatus.RUNNING):
        raise WaitingForDependency(
            f"{dependant} waits for sale {order.uid}: its job #{job.pk} is {job.status}."
        )
    if job is None:
        why = "no job has sent it"
    else:
        first_line = (job.last_error or "").splitlines()[0] if job.last_error else ""
        why = f"its job #{job.pk} is {job.status}" + (f": {first_line}" if first_line else "")
    raise RetryableError(
        f"{dependant} is held back: sale {order.uid} is not in Omnium ({why}). "
        "Sync the sale (retry its job), and this one follows."
    )


# ------------------------------------------------------------------------- conflicts


def retry_conflicts(attempt: Callable[[], T], what: str) -> T:
    """Run ``attempt`` (read, re-apply, send) again when Omnium answers 409.

    A 409 on an update means two updates raced (optimistic concurrency): the attempt
    reads the object anew each time, so the change is re-applied to the current version.
    After ``CONFLICT_ATTEMPTS`` tries it fails as retryable, onto the retry table.
    """
    attempts = max(int(app_settings.CONFLICT_ATTEMPTS), 1)
    for _ in range(attempts - 1):
        try:
            return attempt()
        except OmniumConflict:
            continue
    try:
        return attempt()
    except OmniumConflict as exc:
        raise RetryableError(
            f"{what}: Omnium answered 409 to {attempts} tries in a row (concurrent updates).",
            status_code=409,
        ) from exc
