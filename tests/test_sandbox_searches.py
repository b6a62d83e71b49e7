"""The sandbox's scroll, searches and full order update, over real HTTP: what the
reconciliation reads Omnium with (documented behaviour, and the sandbox's stated choices)."""

from __future__ import annotations

import time
from decimal import Decimal

from tests.conftest import call
from tests.test_omnium_sandbox import order


def scroll(api, **filters):
    first = call(api, "POST", "/api/Orders/Scroll", json=filters)
    assert first.status_code == 200, first.text
    pages = [first.json()]
    while pages[-1]["result"]:
        scroll_id = pages[-1]["scrollId"]
        pages.append(call(api, "GET", f"/api/Orders/Scroll/{scroll_id}").json())
    return pages


def test_a_scroll_hands_out_a_snapshot_a_thousand_at_a_time(sandbox, api):
    for n in range(2500):
        sandbox.state.add_order(order(f"O{n:04d}", orderType="Pos", status="Completed"))
    first = call(api, "POST", "/api/Orders/Scroll", json={"orderType": "Pos"}).json()
    assert (len(first["result"]), first["totalHits"]) == (1000, 2500)
    sandbox.state.add_order(order("LATE", orderType="Pos", status="Completed"))
    sandbox.set_order_status("O2499", "OrderCanceled")
    pages = [first]
    while pages[-1]["result"]:
        pages.append(call(api, "GET", f"/api/Orders/Scroll/{first['scrollId']}").json())
    assert [len(p["result"]) for p in pages] == [1000, 1000, 500, 0]
    ids = [o["id"] for p in pages for o in p["result"]]
    # Modified ascending, each order once, as they were when the scroll began.
    assert ids == [f"O{n:04d}" for n in range(2500)]
    assert pages[2]["result"][-1]["status"] == "Completed"
    assert sandbox.call_count("GET /api/Orders/Scroll/{id}") == 3


def test_scroll_filters_like_the_search_plus_a_created_window(sandbox, api):
    sandbox.seed_order(order("A", orderType="Pos", status="Completed", storeId="s1"))
    sandbox.seed_order(order("B", orderType="Pos", status="Completed", storeId="s2"))
    sandbox.seed_order(order("C", storeId="s1"))
    created_b = sandbox.state.orders["B"]["created"]
    modified_c = sandbox.state.orders["C"]["modified"]

    def ids(**filters):
        return [o["id"] for p in scroll(api, **filters) for o in p["result"]]

    assert ids(orderType="Pos", selectedStores=["s1"]) == ["A"]
    assert ids(createdFrom=created_b) == ["B", "C"]
    assert ids(createdTo=created_b) == ["A"]
    assert ids(modifiedFrom=created_b, modifiedTo=modified_c) == ["B"]
    assert call(api, "POST", "/api/Orders/Scroll", json={"createdFrom": "soon"}).status_code == 400


def test_a_scroll_left_unread_expires(sandbox, api):
    sandbox.configure(scroll_batch_size=1, scroll_keepalive=0.2)
    sandbox.seed_order(order("A"))
    sandbox.seed_order(order("B"))
    first = call(api, "POST", "/api/Orders/Scroll", json={}).json()
    assert len(first["result"]) == 1
    time.sleep(0.3)
    gone = call(api, "GET", f"/api/Orders/Scroll/{first['scrollId']}")
    assert gone.status_code == 404
    assert call(api, "GET", "/api/Orders/Scroll/nonsense").status_code == 404


def test_a_reading_api_user_may_scroll_and_search(sandbox, api):
    sandbox.add_credentials("reader", "pw", roles=["OrderRead", "CustomerRead"])
    token = call(
        api,
        "POST",
        "/api/token",
        params={"clientId": "reader", "clientSecret": "pw", "returnAsJson": "true"},
    ).json()["accessToken"]
    headers = {"Authorization": f"Bearer {token}"}
    assert call(api, "POST", "/api/Orders/Scroll", json={}, headers=headers).status_code == 200
    for path in ("/api/PrivateCustomers/Search", "/api/Invoices/Search"):
        assert call(api, "POST", path, json={}, headers=headers).status_code == 200
    # Writing is not reading.
    update = call(api, "POST", "/api/Orders/Update", json=order(), headers=headers)
    assert update.status_code == 403


def test_a_full_order_update_keeps_what_it_does_not_send(sandbox, api):
    sandbox.seed_order(order("O1", orderType="Pos", status="Completed", tags=["kept"]))
    call(
        api,
        "POST",
        "/api/Returns/O1/Return",
        json={"returns": [{"lineItemId": "1", "returnQuantity": 1}], "rmaNumber": "R1"},
    )
    changed = order("O1", orderType="Pos", status="OrderCanceled")
    changed["orderForm"]["lineItems"][0]["quantity"] = 3
    answer = call(api, "POST", "/api/Orders/Update", json=changed)
    assert answer.status_code == 200
    stored = sandbox.state.orders["O1"]
    assert stored["status"] == "OrderCanceled" and stored["tags"] == ["kept"]
    assert stored["orderForm"]["lineItems"][0]["quantity"] == 3
    assert stored["orderForm"]["total"] == Decimal("300.00")
    assert [f["rmaNumber"] for f in stored["returnOrderForms"]] == ["R1"]
    assert stored["versionId"] == 3  # created, returned, updated
    unknown = call(api, "POST", "/api/Orders/Update", json=order("NOPE"))
    assert unknown.status_code == 404


def test_customer_and_invoice_searches_page_over_a_modified_window(sandbox, api):
    for n in range(150):
        call(api, "POST", "/api/PrivateCustomers", json={"customerId": f"C{n:03d}"})
    marker = sandbox.state.private_customers["C100"]["modified"]
    page = call(
        api,
        "POST",
        "/api/PrivateCustomers/Search",
        json={"modifiedFrom": marker, "take": 100, "page": 0},
    ).json()
    assert page["totalHits"] == 50
    assert [c["customerId"] for c in page["result"]][:2] == ["C100", "C101"]
    everyone = call(api, "POST", "/api/PrivateCustomers/Search", json={"take": 100, "page": 1})
    assert len(everyone.json()["result"]) == 50
    deep = call(api, "POST", "/api/BusinessCustomers/Search", json={"take": 100, "page": 101})
    assert deep.status_code == 400
    for n in range(3):
        call(api, "PUT", "/api/Invoices/UpdateInvoice", json={"id": f"I{n}", "orderId": "O1"})
    call(api, "PUT", "/api/Invoices/UpdateInvoice", json={"id": "I9", "orderId": "O2"})
    invoices = call(api, "POST", "/api/Invoices/Search", json={"orderId": "O1"}).json()
    assert [i["id"] for i in invoices["result"]] == ["I0", "I1", "I2"]


def test_a_customer_edited_in_omniums_gui(sandbox, api):
    call(api, "POST", "/api/PrivateCustomers", json={"customerId": "C1", "email": "a@x.no"})
    before = sandbox.state.private_customers["C1"]["modified"]
    sandbox.edit_customer("private", {"customerId": "C1", "phone": "+47 1"})
    after = sandbox.state.private_customers["C1"]
    assert (after["email"], after["phone"]) == ("a@x.no", "+47 1")
    assert after["modified"] > before and after["versionId"] == 2
