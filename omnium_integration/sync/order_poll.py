"""The safety net under the webhook: a delta poll of Omnium's orders per tenant.

Omnium gives up on a webhook after three tries within about 20 seconds, so an outage
of Flow longer than that loses events. Every ``POLL_INTERVAL_MINUTES`` each active
tenant asks Omnium for the orders modified since its watermark
(``POST /api/Orders/Search``, ``modifiedFrom``, ``ModifiedAscending``, filtered to
``POLL_ORDER_TYPES`` and the tenant's stores) and enqueues the same ``order.import``
jobs the webhook does:

* Nothing is enqueued for an order whose version Flow already holds
  (``ImportedOrder.omnium_modified`` >= the order's ``modified``), and an order that
  has an active job joins it (the engine coalesces): no duplicate job.
* Each page's jobs and the new watermark (the newest ``modified`` on the page) commit
  together, so the watermark never passes an order whose job was not committed.
* ``modifiedFrom`` is inclusive and several orders can share one ``modified``: the
  watermark is the newest instant seen, not one past it, so an order at that same
  instant on a later page is still found. Paging restarts from the watermark after
  every page (keyset paging), since offsets shift while orders keep changing; only a
  page that is all one instant moves on by page number.
* Each run re-reads one minute before the watermark (:data:`OVERLAP`): Omnium's
  search index may show an order a moment after a later one.
* With no watermark yet, the poll starts one interval back: it catches what the
  webhook may have missed, not the tenant's whole history.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from ..conf import app_settings
from ..enums import JobKind
from ..host import get_adapter
from ..jobs import engine
from ..models import ImportedOrder, JobSource, TenantExtension
from ..transform import parse_omnium_datetime

logger = logging.getLogger(__name__)

PAGE_SIZE = 100  # Omnium's maximum ``take``
MAX_PAGES = 100  # per tenant and run; the next run carries on from the watermark
OVERLAP = timedelta(minutes=1)


@dataclass
class PollStats:
    pages: int = 0
    seen: int = 0
    enqueued: int = 0
    coalesced: int = 0
    skipped: int = 0  # Flow already holds that version
    watermark: datetime | None = None
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["watermark"] = self.watermark.isoformat() if self.watermark else None
        return data


def poll_tenant(
    extension: TenantExtension, *, client: Any = None, now: datetime | None = None
) -> PollStats:
    """Enqueue imports for the tenant's Omnium orders changed since its watermark."""
    stats = PollStats(watermark=extension.poll_watermark)
    store_ids = get_adapter().omnium_store_ids(extension.tenant)
    if not store_ids:
        stats.note = "The tenant has no active stores: nothing to import."
        return stats
    if client is None:
        from ..client import get_client

        client = get_client(extension)
    if extension.poll_watermark is None:
        start = (now or timezone.now()) - timedelta(minutes=app_settings.POLL_INTERVAL_MINUTES)
        _store_watermark(extension, start)
        _advance(extension, start)
    stats.watermark = extension.poll_watermark
    cursor = extension.poll_watermark - OVERLAP
    order_types = list(app_settings.POLL_ORDER_TYPES) or None
    page = 0
    for _ in range(MAX_PAGES):
        found = client.search_orders(
            cursor, order_types=order_types, store_ids=store_ids, page=page, take=PAGE_SIZE
        )
        result = (found or {}).get("result") or []
        if not result:
            break
        stats.pages += 1
        newest = _commit_page(extension, result, stats)
        if newest is not None and newest > cursor:
            cursor, page = newest, 0
        else:
            page += 1  # a whole page at one instant: move on by offset
        if len(result) < PAGE_SIZE:
            break
    stats.watermark = extension.poll_watermark
    return stats


def _commit_page(
    extension: TenantExtension, orders: list[Any], stats: PollStats
) -> datetime | None:
    """Enqueue the page's changed orders and advance the watermark, in one transaction."""
    found = []
    for order in orders:
        if isinstance(order, dict) and str(order.get("id") or "").strip():
            found.append((str(order["id"]).strip(), parse_omnium_datetime(order.get("modified"))))
    stats.seen += len(found)
    newest = max((modified for _, modified in found if modified), default=None)
    with transaction.atomic():
        held = dict(
            ImportedOrder.objects.filter(
                tenant=extension, omnium_order_id__in=[order_id for order_id, _ in found]
            ).values_list("omnium_order_id", "omnium_modified")
        )
        for order_id, modified in found:
            applied = held.get(order_id)
            if applied is not None and modified is not None and applied >= modified:
                stats.skipped += 1
                continue
            _, created = engine.enqueue(
                JobKind.ORDER_IMPORT,
                tenant_id=extension.pk,
                object_id=order_id,
                source=JobSource.POLL,
            )
            if created:
                stats.enqueued += 1
            else:
                stats.coalesced += 1
        if newest is not None:
            _store_watermark(extension, newest)
    if newest is not None:
        _advance(extension, newest)
    return newest


def _store_watermark(extension: TenantExtension, watermark: datetime) -> None:
    """Move the tenant's stored watermark forward to ``watermark`` (never back)."""
    TenantExtension.objects.filter(pk=extension.pk).filter(
        Q(poll_watermark__isnull=True) | Q(poll_watermark__lt=watermark)
    ).update(poll_watermark=watermark)


def _advance(extension: TenantExtension, watermark: datetime) -> None:
    """The in-memory copy of :func:`_store_watermark`, once it is committed."""
    if extension.poll_watermark is None or extension.poll_watermark < watermark:
        extension.poll_watermark = watermark


def poll_all() -> dict[str, Any]:
    """Poll every active tenant with credentials; one tenant's failure stops no other."""
    results: dict[str, Any] = {}
    for extension in TenantExtension.objects.active().select_related("tenant"):
        if not extension.has_credentials:
            continue
        try:
            results[str(extension.pk)] = poll_tenant(extension).as_dict()
        except Exception as exc:
            logger.exception("Omnium order poll failed", extra={"tenant_id": extension.pk})
            results[str(extension.pk)] = {"error": type(exc).__name__}
    return results
