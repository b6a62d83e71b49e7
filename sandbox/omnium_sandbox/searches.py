"""Searching and scrolling the sandbox's orders, customers and invoices.

What Omnium documents (docs/omnium-api.md#search-and-paging):

* ``POST /api/{Resource}/Search`` takes paging (``page`` 0-based, ``take`` at most 100,
  ``take × page`` at most 10 000, else 400), a sort order and filters, and answers
  ``{result, totalHits, facets, scrollId}``.
* Order filters: ``modifiedFrom`` (inclusive) and ``modifiedTo``, ``orderType`` (one type),
  ``selectedStores``, ``selectedStatuses``, ``selectedMarkets``.
* Scroll (``POST …/Scroll``, then ``GET …/Scroll/{scrollId}``) reads a large result as a
  consistent snapshot, 1 000 items at a time (Omnium's inventory search hands over to the
  scroll above 1 000 hits).

Assumptions where Omnium is silent, each one a choice of this sandbox:

* Orders also filter on ``createdFrom`` (inclusive) and ``createdTo`` (exclusive), like
  ``modifiedFrom`` / ``modifiedTo`` (``modifiedTo`` is exclusive too).
* ``POST /api/Orders/Scroll`` takes the order search body (its ``page`` and ``take`` are
  ignored), answers the first batch of ``scroll_batch_size`` (1 000) orders with
  ``totalHits`` and a ``scrollId``, and keeps the matching orders as they are at that
  moment: later changes do not show in the scroll. ``GET /api/Orders/Scroll/{scrollId}``
  answers the next batch with the same ``scrollId``; a batch of ``[]`` means the end.
  A scroll not read for ``scroll_keepalive`` seconds (300) is gone: its id answers 404.
* ``POST /api/PrivateCustomers/Search``, ``POST /api/BusinessCustomers/Search`` and
  ``POST /api/Invoices/Search`` page like the order search and filter on ``modifiedFrom``
  (inclusive) and ``modifiedTo`` (exclusive); invoices also on ``orderId``. Their default
  sort is ``ModifiedAscending`` (ties by id).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any

from .common import Validator, bad_request, not_found, parse_date, require_object

MAX_TAKE = 100
MAX_WINDOW = 10_000
ORDER_DATES = ("modifiedFrom", "modifiedTo", "createdFrom", "createdTo")
ORDER_LISTS = ("selectedStores", "selectedStatuses", "selectedMarkets")


def _dates(request: dict, names: Iterable[str]) -> dict[str, datetime | None]:
    """The request's date filters, parsed; a date that does not parse is a 400."""
    found = {}
    for name in names:
        raw = request.get(name)
        found[name] = parse_date(raw)
        if raw and found[name] is None:
            raise bad_request(f"{name} must be an ISO 8601 date.")
    return found


def _paging(request: dict) -> tuple[int, int]:
    take, page = request.get("take"), request.get("page")
    take = int(take if take is not None else 20)
    page = int(page or 0)
    if take < 0 or page < 0 or take > MAX_TAKE:
        raise bad_request(f"take must be between 0 and {MAX_TAKE} and page at least 0.")
    if take * page > MAX_WINDOW:
        raise bad_request(f"take * page must be at most {MAX_WINDOW}; use scroll.")
    return take, page


def _in_window(value: Any, low: datetime | None, high: datetime | None) -> bool:
    if low is None and high is None:
        return True
    moment = parse_date(value)
    if moment is None:
        return False
    return not (low and moment < low or high and moment >= high)


def _sorted(items: list[dict], sort_order: str, key_field: str) -> list[dict]:
    field_name = "created" if sort_order.lower().startswith("created") else "modified"
    if sort_order.lower() == "documentid":
        return sorted(items, key=lambda item: str(item.get(key_field)))
    return sorted(
        items,
        key=lambda item: (parse_date(item.get(field_name)), str(item.get(key_field))),
        reverse=sort_order.lower().endswith("descending"),
    )


# ----------------------------------------------------------------------------- orders


def order_filter(body: Any) -> Callable[[dict], bool]:
    """The order search body's filters as a predicate (paging and sort left aside)."""
    request = require_object(body or {})
    v = Validator()
    for name in ("take", "page"):
        v.number(request, name)
    for name in (*ORDER_DATES, "orderType", "sortOrder"):
        v.string(request, name)
    for name in ORDER_LISTS:
        v.array(request, name)
    v.check()
    dates = _dates(request, ORDER_DATES)
    order_type = (request.get("orderType") or "").lower()
    stores = set(request.get("selectedStores") or [])
    statuses = {str(s).lower() for s in request.get("selectedStatuses") or []}
    markets = set(request.get("selectedMarkets") or [])

    def matches(order: dict) -> bool:
        if not _in_window(order.get("modified"), dates["modifiedFrom"], dates["modifiedTo"]):
            return False
        if not _in_window(order.get("created"), dates["createdFrom"], dates["createdTo"]):
            return False
        if order_type and str(order.get("orderType", "")).lower() != order_type:
            return False
        if stores and order.get("storeId") not in stores:
            return False
        if statuses and str(order.get("status", "")).lower() not in statuses:
            return False
        return not (markets and order.get("marketId") not in markets)

    return matches


def search_orders(orders: Iterable[dict], body: Any) -> dict:
    """``POST /api/Orders/Search`` (default sort: ``CreatedDescending``)."""
    request = require_object(body or {})
    matches = order_filter(request)
    take, page = _paging(request)
    sort_order = request.get("sortOrder") or "CreatedDescending"
    found = _sorted([o for o in orders if matches(o)], sort_order, "id")
    return {
        "result": found[page * take : (page + 1) * take],
        "totalHits": len(found),
        "facets": [],
        "scrollId": None,
    }


# ---------------------------------------------------------------- customers, invoices


def search_documents(documents: Iterable[dict], body: Any, *, key_field: str) -> dict:
    """A customer or invoice search: a modified window (and ``orderId``), paged."""
    request = require_object(body or {})
    v = Validator()
    for name in ("take", "page"):
        v.number(request, name)
    for name in ("modifiedFrom", "modifiedTo", "sortOrder", "orderId"):
        v.string(request, name)
    v.check()
    dates = _dates(request, ("modifiedFrom", "modifiedTo"))
    take, page = _paging(request)
    order_id = request.get("orderId")
    found = [
        document
        for document in documents
        if _in_window(document.get("modified"), dates["modifiedFrom"], dates["modifiedTo"])
        and (not order_id or document.get("orderId") == order_id)
    ]
    found = _sorted(found, request.get("sortOrder") or "ModifiedAscending", key_field)
    return {
        "result": found[page * take : (page + 1) * take],
        "totalHits": len(found),
        "facets": [],
        "scrollId": None,
    }


# ----------------------------------------------------------------------------- scroll


class Scrolls:
    """Open scrolls of one Omnium tenant: the snapshot of each, and how far it was read."""

    def __init__(self, config: Any) -> None:
        self.config = config
        self._lock = threading.Lock()
        self._open: dict[str, dict[str, Any]] = {}

    def start(self, items: list[dict]) -> dict:
        """A new scroll over ``items`` (already filtered and sorted): its first batch."""
        scroll_id = secrets.token_hex(16)
        with self._lock:
            self._expire()
            self._open[scroll_id] = {"items": items, "position": 0, "seen": time.monotonic()}
        return self.next(scroll_id)

    def next(self, scroll_id: str) -> dict:
        """The scroll's next batch (``[]`` once every item was handed out)."""
        with self._lock:
            self._expire()
            scroll = self._open.get(scroll_id)
            if scroll is None:
                raise not_found("Scroll", scroll_id)
            size = int(self.config.scroll_batch_size)
            start = scroll["position"]
            batch = scroll["items"][start : start + size]
            scroll["position"] = start + len(batch)
            scroll["seen"] = time.monotonic()
            total = len(scroll["items"])
        return {"result": batch, "totalHits": total, "facets": [], "scrollId": scroll_id}

    def _expire(self) -> None:
        deadline = time.monotonic() - float(self.config.scroll_keepalive)
        for scroll_id in [k for k, s in self._open.items() if s["seen"] < deadline]:
            del self._open[scroll_id]


def scroll_orders(orders: Iterable[dict], body: Any, scrolls: Scrolls) -> dict:
    """``POST /api/Orders/Scroll``: the snapshot of the matching orders, sorted as asked
    (default ``ModifiedAscending``), and its first batch."""
    request = require_object(body or {})
    matches = order_filter(request)
    found = _sorted(
        [o for o in orders if matches(o)], request.get("sortOrder") or "ModifiedAscending", "id"
    )
    return scrolls.start(found)
