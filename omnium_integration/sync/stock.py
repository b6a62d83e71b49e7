"""Stock levels of Flow-master stores -> Omnium (``stock.export``, one job per store).

Whatever changes a Flow-master store's stock notes the SKUs with
:func:`note_stock_changes` (a :class:`~omnium_integration.models.PendingStockChange` row
each) and enqueues the store's job, in the same transaction. The job sends the CURRENT
absolute level of every noted SKU with ``PUT /api/Inventory/UpdateMany`` (n SKUs cost
ceil(n / 1000) calls) and then deletes exactly the notes it read. So many receptions
waiting together cost one push per store, a note written while the push runs is kept
for the job's rerun, and a retried push is harmless (absolute values; Omnium skips
unchanged items).

A store's whole stock (it became Flow-master, or ``omnium_resync stock --store``) is a
``stock.full`` job: it notes every SKU the store keeps a level of, in its worker rather
than in the transaction that switched the store, and the ``stock.export`` job sends them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..client import get_client
from ..conf import app_settings
from ..enums import Direction, JobKind, Queue
from ..host import get_adapter
from ..jobs import manager, registry
from ..models import ExternalSyncJob, JobSource, PendingStockChange
from ..transform import cents_to_decimal, hundredths_to_quantity
from .outbound import active_extension, retry_conflicts

# Notes are deleted by primary key in chunks of this size (SQLite's parameter limit).
DELETE_CHUNK = 500


@dataclass(frozen=True)
class StockChange:
    """A SKU whose stock changed; ``cost`` (cents) when Omnium learns it from no one else."""

    sku: str
    cost: int | None = None
    cost_currency: str = ""


def note_stock_changes(
    *,
    extension_id: int,
    store_id: Any,
    changes: Iterable[StockChange],
    reason: str = "",
    source: str = JobSource.SIGNAL,
) -> tuple[int, bool] | None:
    """Note changed SKUs of a Flow-master store and enqueue its ``stock.export`` job.

    Runs in the caller's transaction. Returns what ``manager.enqueue`` returns, or
    ``None`` when there was nothing to note.
    """
    rows = [
        PendingStockChange(
            extension_id=extension_id,
            store_id=store_id,
            sku=change.sku,
            cost=change.cost,
            cost_currency=change.cost_currency if change.cost is not None else "",
            reason=reason[:200],
        )
        for change in changes
    ]
    if not rows:
        return None
    PendingStockChange.objects.bulk_create(rows, batch_size=DELETE_CHUNK)
    return manager.enqueue(
        JobKind.STOCK_EXPORT, extension_id=extension_id, object_id=store_id, source=source
    )


def queue_full_stock(
    *, extension_id: int, store_id: Any, reason: str, source: str = JobSource.SIGNAL
) -> tuple[int, bool]:
    """Enqueue the store's ``stock.full`` job (in the caller's transaction)."""
    return manager.enqueue(
        JobKind.STOCK_FULL,
        extension_id=extension_id,
        object_id=store_id,
        payload={"reason": reason[:200]},
        source=source,
    )


@registry.handles(JobKind.STOCK_FULL, queue=Queue.RECEIVEMENT, direction=Direction.OUTBOUND)
def export_full_stock(job: ExternalSyncJob) -> dict[str, Any]:
    """Note every SKU of a Flow-master store; its ``stock.export`` job sends their levels."""
    active_extension(job)
    adapter = get_adapter()
    store = adapter.get_stock_store(job.object_id)
    if store is None or not store.flow_stock_master:
        return {"skus": 0, "skipped": "Flow is not stock master of this store."}
    skus = adapter.store_skus(store.pk)
    with manager.leased(job):
        queued = note_stock_changes(
            extension_id=job.extension_id,
            store_id=store.pk,
            changes=[StockChange(sku) for sku in skus],
            reason=job.payload.get("reason") or "full stock",
        )
    return {"skus": len(skus), "stockJob": queued[0] if queued else None}


@registry.handles(JobKind.STOCK_EXPORT, queue=Queue.RECEIVEMENT, direction=Direction.OUTBOUND)
def export_stock(job: ExternalSyncJob) -> dict[str, Any]:
    """Send the store's current stock of every noted SKU to Omnium, as absolute levels."""
    notes = list(
        PendingStockChange.objects.filter(extension_id=job.extension_id, store_id=job.object_id)
        .order_by("pk")
        .values_list("pk", "sku", "cost", "cost_currency")
    )
    if not notes:
        return {"skus": 0, "calls": 0}
    store = get_adapter().get_stock_store(job.object_id)
    if store is None or not store.flow_stock_master:
        # The store went away or Omnium became its stock master: nothing may be sent.
        _forget(job, [pk for pk, *_ in notes])
        return {"skus": 0, "calls": 0, "skipped": "Flow is not stock master of this store."}

    # One item per SKU, in the order the SKUs first changed; the latest known cost wins.
    note_ids: dict[str, list[int]] = {}
    costs: dict[str, tuple[int, str]] = {}
    for pk, sku, cost, currency in notes:
        note_ids.setdefault(sku, []).append(pk)
        if cost is not None:
            costs[sku] = (cost, currency)
    skus = list(note_ids)[: app_settings.STOCK_SKUS_PER_JOB]
    levels = get_adapter().inventory_levels(store.pk, skus)
    items = []
    for sku in skus:
        item: dict[str, Any] = {
            "sku": sku,
            "warehouseCode": store.warehouse_code,
            # Absolute stock; a SKU Flow has no level for has none left.
            "inventory": hundredths_to_quantity(levels.get(sku, 0)),
        }
        if sku in costs:
            item["cost"] = cents_to_decimal(costs[sku][0])
            item["costCurrency"] = costs[sku][1]
        items.append(item)

    client = get_client(active_extension(job))
    # Absolute levels: resending after a 409 (a concurrent update) doubles nothing.
    calls = retry_conflicts(lambda: client.update_inventory(items), "Inventory UpdateMany")

    more = len(note_ids) > len(skus)
    _forget(job, [pk for sku in skus for pk in note_ids[sku]], run_again=more)
    return {"skus": len(items), "calls": calls, "more": more}


def _forget(job: ExternalSyncJob, note_ids: list[int], *, run_again: bool = False) -> None:
    """Delete the notes this run covered, while the job is still ours."""
    with manager.leased(job):
        for start in range(0, len(note_ids), DELETE_CHUNK):
            PendingStockChange.objects.filter(
                pk__in=note_ids[start : start + DELETE_CHUNK]
            ).delete()
        if run_again:
            # The job is running, so this flags it to run once more for the rest.
            manager.enqueue(
                JobKind.STOCK_EXPORT, extension_id=job.extension_id, object_id=job.object_id
            )
