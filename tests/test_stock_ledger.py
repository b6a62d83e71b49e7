"""The stub host keeps stock like a POS: every sale, return, void, goods reception, count,
adjustment and transfer is one call of Flow's POS / back-office API, books one movement of
the stock ledger and moves ``InventoryLevel`` in the call's transaction."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from flow_stub_project.flow import pos
from flow_stub_project.flow.api.authentication import new_api_token
from flow_stub_project.flow.models import (
    InventoryLevel,
    Order,
    OrderLine,
    StockMovement,
    Store,
    Tenant,
)

pytestmark = pytest.mark.django_db

LINES = [
    {"sku": "TSHIRT-M", "name": "T-shirt M", "quantity": 2, "unitPrice": 19950},
    {"sku": "ROPE", "name": "Rope (m)", "quantity": "1.5", "unitPrice": 4000},
]
TOTAL = 2 * 19950 + 6000


def levels(store) -> dict[str, int]:
    return dict(InventoryLevel.objects.filter(store=store).values_list("sku", "quantity"))


def set_levels(store, **quantities: int) -> None:
    for sku, quantity in quantities.items():
        InventoryLevel.objects.update_or_create(
            tenant=store.tenant, store=store, sku=sku, defaults={"quantity": quantity}
        )


def movements(**filters) -> list[tuple]:
    return [
        (
            m.kind,
            m.store.uid,
            m.reference,
            [(ln.sku, ln.quantity, ln.level_after) for ln in m.lines.all()],
        )
        for m in StockMovement.objects.filter(**filters).select_related("store").order_by("pk")
    ]


def post(api_client, path, body, status=201):
    response = api_client.post(path, body, format="json")
    assert response.status_code == status, response.json()
    return response.json()


def sell(api_client, store, lines=LINES, total=TOTAL, **extra):
    order = post(api_client, "/api/pos/orders", {"storeUid": store.uid, "lines": lines, **extra})
    payments = {"payments": [{"method": "Card", "amount": total}]}
    return post(api_client, f"/api/pos/orders/{order['uid']}/complete", payments, 200)


@pytest.fixture
def bergen(tenant) -> Store:
    return Store.objects.create(tenant=tenant, uid="bergen", name="Bergen", country_code="NO")


# ---------------------------------------------------------------------------- sales


def test_a_completed_sale_takes_its_goods_off_the_selling_stores_stock(api_client, store, bergen):
    set_levels(store, **{"TSHIRT-M": 500})
    order = post(api_client, "/api/pos/orders", {"storeUid": store.uid, "lines": LINES})
    assert levels(store) == {"TSHIRT-M": 500}  # an open order moves nothing
    assert not StockMovement.objects.exists()

    payments = {"payments": [{"method": "Card", "amount": TOTAL}]}
    post(api_client, f"/api/pos/orders/{order['uid']}/complete", payments, 200)

    # 1.5 m of rope is 150 hundredths; a POS sells what the shelf does not show: -150.
    assert levels(store) == {"TSHIRT-M": 300, "ROPE": -150}
    assert levels(bergen) == {}
    assert movements() == [
        ("SALE", "oslo_city", order["uid"], [("ROPE", -150, -150), ("TSHIRT-M", -200, 300)])
    ]
    assert StockMovement.objects.get().booked_at is not None


def test_two_lines_of_one_sku_are_one_line_of_the_movement(api_client, store):
    lines = [{**LINES[0], "quantity": 1}, {**LINES[0], "quantity": 2}]
    sell(api_client, store, lines, 3 * 19950)
    assert levels(store) == {"TSHIRT-M": -300}
    assert movements()[0][3] == [("TSHIRT-M", -300, -300)]


def test_a_refused_completion_moves_no_stock(api_client, store):
    order = post(api_client, "/api/pos/orders", {"storeUid": store.uid, "lines": LINES})
    short = {"payments": [{"method": "Card", "amount": TOTAL - 1}]}
    post(api_client, f"/api/pos/orders/{order['uid']}/complete", short, 400)
    assert levels(store) == {}
    assert not StockMovement.objects.exists()


def test_a_package_heading_moves_no_stock_its_components_do(store):
    order = pos.create_order(
        store,
        [
            {"sku": "KIT", "quantity": 1, "unit_price": 0},
            {"sku": "TENT", "quantity": 1, "unit_price": 100},
            {"sku": "PEGS", "quantity": 2, "unit_price": 50},
        ],
    )
    heading = order.lines.get(sku="KIT")
    order.lines.exclude(pk=heading.pk).update(package_parent=heading)
    pos.settle(order, [{"method": "Card", "amount": 200}])
    assert levels(store) == {"TENT": -100, "PEGS": -200}


# -------------------------------------------------------------------------- returns


def returned(api_client, sale, lines, **extra):
    refund = extra.pop("refund", None)
    body = {"lines": lines, **extra}
    if refund is not None:
        body["payments"] = [{"method": "Card", "amount": -refund}]
    return post(api_client, f"/api/pos/orders/{sale['uid']}/returns", body)


def test_a_return_puts_the_goods_back_when_it_completes(api_client, store):
    sale = sell(api_client, store)
    ret = returned(api_client, sale, [{"lineUid": "1", "quantity": 1}])
    assert levels(store)["TSHIRT-M"] == -200  # still open: nothing back yet
    payments = {"payments": [{"method": "Card", "amount": -19950}]}
    post(api_client, f"/api/pos/orders/{ret['uid']}/complete", payments, 200)
    assert levels(store) == {"TSHIRT-M": -100, "ROPE": -150}
    assert movements(kind="RETURN") == [
        ("RETURN", "oslo_city", ret["uid"], [("TSHIRT-M", 100, -100)])
    ]


def test_damaged_goods_are_not_restocked(api_client, store):
    sale = sell(api_client, store)
    returned(api_client, sale, [{"lineUid": "1", "quantity": 1}], restock=False, refund=19950)
    assert levels(store)["TSHIRT-M"] == -200
    assert not StockMovement.objects.filter(kind="RETURN").exists()
    assert OrderLine.objects.get(order__type="RETURN").restock is False

    # Per line: the rope goes back, the second shirt (damaged) does not.
    returned(
        api_client,
        sale,
        [{"lineUid": "1", "quantity": 1, "restock": False}, {"lineUid": "2", "quantity": "0.5"}],
        refund=19950 + 2000,
    )
    assert levels(store) == {"TSHIRT-M": -200, "ROPE": -100}


def test_goods_returned_at_another_store_go_into_that_stores_stock(api_client, store, bergen):
    sale = sell(api_client, store)
    returned(
        api_client, sale, [{"lineUid": "2", "quantity": "1.5"}], storeUid="bergen", refund=6000
    )
    assert levels(bergen) == {"ROPE": 150}
    assert levels(store)["ROPE"] == -150


# ---------------------------------------------------------------------------- voids


def test_voiding_a_completed_sale_puts_its_goods_back(api_client, store):
    set_levels(store, **{"TSHIRT-M": 500, "ROPE": 1000})
    sale = sell(api_client, store)
    body = post(api_client, f"/api/pos/orders/{sale['uid']}/void", {}, 200)
    assert (body["state"], body["cancelledAt"] is not None) == ("CANCELLED", True)
    assert levels(store) == {"TSHIRT-M": 500, "ROPE": 1000}
    assert [(kind, ref) for kind, _, ref, _ in movements()] == [
        ("SALE", sale["uid"]),
        ("CANCELLATION", sale["uid"]),
    ]
    again = api_client.post(f"/api/pos/orders/{sale['uid']}/void")
    assert again.status_code == 409
    assert levels(store) == {"TSHIRT-M": 500, "ROPE": 1000}


def test_only_a_completed_sale_without_returns_is_voided(api_client, store):
    order = post(api_client, "/api/pos/orders", {"storeUid": store.uid, "lines": LINES})
    response = api_client.post(f"/api/pos/orders/{order['uid']}/void")
    assert response.status_code == 409
    assert response.json() == {
        "detail": f"Only a completed sale can be voided; order {order['uid']} is a SALE "
        "in state OPEN."
    }
    sale = sell(api_client, store)
    ret = returned(api_client, sale, [{"lineUid": "1", "quantity": 1}])
    response = api_client.post(f"/api/pos/orders/{sale['uid']}/void")
    assert response.status_code == 409
    assert response.json() == {
        "detail": f"Sale {sale['uid']} has returns ({ret['uid']}); cancel them or return the rest."
    }
    assert Order.objects.get(uid=sale["uid"]).state == Order.State.COMPLETED
    assert not StockMovement.objects.filter(kind="CANCELLATION").exists()


# ---------------------------------------------------------------- goods receptions


def test_a_goods_reception_adds_through_the_ledger(api_client, store):
    set_levels(store, SOCKS=50)
    body = {"uid": "GR-1", "storeUid": store.uid, "lines": [{"sku": "SOCKS", "quantity": 250}]}
    post(api_client, "/api/pos/receivements", body)
    assert levels(store) == {"SOCKS": 300}
    assert movements() == [("RECEPTION", "oslo_city", "GR-1", [("SOCKS", 250, 300)])]


# --------------------------------------------------------------------------- counts


def test_a_count_sets_the_counted_levels(api_client, store):
    set_levels(store, A=500, B=-300, C=100)
    body = post(
        api_client,
        "/api/pos/stock/counts",
        {
            "uid": "COUNT-1",
            "storeUid": store.uid,
            "reason": "weekly count",
            "lines": [
                {"sku": "A", "quantity": 450},
                {"sku": "B", "quantity": 0},
                {"sku": "C", "quantity": 100},
                {"sku": "NEW", "quantity": 700},
            ],
        },
    )
    assert levels(store) == {"A": 450, "B": 0, "C": 100, "NEW": 700}
    assert (body["uid"], body["kind"], body["storeUid"], body["reason"]) == (
        "COUNT-1",
        "COUNT",
        "oslo_city",
        "weekly count",
    )
    assert body["lines"] == [
        {"sku": "A", "quantity": -50, "counted": 450, "levelAfter": 450},
        {"sku": "B", "quantity": 300, "counted": 0, "levelAfter": 0},
        {"sku": "C", "quantity": 0, "counted": 100, "levelAfter": 100},
        {"sku": "NEW", "quantity": 700, "counted": 700, "levelAfter": 700},
    ]
    assert api_client.get("/api/pos/stock/movements/COUNT-1").json() == body


def test_a_bad_count_is_refused_whole(api_client, store):
    set_levels(store, A=500)
    response = api_client.post(
        "/api/pos/stock/counts",
        {
            "storeUid": store.uid,
            "lines": [{"sku": "A", "quantity": 100}, {"sku": "A", "quantity": 1}, {"sku": "B"}],
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"lines": {"2": {"quantity": ["This field is required."]}}}
    response = api_client.post(
        "/api/pos/stock/counts",
        {
            "storeUid": store.uid,
            "lines": [{"sku": "A", "quantity": 1}, {"sku": "A", "quantity": -1}],
        },
        format="json",
    )
    assert response.json() == {
        "lines": {"1": {"quantity": ["Must be at least 0."]}},
    }
    unknown = api_client.post(
        "/api/pos/stock/counts",
        {"storeUid": "nope", "lines": [{"sku": "A", "quantity": 1}]},
        format="json",
    )
    assert unknown.json() == {"storeUid": ["No store with uid 'nope' in this tenant."]}
    assert levels(store) == {"A": 500}
    assert not StockMovement.objects.exists()


def test_a_movement_uid_is_taken_once(api_client, store):
    body = {"uid": "C-1", "storeUid": store.uid, "lines": [{"sku": "A", "quantity": 1}]}
    post(api_client, "/api/pos/stock/counts", body)
    again = api_client.post(
        "/api/pos/stock/counts", {**body, "lines": [{"sku": "A", "quantity": 9}]}, format="json"
    )
    assert again.status_code == 400
    assert again.json() == {"uid": ["A stock movement with uid 'C-1' exists."]}
    assert levels(store) == {"A": 1}


# ---------------------------------------------------------------------- adjustments


def test_an_adjustment_adds_or_removes_with_a_reason(api_client, store):
    set_levels(store, A=500)
    body = post(
        api_client,
        "/api/pos/stock/adjustments",
        {
            "storeUid": store.uid,
            "reason": "broken in the back room",
            "lines": [{"sku": "A", "quantity": -700}, {"sku": "B", "quantity": 200}],
        },
    )
    assert levels(store) == {"A": -200, "B": 200}
    assert body["kind"] == "ADJUSTMENT" and body["reason"] == "broken in the back room"
    assert [line["levelAfter"] for line in body["lines"]] == [-200, 200]

    no_reason = api_client.post(
        "/api/pos/stock/adjustments",
        {"storeUid": store.uid, "lines": [{"sku": "A", "quantity": 0}]},
        format="json",
    )
    assert no_reason.status_code == 400
    assert no_reason.json() == {
        "reason": ["This field is required."],
        "lines": {"0": {"quantity": ["Must not be 0."]}},
    }
    assert levels(store) == {"A": -200, "B": 200}


# ------------------------------------------------------------------------ transfers


def test_a_transfer_moves_goods_between_two_stores(api_client, store, bergen):
    set_levels(store, A=500)
    body = post(
        api_client,
        "/api/pos/stock/transfers",
        {
            "uid": "T-1",
            "fromStoreUid": "oslo_city",
            "toStoreUid": "bergen",
            "reason": "rebalance",
            "lines": [{"sku": "A", "quantity": 200}],
        },
    )
    assert levels(store) == {"A": 300}
    assert levels(bergen) == {"A": 200}
    assert body["uid"] == "T-1"
    assert [(m["uid"], m["kind"], m["storeUid"], m["reference"]) for m in body["movements"]] == [
        ("T-1.out", "TRANSFER_OUT", "oslo_city", "T-1"),
        ("T-1.in", "TRANSFER_IN", "bergen", "T-1"),
    ]
    # And back the other way (the rows are locked in the same order either way).
    post(
        api_client,
        "/api/pos/stock/transfers",
        {
            "fromStoreUid": "bergen",
            "toStoreUid": "oslo_city",
            "lines": [{"sku": "A", "quantity": 50}],
        },
    )
    assert (levels(store), levels(bergen)) == ({"A": 350}, {"A": 150})


def test_a_transfer_needs_two_stores_and_positive_quantities(api_client, store):
    response = api_client.post(
        "/api/pos/stock/transfers",
        {
            "uid": "T-1",
            "fromStoreUid": "oslo_city",
            "toStoreUid": "oslo_city",
            "lines": [{"sku": "A", "quantity": 0}],
        },
        format="json",
    )
    assert response.status_code == 400
    assert response.json() == {"lines": {"0": {"quantity": ["Must be at least 1."]}}}
    response = api_client.post(
        "/api/pos/stock/transfers",
        {
            "fromStoreUid": "oslo_city",
            "toStoreUid": "oslo_city",
            "lines": [{"sku": "A", "quantity": 1}],
        },
        format="json",
    )
    assert response.json() == {"toStoreUid": ["Give another store than the source."]}
    assert not StockMovement.objects.exists()


# --------------------------------------------------------------------------- tenants


def test_a_tenant_never_sees_or_moves_another_tenants_stock(api_client, store):
    post(
        api_client,
        "/api/pos/stock/counts",
        {"uid": "C-1", "storeUid": store.uid, "lines": [{"sku": "A", "quantity": 1}]},
    )
    other = Tenant.objects.create(
        uid="tenant_se", name="Sverige", country_code="SE", currency="SEK"
    )
    intruder = APIClient()
    intruder.credentials(HTTP_AUTHORIZATION=f"Token {new_api_token(other, 'pos').key}")
    assert intruder.get("/api/pos/stock/movements/C-1").status_code == 404
    response = intruder.post(
        "/api/pos/stock/adjustments",
        {"storeUid": store.uid, "reason": "x", "lines": [{"sku": "A", "quantity": 5}]},
        format="json",
    )
    assert response.status_code == 400
    assert levels(store) == {"A": 1}
