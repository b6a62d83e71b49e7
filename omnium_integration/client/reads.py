"""Reading many Omnium documents at once: the order scroll and the other searches.

The reconciliation reads a whole day of a tenant's orders. Omnium's search pages hold at
most 100 items and reach no further than item 10,000 (docs/omnium-api.md#search-and-
paging); its scroll hands out a consistent snapshot 1,000 at a time, so a day of 100,000
sales costs about a hundred calls instead of a thousand. Every call goes through the
client's call slots like any other (20 per API user from this machine); none of these is
a bulk update, so none takes a bulk slot.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from .http import path_segment


class ReadCalls:
    """The search and scroll calls of :class:`~.omnium.OmniumClient`."""

    def _call(self, method: str, path: str, **kwargs: Any) -> Any:  # pragma: no cover
        raise NotImplementedError

    def scroll_orders(self, filters: dict[str, Any]) -> Iterator[list[dict]]:
        """The orders matching ``filters`` (an order search body), batch by batch.

        ``POST /api/Orders/Scroll`` starts the scroll and answers the first batch; ``GET
        /api/Orders/Scroll/{scrollId}`` the next ones. It stops at an empty batch, or once
        ``totalHits`` orders came (which spares the call that would answer the empty one).
        """
        page = self._call("POST", "/api/Orders/Scroll", body=filters) or {}
        received = 0
        while True:
            batch = list(page.get("result") or [])
            if not batch:
                return
            received += len(batch)
            yield batch
            scroll_id = page.get("scrollId")
            total = page.get("totalHits")
            if not scroll_id or (isinstance(total, int) and received >= total):
                return
            page = self._call("GET", f"/api/Orders/Scroll/{path_segment(scroll_id)}") or {}

    def update_order(self, order: dict) -> Any:
        """``POST /api/Orders/Update``: replace an existing order's members (no workflow)."""
        return self._call("POST", "/api/Orders/Update", body=order)

    def search_customers(self, kind: str, body: dict[str, Any]) -> dict:
        """``POST /api/PrivateCustomers/Search`` (``kind`` ``private``) or
        ``/api/BusinessCustomers/Search``: one page, ``{result, totalHits}``."""
        resource = "BusinessCustomers" if kind == "business" else "PrivateCustomers"
        return self._page(f"/api/{resource}/Search", body)

    def search_invoices(self, body: dict[str, Any]) -> dict:
        """``POST /api/Invoices/Search``: one page, ``{result, totalHits}``."""
        return self._page("/api/Invoices/Search", body)

    def _page(self, path: str, body: dict[str, Any]) -> dict:
        found = self._call("POST", path, body=body) or {}
        return {"result": list(found.get("result") or []), "totalHits": found.get("totalHits", 0)}
