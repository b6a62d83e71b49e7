"""The sandbox's inventory reads, over real HTTP: ``POST /api/Inventory/Search`` with its
filters, and ``GET /api/Inventory/Scroll/{id}`` beyond the first 1,000 hits."""

from __future__ import annotations

import time

import pytest
import requests
from omnium_sandbox import inventory

from tests.conftest import call

SEARCH = "/api/Inventory/Search"


def stock(sandbox, warehouse: str, count: int, start: int = 0) -> None:
    sandbox.add_inventory(
        [
            {"sku": f"SKU-{n:05d}", "warehouseCode": warehouse, "inventory": n}
            for n in range(start, start + count)
        ]
    )


def search(api, body, status=200):
    response = call(api, "POST", SEARCH, json=body)
    assert response.status_code == status, response.text
    return response.json()


def test_a_search_needs_a_filter(sandbox, api):
    stock(sandbox, "oslo", 3)
    body = search(api, {}, 400)
    assert "at least one filter" in body["detail"]
    assert search(api, {"warehouseCodes": "oslo"}, 400)["errors"] == {
        "$.warehouseCodes": ["The JSON value could not be converted to a JSON array."]
    }


def test_filters_by_warehouse_and_sku_ordered_by_warehouse_then_sku(sandbox, api):
    stock(sandbox, "oslo", 3)
    stock(sandbox, "bergen", 2)
    found = search(api, {"warehouseCodes": ["oslo"]})
    assert found["totalHits"] == 3 and found["scrollId"] is None
    assert [(i["warehouseCode"], i["sku"], i["inventory"]) for i in found["result"]] == [
        ("oslo", "SKU-00000", 0),
        ("oslo", "SKU-00001", 1),
        ("oslo", "SKU-00002", 2),
    ]
    both = search(api, {"productCodes": ["SKU-00001"]})
    assert [(i["warehouseCode"], i["sku"]) for i in both["result"]] == [
        ("bergen", "SKU-00001"),
        ("oslo", "SKU-00001"),
    ]
    one = search(api, {"warehouseCodes": ["bergen", "trondheim"], "productCodes": ["SKU-00000"]})
    assert [(i["warehouseCode"], i["sku"]) for i in one["result"]] == [("bergen", "SKU-00000")]


def test_last_modified_is_a_delta(sandbox, api):
    stock(sandbox, "oslo", 2)
    time.sleep(0.01)
    since = sandbox.state.inventory[("SKU-00001", "oslo")]["modified"]
    call(
        api,
        "PUT",
        "/api/Inventory/UpdateMany",
        json=[{"sku": "SKU-00000", "warehouseCode": "oslo", "inventory": 7}],
    )
    changed = search(api, {"lastModified": since})
    assert {i["sku"] for i in changed["result"]} >= {"SKU-00000"}
    later = search(api, {"lastModified": "2999-01-01T00:00:00Z"})
    assert later["totalHits"] == 0
    assert search(api, {"lastModified": "yesterday"}, 400)["detail"].startswith("lastModified")


def test_more_than_1000_hits_are_read_with_the_scroll(sandbox, api):
    stock(sandbox, "oslo", 2500)
    stock(sandbox, "bergen", 10)
    first = search(api, {"warehouseCodes": ["oslo"]})
    assert first["totalHits"] == 2500 and len(first["result"]) == 1000
    scroll_id = first["scrollId"]
    assert scroll_id

    # Changes after the search do not show in its scroll: it is a snapshot.
    call(
        api,
        "PUT",
        "/api/Inventory/UpdateMany",
        json=[{"sku": "SKU-02499", "warehouseCode": "oslo", "inventory": -1}],
    )
    pages = []
    for _ in range(3):
        page = call(api, "GET", f"/api/Inventory/Scroll/{scroll_id}").json()
        pages.append(page)
    assert [len(p["result"]) for p in pages] == [1000, 500, 0]
    assert [p["scrollId"] for p in pages] == [scroll_id, scroll_id, None]
    assert {p["totalHits"] for p in pages} == {2500}
    items = first["result"] + pages[0]["result"] + pages[1]["result"]
    assert [i["sku"] for i in items] == [f"SKU-{n:05d}" for n in range(2500)]
    assert items[-1]["inventory"] == 2499
    # Finished: the scroll is gone.
    assert call(api, "GET", f"/api/Inventory/Scroll/{scroll_id}").status_code == 404


def test_an_unknown_or_expired_scroll_is_404(sandbox, api, monkeypatch):
    assert call(api, "GET", "/api/Inventory/Scroll/nope").status_code == 404
    stock(sandbox, "oslo", 1001)
    scroll_id = search(api, {"warehouseCodes": ["oslo"]})["scrollId"]
    monkeypatch.setattr(inventory, "SCROLL_TTL", -1.0)
    assert call(api, "GET", f"/api/Inventory/Scroll/{scroll_id}").status_code == 404


def test_reading_stock_needs_inventory_read(sandbox):
    sandbox.add_credentials("reader", "s", roles=("InventoryRead",))
    sandbox.add_credentials("orders", "s", roles=("OrderAdmin",))
    stock(sandbox, "oslo", 1)

    def searched(client_id):
        token = requests.post(
            f"{sandbox.url}/api/token",
            params={"clientId": client_id, "clientSecret": "s", "returnAsJson": "true"},
            timeout=10,
        ).json()["accessToken"]
        return requests.post(
            f"{sandbox.url}{SEARCH}",
            json={"warehouseCodes": ["oslo"]},
            headers={"Authorization": f"Bearer {token}"},
            timeout=10,
        )

    assert searched("reader").json()["result"][0]["inventory"] == 0
    assert searched("orders").status_code == 403


@pytest.mark.parametrize("count", [1000, 1001])
def test_the_scroll_opens_only_above_1000_hits(sandbox, api, count):
    stock(sandbox, "oslo", count)
    assert bool(search(api, {"warehouseCodes": ["oslo"]})["scrollId"]) == (count > 1000)
