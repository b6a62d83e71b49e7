"""The Omnium sandbox (``omnium_sandbox``) as a test double: Omnium's documented behaviour
over real HTTP, fault injection, the event emitter, and its command lines."""

from __future__ import annotations

import contextlib
import json
import subprocess
import threading
import time
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests
from omnium_sandbox import OmniumSandbox

from tests.conftest import PYTHON, ROOT, call


def get(url, **kwargs):
    return requests.get(url, timeout=10, **kwargs)


def post(url, **kwargs):
    return requests.post(url, timeout=10, **kwargs)


def order(order_id="O1", **extra) -> dict:
    data = {
        "id": order_id,
        "marketId": "NOR",
        "storeId": "oslo_city",
        "orderType": "ClickAndCollect",
        "status": "New",
        "orderForm": {
            "lineItems": [
                {
                    "lineItemId": "1",
                    "code": "SKU-1",
                    "quantity": 1,
                    "placedPrice": 100,
                    "taxRate": 25,
                }
            ]
        },
    }
    data.update(extra)
    return data


class Receiver:
    """A webhook endpoint that records deliveries and answers the statuses it is given."""

    def __init__(self):
        self.received: list[dict] = []
        self.statuses: list[int] = []  # answered in turn; 200 once exhausted
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append({"headers": dict(self.headers), "body": json.loads(body)})
                status = receiver.statuses.pop(0) if receiver.statuses else 200
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/omnium/events/"
        threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()

    def events(self) -> list[dict]:
        return [r["body"] for r in self.received]


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.server.shutdown()
    r.server.server_close()


# ----------------------------------------------------------------------------- tokens


def test_the_token_endpoint_as_omnium_documents_it(sandbox):
    sandbox.add_credentials("cid", "secret")
    url = f"{sandbox.url}/api/token"
    as_json = post(
        url, params={"clientId": "cid", "clientSecret": "secret", "returnAsJson": "true"}
    )
    assert as_json.status_code == 200
    assert set(as_json.json()) == {"accessToken", "tokenType", "expiresIn"}
    assert as_json.json()["expiresIn"] == 864000  # ten days
    plain = post(f"{sandbox.url}/API/Token", params={"clientId": "cid", "clientSecret": "secret"})
    assert plain.headers["Content-Type"].startswith("text/plain")
    assert plain.text.count(".") == 2  # a bare JWT
    wrong = post(url, params={"clientId": "cid", "clientSecret": "nope"})
    assert wrong.status_code == 401
    assert get(url).status_code == 405
    assert sandbox.token_requests("cid") == 3


def test_api_calls_need_a_valid_bearer_token(sandbox, api):
    assert get(f"{sandbox.url}/api/Orders/x").status_code == 401
    assert get(f"{sandbox.url}/api/Health").status_code == 200  # anonymous
    assert call(api, "GET", "/api/orders/x").status_code == 404  # paths ignore case
    sandbox.revoke_tokens("cid")
    refused = call(api, "GET", "/api/Orders/x")
    assert refused.status_code == 401
    assert refused.headers["WWW-Authenticate"].startswith("Bearer")


def test_roles_guard_resources(sandbox):
    sandbox.add_credentials("reader", "s", roles=["OrderRead", "CustomerAdmin"])
    session = requests.Session()
    token = session.post(
        f"{sandbox.url}/api/token", params={"clientId": "reader", "clientSecret": "s"}
    ).text
    session.headers["Authorization"] = f"Bearer {token}"
    assert session.get(f"{sandbox.url}/api/Orders/x").status_code == 404
    assert session.post(f"{sandbox.url}/api/Orders/Search", json={}).status_code == 200
    assert session.post(f"{sandbox.url}/api/Orders", json=order()).status_code == 403
    assert session.get(f"{sandbox.url}/api/PrivateCustomers/x").status_code == 404
    assert session.put(f"{sandbox.url}/api/Inventory/UpdateMany", json=[]).status_code == 403


def test_a_deactivated_user_is_refused_even_with_a_valid_token(sandbox, api):
    sandbox.deactivate("cid")
    assert call(api, "GET", "/api/Orders/x").status_code == 401
    again = post(f"{sandbox.url}/api/token", params={"clientId": "cid", "clientSecret": "secret"})
    assert again.status_code == 401


# ----------------------------------------------------------------------------- orders


def test_orders_are_validated_like_omnium_with_problem_details(sandbox, api):
    bad = order(marketId=None, orderForm={"lineItems": [{"lineItemId": "1", "quantity": "2"}]})
    response = call(api, "POST", "/api/Orders", json=bad)
    assert response.status_code == 400
    body = response.json()
    assert body["title"] == "One or more validation errors occurred." and body["status"] == 400
    assert body["errors"]["MarketId"] == ["The MarketId field is required."]
    assert "OrderForm.LineItems[0].Code" in body["errors"]
    assert "OrderForm.LineItems[0].PlacedPrice" in body["errors"]
    assert "$.orderForm.lineItems[0].quantity" in body["errors"]  # a string is not a number
    unknown = call(api, "POST", "/api/Orders", json=order(marketId="XYZ"))
    assert unknown.json()["errors"]["MarketId"] == ["Market 'XYZ' is not configured."]
    wrong_type = call(api, "POST", "/api/Orders", json=order(orderType="Telepathy"))
    assert "OrderType" in wrong_type.json()["errors"]
    assert sandbox.state.orders == {}


def test_member_names_bind_case_insensitively(sandbox, api):
    pascal = {
        "Id": "O9",
        "MarketId": "NOR",
        "StoreId": "s",
        "OrderType": "pos",
        "Status": "New",
        "OrderForm": {
            "LineItems": [{"LineItemId": "1", "Code": "A", "Quantity": 1, "PlacedPrice": 5}]
        },
    }
    stored = call(api, "POST", "/api/Orders", json=pascal).json()
    assert stored["orderType"] == "Pos" and stored["orderForm"]["lineItems"][0]["code"] == "A"


def test_an_order_id_is_added_once_and_a_repeat_is_a_conflict(sandbox, api):
    added = call(api, "POST", "/api/Orders", json=order(orderType="Pos"))
    assert added.status_code == 201
    first = added.json()
    assert (first["versionId"], first["orderNumber"]) == (1, "O1")
    repeat = call(api, "POST", "/api/Orders", json=order(orderType="Pos", status="Completed"))
    assert repeat.status_code == 409
    assert repeat.json()["status"] == 409 and "already exists" in repeat.json()["detail"]
    assert list(sandbox.state.orders) == ["O1"]
    assert sandbox.state.orders["O1"] == first  # untouched: no new version, no new status


def test_the_search_is_omniums_delta_query(sandbox, api):
    for i, (order_type, store) in enumerate(
        [("ClickAndCollect", "s1"), ("Online", "s1"), ("ClickAndCollect", "s2")]
    ):
        sandbox.seed_order(order(f"O{i}", orderType=order_type, storeId=store))
    marker = sandbox.state.orders["O1"]["modified"]

    def search(**body):
        return call(api, "POST", "/api/Orders/Search", json=body).json()

    delta = search(modifiedFrom=marker, sortOrder="ModifiedAscending", take=10)
    assert [o["id"] for o in delta["result"]] == ["O1", "O2"] and delta["totalHits"] == 2
    typed = search(orderType="clickandcollect", selectedStores=["s2"], take=10)
    assert [o["id"] for o in typed["result"]] == ["O2"]
    newest_first = search(take=2, page=0)  # the default sort: created, descending
    assert [o["id"] for o in newest_first["result"]] == ["O2", "O1"]
    assert call(api, "POST", "/api/Orders/Search", json={"take": 101}).status_code == 400
    too_deep = call(api, "POST", "/api/Orders/Search", json={"take": 100, "page": 101})
    assert too_deep.status_code == 400


def test_status_updates_patches_and_returns(sandbox, api):
    call(api, "POST", "/api/Orders", json=order())
    result = call(
        api,
        "POST",
        "/api/Orders/O1/UpdateStatus",
        json={"status": "ReadyForPickup", "shipmentInfo": {"shipmentId": "S1"}},
    ).json()
    assert result["isAborted"] is False
    assert result["order"]["orderForm"]["shipments"][0]["orderStatus"] == "ReadyForPickup"
    assert call(api, "POST", "/api/Orders/O1/UpdateStatus", json={}).status_code == 400
    patch = {"properties": [{"key": "a", "value": "1"}], "tags": ["x"]}
    assert call(api, "PATCH", "/api/Orders/O1/PatchOrder", json=patch).json()["isModified"]
    unchanged = call(api, "PATCH", "/api/Orders/O1/PatchOrder", json=patch).json()
    assert unchanged["isModified"] is False and unchanged["unchangedCount"] == 1
    too_many = {"returns": [{"lineItemId": "1", "returnQuantity": 2}]}
    assert call(api, "POST", "/api/Returns/O1/Return", json=too_many).status_code == 400
    ret = {"returns": [{"lineItemId": "1", "returnQuantity": 1, "creditAmount": 80}]}
    form = call(api, "POST", "/api/Returns/O1/Return", json=ret).json()
    assert form["creditAmount"] == 80 and form["orderType"] == "ReturnOrder"
    stored = sandbox.state.orders["O1"]
    assert stored["orderForm"]["lineItems"][0]["returnQuantity"] == 1
    assert stored["versionId"] == 4  # created, status, patch, return
    sandbox.configure(default_return_order_type=None)
    again = call(api, "POST", "/api/Returns/O1/Return", json=ret)
    assert "DefaultReturnOrderType" in again.json()["detail"]


def test_configured_stores_are_checked(sandbox, api):
    sandbox.configure(stores=[{"id": "oslo_city", "isWarehouse": True}, {"id": "web"}])
    assert call(api, "POST", "/api/Orders", json=order(storeId="bergen")).status_code == 400
    assert call(api, "POST", "/api/Orders", json=order()).status_code == 201
    stock = [{"sku": "A", "warehouseCode": "web", "inventory": 1}]
    response = call(api, "PUT", "/api/Inventory/UpdateMany", json=stock)
    assert response.json()["errors"]["$[0].WarehouseCode"] == ["Store 'web' is not a warehouse."]


# -------------------------------------------------------------- customers, stock, POs


def test_customers(sandbox, api):
    customer = {"customerId": "p1", "firstName": "Ola", "lastName": "Nordmann"}
    assert call(api, "POST", "/api/PrivateCustomers", json=customer).status_code == 201
    assert call(api, "POST", "/api/PrivateCustomers", json=customer).status_code == 409
    missing = call(api, "POST", "/api/PrivateCustomers/Update", json={"customerId": "p2"})
    assert missing.status_code == 404
    assert call(api, "POST", "/api/BusinessCustomers", json={"name": "x"}).status_code == 400
    assert call(api, "GET", "/api/PrivateCustomers/p1").json()["fullName"] == "Ola Nordmann"


def test_customer_patches_change_only_what_they_send(sandbox, api):
    customer = {
        "customerId": "p1",
        "firstName": "Ola",
        "lastName": "Nordmann",
        "email": "ola@example.no",
        "properties": [{"key": "a", "value": "1"}],
    }
    call(api, "POST", "/api/PrivateCustomers", json=customer)
    patch = {"customerId": "p1", "email": "ola.n@example.no", "properties": [{"key": "b"}]}
    response = call(api, "PATCH", "/api/PrivateCustomers/PatchPrivateCustomer", json=patch)
    assert response.status_code == 200
    stored = sandbox.state.private_customers["p1"]
    assert (stored["firstName"], stored["email"], stored["versionId"]) == (
        "Ola",
        "ola.n@example.no",
        2,
    )
    assert [p["key"] for p in stored["properties"]] == ["a", "b"]  # merged by key
    # A patch that changes nothing makes no version and no event.
    events = len(sandbox.events.emitted)
    call(api, "PATCH", "/api/PrivateCustomers/PatchPrivateCustomer", json=patch)
    assert sandbox.state.private_customers["p1"]["versionId"] == 2
    assert len(sandbox.events.emitted) == events
    unknown = {"customerId": "nobody", "email": "x@example.no"}
    path = "/api/BusinessCustomers/PatchBusinessCustomer"
    assert call(api, "PATCH", path, json=unknown).status_code == 404


def test_add_or_update_many_customers_at_most_100(sandbox, api):
    batch = [{"customerId": f"b{n}", "name": f"Company {n}"} for n in range(100)]
    path = "/api/BusinessCustomers/AddOrUpdateMany"
    assert call(api, "PUT", path, json=batch).status_code == 200
    batch[0]["name"] = "Renamed"
    call(api, "PUT", path, json=batch[:1])
    assert sandbox.state.business_customers["b0"]["name"] == "Renamed"
    assert len(sandbox.state.business_customers) == 100
    too_many = batch + [{"customerId": "b100"}]
    assert call(api, "PUT", path, json=too_many).status_code == 400
    assert "b100" not in sandbox.state.business_customers
    operations = [e["operationId"] for e in sandbox.events.emitted]
    assert operations.count(330215) == 101


def test_a_deleted_customer_is_gone_and_says_so(sandbox, api):
    call(api, "POST", "/api/BusinessCustomers", json={"customerId": "b1", "name": "Acme"})
    assert call(api, "DELETE", "/api/BusinessCustomers/b1").status_code == 200
    assert call(api, "GET", "/api/BusinessCustomers/b1").status_code == 404
    assert call(api, "DELETE", "/api/BusinessCustomers/b1").status_code == 404
    call(api, "POST", "/api/PrivateCustomers", json={"customerId": "p1", "firstName": "Ola"})
    assert call(api, "DELETE", "/api/PrivateCustomers/p1").status_code == 200
    assert "p1" not in sandbox.state.private_customers
    deleted = [
        (e["className"], e["category"], e["operationId"], e["objectId"])
        for e in sandbox.events.emitted
        if e["category"] == "Deleted"
    ]
    assert deleted == [
        ("BusinessCustomer", "Deleted", 330202, "b1"),
        ("PrivateCustomer", "Deleted", 330102, "p1"),
    ]


def test_an_anonymised_customer_keeps_its_id_and_orders_but_no_personal_data(sandbox, api):
    customer = {
        "customerId": "p1",
        "firstName": "Ola",
        "lastName": "Nordmann",
        "email": "ola@example.no",
        "phone": "+4790000000",
        "customerNumber": "LOY-9",
        "marketGroupId": "nordic",
        "address": {"line1": "Storgata 1", "city": "Oslo", "countryCode": "NO"},
        "externalIds": [{"id": "VOY-9", "providerName": "Voyado"}],
    }
    call(api, "POST", "/api/PrivateCustomers", json=customer)
    billing = {"name": "Ola Nordmann", "line1": "Storgata 1", "city": "Oslo", "email": "x@y.z"}
    sandbox.seed_order(
        order(
            customerId="p1",
            customerName="Ola Nordmann",
            customerEmail="ola@example.no",
            customerPhone="+4790000000",
            billingAddress=billing,
        )
    )
    response = call(api, "DELETE", "/api/PrivateCustomers/Anonymize", params={"id": "p1"})
    assert response.status_code == 200 and response.content == b""
    anonymised = call(api, "GET", "/api/PrivateCustomers/p1").json()
    assert anonymised["isAnonymized"] is True
    assert (anonymised["customerId"], anonymised["marketGroupId"]) == ("p1", "nordic")
    text = json.dumps(anonymised) + json.dumps(sandbox.state.orders["O1"], default=str)
    for personal in ("Ola", "Nordmann", "ola@example.no", "4790000000", "Storgata", "VOY-9"):
        assert personal not in text
    assert sandbox.state.orders["O1"]["customerId"] == "p1"
    (event,) = [e for e in sandbox.events.emitted if e["category"] == "Anonymized"]
    assert (event["className"], event["operationId"], event["externalIds"]) == (
        "PrivateCustomer",
        330103,
        [],
    )
    assert sandbox.object_calls("DELETE /api/PrivateCustomers/Anonymize") == {"p1": 1}
    # Again: nothing more to do, and no second event.
    assert call(api, "DELETE", "/api/PrivateCustomers/Anonymize", params={"id": "p1"}).ok
    assert [e["category"] for e in sandbox.events.emitted].count("Anonymized") == 1
    assert call(api, "DELETE", "/api/PrivateCustomers/Anonymize").status_code == 400
    missing = call(api, "DELETE", "/api/PrivateCustomers/Anonymize", params={"id": "nobody"})
    assert missing.status_code == 404


def test_customer_calls_raise_omniums_customer_events(sandbox, api, receiver):
    sandbox.subscribe(receiver.url, class_names=["PrivateCustomer", "BusinessCustomer"])
    call(api, "POST", "/api/PrivateCustomers", json={"customerId": "p1", "firstName": "A"})
    call(api, "POST", "/api/PrivateCustomers/Update", json={"customerId": "p1", "firstName": "B"})
    patch = {"customerId": "p1", "email": "b@example.no"}
    call(api, "PATCH", "/api/PrivateCustomers/PatchPrivateCustomer", json=patch)
    call(api, "POST", "/api/BusinessCustomers", json={"customerId": "b1", "name": "Acme"})
    call(api, "POST", "/api/BusinessCustomers/Update", json={"customerId": "b1", "name": "A2"})
    patch = {"customerId": "b1", "taxId": "999"}
    call(api, "PATCH", "/api/BusinessCustomers/PatchBusinessCustomer", json=patch)
    sandbox.events.wait_idle()
    assert [(e["className"], e["category"], e["operationId"]) for e in receiver.events()] == [
        ("PrivateCustomer", "Created", 330100),
        ("PrivateCustomer", "Updated", 330101),
        ("PrivateCustomer", "Updated", 330113),
        ("BusinessCustomer", "Created", 330200),
        ("BusinessCustomer", "Updated", 330201),
        ("BusinessCustomer", "Updated", 330210),
    ]
    assert {e["objectId"] for e in receiver.events()} == {"p1", "b1"}


def test_changes_made_in_omnium_itself(sandbox):
    sandbox.state.create_customer("private", {"customerId": "p1", "email": "a@x.no"}, "test")
    sandbox.patch_customer("private", {"customerId": "p1", "email": "b@x.no"})
    assert sandbox.state.private_customers["p1"]["email"] == "b@x.no"
    sandbox.anonymize_customer("p1")
    assert "email" not in sandbox.state.private_customers["p1"]
    sandbox.delete_customer("private", "p1")
    assert sandbox.state.private_customers == {}
    assert [e["origin"] for e in sandbox.events.emitted][1:] == ["GUI", "GUI", "GUI"]


def test_inventory_update_many(sandbox, api):
    items = [{"sku": f"S{i}", "warehouseCode": "w1", "inventory": i} for i in range(1000)]
    response = call(api, "PUT", "/api/Inventory/UpdateMany", json=items)
    assert response.status_code == 200 and response.content == b""
    assert len(sandbox.state.inventory_transactions) == 1000
    items[0]["inventory"] = 5
    call(api, "PUT", "/api/Inventory/UpdateMany", json=items)  # one real change
    assert len(sandbox.state.inventory_transactions) == 1001
    over = items + [{"sku": "X", "warehouseCode": "w1", "inventory": 1}]
    assert call(api, "PUT", "/api/Inventory/UpdateMany", json=over).status_code == 400
    missing = call(api, "PUT", "/api/Inventory/UpdateMany", json=[{"sku": "A"}]).json()
    assert set(missing["errors"]) == {"$[0].WarehouseCode", "$[0].Inventory"}


def test_goods_reception(sandbox, api):
    sandbox.add_purchase_order(
        {
            "id": "PO1",
            "purchaseOrderForm": {
                "lineItems": [
                    {"lineItemId": "L1", "code": "A", "quantity": 5},
                    {"lineItemId": "L2", "code": "B", "quantity": 2},
                ]
            },
        }
    )
    sandbox.add_delivery({"id": "D1", "warehouseCode": "w1", "purchaseOrderIds": ["PO1"]})
    path = "/api/Deliveries/D1/ProcessGoodsReception"
    lines = [
        {
            "lineItemId": "L1",
            "deliveredQuantity": 3,
            "warehouseCode": "w1",
            "goodsReceptionId": "G1",
        },
        {
            "lineItemId": "L2",
            "deliveredQuantity": 2,
            "warehouseCode": "w1",
            "goodsReceptionId": "G1",
        },
    ]
    assert call(api, "POST", path, json=lines).status_code == 200
    assert sandbox.state.deliveries["D1"]["deliveryStatus"] == "InProgress"
    assert sandbox.state.inventory[("A", "w1")]["inventory"] == 3
    duplicate = call(api, "POST", path, json=[{**lines[0], "goodsReceptionId": "G1"}])
    assert duplicate.status_code == 400
    assert duplicate.json()["duplicateGoodsReceptionIds"] == ["G1"]
    assert "G1" in duplicate.json()["detail"]
    rest = {
        "lineItemId": "L1",
        "deliveredQuantity": 2,
        "warehouseCode": "w1",
        "goodsReceptionId": "G2",
    }
    call(api, "POST", path, json=[rest])
    po = call(api, "GET", "/api/PurchaseOrders/PO1").json()
    assert [line["deliveredQuantity"] for line in po["purchaseOrderForm"]["lineItems"]] == [5, 2]
    assert po["status"] == "Completed"
    assert sandbox.state.deliveries["D1"]["deliveryStatus"] == "Completed"
    assert sandbox.state.inventory[("A", "w1")]["inventory"] == 5
    foreign = call(api, "POST", path, json=[{**rest, "lineItemId": "L9", "goodsReceptionId": "G3"}])
    assert "does not belong to delivery" in json.dumps(foreign.json())
    assert call(api, "POST", "/api/Deliveries/D9/ProcessGoodsReception", json=[]).status_code == 404


def test_invoice_files_raw_or_multipart(sandbox, api):
    assert call(api, "PUT", "/api/Invoices/UpdateInvoice", json={"id": "I1"}).status_code == 200
    raw = call(
        api,
        "POST",
        "/api/Invoices/I1/AddFileToInvoice",
        params={"fileName": "a.pdf"},
        data=b"%PDF raw",
        headers={"Content-Type": "application/pdf"},
    )
    assert raw.json()["assets"][0]["fileName"] == "a.pdf"
    multipart = call(
        api,
        "POST",
        "/api/Invoices/I1/AddFileToInvoice",
        params={"fileName": "b.pdf"},
        files={"file": ("b.pdf", b"%PDF multi", "application/pdf")},
    ).json()
    assert [a["fileName"] for a in multipart["assets"]] == ["a.pdf", "b.pdf"]
    stored = get(sandbox.url + multipart["assets"][1]["url"])
    assert stored.content == b"%PDF multi"
    assert stored.headers["Content-Type"] == "application/pdf"
    no_name = call(api, "POST", "/api/Invoices/I1/AddFileToInvoice", data=b"x")
    assert no_name.status_code == 400
    assert (
        call(api, "POST", "/api/Invoices/I9/AddFileToInvoice?fileName=x", data=b"x").status_code
        == 404
    )


def test_tenants_do_not_share_data(sandbox, api):
    sandbox.add_credentials("other", "s", tenant="second")
    other = requests.Session()
    token = other.post(
        f"{sandbox.url}/api/token", params={"clientId": "other", "clientSecret": "s"}
    ).text
    other.headers["Authorization"] = f"Bearer {token}"
    call(api, "POST", "/api/Orders", json=order())
    assert other.get(f"{sandbox.url}/api/Orders/O1").status_code == 404
    assert other.post(f"{sandbox.url}/api/Orders", json=order()).status_code == 201
    assert list(sandbox.tenant("second").orders) == ["O1"]


# ---------------------------------------------------------------------------- faults


def test_seeded_error_rates_repeat(sandbox, api):
    def run():
        sandbox.faults.seed(42)
        sandbox.faults.configure(error_rates={503: 0.3, 500: 0.2}, retry_after=3)
        return [call(api, "GET", "/api/Orders/x").status_code for _ in range(30)]

    first, second = run(), run()
    assert first == second
    assert {404, 500, 503} == set(first)
    refused = call(api, "POST", "/api/token", params={"clientId": "cid", "clientSecret": "secret"})
    assert refused.status_code == 200  # the token endpoint is out of scope by default


def test_a_429_burst_carries_retry_after(sandbox, api):
    sandbox.faults.burst_429(2, retry_after=4)
    statuses = [call(api, "GET", "/api/Orders/x") for _ in range(3)]
    assert [r.status_code for r in statuses] == [429, 429, 404]
    assert statuses[0].headers["Retry-After"] == "4"


def test_dropped_connections_and_latency(sandbox, api):
    sandbox.faults.drop_next()
    with pytest.raises(requests.ConnectionError):
        call(api, "GET", "/api/Orders/x")
    sandbox.faults.configure(latency=0.2)
    started = time.monotonic()
    assert call(api, "GET", "/api/Orders/x").status_code == 404
    assert time.monotonic() - started >= 0.2


def test_lost_replies_take_effect_and_dropped_calls_do_not(sandbox, api):
    sandbox.faults.configure(lost_reply_rate=1.0)
    with pytest.raises(requests.ConnectionError):
        call(api, "POST", "/api/Orders", json=order("LOST"))
    sandbox.faults.configure(lost_reply_rate=0, drop_rate=1.0)
    with pytest.raises(requests.ConnectionError):
        call(api, "POST", "/api/Orders", json=order("DROPPED"))
    assert list(sandbox.state.orders) == ["LOST"]
    sandbox.faults.configure(drop_rate=0, slow_rate=1.0, slow_delay=0.3)
    with pytest.raises(requests.Timeout):
        api.get(f"{sandbox.url}/api/Orders/LOST", timeout=0.1)


def test_injected_faults_are_counted_by_kind(sandbox, api):
    sandbox.faults.fail_next(503, retry_after=1)
    sandbox.faults.burst_429(2)
    sandbox.faults.drop_next()
    sandbox.faults.drop_next(after_processing=True)
    for _ in range(6):
        with contextlib.suppress(requests.ConnectionError):
            call(api, "GET", "/api/Orders/x")
    sandbox.faults.configure(slow_rate=1.0, slow_delay=0.01)
    call(api, "GET", "/api/Orders/x")
    assert sandbox.faults.injected() == {
        "503": 1,
        "429": 2,
        "drop": 1,
        "lost_reply": 1,
        "slow": 1,
    }
    sandbox.faults.clear()
    assert sandbox.faults.injected() == {}


def test_calls_are_counted_per_object_faulted_ones_too(sandbox, api):
    sandbox.faults.fail_next(500)
    for order_id in ("O1", "O1", "O2"):
        call(api, "POST", "/api/Orders", json=order(order_id))
    call(api, "GET", "/api/Orders/O2")
    call(api, "POST", "/api/Orders/Search", json={"take": 10, "page": 0})
    assert sandbox.object_calls("POST /api/Orders") == {"O1": 2, "O2": 1}
    assert sandbox.object_calls("get /api/orders/{id}") == {"O2": 1}
    assert sandbox.object_calls("POST /api/Orders/Search") == {}
    assert list(sandbox.state.orders) == ["O1", "O2"]  # the first O1 met the 500


def test_a_call_held_by_latency_across_a_reset_changes_nothing(sandbox, api):
    # A test's slow call must not land in the next test's data.
    sandbox.faults.delay_next(0.3)
    errors = []

    def late_call():
        try:
            call(api, "POST", "/api/Orders", json=order("LATE"))
        except requests.ConnectionError as exc:
            errors.append(exc)

    thread = threading.Thread(target=late_call)
    thread.start()
    time.sleep(0.1)
    sandbox.reset()
    thread.join()
    assert sandbox.state.orders == {}
    assert errors  # closed without an answer


def test_the_state_is_readable_over_http(sandbox, api):
    base = f"{sandbox.url}/sandbox"
    call(api, "POST", "/api/Orders", json=order())
    assert [o["id"] for o in get(f"{base}/state").json()["orders"]] == ["O1"]
    sandbox.add_credentials("other", "s", tenant="second")
    assert get(f"{base}/state", params={"tenant": "second"}).json()["orders"] == []
    gone = post(f"{base}/reset")  # the state is Python's to change, not a caller's
    assert gone.status_code == 404 and gone.json()["status"] == 404
    assert list(sandbox.state.orders) == ["O1"]


# ---------------------------------------------------------------------------- events


def test_events_are_omnium_envelopes_sent_with_the_subscription_headers(sandbox, api, receiver):
    sandbox.subscribe(
        receiver.url, headers={"X-Omnium-Api-Key": "k1"}, order_types=["ClickAndCollect"]
    )
    call(api, "POST", "/api/Orders", json=order())
    call(api, "POST", "/api/Orders/O1/UpdateStatus", json={"status": "ReadyForPickup"})
    call(api, "POST", "/api/Orders", json=order("P1", orderType="Pos"))  # filtered out
    assert sandbox.events.wait_idle()
    first, second = receiver.events()
    assert receiver.received[0]["headers"]["X-Omnium-Api-Key"] == "k1"
    assert receiver.received[0]["headers"]["Content-Type"] == "application/json"
    assert first["className"] == "Order" and first["subClassName"] == "ClickAndCollect"
    assert (first["objectId"], first["category"], first["operationId"]) == ("O1", "Created", 110106)
    assert (first["storeId"], first["market"], first["status"]) == ("oslo_city", "NOR", "New")
    assert (second["category"], second["status"], second["previousStatus"]) == (
        "Workflow",
        "ReadyForPickup",
        "New",
    )
    assert second["operationId"] == 310101 and first["id"] != second["id"]
    assert "order" not in first and "orderForm" not in first  # metadata only
    assert {e["objectId"] for e in sandbox.events.emitted} == {"O1", "P1"}


def test_failed_deliveries_follow_omniums_retry_policy(sandbox, api, receiver):
    sandbox.subscribe(receiver.url)
    receiver.statuses = [500, 503, 502, 500]  # every attempt fails
    sandbox.seed_order(order("A"))
    assert sandbox.events.wait_idle()
    attempts = [d["attempt"] for d in sandbox.events.deliveries]
    assert attempts == [1, 2, 3, 4]  # the first call and three retries
    assert [e["status"] for e in sandbox.events.log] == ["Failed"] * 4
    for status in (400, 404, 429):  # never retried
        receiver.statuses = [status]
        sandbox.seed_order(order(f"N{status}"))
        assert sandbox.events.wait_idle()
        assert sandbox.events.deliveries[-1]["willRetry"] is False
    receiver.statuses = [500]
    sandbox.seed_order(order("B"))
    assert sandbox.events.wait_idle()
    assert [d["status"] for d in sandbox.events.deliveries[-2:]] == [500, 200]


def test_events_can_be_held_reordered_repeated_and_made_up(sandbox, api, receiver):
    sandbox.subscribe(receiver.url)
    sandbox.events.hold()
    for i in range(3):
        sandbox.seed_order(order(f"O{i}"))
    assert receiver.received == [] and len(sandbox.events.held_events()) == 3
    assert sandbox.events.release("reverse") == 3
    assert sandbox.events.wait_idle()
    assert [e["objectId"] for e in receiver.events()] == ["O2", "O1", "O0"]
    event_id = receiver.events()[0]["id"]
    sandbox.events.repeat(event_id, times=2)
    made_up = sandbox.events.emit(objectId="O1", category="Workflow", status="PickedUp")
    assert sandbox.events.wait_idle()
    ids = [e["id"] for e in receiver.events()]
    assert ids.count(event_id) == 3
    assert receiver.events()[-1] == made_up


# ------------------------------------------------------------------------ standalone


def test_decimals_survive_the_round_trip(sandbox, api):
    body = json.dumps(order(orderForm={"lineItems": [
        {"lineItemId": "1", "code": "A", "quantity": 1.005, "placedPrice": 0.29}
    ]}))  # fmt: skip
    call(api, "POST", "/api/Orders", data=body, headers={"Content-Type": "application/json"})
    line = sandbox.state.orders["O1"]["orderForm"]["lineItems"][0]
    assert line["quantity"] == Decimal("1.005") and line["placedPrice"] == Decimal("0.29")
    text = call(api, "GET", "/api/Orders/O1").text
    assert '"placedPrice": 0.29' in text and '"quantity": 1.005' in text


def test_the_sandbox_refuses_to_listen_beyond_loopback():
    with pytest.raises(ValueError, match="loopback"):
        OmniumSandbox("0.0.0.0")  # noqa: S104 - the point: it must refuse


def serves(command: list[str], cwd) -> None:
    """Start ``command``, read where it serves, and check it is a fake Omnium there."""
    process = subprocess.Popen(
        command, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        line = process.stdout.readline()
        assert "Omnium sandbox on http://127.0.0.1:" in line, line
        url = line.split(" on ")[1].split()[0]
        token = post(f"{url}/api/token", params={"clientId": "a", "clientSecret": "b"})
        assert token.status_code == 200
        assert get(f"{url}/api/Health").json() == {"status": "Healthy"}
    finally:
        process.terminate()
        process.wait(10)


@pytest.mark.slow
def test_the_command_line_serves_the_sandbox_without_django(tmp_path):
    serves([PYTHON, "-m", "omnium_sandbox", "--port", "0", "--credentials", "a:b"], tmp_path)
    refused = subprocess.run(
        [PYTHON, "-m", "omnium_sandbox", "--host", "0.0.0.0"],  # noqa: S104 - it must refuse
        capture_output=True,
        text=True,
        cwd=tmp_path,
    )
    assert refused.returncode == 2 and "invalid choice" in refused.stderr


@pytest.mark.slow
def test_the_stub_hosts_command_serves_the_sandbox():
    serves([PYTHON, "manage.py", "omnium_sandbox", "--port", "0", "--credentials", "a:b"], ROOT)
