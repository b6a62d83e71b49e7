"""Reading the tenant's Omnium for one reconciliation, in as few calls as Omnium allows.

* Orders: one scroll per order type over the period's ``modified`` window, widened by
  ``RECONCILE_MARGIN_MINUTES`` on both sides (a sale completed at 23:59 may reach Omnium
  at 00:01; clocks drift), 1,000 orders per call. Each document is cut down to its
  :class:`~.facts.OmniumOrder` facts as its batch arrives.
* Customers and invoices: Omnium's searches over the same window, 100 per call, paged by
  key (the next page starts at the newest ``modified`` seen, so the 10,000-item window of
  offset paging never ends the read early).
* The POS orders are read on a thread of their own while Flow is read
  (:mod:`.background`).
* What the window cannot show (an object Omnium has not touched since the period began:
  deleted, or changed only on Flow's side) is fetched one by one, which costs a call per
  such object: in a clean day there are none.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from ..client import OmniumClient
from ..mapping.common import text
from ..mapping.options import ExportOptions
from ..mapping.order_imports import order_kind, store_candidates
from ..transform import omnium_datetime
from .background import ReadAhead
from .dates import Period
from .facts import OmniumOrder, omnium_order

PAGE = 100  # Omnium's largest search page
# Scroll batches (of 1,000 orders' facts) read ahead of the comparison: a day of 100,000
# sales can be waiting while Flow is read, and no more.
READ_AHEAD_BATCHES = 100


class OmniumSide:
    """The reads of one reconciliation, through the tenant's client (its call slots)."""

    def __init__(self, client: OmniumClient, options: ExportOptions) -> None:
        self.client = client
        self.options = options

    # --------------------------------------------------------------------------- orders

    def orders(
        self,
        order_type: str,
        window: Period,
        stores: Iterable[str] = (),
        imported_types: Iterable[str] = (),
    ) -> Iterator[OmniumOrder]:
        """Orders of ``order_type`` modified in ``window`` (at ``stores``, if given).

        ``imported_types``: the facts carry the stores that may handle each web order
        (its Flow store, for the import).
        """
        filters: dict[str, Any] = {
            "orderType": order_type,
            "modifiedFrom": omnium_datetime(window.since),
            "modifiedTo": omnium_datetime(window.until),
            "sortOrder": "ModifiedAscending",
            "disableFacets": True,
        }
        if stores:
            filters["selectedStores"] = sorted(stores)
        kinds = list(imported_types)
        for batch in self.client.scroll_orders(filters):
            for document in batch:
                yield self._facts(document, kinds)

    def orders_ahead(
        self, order_type: str, window: Period, stores: Iterable[str] = ()
    ) -> ReadAhead[list[OmniumOrder]]:
        """:meth:`orders` batch by batch, read on a thread of its own from now on."""
        self.client.tokens.get()  # on this thread: the token may be written to the database
        batches = self._batches(self.orders(order_type, window, stores))
        return ReadAhead(batches, depth=READ_AHEAD_BATCHES)

    @staticmethod
    def _batches(orders: Iterator[OmniumOrder], size: int = 1000) -> Iterator[list[OmniumOrder]]:
        batch: list[OmniumOrder] = []
        for order in orders:
            batch.append(order)
            if len(batch) == size:
                yield batch
                batch = []
        if batch:
            yield batch

    def order(self, order_id: str, imported_types: Iterable[str] = ()) -> OmniumOrder | None:
        """One order by id (``None``: Omnium has none)."""
        document = self.client.get_order(order_id)
        return None if document is None else self._facts(document, list(imported_types))

    def _facts(self, document: dict[str, Any], imported_types: list[str]) -> OmniumOrder:
        candidates: tuple[str, ...] = ()
        if imported_types:
            kind = order_kind(document.get("orderType"), imported_types)
            candidates = tuple(store_candidates(document, kind)) if kind else ()
        return omnium_order(document, self.options, candidates)

    # ---------------------------------------------------------------- customers, invoices

    def customers(self, kind: str, window: Period) -> Iterator[dict[str, Any]]:
        """``kind`` (``private`` / ``business``) customers modified in ``window``."""
        return self._search(
            lambda body: self.client.search_customers(kind, body), window, "customerId"
        )

    def customer(self, kind: str, customer_id: str) -> dict[str, Any] | None:
        get = (
            self.client.get_business_customer
            if kind == "business"
            else self.client.get_private_customer
        )
        return get(customer_id)

    def invoices(self, window: Period) -> Iterator[dict[str, Any]]:
        return self._search(self.client.search_invoices, window, "id")

    def invoice(self, invoice_id: str) -> dict[str, Any] | None:
        return self.client.get_invoice(invoice_id)

    def _search(
        self, search: Callable[[dict[str, Any]], dict], window: Period, key: str
    ) -> Iterator[dict[str, Any]]:
        """Every match of a search over ``window``, paged by key on ``modified``."""
        body: dict[str, Any] = {
            "modifiedFrom": omnium_datetime(window.since),
            "modifiedTo": omnium_datetime(window.until),
            "sortOrder": "ModifiedAscending",
            "disableFacets": True,
            "take": PAGE,
        }
        seen: set[str] = set()
        page = 0
        while True:
            found = search({**body, "page": page})["result"]
            for document in found:
                ident = text(document.get(key))
                if ident not in seen:
                    seen.add(ident)
                    yield document
            if len(found) < PAGE:
                return
            newest = text(found[-1].get("modified"))
            if newest and any(text(d.get("modified")) != newest for d in found):
                body["modifiedFrom"], page = newest, 0  # restart at the newest instant
            elif (page + 2) * PAGE <= 10_000:
                page += 1  # a page all of one instant: on by offset
            else:
                raise RuntimeError(
                    f"More than 10,000 Omnium records share the instant {newest}; they "
                    "cannot be paged through."
                )
