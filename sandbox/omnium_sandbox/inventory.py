"""Reading stock levels: ``POST /api/Inventory/Search`` and ``GET /api/Inventory/Scroll/{id}``.

What Omnium documents (docs/omnium-api.md, Inventory):

* the search takes at least one filter: ``warehouseCodes``, ``productCodes`` (SKUs),
  ``lastModified`` (a delta: items changed at or after it), ``marketId``;
* the answer is ``{totalHits, result, scrollId}``; ``result`` holds at most 1,000 items;
  when ``totalHits`` is above 1,000, ``scrollId`` is set and the scroll endpoint gives the
  remaining items.

Where Omnium is silent the sandbox chooses, and a client must not depend on more:

* without a filter the search answers 400 (Omnium says one is needed, not how it
  refuses); ``marketId`` is accepted and matches every item (stores carry no market
  here);
* items come ordered by warehouse code, then SKU; each item is the stored inventory item
  (``sku``, ``warehouseCode``, ``inventory``, ``reservedInventory``… as sent, with
  ``created`` and ``modified``);
* the scroll is a snapshot taken by the search: each ``GET …/Scroll/{id}`` gives the next
  1,000 items of it, with the same ``scrollId`` and ``totalHits``; once everything was
  given, a further call answers an empty ``result`` and ``scrollId: null`` and forgets the
  scroll; an unknown id answers 404;
* a scroll nobody read for five minutes is forgotten (404), as search engines' scroll
  contexts expire.
"""

from __future__ import annotations

import copy
import time
import uuid
from typing import Any

from .common import ApiError, Validator, bad_request, parse_date, problem, require_object

PAGE = 1000  # items per search answer and per scroll call
SCROLL_TTL = 300.0  # seconds a scroll lives after its last use


def search_inventory(data: Any, body: Any) -> dict:
    """The first page of the inventory items matching the request (see the module)."""
    request = require_object(body if body is not None else {})
    v = Validator()
    warehouses = v.array(request, "warehouseCodes")
    skus = v.array(request, "productCodes")
    last_modified = v.string(request, "lastModified")
    market = v.string(request, "marketId")
    v.check()
    since = parse_date(last_modified)
    if last_modified and since is None:
        raise bad_request("lastModified must be an ISO 8601 date.")
    if not (warehouses or skus or last_modified or market):
        raise bad_request(
            "Give at least one filter: warehouseCodes, productCodes, lastModified or marketId."
        )
    wanted_warehouses, wanted_skus = set(warehouses or []), set(skus or [])
    found = [
        copy.deepcopy(item)
        for (sku, warehouse), item in sorted(data.inventory.items(), key=lambda kv: kv[0][::-1])
        if (not wanted_warehouses or warehouse in wanted_warehouses)
        and (not wanted_skus or sku in wanted_skus)
        and (since is None or (parse_date(item.get("modified")) or since) >= since)
    ]
    _expire(data)
    scroll_id = None
    if len(found) > PAGE:
        scroll_id = uuid.uuid4().hex
        data.inventory_scrolls[scroll_id] = {
            "items": found[PAGE:],
            "total": len(found),
            "used": time.monotonic(),
        }
    return {"totalHits": len(found), "result": found[:PAGE], "scrollId": scroll_id}


def scroll_inventory(data: Any, scroll_id: str) -> dict:
    """The next page of a scroll the search opened."""
    _expire(data)
    scroll = data.inventory_scrolls.get(scroll_id)
    if scroll is None:
        raise ApiError(404, problem(404, detail=f"Scroll '{scroll_id}' does not exist or expired."))
    page, scroll["items"] = scroll["items"][:PAGE], scroll["items"][PAGE:]
    scroll["used"] = time.monotonic()
    if not page:
        del data.inventory_scrolls[scroll_id]
        return {"totalHits": scroll["total"], "result": [], "scrollId": None}
    return {"totalHits": scroll["total"], "result": page, "scrollId": scroll_id}


def _expire(data: Any) -> None:
    stale = time.monotonic() - SCROLL_TTL
    for scroll_id in [k for k, s in data.inventory_scrolls.items() if s["used"] < stale]:
        del data.inventory_scrolls[scroll_id]
