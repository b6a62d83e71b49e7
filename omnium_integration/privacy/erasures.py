"""The record of each customer's erasure, and settling it: the integration forgets too.

An erasure starts in Flow (the host's erase action: :func:`capture_erasure`, called by a
receiver in the erasing transaction, records it and queues ``customer.erase``), in Omnium
(``customer.import`` finds the customer anonymised or deleted and erases the Flow
customer), or by hand (``omnium_forget``). The record keeps the person's values until
:func:`settle_erasure` scrubs them from the integration's rows, in the transaction that
records the erasure job's success; they are dropped from the record then.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db.models import F, Model
from django.utils import timezone

from .. import identities
from ..enums import ErasureOrigin, IdentityKind, JobKind
from ..host import get_adapter
from ..jobs import manager
from ..models import CustomerErasure, CustomerSync, JobSource, TenantExtension
from .scrub import ScrubReport, scrub
from .terms import search_terms


def record_erasure(
    extension_id: int,
    flow_ref: Any,
    *,
    origin: str,
    values: Iterable[Any],
    omnium_id: str = "",
) -> CustomerErasure:
    """Record that a Flow customer was erased, with the values to scrub later.

    The customer's merge base goes at once: it is of no use for an erased customer.
    """
    CustomerSync.objects.filter(extension_id=extension_id, flow_ref=str(flow_ref)).delete()
    return CustomerErasure.objects.create(
        extension_id=extension_id,
        flow_ref=str(flow_ref),
        origin=origin,
        omnium_id=omnium_id[:200],
        pending_terms=search_terms(values),
    )


def capture_erasure(customer: Model, before: Model) -> CustomerErasure | None:
    """A Flow customer was just erased (``before``: the row as it was): record the erasure
    and queue its ``customer.erase`` job, in the erasing transaction.

    Any tenant with an Omnium extension gets both, active or not: an erasure is never
    dropped. A job of an inactive tenant fails with "not active", where an operator sees
    it and retries it once the extension is active again.
    """
    extension = _extension_of(customer)
    if extension is None:
        return None
    erasure = _record_flow_erasure(extension, customer, before)
    _queue_erasure(erasure, JobSource.SIGNAL)
    return erasure


def resend_erasure(customer: Model) -> tuple[int, bool] | None:
    """Queue the ``customer.erase`` job of an erased customer again (``omnium_resync``).

    For an erasure the integration did not see (Flow erased the customer with a bulk
    update, which sends no signal), it is recorded first, without values (they are gone
    from Flow): the job still anonymises the customer in Omnium and scrubs what Omnium held.
    """
    extension = _extension_of(customer)
    if extension is None:
        return None
    erasure = latest_erasure(extension.pk, customer.pk)
    if erasure is None:
        erasure = _record_flow_erasure(extension, customer, customer)
    return _queue_erasure(erasure, JobSource.COMMAND)


def _extension_of(customer: Model) -> TenantExtension | None:
    tenant_id = get_adapter().tenant_id_of(customer)
    return TenantExtension.objects.filter(tenant_id=tenant_id).first()


def _record_flow_erasure(
    extension: TenantExtension, customer: Model, before: Model
) -> CustomerErasure:
    adapter = get_adapter()
    row = identities.find(extension, IdentityKind.CUSTOMER, customer.pk)
    return record_erasure(
        extension.pk,
        customer.pk,
        origin=ErasureOrigin.FLOW,
        values=adapter.personal_values(before),
        omnium_id=row.omnium_id if row else adapter.customer_omnium_id(before),
    )


def _queue_erasure(erasure: CustomerErasure, source: str) -> tuple[int, bool]:
    queued = manager.enqueue(
        JobKind.CUSTOMER_ERASE,
        extension_id=erasure.extension_id,
        object_id=erasure.flow_ref,
        source=source,
    )
    CustomerErasure.objects.filter(pk=erasure.pk).update(job_id=queued[0])
    return queued


def latest_erasure(extension_id: int, flow_ref: Any) -> CustomerErasure | None:
    return (
        CustomerErasure.objects.filter(extension_id=extension_id, flow_ref=str(flow_ref))
        .order_by("-pk")
        .first()
    )


def add_terms(erasure: CustomerErasure, values: Iterable[Any]) -> None:
    """Add values to scrub (what Omnium held for the person, read before anonymising)."""
    current = CustomerErasure.objects.filter(pk=erasure.pk).values_list("pending_terms", flat=True)
    terms = search_terms([*(current.first() or []), *values])
    CustomerErasure.objects.filter(pk=erasure.pk).update(pending_terms=terms)


def settle_erasure(result: dict[str, Any]) -> ScrubReport | None:
    """Scrub the integration's rows of the erased person, and say what Omnium did.

    ``result`` is the succeeded job's: ``erasure`` names the record, ``omnium`` what became
    of the customer in Omnium (an :class:`~omnium_integration.enums.OmniumErasure`).
    Called in the transaction that records the job's success.
    """
    erasure = CustomerErasure.objects.select_for_update().filter(pk=result.get("erasure")).first()
    if erasure is None:
        return None
    report = scrub(erasure.pending_terms, extension_id=erasure.extension_id)
    now = timezone.now()
    values: dict[str, Any] = {
        "pending_terms": [],
        "scrubbed_at": now,
        "scrubbed_rows": F("scrubbed_rows") + report.rows,
    }
    if result.get("omnium"):
        values |= {"omnium_outcome": result["omnium"], "omnium_done_at": now}
    # An update of named columns: the scrub may have rewritten others of this row.
    CustomerErasure.objects.filter(pk=erasure.pk).update(**values)
    return report


def forget(
    extension: TenantExtension | None,
    customer: Model | None,
    values: Iterable[Any],
    *,
    dry_run: bool = False,
) -> ScrubReport:
    """``omnium_forget``: scrub now, by hand, and record it against the customer if named.

    The values searched for are ``values``, the customer's own (unless erased already) and
    what its erasures still hold. Call in a transaction.
    """
    terms = list(values)
    erasures = CustomerErasure.objects.none()
    if customer is not None and extension is not None:
        adapter = get_adapter()
        if not adapter.customer_is_erased(customer):
            terms += adapter.personal_values(customer)
        erasures = CustomerErasure.objects.filter(extension=extension, flow_ref=str(customer.pk))
        for pending in erasures.values_list("pending_terms", flat=True):
            terms += pending or []
    report = scrub(terms, extension_id=extension.pk if extension else None, dry_run=dry_run)
    if dry_run or customer is None or extension is None:
        return report
    erasures.update(pending_terms=[])
    CustomerErasure.objects.create(
        extension=extension,
        flow_ref=str(customer.pk),
        origin=ErasureOrigin.COMMAND,
        scrubbed_at=timezone.now(),
        scrubbed_rows=report.rows,
    )
    return report
