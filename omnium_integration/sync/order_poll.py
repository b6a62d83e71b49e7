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
* Each page's jobs commit before the next page is read; the watermark moves once the
  run ends, to the newest ``modified`` seen when every order type's sequence was read to
  its end (else to where the shortest one stopped), so it never passes an order whose
  job was not committed.
* ``modifiedFrom`` is inclusive and several orders can share one ``modified``: the
  watermark is the newest instant seen, not one past it, so an order at that same
  instant is still found next time. Paging restarts from the newest change after every
  page (keyset paging), since offsets shift while orders keep changing; only a page
  that is all one instant moves on by page number. Each order type is its own
  ``ModifiedAscending`` sequence (Omnium's search filters one type at a time).
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
from ..jobs import manager
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
    extension: TenantExtension,
    *,
    client: Any = None,
    now: datetime | None = None,
    since: datetime | None = None,
    dry_run: bool = False,
) -> PollStats:
    """Enqueue imports for the tenant's Omnium orders changed since its watermark.

    ``since`` starts from that instant instead (``omnium_resync --inbound --since``);
    the watermark still only moves forward. ``dry_run`` counts what would be enqueued
    and writes nothing.
    """
    stats = PollStats(watermark=extension.poll_watermark)
    store_ids = get_adapter().omnium_store_ids(extension.tenant)
    if not store_ids:
        stats.note = "The tenant has no active stores: nothing to import."
        return stats
    if client is None:
        from ..client import get_client

        client = get_client(extension)
    if since is not None:
        start = since
    else:
        if extension.poll_watermark is None:
            first = (now or timezone.now()) - timedelta(minutes=app_settings.POLL_INTERVAL_MINUTES)
            if not dry_run:
                _store_watermark(extension, first)
            _advance(extension, first)
        start = extension.poll_watermark - OVERLAP
    # One sequence per order type: Omnium's search takes one type at a time, and keyset
    # paging is only sound within one ``ModifiedAscending`` sequence.
    progress = [
        _poll_sequence(client, extension, order_type, store_ids, start, stats, dry_run)
        for order_type in (list(app_settings.POLL_ORDER_TYPES) or [None])
    ]
    if all(complete for complete, _ in progress):
        # Everything up to now is committed: the newest change seen is the new mark.
        reached = max((mark for _, mark in progress if mark), default=None)
    else:
        # A sequence stopped early (MAX_PAGES): nothing past its last committed change.
        reached = min(mark or start for complete, mark in progress if not complete)
    if reached is not None and not dry_run:
        _store_watermark(extension, reached)
        _advance(extension, reached)
    stats.watermark = extension.poll_watermark
    return stats


def _poll_sequence(
    client: Any,
    extension: TenantExtension,
    order_type: str | None,
    store_ids: list[str],
    start: datetime,
    stats: PollStats,
    dry_run: bool = False,
) -> tuple[bool, datetime | None]:
    """Page through one order type's changes from ``start``; return (complete, newest)."""
    cursor, page, newest = start, 0, None
    for _ in range(MAX_PAGES):
        found = client.search_orders(
            cursor,
            order_types=[order_type] if order_type else None,
            store_ids=store_ids,
            page=page,
            take=PAGE_SIZE,
        )
        result = (found or {}).get("result") or []
        if result:
            stats.pages += 1
            page_newest = _commit_page(extension, result, stats, dry_run)
            if page_newest is not None and (newest is None or page_newest > newest):
                newest = page_newest
            if page_newest is not None and page_newest > cursor:
                cursor, page = page_newest, 0  # keyset: restart at the newest change
            else:
                page += 1  # a whole page at one instant: move on by offset
        if len(result) < PAGE_SIZE:
            return True, newest
    return False, newest


def _commit_page(
    extension: TenantExtension, orders: list[Any], stats: PollStats, dry_run: bool = False
) -> datetime | None:
    """Enqueue the page's changed orders in one transaction; return its newest change."""
    found = []
    for order in orders:
        if isinstance(order, dict) and str(order.get("id") or "").strip():
            found.append((str(order["id"]).strip(), parse_omnium_datetime(order.get("modified"))))
    stats.seen += len(found)
    with transaction.atomic():
        held = dict(
            ImportedOrder.objects.filter(
                extension=extension, omnium_order_id__in=[order_id for order_id, _ in found]
            ).values_list("omnium_order_id", "omnium_modified")
        )
        for order_id, modified in found:
            applied = held.get(order_id)
            if applied is not None and modified is not None and applied >= modified:
                stats.skipped += 1
                continue
            if dry_run:
                stats.enqueued += 1  # would be
                continue
            _, created = manager.enqueue(
                JobKind.ORDER_IMPORT,
                extension_id=extension.pk,
                object_id=order_id,
                source=JobSource.POLL,
            )
            if created:
                stats.enqueued += 1
            else:
                stats.coalesced += 1
    return max((modified for _, modified in found if modified), default=None)


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
    for extension in TenantExtension.objects.active().without_secrets().select_related("tenant"):
        try:
            if not extension.has_credentials:
                continue
            results[str(extension.pk)] = poll_tenant(extension).as_dict()
        except Exception as exc:
            logger.exception("Omnium order poll failed", extra={"extension_id": extension.pk})
            results[str(extension.pk)] = {"error": type(exc).__name__}
    return results
