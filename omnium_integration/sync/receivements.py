"""Goods receptions completed in Flow -> Omnium (``receivement.export``, one job per reception).

What the job does, per Flow's rules (docs/flow.md#goods-reception) and Omnium's
goods-reception API (docs/omnium-api.md#purchase-orders-and-goods-reception):

* The purchase order exists in Omnium: confirm the received quantities with
  ``POST /api/Deliveries/{deliveryId}/ProcessGoodsReception``, one line per purchase-order
  line, each with a ``goodsReceptionId`` derived from the reception and the line. Omnium
  adds the quantities to the lines' ``deliveredQuantity`` and to its stock, and answers a
  repeated id with 400 listing the duplicates: those lines are already done, so a retry
  after a crash (Omnium succeeded, we never recorded it) confirms nothing twice.
* It does not (a purchase order made in Flow, or goods received without one): the store's
  new absolute stock of the received SKUs goes to Omnium instead.
* Stock levels go to Omnium only for stores where Flow is stock master. There they are
  also sent after a confirmation, so Omnium's count ends equal to Flow's even if the two
  differed before; the push is queued only once the confirmation is done, so the absolute
  level always lands after Omnium's own addition.

Which delivery a line is confirmed against: the delivery Omnium has the purchase-order
line on (so a purchase order with several deliveries gets one call per delivery). A line
Omnium has on no delivery is first put on one with ``CreateDelivery``: on the delivery
a ``{PO}-delivery-{D}`` UID names, else on a new delivery whose id derives from the
reception (looked up first, so a retry after a lost answer reuses it). The generic
``/api/Deliveries/ProcessGoodsReception`` is not used: only the delivery-scoped endpoint
is documented to reject a repeated ``goodsReceptionId``
(docs/decisions.md#goods-receptions-confirmed-per-delivery-with-reception-ids).

Completed receptions are taken as final: a reception edited after completion is not
sent again with the difference (Omnium adds what it is told; corrections are a new
reception in Flow).
"""

from __future__ import annotations

from collections import defaultdict
from contextlib import suppress
from typing import Any

from .. import identities
from ..client import OmniumClient, get_client
from ..enums import Direction, IdentityKind, JobKind, Queue
from ..exceptions import (
    DuplicateGoodsReception,
    MappingError,
    OmniumConflict,
    PermanentError,
    RetryableError,
)
from ..host import get_adapter
from ..host.receivements import Reception
from ..jobs import manager, registry
from ..models import ExternalSyncJob, TenantExtension
from ..transform import (
    goods_reception_id,
    hundredths_to_quantity,
    reception_delivery_id,
    sanitize_uid,
    split_purchase_order_uid,
)
from .outbound import active_extension
from .stock import StockChange, note_stock_changes

# At most this many SKUs are named in a job result (the rest is counted).
RESULT_LIST_LIMIT = 50


@registry.handles(JobKind.RECEIVEMENT_EXPORT, queue=Queue.RECEIVEMENT, direction=Direction.OUTBOUND)
def export_receivement(job: ExternalSyncJob) -> dict[str, Any]:
    """Confirm a completed Flow goods reception to Omnium, or send stock instead."""
    extension = active_extension(job)
    adapter = get_adapter()
    reception = adapter.get_reception(job.object_id)
    if reception is None:
        return {"skipped": "The goods reception no longer exists in Flow."}
    if not reception.is_completed:
        return {"skipped": "The goods reception is not completed."}
    store = adapter.get_stock_store(reception.store_pk)
    flow_master = bool(store and store.flow_stock_master)
    client = get_client(extension)

    result: dict[str, Any] = {}
    purchase_order, delivery_hint = _omnium_purchase_order(client, reception)
    if purchase_order is not None:
        result.update(_confirm(client, extension, reception, purchase_order, delivery_hint))
    else:
        result["purchaseOrder"] = "unknown to Omnium"

    if flow_master:
        changes = _stock_changes(reception, with_cost=purchase_order is None)
        with manager.leased(job):
            note_stock_changes(
                extension_id=job.extension_id,
                store_id=reception.store_pk,
                changes=changes,
                reason=f"goods reception {reception.uid}",
            )
        result["stockQueued"] = len({change.sku for change in changes})
    elif purchase_order is None:
        result["stockQueued"] = 0
        result["skipped"] = "Omnium is stock master of this store: no stock is sent."
    return result


# --------------------------------------------------------------------- purchase order


def _omnium_purchase_order(
    client: OmniumClient, reception: Reception
) -> tuple[dict[str, Any] | None, str | None]:
    """Omnium's purchase order of the reception and the delivery its Flow UID names."""
    if not reception.purchase_order_uid:
        return None, None
    po_id, delivery_id = split_purchase_order_uid(reception.purchase_order_uid)
    return client.get_purchase_order(po_id), delivery_id


def _po_lines(purchase_order: dict[str, Any]) -> list[dict[str, Any]]:
    return list((purchase_order.get("purchaseOrderForm") or {}).get("lineItems") or [])


def _match_lines(
    reception: Reception, po_lines: list[dict[str, Any]]
) -> tuple[dict[str, int], list[str]]:
    """Received hundredths per Omnium lineItemId, and the SKUs not on the purchase order.

    A reception line is matched by its purchase-order line's UID (exactly, or as the
    UID-sanitised form Flow may hold), else by SKU when exactly one Omnium line has it.
    Several reception lines of one purchase-order line (scanned twice, a correction)
    are added up.
    """
    by_id: dict[str, str] = {}
    by_code: dict[str, list[str]] = defaultdict(list)
    for line in po_lines:
        line_id = str(line.get("lineItemId") or "")
        if not line_id:
            continue
        by_id.setdefault(line_id, line_id)
        with suppress(MappingError):  # an id of punctuation only has no sanitised form
            by_id.setdefault(sanitize_uid(line_id), line_id)
        if line.get("code"):
            by_code[str(line["code"])].append(line_id)
    received: dict[str, int] = defaultdict(int)
    not_on_po: list[str] = []
    for line in reception.lines:
        line_id = by_id.get(line.purchase_order_line_uid) if line.purchase_order_line_uid else None
        if line_id is None and len(by_code.get(line.sku, ())) == 1:
            line_id = by_code[line.sku][0]
        if line_id is None:
            not_on_po.append(line.sku)
        else:
            received[line_id] += line.quantity
    return dict(received), not_on_po


def _confirm(
    client: OmniumClient,
    extension: TenantExtension,
    reception: Reception,
    purchase_order: dict[str, Any],
    delivery_hint: str | None,
) -> dict[str, Any]:
    """Send the goods-reception confirmation, delivery by delivery."""
    po_id = str(
        purchase_order.get("id") or split_purchase_order_uid(reception.purchase_order_uid)[0]
    )
    po_lines = _po_lines(purchase_order)
    received, not_on_po = _match_lines(reception, po_lines)
    # Omnium cannot take a negative delivered quantity; a net zero is nothing to confirm.
    not_positive = sorted(line_id for line_id, qty in received.items() if qty <= 0)
    received = {line_id: qty for line_id, qty in received.items() if qty > 0}
    by_delivery, created = _lines_by_delivery(
        client, extension, reception, po_id, po_lines, received, delivery_hint
    )
    keys = _reception_keys(extension, reception, received)
    confirmed = already = 0
    for delivery_id in sorted(by_delivery):
        lines = [
            {
                "lineItemId": line_id,
                "deliveredQuantity": hundredths_to_quantity(received[line_id]),
                "warehouseCode": reception.warehouse_code,
                "goodsReceptionId": keys[f"{reception.pk}/{line_id}"],
            }
            for line_id in by_delivery[delivery_id]
        ]
        sent, duplicates = _process_goods_reception(client, delivery_id, lines)
        confirmed += sent
        already += duplicates

    result: dict[str, Any] = {
        "purchaseOrder": po_id,
        "deliveries": sorted(by_delivery),
        "confirmedLines": confirmed,
        "alreadyConfirmedLines": already,
    }
    if created:
        result["createdDelivery"] = created
    if not_on_po:
        result["notOnPurchaseOrder"] = not_on_po[:RESULT_LIST_LIMIT]
        result["notOnPurchaseOrderCount"] = len(not_on_po)
    if not_positive:
        result["nothingToConfirm"] = not_positive[:RESULT_LIST_LIMIT]
    return result


def _reception_keys(
    extension: TenantExtension, reception: Reception, received: dict[str, int]
) -> dict[str, str]:
    """Each received line's ``goodsReceptionId``, by ``"{reception pk}/{lineItemId}"``.

    Chosen once and kept in the identity map: a reception confirmed again (a retry, a
    resync) sends the keys it sent before, whatever the derivation is by then.
    """
    return identities.resolve_derived(
        extension,
        IdentityKind.RECEPTION_LINE,
        {
            f"{reception.pk}/{line_id}": (
                f"{reception.uid}/{line_id}",
                goods_reception_id(reception.tenant_uid, reception.uid, line_id),
            )
            for line_id in received
        },
    )


def _lines_by_delivery(
    client: OmniumClient,
    extension: TenantExtension,
    reception: Reception,
    po_id: str,
    po_lines: list[dict[str, Any]],
    received: dict[str, int],
    delivery_hint: str | None,
) -> tuple[dict[str, list[str]], str | None]:
    """The received lines per Omnium delivery, and the delivery created for lines on none."""
    delivery_of = {str(line.get("lineItemId")): line.get("deliveryId") or None for line in po_lines}
    code_of = {str(line.get("lineItemId")): line.get("code") for line in po_lines}
    by_delivery: dict[str, list[str]] = defaultdict(list)
    unassigned: list[str] = []
    for line_id in received:
        delivery = delivery_of.get(line_id)
        if delivery:
            by_delivery[str(delivery)].append(line_id)
        else:
            unassigned.append(line_id)
    created = None
    if unassigned:
        delivery, created = _delivery_for_unassigned(
            client, extension, reception, po_id, unassigned, received, code_of, delivery_hint
        )
        by_delivery[delivery].extend(unassigned)
    return by_delivery, created


def _delivery_for_unassigned(
    client: OmniumClient,
    extension: TenantExtension,
    reception: Reception,
    po_id: str,
    line_ids: list[str],
    received: dict[str, int],
    code_of: dict[str, Any],
    named_delivery: str | None,
) -> tuple[str, str | None]:
    """The delivery for lines Omnium has on none; returns (its id, the id if we created it).

    A delivery-as-PO names its delivery: the lines are put on it (``CreateDelivery`` with
    ``existingDeliveryId``). Otherwise a delivery is created for this reception, with an id
    derived from it and looked up first, so a retry after a lost answer reuses it.
    """
    references = [
        {
            "lineItemId": line_id,
            "code": code_of.get(line_id),
            "quantity": hundredths_to_quantity(received[line_id]),
        }
        for line_id in line_ids
    ]
    if named_delivery and client.get_delivery(named_delivery) is not None:
        client.create_delivery(po_id, references, existing_delivery_id=named_delivery)
        return named_delivery, None
    row = identities.resolve(
        extension,
        IdentityKind.DELIVERY,
        reception.pk,
        reception.uid,
        first_choice=reception_delivery_id(reception.tenant_uid, reception.uid),
    )
    delivery_id = row.omnium_id
    if client.get_delivery(delivery_id) is None:
        client.create_delivery(po_id, references, new_delivery_id=delivery_id)
    return delivery_id, delivery_id


def _process_goods_reception(
    client: OmniumClient, delivery_id: str, lines: list[dict[str, Any]]
) -> tuple[int, int]:
    """Confirm ``lines`` on a delivery; return (lines confirmed now, lines already done).

    Omnium rejects a batch naming an already-processed ``goodsReceptionId`` with 400 and
    the list of duplicates. Those lines were confirmed by an earlier attempt; the rest of
    the batch is sent again until Omnium takes it.
    """
    remaining = list(lines)
    already = 0
    while remaining:
        try:
            client.process_goods_reception(delivery_id, remaining)
        except DuplicateGoodsReception as exc:
            duplicates = {str(i) for i in exc.ids}
            done = [line for line in remaining if line["goodsReceptionId"] in duplicates]
            if not done:
                raise PermanentError(
                    f"Omnium rejected the goods reception on delivery {delivery_id} as a "
                    "duplicate of ids this batch does not contain.",
                    status_code=exc.status_code,
                    body=exc.body,
                ) from exc
            already += len(done)
            remaining = [line for line in remaining if line["goodsReceptionId"] not in duplicates]
        except OmniumConflict as exc:
            # Someone else updated the delivery at the same moment (e.g. another
            # reception's job): safe to retry, the goodsReceptionIds prevent doubling.
            raise RetryableError(
                f"Delivery {delivery_id} was being updated concurrently (409).", status_code=409
            ) from exc
        else:
            return len(remaining), already
    return 0, already


# ---------------------------------------------------------------------------- stock


def _stock_changes(reception: Reception, *, with_cost: bool) -> list[StockChange]:
    """The received SKUs; with their purchase price when Omnium does not get it from a PO."""
    changes: dict[str, StockChange] = {}
    for line in reception.lines:
        cost = line.unit_price if with_cost and line.unit_price else None
        if line.sku not in changes or cost is not None:
            changes[line.sku] = StockChange(
                line.sku, cost=cost, cost_currency=reception.currency if cost else ""
            )
    return list(changes.values())
