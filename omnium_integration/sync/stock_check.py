"""The drift check: Omnium's stock levels of a Flow-master store against Flow's.

Flow is the master, so every difference is Omnium being wrong: a push lost to a bug, a
level changed by hand in Omnium, a save that bypassed Flow's signals. The check reads
Omnium's levels of the store's warehouse with the inventory search (and its scroll,
beyond 1,000 items), compares them with Flow's, and keeps the outcome on the store's
:class:`~omnium_integration.models.StockCheck`. A SKU missing on one side counts as 0
there, as Omnium's own documentation reads a missing inventory item
(docs/decisions.md#the-stock-drift-check).

Healing notes exactly the differing SKUs for the store's ``stock.export`` job, which
sends Flow's current absolute levels: the same path as every movement, so a heal that
runs twice, or a movement arriving meanwhile, changes nothing more.

SKUs whose push is on its way (a note exists before Omnium is read or after Flow is
read) are left out: Omnium lags behind them by design, for a second or so.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from ..client import get_client
from ..conf import app_settings
from ..exceptions import OmniumIntegrationError
from ..host import get_adapter
from ..host.stock import MasterStore
from ..models import PendingStockChange, StockCheck, TenantExtension
from ..redaction import redact
from ..transform import hundredths_to_quantity, plain_decimal
from .stock import StockChange, note_stock_changes


@dataclass(frozen=True)
class Difference:
    sku: str
    flow: Decimal  # units
    omnium: Decimal  # units; 0 when Omnium has no item

    def as_dict(self) -> dict[str, str]:
        return {"sku": self.sku, "flow": str(self.flow), "omnium": str(self.omnium)}


@dataclass
class CheckResult:
    """What one store's check found (and healed)."""

    store: MasterStore
    compared: int = 0
    differences: list[Difference] = field(default_factory=list)
    in_flight: int = 0
    healed: int = 0
    error: str = ""
    seconds: float = 0.0


def check_stores(stores: Iterable[MasterStore], *, heal: bool = False) -> list[CheckResult]:
    """Check each store in turn; one store's failure does not stop the others."""
    return [check_store(store, heal=heal) for store in stores]


def check_store(store: MasterStore, *, heal: bool = False) -> CheckResult:
    """Compare one Flow-master store's levels in Omnium with Flow's; record the outcome."""
    result = CheckResult(store)
    started = time.monotonic()
    try:
        _compare(store, result, heal=heal)
    except (OmniumIntegrationError, ValueError) as exc:
        result.error = redact(str(exc))
    result.seconds = time.monotonic() - started
    _record(result)
    return result


def _compare(store: MasterStore, result: CheckResult, *, heal: bool) -> None:
    extension = TenantExtension.objects.get(pk=store.extension_id)
    noted = _noted(store)
    omnium: dict[str, Decimal] = {}
    for item in get_client(extension).search_inventory(warehouse_codes=[store.warehouse_code]):
        if item.get("warehouseCode") == store.warehouse_code and item.get("sku"):
            omnium[str(item["sku"])] = Decimal(str(item.get("inventory") or 0))
    flow = get_adapter().store_levels(store.pk)
    noted |= _noted(store)
    for sku in sorted(omnium.keys() | flow.keys()):
        ours = plain_decimal(hundredths_to_quantity(flow.get(sku, 0)))
        theirs = plain_decimal(omnium.get(sku, Decimal(0)))
        if sku in noted:
            result.in_flight += 1
            continue
        result.compared += 1
        if ours != theirs:
            result.differences.append(Difference(sku, ours, theirs))
    if heal and result.differences:
        with transaction.atomic():
            note_stock_changes(
                extension_id=store.extension_id,
                store_id=store.pk,
                changes=[StockChange(d.sku) for d in result.differences],
                reason="drift check",
            )
        result.healed = len(result.differences)


def _noted(store: MasterStore) -> set[str]:
    """SKUs of the store with a push on its way."""
    notes = PendingStockChange.objects.filter(extension_id=store.extension_id, store_id=store.pk)
    return set(notes.values_list("sku", flat=True))


def _record(result: CheckResult) -> None:
    StockCheck.objects.update_or_create(
        store_id=result.store.pk,
        defaults={
            "extension_id": result.store.extension_id,
            "checked_at": timezone.now(),
            "skus_compared": result.compared,
            "differences_found": len(result.differences),
            "differences": [d.as_dict() for d in result.differences[: StockCheck.KEPT]],
            "in_flight": result.in_flight,
            "healed": result.healed,
            "error": result.error,
            "seconds": round(result.seconds, 3),
        },
    )


# ---------------------------------------------------------------------------- schedule


def last_slot(now: datetime, at: str) -> datetime:
    """The latest moment at or before ``now`` when the daily check was due (``"HH:MM"``
    in Django's time zone)."""
    hours, minutes = (int(part) for part in at.split(":"))
    local = timezone.localtime(now)
    slot = local.replace(hour=hours, minute=minutes, second=0, microsecond=0)
    return slot if slot <= local else slot - timedelta(days=1)


def scheduled_check(now: datetime | None = None) -> dict[str, Any]:
    """The daily check: every Flow-master store not checked since today's slot (so a
    check missed while the engine was down runs on its next start)."""
    at = app_settings.STOCK_CHECK_TIME
    if not at:
        return {"checked": 0, "reason": "STOCK_CHECK_TIME is not set"}
    slot = last_slot(now or timezone.now(), at)
    done = set(StockCheck.objects.filter(checked_at__gte=slot).values_list("store_id", flat=True))
    due = [store for store in get_adapter().master_stores() if store.pk not in done]
    # Stay well inside django-q2's task timeout: stores left over wait for the next run.
    deadline = time.monotonic() + float(app_settings.DRAIN_TIME_BUDGET)
    results = []
    for store in due:
        if results and time.monotonic() > deadline:
            break  # (one store at least, so every run makes progress)
        results.append(check_store(store, heal=bool(app_settings.STOCK_CHECK_HEAL)))
    return {
        "checked": len(results),
        "left": len(due) - len(results),
        "differences": sum(len(r.differences) for r in results),
        "healed": sum(r.healed for r in results),
        "failed": sum(1 for r in results if r.error),
    }
