"""Flow orders -> Omnium: POS sales, returns, cancellations and store-side status changes.

Endpoint choices (docs/omnium-api.md#orders lists the candidates):

* A completed sale is ``POST /api/Orders`` (add with an explicit id), id = sanitised
  Flow order UID, type ``POS_ORDER_TYPE``, status completed, read-only. Omnium answers
  a taken id with 409 (documented), so the usual sale costs one call and a retry after
  a lost answer cannot create a second order. ``PUT /api/Orders/PosOrders`` would be the
  dedicated endpoint, but what it does with an existing id is undocumented
  (docs/decisions.md#pos-sales-add-with-an-explicit-id-not-the-posorders-endpoint):
  it might overwrite an order of another origin or re-run the POS workflow.
  After a 409 we read the order: an order already in Omnium is never sent again in full
  (that could drop return forms added since); only changed header fields (customer, our
  properties) are patched, without a workflow; an order of another type under the same
  id is left alone and the job fails with the reason.
* A completed return is a return form on the original sale, ``POST
  /api/Returns/{saleId}/Return``, with ``rmaNumber`` = sanitised return UID. Before
  creating it we look for that rmaNumber in the sale's ``returnOrderForms``, so a retry
  after a lost response never creates a second return. A sale that has not reached
  Omnium yet is sent first. A return without an original sale becomes a POS order of its
  own with negative quantities.
* A cancelled sale moves its Omnium order to ``ORDER_CANCELLED_STATUS`` with
  ``UpdateStatus`` (running Omnium's cancel workflow); a sale that never reached Omnium
  needs nothing.
* An order that came from Omnium (``external_id``) is never re-created: completing or
  cancelling it in the store moves that Omnium order to ``ORDER_COMPLETED_STATUS`` /
  ``ORDER_CANCELLED_STATUS``. The status is read first, so a retry does not run the
  workflow (payment capture, customer notification) twice.
"""

from __future__ import annotations

from contextlib import suppress
from typing import Any

from ..client import OmniumClient, get_client
from ..enums import Direction, JobKind, JobStatus, Queue
from ..exceptions import OmniumConflict, PermanentError, RetryableError
from ..host import get_adapter
from ..host.base import overrides
from ..host.orders import OrderAdapterMixin
from ..jobs import registry
from ..mapping.options import ExportOptions
from ..mapping.orders import (
    find_return,
    is_cancelled,
    omnium_order_id,
    pos_order,
    pos_order_patch,
    return_request,
    rma_number,
    target_status,
)
from ..mapping.records import OrderKind, OrderRecord, OrderState
from ..models import ExternalSyncJob
from .outbound import active_extension, export_options, skipped

# What ``prepare_order_exports`` attaches to a claimed job for ``export_order``.
PREPARED_ORDER = "_omnium_prepared_order"
PREPARED_SENT_BEFORE = "_omnium_prepared_sent_before"


@registry.prepares(JobKind.ORDER_EXPORT)
def prepare_order_exports(jobs: list[ExternalSyncJob]) -> None:
    """Read a claimed batch's orders, and which were sent before, in a few queries.

    Per job that would be four queries of Django's CPU time around one Omnium call; a
    backlog drains faster when they are read once per batch.
    """
    adapter = get_adapter()
    if overrides(adapter, "order_for_export", OrderAdapterMixin) and not overrides(
        adapter, "orders_for_export", OrderAdapterMixin
    ):
        return  # the host reads its orders its own way, one at a time: let it
    by_tenant: dict[Any, list[ExternalSyncJob]] = {}
    for job in jobs:
        by_tenant.setdefault(job.extension.tenant_id, []).append(job)
    for tenant_id, group in by_tenant.items():
        records = adapter.orders_for_export(tenant_id, [job.object_id for job in group])
        for job in group:
            if job.object_id in records:  # a missing order is looked for again by its job
                setattr(job, PREPARED_ORDER, records[job.object_id])
    sent = set(
        ExternalSyncJob.objects.filter(
            extension_id__in={job.extension_id for job in jobs},
            kind=JobKind.ORDER_EXPORT,
            object_id__in=[job.object_id for job in jobs],
            status=JobStatus.SUCCEEDED,
        ).values_list("extension_id", "object_id")
    )
    for job in jobs:
        setattr(job, PREPARED_SENT_BEFORE, (job.extension_id, job.object_id) in sent)


@registry.handles(JobKind.ORDER_EXPORT, queue=Queue.ORDER, direction=Direction.OUTBOUND)
def export_order(job: ExternalSyncJob) -> dict[str, Any]:
    """Send the Flow order's current state to Omnium (see the module docstring)."""
    extension = active_extension(job)
    order = getattr(job, PREPARED_ORDER, None) or get_adapter().order_for_export(
        extension.tenant_id, job.object_id
    )
    if order is None:
        return skipped("The order no longer exists in Flow.")
    options = export_options(extension)
    client = get_client(extension)
    if order.from_omnium:
        return update_status(client, order, options, must_exist=True)
    if order.state == OrderState.CANCELLED:
        return update_status(client, order, options, must_exist=False)
    if order.state == OrderState.COMPLETED and order.kind == OrderKind.SALE:
        return push_sale(client, order, options, sent_before=_sent_before(job))
    if order.state == OrderState.COMPLETED and order.kind == OrderKind.RETURN:
        return push_return(client, order, options, tenant_id=extension.tenant_id)
    return skipped(f"A {order.state} {order.kind} order has nothing to send.")


def _sent_before(job: ExternalSyncJob) -> bool:
    """Whether Omnium probably has the order already (an earlier export succeeded).

    It only picks which call comes first — read then patch, or add — and both orders
    end in the same state, so a wrong guess costs one call, never a duplicate.
    """
    if job.result.get("orderId"):  # this job sent it on an earlier run and is running again
        return True
    prepared = getattr(job, PREPARED_SENT_BEFORE, None)
    if prepared is not None:
        return prepared
    return (
        ExternalSyncJob.objects.filter(
            extension_id=job.extension_id,
            kind=job.kind,
            object_id=job.object_id,
            status=JobStatus.SUCCEEDED,
        )
        .exclude(pk=job.pk)
        .exists()
    )


def push_sale(
    client: OmniumClient, order: OrderRecord, options: ExportOptions, *, sent_before: bool = False
) -> dict[str, Any]:
    """Create the POS order once; afterwards only patch the header fields that changed."""
    document = pos_order(order, options)
    order_id = document["id"]
    if sent_before:
        current = client.get_order(order_id)
    else:
        try:
            client.add_order(document)
        except OmniumConflict:
            current = client.get_order(order_id)
        else:
            return {"action": "created", "orderId": order_id}
    if current is None:
        if sent_before:  # gone from Omnium since (deleted by hand?): send it again
            client.add_order(document)
            return {"action": "created", "orderId": order_id}
        # Deleted between the 409 and our read: try again later.
        raise RetryableError(f"Omnium reported order {order_id} as existing, then not found.")
    existing_type = str(current.get("orderType") or document["orderType"])
    if existing_type.lower() != document["orderType"].lower():
        raise PermanentError(
            f"Omnium already has an order {order_id} of type {current.get('orderType')!r}; "
            f"Flow order {order.uid} cannot be sent under the same id."
        )
    patch = pos_order_patch(document, current)
    if patch is None:
        return {"action": "unchanged", "orderId": order_id}
    client.patch_order(order_id, patch)
    return {"action": "patched", "orderId": order_id, "fields": sorted(patch)}


def push_return(
    client: OmniumClient, order: OrderRecord, options: ExportOptions, *, tenant_id: Any
) -> dict[str, Any]:
    """Add the return to its original sale in Omnium, exactly once."""
    original = order.original_order
    if original is None:
        result = push_sale(client, order, options)
        return {**result, "blindReturn": True}
    request = return_request(order, options)
    sale_id = omnium_order_id(original)
    sale = client.get_order(sale_id)
    if sale is None:
        if original.external_id:
            raise PermanentError(
                f"Return {order.uid}: its original order {sale_id} was not found in Omnium."
            )
        _send_original_sale(client, order, options, tenant_id=tenant_id)
    else:
        existing = find_return(sale, order)
        if existing is not None:
            return {
                "action": "unchanged",
                "orderId": sale_id,
                "rmaNumber": rma_number(order),
                "returnId": existing.get("returnId"),
            }
    form = client.create_return(sale_id, request)
    return {
        "action": "created",
        "orderId": sale_id,
        "rmaNumber": rma_number(order),
        "returnId": (form or {}).get("returnId"),
    }


def _send_original_sale(
    client: OmniumClient, order: OrderRecord, options: ExportOptions, *, tenant_id: Any
) -> None:
    """The return's sale has not reached Omnium yet (its job may be waiting): send it now."""
    original = order.original_order
    sale = get_adapter().order_for_export(tenant_id, original.pk)
    if sale is None or sale.kind != OrderKind.SALE or sale.state != OrderState.COMPLETED:
        raise PermanentError(
            f"Return {order.uid}: its original sale {original.uid} is not a completed sale "
            f"in Flow, so it cannot be in Omnium to return goods from."
        )
    # A 409: it arrived meanwhile (its own job ran), so there is nothing more to send.
    with suppress(OmniumConflict):
        client.add_order(pos_order(sale, options))


def update_status(
    client: OmniumClient, order: OrderRecord, options: ExportOptions, *, must_exist: bool
) -> dict[str, Any]:
    """Move the order's Omnium counterpart to the status Flow's state asks for."""
    order_id = omnium_order_id(order)
    status = target_status(order, options)
    if status is None:
        return skipped(f"A {order.state} order changes nothing in Omnium.", orderId=order_id)
    current = client.get_order(order_id)
    if current is None:
        if must_exist:
            raise PermanentError(f"Omnium order {order_id} (Flow order {order.uid}) was not found.")
        return skipped("The order never reached Omnium; there is nothing to cancel.")
    cancelling = order.state == OrderState.CANCELLED
    if current.get("status") == status or (cancelling and is_cancelled(current, options)):
        return {"action": "unchanged", "orderId": order_id, "status": current.get("status")}
    if not cancelling and is_cancelled(current, options):
        raise PermanentError(
            f"Flow completed order {order.uid}, but Omnium order {order_id} is "
            f"{current.get('status')}; resolve it in Omnium, then retry."
        )
    client.update_order_status(order_id, status)
    return {"action": "status", "orderId": order_id, "status": status}
