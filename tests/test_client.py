"""The Omnium client over real HTTP against the sandbox: typed calls, error classification,
limits, exact decimals, and no secrets in anything a person reads."""

from __future__ import annotations

import json
import logging
import threading
import traceback
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from email.utils import format_datetime

import pytest
from django.db import connection
from django.test import override_settings

from omnium_integration import __version__
from omnium_integration.client import get_client
from omnium_integration.client.http import encode_json, retry_after_seconds
from omnium_integration.exceptions import (
    DuplicateGoodsReception,
    MappingError,
    OmniumConflict,
    PermanentError,
    RetryableError,
)
from omnium_integration.models import TenantExtension
from tests.omnium_worker import run_workers


def settings_with(**values):
    from django.conf import settings

    return override_settings(OMNIUM_INTEGRATION={**settings.OMNIUM_INTEGRATION, **values})


def pos_order(order_id: str = "POS1", **extra) -> dict:
    order = {
        "id": order_id,
        "marketId": "NOR",
        "storeId": "oslo_city",
        "orderType": "Pos",
        "status": "Completed",
        "customerId": "c-1",
        "orderForm": {
            "lineItems": [
                {
                    "lineItemId": "1",
                    "code": "SKU-1",
                    "quantity": Decimal("1.005"),
                    "placedPrice": Decimal("0.29"),
                    "taxRate": 25,
                },
                {
                    "lineItemId": "2",
                    "code": "SKU-2",
                    "quantity": 2,
                    "placedPrice": Decimal("199.50"),
                    "taxRate": 25,
                },
            ],
            "payments": [
                {
                    "paymentMethodName": "Cash",
                    "transactionId": "t-1",
                    "transactionType": "Sale",
                    "status": "Processed",
                    "amount": Decimal("399.29"),
                }
            ],
        },
    }
    order.update(extra)
    return order


# ---------------------------------------------------------------------------- orders


def test_a_pos_order_goes_out_with_exact_decimals_and_comes_back_as_decimals(omnium, sandbox):
    client = get_client(omnium)
    client.add_order(pos_order())
    raw = sandbox.last_requests("POST /api/Orders")[-1]["body"].decode()
    assert '"quantity": 1.005' in raw
    assert '"placedPrice": 0.29' in raw
    assert '"amount": 399.29' in raw
    assert json.loads(raw, parse_float=Decimal)["orderForm"]["lineItems"][1]["placedPrice"] == (
        Decimal("199.5")
    )
    order = client.get_order("POS1")
    line = order["orderForm"]["lineItems"][0]
    assert line["placedPrice"] == Decimal("0.29") and isinstance(line["placedPrice"], Decimal)
    assert line["quantity"] == Decimal("1.005")
    assert order["orderForm"]["payments"][0]["amount"] == Decimal("399.29")
    # totals Omnium calculates: 1.005 x 0.29 = 0.29 (to the cent) + 2 x 199.50
    assert order["orderForm"]["total"] == Decimal("399.29")


def test_numbers_that_cannot_be_sent_exactly_are_refused():
    assert encode_json({"a": Decimal("12345678.12")}) == b'{"a": 12345678.12}'
    assert encode_json({"d": datetime(2026, 3, 1, 10, 0, tzinfo=UTC)}) == (
        b'{"d": "2026-03-01T10:00:00Z"}'
    )
    with pytest.raises(MappingError, match="exactly"):
        encode_json({"a": Decimal("0.12345678901234567")})
    with pytest.raises(MappingError, match="finite"):
        encode_json({"a": Decimal("NaN")})


def test_add_order_with_a_taken_id_is_a_conflict(omnium, sandbox):
    client = get_client(omnium)
    client.add_order(pos_order())
    with pytest.raises(OmniumConflict) as caught:
        client.add_order(pos_order(customerId="c-2"))
    assert caught.value.status_code == 409
    assert "already exists" in caught.value.body
    assert list(sandbox.state.orders) == ["POS1"]
    assert sandbox.state.orders["POS1"]["customerId"] == "c-1"  # the first one, untouched


def test_a_validation_error_is_permanent_with_omniums_body(omnium, sandbox):
    order = pos_order(marketId="XYZ")
    del order["orderForm"]["lineItems"][0]["code"]
    with pytest.raises(PermanentError) as caught:
        get_client(omnium).add_order(order)
    error = caught.value
    assert error.status_code == 400
    assert "OrderForm.LineItems[0].Code" in str(error)  # the reason, in the job's error
    assert json.loads(error.body)["errors"]["OrderForm.LineItems[0].Code"]
    assert sandbox.state.orders == {}


def test_get_returns_none_for_an_unknown_id_but_other_404s_are_errors(omnium, sandbox):
    client = get_client(omnium)
    assert client.get_order("nope") is None
    assert client.get_private_customer("nope") is None
    assert client.get_purchase_order("nope") is None
    assert client.get_invoice("nope") is None
    with pytest.raises(PermanentError) as caught:
        client.update_order_status("nope", "Completed")
    assert caught.value.status_code == 404


def test_ids_are_sent_as_one_path_segment(omnium, sandbox):
    client = get_client(omnium)
    client.add_order(pos_order("ORD/2026 #1"))
    assert client.get_order("ORD/2026 #1")["id"] == "ORD/2026 #1"


def test_status_patch_return_and_cancel(omnium, sandbox):
    client = get_client(omnium)
    client.add_order(pos_order("CC1", orderType="ClickAndCollect", status="New"))
    result = client.update_order_status("CC1", "ReadyForPickup")
    assert result["order"]["status"] == "ReadyForPickup"
    patched = client.patch_order("CC1", {"properties": [{"key": "flow_uid", "value": "u1"}]})
    assert patched["isModified"] is True
    form = client.create_return(
        "CC1", {"returns": [{"lineItemId": "2", "returnQuantity": 1, "isStockUpdated": True}]}
    )
    assert form["creditAmount"] == Decimal("199.50")
    client.update_order_status("CC1", "OrderCanceled")
    order = client.get_order("CC1")
    assert order["status"] == "OrderCanceled"
    assert order["properties"] == [{"key": "flow_uid", "value": "u1"}]
    assert [f["returnId"] for f in order["returnOrderForms"]] == [form["returnId"]]


def test_search_orders_sends_omniums_delta_query(omnium, sandbox):
    client = get_client(omnium)
    since = datetime.now(UTC) - timedelta(seconds=5)
    sandbox.seed_order(pos_order("W1", orderType="Online", status="New", storeId="s1"))
    sandbox.seed_order(pos_order("C1", orderType="ClickAndCollect", status="New", storeId="s1"))
    sandbox.seed_order(pos_order("C2", orderType="ClickAndCollect", status="New", storeId="s2"))
    client.add_order(pos_order("P1"))
    found = client.search_orders(since)
    assert [o["id"] for o in found["result"]] == ["W1", "C1", "C2", "P1"]  # oldest change first
    sent = json.loads(sandbox.last_requests("POST /api/Orders/Search")[-1]["body"])
    assert sent["sortOrder"] == "ModifiedAscending" and sent["modifiedFrom"].endswith("Z")
    assert sent["take"] == 100 and sent["page"] == 0 and sent["disableFacets"] is True
    found = client.search_orders(since, order_types=["ClickAndCollect", "Online"])
    assert [o["id"] for o in found["result"]] == ["W1", "C1", "C2"]
    assert found["totalHits"] == 3
    found = client.search_orders(since, order_types=["ClickAndCollect"], store_ids=["s2"])
    assert [o["id"] for o in found["result"]] == ["C2"]
    pages = [client.search_orders(since, page=p, take=2)["result"] for p in range(3)]
    assert [[o["id"] for o in page] for page in pages] == [["W1", "C1"], ["C2", "P1"], []]
    latest = sandbox.state.orders["P1"]["modified"]
    assert [o["id"] for o in client.search_orders(latest)["result"]] == ["P1"]  # inclusive


# ------------------------------------------------------------------------- customers


def test_private_and_business_customers(omnium, sandbox):
    client = get_client(omnium)
    client.create_private_customer({"customerId": "p1", "firstName": "Kari", "lastName": "N"})
    with pytest.raises(OmniumConflict):
        client.create_private_customer({"customerId": "p1"})
    client.update_private_customer({"customerId": "p1", "firstName": "Kari", "lastName": "M"})
    assert client.get_private_customer("p1")["fullName"] == "Kari M"
    client.create_business_customer({"customerId": "b1", "name": "Acme AS"})
    client.update_business_customer({"customerId": "b1", "name": "Acme Norge AS"})
    assert client.get_business_customer("b1")["name"] == "Acme Norge AS"
    assert sandbox.state.business_customers["b1"]["versionId"] == 2


# ------------------------------------------------------------------------- inventory


def test_2500_stock_items_are_sent_in_three_sequential_calls(omnium, sandbox):
    items = [
        {"sku": f"SKU-{i}", "warehouseCode": "oslo_city", "inventory": Decimal(i) / 4}
        for i in range(2500)
    ]
    assert get_client(omnium).update_inventory(items) == 3
    assert sandbox.call_count("PUT /api/Inventory/UpdateMany") == 3
    calls = sandbox.last_requests("PUT /api/Inventory/UpdateMany")
    assert [len(json.loads(c["body"])) for c in calls] == [1000, 1000, 500]
    assert sandbox.max_in_flight(omnium.client_id) == 1  # sequential
    assert len(sandbox.state.inventory) == 2500
    assert sandbox.state.inventory[("SKU-3", "oslo_city")]["inventory"] == Decimal("0.75")
    assert get_client(omnium).update_inventory([]) == 0


# ----------------------------------------------------- purchase orders, deliveries


def test_goods_reception_and_its_duplicate_check(omnium, sandbox):
    sandbox.add_purchase_order(
        {
            "id": "PO1",
            "deliveryId": "D1",
            "storeId": "oslo_city",
            "purchaseOrderForm": {
                "lineItems": [{"lineItemId": "L1", "code": "SKU-1", "quantity": 10}]
            },
        }
    )
    client = get_client(omnium)
    assert client.get_delivery("D1")["id"] == "D1"
    line = {"lineItemId": "L1", "deliveredQuantity": 4, "warehouseCode": "oslo_city"}
    client.process_goods_reception("D1", [{**line, "goodsReceptionId": "GR1"}])
    assert (
        client.get_purchase_order("PO1")["purchaseOrderForm"]["lineItems"][0]["deliveredQuantity"]
        == 4
    )
    with pytest.raises(DuplicateGoodsReception) as caught:
        client.process_goods_reception(
            "D1", [{**line, "goodsReceptionId": "GR1"}, {**line, "goodsReceptionId": "GR2"}]
        )
    assert caught.value.ids == ["GR1"]
    assert caught.value.status_code == 400
    assert "GR2" not in sandbox.state.goods_receptions  # nothing applied
    # A 400 for another reason is not mistaken for a duplicate.
    with pytest.raises(PermanentError) as other:
        client.process_goods_reception("D1", [{**line, "lineItemId": "L9"}])
    assert not isinstance(other.value, DuplicateGoodsReception)


# -------------------------------------------------------------------------- invoices


def test_invoice_with_its_receipt_pdf(omnium, sandbox):
    client = get_client(omnium)
    client.update_invoice({"id": "R1", "orderId": "POS1", "amount": Decimal("399.29")})
    pdf = b"%PDF-1.4 receipt"
    invoice = client.add_file_to_invoice("R1", "R1.pdf", pdf)
    assert invoice["assets"][0]["fileName"] == "R1.pdf"
    assert sandbox.state.invoice_files["R1"]["1"]["content"] == pdf
    assert sandbox.state.invoice_files["R1"]["1"]["contentType"] == "application/pdf"
    assert client.get_invoice("R1")["amount"] == Decimal("399.29")
    with pytest.raises(PermanentError) as caught:
        client.add_file_to_invoice("unknown", "x.pdf", pdf)
    assert caught.value.status_code == 404


def test_check_fetches_a_new_token_and_makes_an_authenticated_read(omnium, sandbox):
    get_client(omnium).get_order("warm-up")  # a token is stored already...
    result = get_client(omnium).check()
    assert result.ok is True and result.problem == ""
    assert sandbox.token_requests() == 2  # ...and the check fetched a new one anyway
    assert sandbox.call_count("GET /api/Health") == 0  # needs no token: proves nothing
    (search,) = sandbox.last_requests("POST /api/Orders/Search")
    assert search["status"] == 200
    assert search["headers"]["User-Agent"].startswith(f"omnium-integration/{__version__} ")


# ------------------------------------------------------------ error classification


def test_429_is_retryable_with_its_retry_after(omnium, sandbox):
    sandbox.faults.burst_429(1, retry_after=7)
    with pytest.raises(RetryableError) as caught:
        get_client(omnium).get_order("a")
    assert caught.value.status_code == 429
    assert caught.value.retry_after == 7


def test_retry_after_as_an_http_date():
    when = datetime.now(UTC) + timedelta(seconds=120)
    assert 110 < retry_after_seconds(format_datetime(when, usegmt=True)) <= 120
    assert retry_after_seconds("3") == 3.0
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds(None) is None


@pytest.mark.parametrize("status", [408, 500, 502, 503, 504])
def test_server_trouble_is_retryable(omnium, sandbox, status):
    sandbox.faults.fail_next(status)
    with pytest.raises(RetryableError) as caught:
        get_client(omnium).add_order(pos_order())
    assert caught.value.status_code == status
    assert get_client(omnium).add_order(pos_order())["id"] == "POS1"  # then it works
    assert list(sandbox.state.orders) == ["POS1"]


def test_a_read_timeout_is_retryable(omnium, sandbox):
    sandbox.faults.delay_next(0.5)
    with settings_with(READ_TIMEOUT=0.2), pytest.raises(RetryableError) as caught:
        get_client(omnium).get_order("a")
    assert "did not answer within 0.2s" in str(caught.value)


def test_a_refused_connection_is_retryable(omnium, sandbox):
    import socket

    with socket.socket() as probe:  # a loopback port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    omnium.api_base_url = f"http://127.0.0.1:{port}"
    omnium.save()
    # A stored token, so the refused call is the API call itself.
    TenantExtension.objects.filter(pk=omnium.pk).update(
        token="t", token_expires_at=datetime.now(UTC) + timedelta(days=1)
    )
    with pytest.raises(RetryableError, match="connection to Omnium failed"):
        get_client(omnium).get_order("a")


def test_a_dropped_connection_is_retryable_and_a_repeat_is_safe(omnium, sandbox):
    client = get_client(omnium)
    sandbox.faults.drop_next(path="/api/Orders$", after_processing=True)  # the answer is lost
    with pytest.raises(RetryableError, match="RemoteDisconnected|connection to Omnium failed"):
        client.add_order(pos_order())
    assert "POS1" in sandbox.state.orders  # it took effect
    with pytest.raises(OmniumConflict):  # the engine's retry: Omnium has it already
        client.add_order(pos_order())
    assert list(sandbox.state.orders) == ["POS1"]


def test_under_mixed_faults_every_failure_is_retryable_and_retries_converge(omnium, sandbox):
    sandbox.seed(7)
    sandbox.faults.configure(
        error_rates={500: 0.08, 503: 0.08, 429: 0.08, 408: 0.04},
        drop_rate=0.05,
        lost_reply_rate=0.05,
        slow_rate=0.05,
        slow_delay=0.4,
        retry_after=0,
    )
    client = get_client(omnium)
    failures: dict[int | str, int] = {}
    with settings_with(READ_TIMEOUT=0.2):
        for i in range(60):
            for _attempt in range(30):  # what the engine does, without the waiting
                try:
                    client.add_order(pos_order(f"P{i}"))
                    break
                except OmniumConflict:  # an earlier attempt's answer was lost: it is there
                    break
                except RetryableError as exc:
                    kind = exc.status_code or (
                        "timeout" if "did not answer" in str(exc) else "connection"
                    )
                    failures[kind] = failures.get(kind, 0) + 1
            else:
                pytest.fail(f"P{i} never got through")
            if i == 30:
                sandbox.revoke_tokens()  # mid-run: renewed on the next 401
    assert sorted(sandbox.state.orders) == sorted(f"P{i}" for i in range(60))
    assert set(failures) == {429, 503, 500, 408, "timeout", "connection"}  # all happened
    assert sandbox.token_requests(omnium.client_id) == 2


def test_a_403_is_permanent_and_names_the_missing_role(omnium, sandbox):
    sandbox.add_credentials(omnium.client_id, omnium.client_secret, roles=["OrderRead"])
    client = get_client(omnium)
    assert client.get_order("a") is None  # reading orders is allowed
    with pytest.raises(PermanentError) as caught:
        client.update_inventory([{"sku": "A", "warehouseCode": "w", "inventory": 1}])
    assert caught.value.status_code == 403
    assert "role" in str(caught.value)
    assert sandbox.token_requests(omnium.client_id) == 1  # a 403 is not a token problem


# ---------------------------------------------------------------- concurrency cap


@pytest.mark.django_db(transaction=True)  # the threads have their own connections
def test_the_concurrency_cap_holds_across_threads(omnium, sandbox):
    sandbox.faults.configure(latency=0.05)
    get_client(omnium).get_order("warm-up")  # the token, so threads only race for slots
    errors = []

    def work():
        try:
            for i in range(3):
                get_client(omnium).get_order(f"o-{i}")
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    with settings_with(MAX_CONCURRENT_CALLS_PER_TENANT=3):
        threads = [threading.Thread(target=work) for _ in range(10)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert errors == []
    assert sandbox.call_count("GET /api/Orders/{id}") == 31
    assert sandbox.max_in_flight(omnium.client_id) == 3


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_concurrency_cap_holds_across_processes(omnium, sandbox, child_env, tmp_path):
    sandbox.faults.configure(latency=0.05)
    get_client(omnium).get_order("warm-up")
    reports = run_workers(child_env, omnium.pk, 3, tmp_path, calls=4, threads=3, max_concurrent=4)
    assert sum(r["ok"] for r in reports) == 36
    assert sandbox.call_count("GET /api/Orders/{id}") == 37
    assert sandbox.max_in_flight(omnium.client_id) == 4  # 9 threads, 3 processes, 4 slots


def test_bulk_updates_take_a_bulk_slot_too(omnium, sandbox):
    from omnium_integration.client.slots import slot_pool

    client = get_client(omnium)
    with settings_with(
        MAX_CONCURRENT_BULK_CALLS_PER_TENANT=1, CONNECT_TIMEOUT=0.1, READ_TIMEOUT=0.1
    ):
        pool = slot_pool(client._slot_key, "bulk", 1)
        with pool.slot(timeout=1), pytest.raises(RetryableError, match="slot"):
            client.update_inventory([{"sku": "A", "warehouseCode": "w", "inventory": 1}])
        assert client.get_order("a") is None  # plain calls do not need the bulk slot
    assert sandbox.call_count("PUT /api/Inventory/UpdateMany") == 0


# ---------------------------------------------------------------- no secrets shown


def test_secrets_never_reach_logs_reprs_or_errors(omnium, sandbox, caplog):
    caplog.set_level(logging.DEBUG)
    secret, client_id = omnium.client_secret, omnium.client_id
    client = get_client(omnium)
    client.get_order("a")
    token = TenantExtension.objects.get(pk=omnium.pk).token
    shown = [repr(client), repr(client.tokens), repr(client.tokens.get())]
    # Failures of every kind, on the token call and on API calls.
    failures = []
    sandbox.revoke_tokens()
    sandbox.faults.fail_next(503, path="/api/token")
    sandbox.faults.fail_next(400, path="/api/Orders")
    for _ in range(2):
        with pytest.raises(Exception) as caught:  # noqa: PT011 - any error: all are shown
            client.add_order(pos_order())
        failures.append(caught.value)
    sandbox.add_credentials(client_id, "rotated-elsewhere-9f3")
    sandbox.revoke_tokens()
    with pytest.raises(PermanentError) as refused:
        client.get_order("b")
    failures.append(refused.value)
    omnium.api_base_url = "http://127.0.0.1:9"  # nothing listens there
    omnium.save()
    with pytest.raises(RetryableError) as unreachable:
        get_client(omnium).get_order("c")
    failures.append(unreachable.value)
    for failure in failures:
        shown.append(str(failure) + getattr(failure, "body", ""))
        shown.append("".join(traceback.format_exception(failure)))
    text = caplog.text + "\n".join(shown)
    assert "Obtained a new Omnium token" in caplog.text  # the log is on and was captured
    assert "/api/Orders/a" in caplog.text  # so are the urllib3 request lines
    for value in (secret, token, "rotated-elsewhere-9f3", client_id):
        assert value not in text
