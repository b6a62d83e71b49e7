"""Flow orders -> Omnium: POS sales, returns, cancellations and store-side status changes.

Endpoint choices (docs/omnium-api.md#orders lists the candidates):

* A completed sale is ``POST /api/Orders`` (add with an explicit id), type
  ``POS_ORDER_TYPE``, status completed, read-only, under the order's id from the identity
  map. Omnium answers a taken id with 409 (documented), so the usual sale costs one call
  and a retry after a lost answer cannot create a second order. ``PUT /api/Orders/PosOrders``
  would be the dedicated endpoint, but what it does with an existing id is undocumented
  (docs/decisions.md#pos-sales-add-with-an-explicit-id-not-the-posorders-endpoint).
  After a 409 we read the order and check it is ours (``<prefix>OrderUid`` and
  ``<prefix>TenantUid``): ours, it is never sent again in full (that could drop return
  forms added since), only changed header fields are patched, without a workflow; when
  its lines or status were changed in Omnium since (by hand), ``POST /api/Orders/Update``
  puts Flow's back, keeping the return forms and others' properties. Not ours, nothing
  is patched and the sale moves to its distinct id (identity map), or, if it
  was ours before, the job fails naming both Flow objects.
* A completed return is a return form on its sale, ``POST /api/Returns/{saleId}/Return``,
  with the return's ``rmaNumber`` from the map. It waits until its sale is in Omnium.
  Before creating it we look for that rmaNumber on the sale: ours, a retry after a lost
  answer creates nothing; another's, the return moves to its distinct rmaNumber. A return
  without a sale becomes a POS order of its own with negative quantities.
* A cancelled sale moves its Omnium order to ``ORDER_CANCELLED_STATUS`` with
  ``UpdateStatus`` (running Omnium's cancel workflow); a sale that never reached Omnium
  needs nothing.
* An order that came from Omnium (``external_id``) is never re-created: completing or
  cancelling it in the store moves that Omnium order to ``ORDER_COMPLETED_STATUS`` /
  ``ORDER_CANCELLED_STATUS``. The status is read first, so a retry does not run the
  workflow (payment capture, customer notification) twice.
* Every update answered with 409 (a concurrent update) is read again and re-applied.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from .. import identities
from ..client import OmniumClient, get_client
from ..enums import Direction, IdentityKind, JobKind, Queue
from ..exceptions import OmniumConflict, PermanentError, RetryableError
from ..host import get_adapter
from ..host.base import overrides
from ..host.orders import OrderAdapterMixin
from ..jobs import registry
from ..mapping.common import is_ours, owner_of
from ..mapping.options import ExportOptions
from ..mapping.orders import (
    find_return,
    is_cancelled,
    omnium_order_id,
    pos_order,
    pos_order_drift,
    pos_order_patch,
    pos_order_repair,
    return_request,
    target_status,
)
from ..mapping.records import OrderKind, OrderRecord, OrderState
from ..models import ExternalSyncJob, OmniumIdentity, TenantExtension
from .outbound import (
    active_extension,
    export_options,
    id_note,
    order_identity,
    require_in_omnium,
    retry_conflicts,
    skipped,
    with_customer_id,
)

# What ``prepare_order_exports`` attaches to a claimed job for ``export_order``.
PREPARED_ORDER = "_omnium_prepared_order"
PREPARED_IDENTITY = "_omnium_prepared_identity"


@registry.prepares(JobKind.ORDER_EXPORT)
def prepare_order_exports(jobs: list[ExternalSyncJob]) -> None:
    """Read a claimed batch's orders and their map rows in a few queries.

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
    rows = {
        (row.extension_id, row.flow_ref): row
        for row in OmniumIdentity.objects.filter(
            extension_id__in={job.extension_id for job in jobs},
            kind=IdentityKind.ORDER,
            flow_ref__in=[job.object_id for job in jobs],
        )
    }
    for job in jobs:
        setattr(job, PREPARED_IDENTITY, rows.get((job.extension_id, job.object_id)))


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
        return update_status(client, extension, order, options)
    if order.state == OrderState.CANCELLED:
        return update_status(client, extension, order, options)
    if order.state == OrderState.COMPLETED and order.kind == OrderKind.SALE:
        row = getattr(job, PREPARED_IDENTITY, None) or order_identity(extension, order)
        return push_sale(client, extension, order, options, row)
    if order.state == OrderState.COMPLETED and order.kind == OrderKind.RETURN:
        if order.original_order is None:  # a blind return: a POS order of its own
            row = order_identity(extension, order)
            return {**push_sale(client, extension, order, options, row), "blindReturn": True}
        return push_return(client, extension, order, options)
    return skipped(f"A {order.state} {order.kind} order has nothing to send.")


def push_sale(
    client: OmniumClient,
    extension: TenantExtension,
    order: OrderRecord,
    options: ExportOptions,
    row: OmniumIdentity,
) -> dict[str, Any]:
    """Create the POS order once; afterwards only patch the header fields that changed."""
    order = with_customer_id(extension, order)
    while True:
        order = replace(order, omnium_id=row.omnium_id)
        document = pos_order(order, options)
        current = _current_or_created(client, document, sent_before=row.confirmed_at is not None)
        if current is None:
            identities.confirm(row)
            return {"action": "created", "orderId": row.omnium_id, **id_note(row)}
        if is_ours(current, options, "OrderUid", order.uid):
            break
        row = identities.reassign(row, _held_by(current, options))
    identities.confirm(row)
    existing_type = str(current.get("orderType") or document["orderType"])
    if existing_type.lower() != document["orderType"].lower():
        raise PermanentError(
            f"Omnium already has an order {row.omnium_id} of type {current.get('orderType')!r}; "
            f"Flow order {order.uid} cannot be sent under the same id."
        )

    read = [current]  # the first try works on what we just read; a retry reads again

    def bring_in_line() -> tuple[str, list[str]]:
        fresh = (read.pop() if read else client.get_order(row.omnium_id)) or {}
        repair = pos_order_repair(document, fresh)
        if repair is not None:  # lines or status changed in Omnium: Flow's sale wins
            client.update_order(repair)
            return "repaired", pos_order_drift(document, fresh)
        changes = pos_order_patch(document, fresh)
        if changes is not None:
            client.patch_order(row.omnium_id, changes)
            return "patched", sorted(changes)
        return "unchanged", []

    action, fields = retry_conflicts(bring_in_line, f"PatchOrder {row.omnium_id}")
    result = {"action": action, "orderId": row.omnium_id, **id_note(row)}
    return {**result, "fields": fields} if fields else result


def _current_or_created(
    client: OmniumClient, document: dict[str, Any], *, sent_before: bool
) -> dict[str, Any] | None:
    """``None`` when the order was created now; else the order Omnium holds under its id."""
    order_id = document["id"]
    if sent_before:
        current = client.get_order(order_id)
        if current is not None:
            return current
        # Gone from Omnium since (deleted by hand?): send it again.
    try:
        client.add_order(document)
    except OmniumConflict:
        current = client.get_order(order_id)
        if current is None:  # deleted between the 409 and our read: try again later
            raise RetryableError(
                f"Omnium reported order {order_id} as existing, then not found."
            ) from None
        return current
    return None


def _held_by(document: dict[str, Any], options: ExportOptions) -> str:
    owner = owner_of(document, options, "OrderUid")
    return f"Flow order {owner}" if owner else "an order Flow did not send"


def push_return(
    client: OmniumClient, extension: TenantExtension, order: OrderRecord, options: ExportOptions
) -> dict[str, Any]:
    """Add the return to its sale in Omnium, exactly once, once the sale is there."""
    original = order.original_order
    sale_row = require_in_omnium(extension, original, f"Return {order.uid}")
    sale_id = sale_row.omnium_id
    sale = client.get_order(sale_id)
    if sale is None:
        raise PermanentError(
            f"Return {order.uid}: its sale {original.uid} (Omnium order {sale_id}) is no "
            "longer in Omnium."
        )
    row = identities.resolve(extension, IdentityKind.RETURN, order.pk, order.uid)
    while True:
        order = replace(
            order, rma_number=row.omnium_id, original_order=replace(original, omnium_id=sale_id)
        )
        existing = find_return(sale, order)
        if existing is None:
            break
        if is_ours(existing, options, "ReturnUid", order.uid):
            identities.confirm(row)
            return {
                "action": "unchanged",
                "orderId": sale_id,
                "rmaNumber": row.omnium_id,
                "returnId": existing.get("returnId"),
                **id_note(row),
            }
        owner = owner_of(existing, options, "ReturnUid")
        row = identities.reassign(
            row, f"a return form of {f'Flow return {owner}' if owner else 'someone else'}"
        )
    form = client.create_return(sale_id, return_request(order, options))
    identities.confirm(row)
    return {
        "action": "created",
        "orderId": sale_id,
        "rmaNumber": row.omnium_id,
        "returnId": (form or {}).get("returnId"),
        **id_note(row),
    }


def update_status(
    client: OmniumClient, extension: TenantExtension, order: OrderRecord, options: ExportOptions
) -> dict[str, Any]:
    """Move the order's Omnium counterpart to the status Flow's state asks for.

    A web order must be in Omnium; a cancelled Flow sale that never reached Omnium needs
    nothing. An order that is not ours (by its properties) is never moved.
    """
    status = target_status(order, options)
    if status is None:
        return skipped(
            f"A {order.state} order changes nothing in Omnium.", orderId=omnium_order_id(order)
        )
    row = identities.find(extension, IdentityKind.ORDER, order.pk)
    if row is not None and row.confirmed_at is None and not order.from_omnium:
        return skipped("The order never reached Omnium; there is nothing to cancel.")
    # A web order's id is Omnium's own. A sale synced before the map existed gets its
    # plain id now; reading it below tells whether Omnium has it, and whether it is ours.
    row = row or order_identity(extension, order)
    order_id = row.omnium_id
    cancelling = order.state == OrderState.CANCELLED

    def attempt() -> dict[str, Any]:
        current = client.get_order(order_id)
        if current is None:
            if order.from_omnium:
                raise PermanentError(
                    f"Omnium order {order_id} (Flow order {order.uid}) was not found."
                )
            return skipped("The order is no longer in Omnium; there is nothing to cancel.")
        if not order.from_omnium and not is_ours(current, options, "OrderUid", order.uid):
            raise PermanentError(
                f"Omnium order {order_id} is {_held_by(current, options)}, not Flow order "
                f"{order.uid}'s: its status was not changed."
            )
        if current.get("status") == status or (cancelling and is_cancelled(current, options)):
            identities.confirm(row)
            return {"action": "unchanged", "orderId": order_id, "status": current.get("status")}
        if not cancelling and is_cancelled(current, options):
            raise PermanentError(
                f"Flow completed order {order.uid}, but Omnium order {order_id} is "
                f"{current.get('status')}; resolve it in Omnium, then retry."
            )
        identities.confirm(row)
        client.update_order_status(order_id, status)
        return {"action": "status", "orderId": order_id, "status": status}

    return retry_conflicts(attempt, f"UpdateStatus {order_id}")
