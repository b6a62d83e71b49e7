"""The stub host's FlowRetail connector: Omnium's catalogue pushed into Flow's REST API.

The connector (``flow_stub_project.connector``) maps an Omnium-shaped catalogue to Flow's
master-data payloads and pushes them, resource after resource, over ``requests`` into
Flow's REST API, authenticated with a tenant API token. The pushes go through Django's
test client in this process (``tests.flow_in_process``), so the tests run in a rolled-back
transaction; the command's test pushes to ``live_server`` over real HTTP. What arrives is
checked in Flow's database against the Omnium documents, through the conversions Flow's
API applies (``omnium_integration.transform``).
"""

from __future__ import annotations

import json
from collections import defaultdict
from decimal import Decimal
from io import StringIO

import pytest
import requests
from django.core.management import CommandError, call_command
from omnium_sandbox.common import ApiError

from flow_stub_project.connector import (
    ConnectorError,
    ConnectorSettings,
    generate_catalogue,
    mapping,
    push_catalogue,
    seed_omnium,
)
from flow_stub_project.connector.catalogue import DELIVERY_AS_PO_SUPPLIER, MAIN_PRICE_LIST
from flow_stub_project.connector.push import RESOURCES
from flow_stub_project.flow.api.authentication import new_api_token
from flow_stub_project.flow.models import (
    Brand,
    InventoryLevel,
    Organization,
    Price,
    PriceList,
    Product,
    ProductGroup,
    PurchaseOrder,
    Store,
    Warehouse,
)
from omnium_integration.enums import Queue
from omnium_integration.jobs import worker
from omnium_integration.models import StoreExtension
from omnium_integration.transform import (
    decimal_to_cents,
    parse_omnium_datetime,
    quantity_to_hundredths,
    sanitize_uid,
    slug_uid,
)
from tests.flow_in_process import BASE_URL, FlowInProcess
from tests.flow_receptions import receive
from tests.test_master_data_api import snapshot

in_process = pytest.mark.django_db
e2e = pytest.mark.django_db(transaction=True)


@pytest.fixture
def flow_api(tenant) -> tuple[str, str]:
    """Flow's API root (served in process), and an API token of the ``tenant``."""
    return BASE_URL + "/api/", new_api_token(tenant, "omnium-connector").key


def flow_get(flow_api, path: str) -> dict:
    """GET from Flow's API with the tenant's token."""
    session = requests.Session()
    session.mount(BASE_URL, FlowInProcess())
    response = session.get(flow_api[0] + path, headers={"Authorization": f"Token {flow_api[1]}"})
    assert response.status_code == 200, response.text
    return response.json()


def push(catalogue, flow_api, **kwargs):
    return push_catalogue(catalogue, *flow_api, adapter=FlowInProcess(), **kwargs)


def counts(report) -> dict[str, tuple[int, int, int, int]]:
    return {
        name: (r.created, r.updated, r.unchanged, r.deleted) for name, r in report.resources.items()
    }


def po_lines(po: dict) -> list[dict]:
    return po["purchaseOrderForm"]["lineItems"]


def expected_status(po: dict) -> str:
    """Flow's PO status from Omnium's delivery progress (docs/flow.md#master-data-from-omnium)."""
    if po["status"].lower() in ("canceled", "cancelled"):
        return "CLOSED"
    lines = po_lines(po)
    if all(line["deliveredQuantity"] >= line["quantity"] for line in lines):
        return "RECEIVED"
    if any(line["deliveredQuantity"] for line in lines):
        return "PARTIALLYRECEIVED"
    return "SENTTOSUPPLIER"


def flow_line(line: dict, po: dict) -> tuple:
    """What Flow should hold for an Omnium PO line: quantities x100, prices in cents."""
    price = line.get("discountedPrice", line["placedPrice"])
    expected = parse_omnium_datetime(
        line.get("estimatedTimeOfArrival") or po["requestedDeliveryDate"]
    )
    return (
        line["code"],
        quantity_to_hundredths(line["quantity"]),
        quantity_to_hundredths(line["deliveredQuantity"]),
        decimal_to_cents(price),
        expected.date(),
        line["warehouseCode"],
    )


def stored_lines(po: PurchaseOrder) -> dict[str, tuple]:
    return {
        line.uid: (
            line.sku,
            line.quantity_ordered,
            line.quantity_received,
            line.unit_price,
            line.expected_delivery_date,
            line.warehouse_code,
        )
        for line in po.lines.all()
    }


# ------------------------------------------------------------- the default catalogue


@pytest.mark.slow  # 2,000 products and 5,000 stock levels through Flow's API, twice: ~10 s
@in_process
def test_the_default_catalogue_arrives_whole_and_exact_and_a_second_push_changes_nothing(
    flow_api,
):
    catalogue = generate_catalogue()  # 2,000 products, seed 1
    report = push(catalogue, flow_api)

    # Every resource, in dependency order, in batches of at most 1000.
    assert list(report.resources) == list(RESOURCES)
    assert report["products"].batches == 2
    assert report["stock"].batches == -(-len(catalogue.inventory) // 1000)
    assert report.skipped == []

    # Brands: each distinct name once, under its sanitised lowercase uid.
    brand_names = {p["brand"] for p in catalogue.products}
    assert "Norrøna" in brand_names
    assert set(Brand.objects.values_list("uid", "name")) == {
        (slug_uid(name), name) for name in brand_names
    }
    assert Brand.objects.filter(uid="norrona").exists()
    assert report["brands"].created == len(brand_names)

    # Product groups: the category tree.
    groups = {g.uid: g.parent.uid if g.parent else None for g in ProductGroup.objects.all()}
    assert groups == {c["id"]: c["parentId"] for c in catalogue.categories}

    # Products: 2,000, variants linked as siblings, HTML gone, cost in cents.
    assert report["products"].created == Product.objects.count() == 2000
    products = {p.uid: p for p in Product.objects.select_related("brand", "product_group")}
    variants: dict[str, set[str]] = defaultdict(set)
    for document in catalogue.products:
        product = products[sanitize_uid(document["skuId"])]
        assert product.sku == document["skuId"]
        assert product.brand.uid == slug_uid(document["brand"])
        assert product.product_group.uid == document["mainCategoryId"]
        assert product.purchase_price == decimal_to_cents(document["cost"])
        assert product.allow_purchase == (
            document["isActive"] and "OUTGOING" not in document["assortmentCodes"]
        )
        assert "<" not in product.description and "&amp;" not in product.description
        if document["isVariant"]:
            variants[document["productId"]].add(product.uid)
    siblings: dict[str, set[str]] = defaultdict(set)
    for product in products.values():
        if product.sibling_group:
            siblings[product.sibling_group].add(product.uid)
    assert siblings == variants
    assert len(variants) > 100 and max(len(v) for v in variants.values()) >= 5
    style, skus = next(iter(variants.items()))
    first, *others = sorted(skus)
    detail = flow_get(flow_api, f"products/{first}")
    assert detail["siblingGroupUid"] == style
    assert detail["siblings"] == others
    assert products["P10001"].sibling_group == ""  # a plain product has no siblings
    assert not all(product.allow_purchase for product in products.values())

    # Stores: three primary stores with their organisations; the other two are warehouses.
    primaries = {s["id"] for s in catalogue.stores if s["isPrimaryStore"]}
    assert set(Store.objects.values_list("uid", flat=True)) == primaries
    assert set(Warehouse.objects.values_list("store__uid", "uid")) == {
        ("oslo_city", "oslo_city"),
        ("oslo_city", "oslo_backroom"),
        ("bergen_storsenter", "bergen_storsenter"),
        ("bergen_storsenter", "central_warehouse"),
        ("trondheim_outlet", "trondheim_outlet"),
    }
    assert set(Organization.objects.values_list("uid", flat=True)) == {
        "NO912345678MVA",
        "NO998877665MVA",
    }
    oslo = Store.objects.get(uid="oslo_city")
    assert (oslo.address, oslo.postal_code, oslo.city) == ("Stenersgata 1", "0050", "Oslo")
    assert (oslo.organization.uid, oslo.vat_number) == ("NO912345678MVA", "NO 912 345 678 MVA")
    assert oslo.external_id == "NOR"  # the store's first market
    assert oslo.sales_price_list_uid == MAIN_PRICE_LIST
    assert oslo.default_warehouse.uid == "oslo_city"
    assert oslo.latitude == Decimal("59.912700")
    assert oslo.opening_hours[0] == {"day": "Monday", "open": "10:00", "close": "21:00"}

    # Prices: every one exact in cents (0.29 -> 29, 199.50 -> 19950), RRP where on sale.
    assert PriceList.objects.get(uid="oslo_city_campaign").store == oslo
    stored = {
        (p.price_list.uid, p.product.uid): (p.unit_price, p.recommended_retail_price)
        for p in Price.objects.select_related("price_list", "product")
    }
    assert stored == {
        (p["priceListId"], sanitize_uid(p["skuId"])): (
            decimal_to_cents(p["unitPrice"]),
            decimal_to_cents(p["originalUnitPrice"]) if p["originalUnitPrice"] else None,
        )
        for p in catalogue.prices
    }
    assert stored[(MAIN_PRICE_LIST, "P10001")] == (29, None)
    assert stored[(MAIN_PRICE_LIST, "P10002")] == (19950, None)
    assert any(rrp for _, rrp in stored.values())

    # Purchase orders: PO as PO with all lines and the status of its delivery progress;
    # the delivery-as-PO supplier's deliveries as POs of their own.
    flow_pos = {po.uid: po for po in PurchaseOrder.objects.select_related("store")}
    expected_uids = set()
    for po in catalogue.purchase_orders:
        lines = po_lines(po)
        if po["supplierId"] == DELIVERY_AS_PO_SUPPLIER:
            deliveries = {line["deliveryId"] for line in lines}
            for delivery in deliveries:
                uid = f"{po['id']}-delivery-{delivery}"
                expected_uids.add(uid)
                flow_po = flow_pos[uid]
                assert (flow_po.external_id, flow_po.external_delivery_id) == (po["id"], delivery)
                assert flow_po.status == (
                    "CLOSED" if po["status"] == "Canceled" else "SENTTOSUPPLIER"
                )
                assert stored_lines(flow_po) == {
                    line["lineItemId"]: flow_line(line, po)
                    for line in lines
                    if line["deliveryId"] == delivery
                }
            continue
        expected_uids.add(po["id"])
        flow_po = flow_pos[po["id"]]
        assert flow_po.status == expected_status(po)
        assert flow_po.currency == po["billingCurrency"]
        assert flow_po.supplier_uid == po["supplierId"]
        assert flow_po.note == ", ".join(po["purchaseOrderNotes"])
        store = po["storeId"]
        parent = {"oslo_backroom": "oslo_city", "central_warehouse": "bergen_storsenter"}
        assert flow_po.store.uid == parent.get(store, store)
        assert stored_lines(flow_po) == {line["lineItemId"]: flow_line(line, po) for line in lines}
    assert set(flow_pos) == expected_uids
    assert {po.status for po in flow_pos.values()} == {
        "SENTTOSUPPLIER",
        "PARTIALLYRECEIVED",
        "RECEIVED",
        "CLOSED",
    }
    assert sum(1 for uid in flow_pos if "-delivery-" in uid) >= 10
    assert PurchaseOrder.objects.get(uid="PO100002").currency == "EUR"
    # Rope sold by the metre: 12.5 m on a PO line is 1250 in Flow.
    halves = [
        line.quantity_ordered
        for po in flow_pos.values()
        for line in po.lines.all()
        if line.quantity_ordered % 100
    ]
    assert halves and all(q % 50 == 0 for q in halves)

    # Stock: the primary stores' levels, x100.
    levels = {(lvl.store.uid, lvl.sku): lvl.quantity for lvl in InventoryLevel.objects.all()}
    assert levels == {
        (item["warehouseCode"], item["sku"]): quantity_to_hundredths(item["inventory"])
        for item in catalogue.inventory
    }
    assert report["stock"].created == len(catalogue.inventory) > 5000

    # A second push: Flow answers "unchanged" for every item and writes nothing.
    before = snapshot()
    again = push(catalogue, flow_api)
    for name, section in again.resources.items():
        assert (section.created, section.updated, section.deleted) == (0, 0, 0), name
        assert section.unchanged == section.items == report[name].items, name
    assert snapshot() == before


# ------------------------------------------------------------------ later pushes


@in_process
def test_a_store_where_flow_is_stock_master_gets_no_stock(flow_api, tenant):
    trondheim = Store.objects.create(
        tenant=tenant, uid="trondheim_outlet", name="Trondheim", country_code="NO"
    )
    StoreExtension.objects.create(store=trondheim, flow_stock_master=True)
    catalogue = generate_catalogue(60, seed=3)
    theirs = [i for i in catalogue.inventory if i["warehouseCode"] == "trondheim_outlet"]
    assert theirs

    report = push(catalogue, flow_api)
    assert report["stock"].skipped == [
        f"store 'trondheim_outlet': Flow is stock master there; {len(theirs)} level(s) not sent"
    ]
    assert report.skipped == [f"stock: {report['stock'].skipped[0]}"]
    assert (
        report["stock"].created == report["stock"].items == len(catalogue.inventory) - len(theirs)
    )
    assert not InventoryLevel.objects.filter(store=trondheim).exists()
    assert set(InventoryLevel.objects.values_list("store__uid", flat=True)) == {
        "oslo_city",
        "bergen_storsenter",
    }
    trondheim.refresh_from_db()  # the store itself is still Omnium's to describe
    assert (trondheim.name, trondheim.organization.uid) == ("Trondheim Outlet", "NO998877665MVA")

    # With OmniumIsMasterForStock off, the connector sends no stock at all.
    report = push(catalogue, flow_api, settings=ConnectorSettings(omnium_is_master_for_stock=False))
    assert (report["stock"].items, report["stock"].batches) == (0, 0)
    assert report["stock"].skipped == [
        "no stock sent: Omnium is not stock master (OmniumIsMasterForStock)"
    ]


@in_process
def test_a_changed_catalogue_is_applied(flow_api):
    catalogue = generate_catalogue(80, seed=2, purchase_orders=5)
    first = push(catalogue, flow_api)

    # Changes made in Omnium, in its own shapes.
    price = next(
        p for p in catalogue.prices if (p["priceListId"], p["skuId"]) == (MAIN_PRICE_LIST, "P10001")
    )
    price["unitPrice"] = Decimal("0.57")
    sale = next(
        p for p in catalogue.prices if p["originalUnitPrice"] and p["priceListId"] == "main"
    )
    sale["unitPrice"], sale["originalUnitPrice"] = sale["originalUnitPrice"], None  # sale over
    wax = next(p for p in catalogue.products if p["skuId"] == "P10002")
    wax["name"], wax["cost"] = "Glide wax, new formula", Decimal("99.95")
    po = next(p for p in catalogue.purchase_orders if p["id"] == "PO100001")  # nothing delivered
    removed = po_lines(po).pop()
    po_lines(po)[0]["deliveredQuantity"] = Decimal(1)
    level = catalogue.inventory[0]
    level["inventory"] += Decimal("2.5")

    report = push(catalogue, flow_api)
    changed = {"products": 1, "prices": 2, "cost-prices": 1, "purchase-orders": 1, "stock": 1}
    assert counts(report) == {
        name: (
            0,
            changed.get(name, 0),
            first[name].items - changed.get(name, 0),
            1 if name == "purchase-orders" else 0,
        )
        for name in RESOURCES
    }
    assert Price.objects.get(price_list__uid="main", product__uid="P10001").unit_price == 57
    on_sale = Price.objects.get(price_list__uid="main", product__uid=sanitize_uid(sale["skuId"]))
    assert (on_sale.unit_price, on_sale.recommended_retail_price) == (
        decimal_to_cents(sale["unitPrice"]),
        None,
    )
    wax = Product.objects.get(uid="P10002")
    assert (wax.name, wax.purchase_price) == ("Glide wax, new formula", 9995)
    flow_po = PurchaseOrder.objects.get(uid="PO100001")
    assert removed["lineItemId"] not in stored_lines(flow_po)
    assert stored_lines(flow_po) == {
        line["lineItemId"]: flow_line(line, po) for line in po_lines(po)
    }
    assert flow_po.status == "PARTIALLYRECEIVED"
    stock = InventoryLevel.objects.get(store__uid=level["warehouseCode"], sku=level["sku"])
    assert stock.quantity == quantity_to_hundredths(level["inventory"]) == level["inventory"] * 100


@in_process
def test_a_goods_reception_in_flow_is_confirmed_to_the_omnium_it_came_from(
    omnium, sandbox, flow_api
):
    catalogue = generate_catalogue(80, seed=4, purchase_orders=15)
    seed_omnium(sandbox, catalogue)
    push(catalogue, flow_api)
    state = sandbox.state

    # PO as PO: nothing delivered, its lines on no delivery yet.
    po_line = po_lines(state.purchase_orders["PO100001"])[0]
    assert "deliveryId" not in po_line and po_line["deliveredQuantity"] == 0
    flow_po = PurchaseOrder.objects.get(uid="PO100001")
    stock_before = state.inventory.get((po_line["code"], "oslo_city"), {}).get("inventory", 0)
    receive(flow_po.store, "GR-1", [(po_line["code"], 200)], po=flow_po)
    # Delivery as PO: the second delivery of PO100006 received in Flow on its own PO.
    delivery_line = next(
        line
        for line in po_lines(state.purchase_orders["PO100006"])
        if line["deliveryId"] == "D100006_2"
    )
    delivery_po = PurchaseOrder.objects.get(uid="PO100006-delivery-D100006_2")
    receive(delivery_po.store, "GR-2", [(delivery_line["code"], 100)], po=delivery_po)

    worker.drain(Queue.RECEIVEMENT.value)

    po_line = po_lines(state.purchase_orders["PO100001"])[0]
    assert po_line["deliveredQuantity"] == 2
    assert po_line["deliveryId"] in state.deliveries  # put on a delivery to receive it
    assert state.inventory[(po_line["code"], "oslo_city")]["inventory"] == stock_before + 2
    delivery_line = next(
        line
        for line in po_lines(state.purchase_orders["PO100006"])
        if line["lineItemId"] == delivery_line["lineItemId"]
    )
    assert delivery_line["deliveredQuantity"] == 1
    assert state.deliveries["D100006_2"]["deliveryStatus"] == "InProgress"

    # Omnium now knows what Flow received: the next push neither undoes nor doubles it.
    catalogue.purchase_orders = list(state.purchase_orders.values())
    report = push(catalogue, flow_api)
    assert report["purchase-orders"].deleted == 0
    received = PurchaseOrder.objects.get(uid="PO100001").lines.get(uid=po_line["lineItemId"])
    assert received.quantity_received == 200
    assert PurchaseOrder.objects.get(uid="PO100001").status == "PARTIALLYRECEIVED"


@in_process
def test_a_batch_flow_refuses_stops_the_push_with_its_field_errors(flow_api):
    catalogue = generate_catalogue(30, seed=6)
    catalogue.products[3]["mainCategoryId"] = "no_such_group"
    with pytest.raises(ConnectorError) as caught:
        push(catalogue, flow_api)
    error = caught.value
    assert (error.resource, error.status) == ("products", 400)
    assert error.body["errors"] == {
        "3": {"productGroupUid": ["No product group with uid 'no_such_group'; push it first."]}
    }
    assert str(error) == (
        "products: batch 1: Flow answered 400: 1 of 30 items is invalid; nothing was written."
    )
    assert list(error.report.resources) == ["brands", "product-groups", "stores", "products"]
    assert error.report["stores"].created == 5
    assert not Product.objects.exists()


# ------------------------------------------------------------------- the command


@pytest.mark.slow  # a live server
@e2e
def test_the_command_pushes_a_catalogue_and_prints_the_report(live_server, tenant):
    url, token = live_server.url + "/api/", new_api_token(tenant, "omnium-connector").key
    out = StringIO()
    args = ["--push-catalogue", url, "--products", "40", "--seed", "7", "--push-only"]
    call_command("omnium_sandbox", *args, "--flow-token", token, stdout=out)
    rows = {line.split()[0]: line.split()[1:] for line in out.getvalue().splitlines()}
    assert rows["products"][:3] == ["40", "1", "40"]  # items, batches, created
    assert out.getvalue().splitlines()[-1].startswith(f"Pushed to {url} in ")
    assert token not in out.getvalue()
    assert Product.objects.count() == 40

    out = StringIO()
    call_command("omnium_sandbox", *args, "--flow-token", token, "--json", stdout=out)
    report = json.loads(out.getvalue())
    assert report["resources"]["products"]["unchanged"] == 40

    with pytest.raises(CommandError, match="needs --flow-token"):
        call_command("omnium_sandbox", *args, "--flow-token", "", stdout=StringIO())
    with pytest.raises(CommandError, match="Flow answered 401: Invalid API token") as caught:
        call_command("omnium_sandbox", *args, "--flow-token", "nope", stdout=StringIO())
    assert "nope" not in str(caught.value)


# ---------------------------------------------------- the catalogue and its mapping


@pytest.mark.parametrize("size", [1, 2, 7, 301])
def test_a_catalogue_has_exactly_the_products_asked_for(size):
    catalogue = generate_catalogue(size, seed=size)
    assert len(catalogue.products) == size
    assert catalogue.products[0]["skuId"] == "P10001"  # 0.29 a piece, always first
    assert generate_catalogue(size, seed=size) == catalogue
    assert len({p["skuId"] for p in catalogue.products}) == size
    assert len({sanitize_uid(p["skuId"]) for p in catalogue.products}) == size


def test_a_catalogue_is_coherent_and_seeded():
    catalogue = generate_catalogue(500, seed=11, purchase_orders=30)
    assert generate_catalogue(500, seed=12, purchase_orders=30) != catalogue
    skus = {p["skuId"] for p in catalogue.products}
    by_style = defaultdict(list)
    for product in catalogue.products:
        by_style[product["productId"]].append(product)
    for style, members in by_style.items():
        assert all(p["isVariant"] == (len(members) > 1) for p in members), style
        if len(members) == 1:
            assert members[0]["skuId"] == style
    assert {p["skuId"] for p in catalogue.prices} <= skus
    assert {i["sku"] for i in catalogue.inventory} <= skus
    amounts = {p["unitPrice"] for p in catalogue.prices}
    assert {Decimal("0.29"), Decimal("199.50")} <= amounts
    assert any(a != a.quantize(Decimal(1)) and a * 100 % 10 for a in amounts)  # 0.29, 4.35…

    deliveries = {d["id"] for d in catalogue.deliveries}
    lines = [line for po in catalogue.purchase_orders for line in po_lines(po)]
    assert {line["code"] for line in lines} <= skus
    assert {line["deliveryId"] for line in lines if "deliveryId" in line} == deliveries
    assert len({line["lineItemId"] for line in lines}) == len(lines)
    statuses = {expected_status(po) for po in catalogue.purchase_orders}
    assert statuses == {"SENTTOSUPPLIER", "PARTIALLYRECEIVED", "RECEIVED", "CLOSED"}
    assert {po["supplierId"] for po in catalogue.purchase_orders} >= {DELIVERY_AS_PO_SUPPLIER}
    assert any(line["quantity"] % 1 for line in lines)  # metres: 12.5

    listed = [w for s in catalogue.stores for w in s.get("availableWarehouses", [])]
    for store in catalogue.stores:
        if not store["isPrimaryStore"]:
            assert listed.count(store["id"]) == 1


def test_the_connector_maps_stores_brands_and_purchase_orders():
    catalogue = generate_catalogue(40, seed=1, purchase_orders=6)
    catalogue.stores.append({"id": "pop_up", "name": "Pop-up", "isPrimaryStore": False})
    items, skipped = mapping.stores(catalogue, ConnectorSettings())
    assert [i["storeUid"] for i in items] == [
        "oslo_city",
        "bergen_storsenter",
        "trondheim_outlet",
        "oslo_backroom",
        "central_warehouse",
    ]
    assert items[3]["primaryStoreUid"] == "oslo_city"
    assert items[0]["address"] == "Stenersgata 1"
    assert skipped == [
        "store 'pop_up' not sent: not a primary store, and no primary store lists it among "
        "its availableWarehouses"
    ]

    catalogue.products[1]["brand"] = "NIKE-AIR"
    catalogue.products[2]["brand"] = "Nike Air"
    catalogue.products[3]["brand"] = "???"
    brands = mapping.brands(catalogue)
    assert {"brandUid": "nike_air", "name": "NIKE-AIR"} in brands
    assert [b["brandUid"] for b in brands].count("nike_air") == 1
    assert mapping.products(catalogue, ConnectorSettings())[3]["brandUid"] is None

    po = catalogue.purchase_orders[2]  # the delivery-as-PO supplier's
    assert po["supplierId"] == DELIVERY_AS_PO_SUPPLIER
    po_lines(po)[0]["estimatedTimeOfArrival"] = "0001-01-01T00:00:00"  # Omnium's "not set"
    del po_lines(po)[-1]["deliveryId"]
    as_po, _ = mapping.purchase_orders(catalogue, ConnectorSettings(export_delivery_as_po=False))
    whole = next(i for i in as_po if i["purchaseOrderUid"] == po["id"])
    assert "deliveryUid" not in whole and len(whole["lines"]) == len(po_lines(po))
    assert whole["lines"][0]["expectedDeliveryDate"] == po["requestedDeliveryDate"][:10]
    by_delivery, skipped = mapping.purchase_orders(
        catalogue, ConnectorSettings(export_delivery_as_po=True)
    )
    assert {i["purchaseOrderUid"] for i in by_delivery} == {
        p["id"] for p in catalogue.purchase_orders if any("deliveryId" in x for x in po_lines(p))
    }
    mine = [i for i in by_delivery if i["purchaseOrderUid"] == po["id"]]
    assert sum(len(i["lines"]) for i in mine) == len(po_lines(po)) - 1
    assert (
        f"purchase order {po['id']!r}: 1 line(s) on no delivery not sent (deliveries are "
        "exported as purchase orders)"
    ) in skipped


def test_a_catalogue_seeds_a_fake_omnium_through_its_seeding_calls(sandbox):
    catalogue = generate_catalogue(50, seed=9)
    seed_omnium(sandbox, catalogue)
    state = sandbox.state
    # Purchase orders, deliveries and stock got the API's stamps (created, versionId…),
    # which change nothing in what goes to Flow.
    held = catalogue.copy()
    held.purchase_orders = list(state.purchase_orders.values())
    held.inventory = list(state.inventory.values())
    settings = ConnectorSettings()
    assert mapping.purchase_orders(held, settings) == mapping.purchase_orders(catalogue, settings)
    assert mapping.stock_levels(held) == mapping.stock_levels(catalogue)
    assert set(state.deliveries) == {d["id"] for d in catalogue.deliveries}
    po = state.get_purchase_order("PO100001")
    assert po["purchaseOrderForm"]["lineItems"][0]["purchaseOrderId"] == "PO100001"
    # Its stores are known now: a goods reception must name one of their warehouses.
    line = po_lines(po)[0]
    delivery = state.create_delivery("PO100001", [{"lineItemId": line["lineItemId"]}], "D-X")
    with pytest.raises(ApiError) as caught:
        state.process_goods_reception(
            delivery["id"],
            [{"lineItemId": line["lineItemId"], "deliveredQuantity": 1, "warehouseCode": "x"}],
        )
    assert caught.value.status == 400
    assert caught.value.body["errors"] == {"$[0].WarehouseCode": ["Store 'x' does not exist."]}
