"""The master-data API Omnium's FlowRetail connector pushes into: brands, product groups,
products, price lists, prices, cost prices, stores, purchase orders and stock.

Every push is a batch (one object or an array), all or nothing, idempotent, and applies
the connector's rules: money and PO / stock quantities x100 exactly, sanitised UIDs,
descriptions without HTML.
"""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.forms.models import model_to_dict
from rest_framework.test import APIClient

from flow_stub_project.flow.models import (
    Brand,
    InventoryLevel,
    Organization,
    Price,
    PriceList,
    Product,
    ProductGroup,
    PurchaseOrder,
    PurchaseOrderLine,
    Receivement,
    ReceivementLine,
    Store,
    Warehouse,
)
from omnium_integration.models import StoreExtension

MODELS = [
    Brand,
    ProductGroup,
    Product,
    PriceList,
    Price,
    Organization,
    Store,
    Warehouse,
    PurchaseOrder,
    PurchaseOrderLine,
    InventoryLevel,
]


def snapshot() -> dict[str, list[dict]]:
    """Every master-data row, all fields (``updated_at`` included)."""
    return {
        model.__name__: [model_to_dict(obj) for obj in model.objects.order_by("pk")]
        for model in MODELS
    }


def push(client, resource, body, status=200):
    """Send ``body`` as raw JSON text (exact decimals), check the status, return the JSON."""
    response = client.post(f"/api/{resource}", json.dumps(body), content_type="application/json")
    assert response.status_code == status, response.json()
    return response.json()


def push_twice(client, resource, body):
    """Push ``body`` twice; the second push must change nothing at all."""
    first = push(client, resource, body)
    before = snapshot()
    second = push(client, resource, body)
    assert snapshot() == before
    assert second["created"] == second["updated"] == second["deleted"] == 0
    assert second["unchanged"] == len(body if isinstance(body, list) else [body])
    return first


@pytest.fixture
def catalogue(api_client):
    push(api_client, "brands", [{"name": "Nike Air"}, {"name": "Bergans"}])
    push(api_client, "product-groups", [{"productGroupUid": "shoes", "name": "Shoes"}])


PRODUCT = {
    "productUid": "SKU-001/A",
    "sku": "SKU-001/A",
    "name": "Air Max 90",
    "description": "<p>Soft &amp; <b>light</b></p><ul><li>Mesh</li><li>Rubber sole</li></ul>",
    "shortDescription": "Runner<script>track()</script>",
    "brandUid": "Nike Air",
    "productGroupUid": "shoes",
    "siblingGroupUid": "P-001",
    "allowPurchase": True,
    "purchasePrice": 0.29,
    "recommendedRetailPrice": 199.50,
    "weight": 350,
    "height": 120,
    "width": 200,
    "length": 310,
    "properties": {"color": "black", "size": "42"},
}


# -------------------------------------------------------------------------- batches


@pytest.mark.django_db
def test_master_data_needs_a_tenant_token(tenant):
    for resource in ["brands", "products", "stores", "purchase-orders", "stock", "prices"]:
        response = APIClient().post(f"/api/{resource}", [], format="json")
        assert response.status_code == 401, resource


@pytest.mark.django_db
def test_a_batch_is_an_object_or_an_array_of_them(api_client):
    single = push(api_client, "brands", {"name": "Nike Air"})
    assert single == {
        "created": 1,
        "updated": 0,
        "unchanged": 0,
        "deleted": 0,
        "items": [{"uid": "nike_air", "result": "created"}],
    }
    assert push(api_client, "brands", [])["items"] == []
    # PUT upserts like POST; the collection itself is not readable.
    put = api_client.put("/api/brands", [{"name": "Nike Air"}], format="json")
    assert put.json()["items"] == [{"uid": "nike_air", "result": "unchanged"}]
    assert api_client.get("/api/brands").status_code == 405
    response = api_client.post("/api/brands", "3", content_type="application/json")
    assert response.status_code == 400
    assert response.json() == {"detail": "Send a JSON object or an array of objects."}
    response = api_client.post("/api/brands", "[1, {}]", content_type="application/json")
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"0", "1"}
    response = api_client.post("/api/brands", "{nope", content_type="application/json")
    assert response.status_code == 400
    assert response.json()["detail"].startswith("JSON parse error")


@pytest.mark.django_db
def test_a_batch_is_all_or_nothing(api_client, catalogue):
    before = snapshot()
    body = [
        PRODUCT,
        {**PRODUCT, "productUid": "B", "purchasePrice": "free"},
        {**PRODUCT, "productUid": "C"},
        {**PRODUCT, "productUid": "D", "brandUid": "Adidas", "name": ""},
    ]
    errors = push(api_client, "products", body, status=400)
    assert errors == {
        "detail": "2 of 4 items are invalid; nothing was written.",
        "errors": {
            "1": {"purchasePrice": ["A number is required, e.g. 199.50."]},
            "3": {"name": ["This field may not be blank."]},
        },
    }
    assert snapshot() == before
    # Field errors first; references are checked for the items that passed them.
    body[3]["name"] = "D"
    errors = push(api_client, "products", body, status=400)
    assert errors["errors"]["3"] == {"brandUid": ["No brand with uid 'adidas'; push it first."]}
    assert snapshot() == before


@pytest.mark.django_db
def test_a_batch_holds_at_most_a_thousand_items(api_client):
    response = api_client.post(
        "/api/brands", [{"name": f"B{i}"} for i in range(1001)], format="json"
    )
    assert response.status_code == 413
    assert response.json() == {"detail": "A batch holds at most 1000 items; this one has 1001."}
    assert push(api_client, "brands", [{"name": f"B{i}"} for i in range(1000)])["created"] == 1000


@pytest.mark.django_db
def test_the_same_uid_twice_in_a_batch_is_refused(api_client, catalogue):
    body = [PRODUCT, {**PRODUCT, "productUid": "SKU001A"}]
    errors = push(api_client, "products", body, status=400)
    assert errors["errors"] == {
        "1": {"productUid": ["Same productUid as item 0 once sanitised ('SKU001A')."]}
    }
    assert not Product.objects.exists()


# --------------------------------------------------------------- brands and groups


@pytest.mark.django_db
def test_brands_get_lowercase_sanitised_uids(api_client, tenant):
    result = push_twice(
        api_client,
        "brands",
        [{"name": "Nike Air"}, {"name": "Helly Hansen", "brandUid": "H/H Ørsta"}],
    )
    assert [item["uid"] for item in result["items"]] == ["nike_air", "h_h_orsta"]
    assert dict(Brand.objects.values_list("uid", "name")) == {
        "nike_air": "Nike Air",
        "h_h_orsta": "Helly Hansen",
    }
    renamed = push(api_client, "brands", {"name": "NIKE AIR"})
    assert renamed["items"] == [{"uid": "nike_air", "result": "updated"}]
    assert Brand.objects.get(uid="nike_air").name == "NIKE AIR"
    errors = push(api_client, "brands", {"name": "!!!"}, status=400)
    assert errors["errors"] == {
        "0": {"name": ["Has no letters or digits to make a brandUid from."]}
    }


@pytest.mark.django_db
def test_product_groups_form_a_tree(api_client, tenant):
    body = [
        {"productGroupUid": "running", "name": "Running", "parentUid": "shoes"},
        {"productGroupUid": "shoes", "name": "Shoes"},
    ]
    result = push_twice(api_client, "product-groups", body)
    assert [item["result"] for item in result["items"]] == ["created", "created"]
    running = ProductGroup.objects.get(uid="running")
    assert running.parent.uid == "shoes"
    assert running.parent.parent is None

    moved = push(
        api_client,
        "product-groups",
        {"productGroupUid": "running", "name": "Running", "parentUid": None},
    )
    assert moved["items"] == [{"uid": "running", "result": "updated"}]
    assert ProductGroup.objects.get(uid="running").parent is None

    errors = push(
        api_client,
        "product-groups",
        [
            {"productGroupUid": "shoes", "name": "Shoes", "parentUid": "running"},
            {"productGroupUid": "running", "name": "Running", "parentUid": "shoes"},
            {"productGroupUid": "socks", "name": "Socks", "parentUid": "clothes"},
        ],
        status=400,
    )
    assert errors["errors"] == {
        "0": {"parentUid": ["'running' would make a cycle."]},
        "1": {"parentUid": ["'shoes' would make a cycle."]},
        "2": {"parentUid": ["No product group with uid 'clothes'; push it first."]},
    }
    assert ProductGroup.objects.get(uid="shoes").parent is None


# ------------------------------------------------------------------------- products


@pytest.mark.django_db
def test_a_product_is_mapped_by_the_connectors_rules(api_client, tenant, catalogue):
    result = push_twice(api_client, "products", PRODUCT)
    assert result["items"] == [{"uid": "SKU001A", "result": "created"}]

    product = Product.objects.get(tenant=tenant, uid="SKU001A")
    assert product.sku == "SKU-001/A"  # the SKU itself is kept
    assert product.purchase_price == 29  # 0.29 x 100, not 28
    assert product.recommended_retail_price == 19950
    assert product.description == "Soft & light\nMesh\nRubber sole"
    assert product.short_description == "Runner"
    assert product.brand.uid == "nike_air"
    assert product.product_group.uid == "shoes"
    assert product.sibling_group == "P001"
    assert (product.weight, product.height, product.width, product.length) == (350, 120, 200, 310)
    assert product.properties == {"color": "black", "size": "42"}

    detail = api_client.get("/api/products/SKU001A").json()
    assert detail["purchasePrice"] == 29
    assert detail["brandUid"] == "nike_air"
    assert detail["shortDescription"] == "Runner"
    assert api_client.get("/api/products/nope").status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("amount", "cents"),
    [
        ("0.29", 29),
        ("0.57", 57),
        ("1.15", 115),
        ("4.35", 435),
        ("199.50", 19950),
        ("199.5", 19950),
        ("1234567.89", 123456789),
        ("10", 1000),
        ('"19.99"', 1999),
        ("12.345", 1235),  # more than two decimals: half up to the cent
    ],
)
def test_money_is_multiplied_by_100_exactly(api_client, catalogue, amount, cents):
    body = f'{{"productUid": "X", "name": "X", "purchasePrice": {amount}}}'
    response = api_client.post("/api/products", body, content_type="application/json")
    assert response.status_code == 200, response.json()
    assert Product.objects.get(uid="X").purchase_price == cents


@pytest.mark.django_db
def test_fields_left_out_keep_their_value_and_null_clears(api_client, catalogue):
    push(api_client, "products", PRODUCT)
    result = push(api_client, "products", {"productUid": "SKU-001/A", "name": "Air Max 90"})
    assert result["unchanged"] == 1
    product = Product.objects.get(uid="SKU001A")
    assert (product.purchase_price, product.brand.uid) == (29, "nike_air")

    push(
        api_client,
        "products",
        {
            "productUid": "SKU-001/A",
            "name": "Air Max 90",
            "brandUid": None,
            "purchasePrice": None,
            "sku": "",
        },
    )
    product.refresh_from_db()
    assert (product.purchase_price, product.brand, product.sku) == (None, None, "NoSku")


@pytest.mark.django_db
def test_variants_are_siblings(api_client, catalogue):
    variants = [
        {
            **PRODUCT,
            "productUid": f"SKU-001-{size}",
            "sku": f"SKU-001-{size}",
            "properties": {"size": size},
        }
        for size in ("41", "42", "43")
    ]
    push(api_client, "products", [*variants, {"productUid": "LONER", "name": "Alone"}])
    assert api_client.get("/api/products/SKU00142").json()["siblings"] == ["SKU00141", "SKU00143"]
    assert api_client.get("/api/products/LONER").json()["siblings"] == []


@pytest.mark.django_db
def test_an_invalid_product_gets_field_errors(api_client, catalogue):
    errors = push(
        api_client,
        "products",
        [
            {"productUid": "---", "name": "X"},
            {"productUid": "A", "name": "A", "purchasePrice": -1},
            {"productUid": "B", "name": "B", "productGroupUid": "hats", "weight": 1.5},
            {"productUid": "C", "name": "C", "productGroupUid": "hats"},
            {"productUid": "D", "name": "D", "currencyPurchasePrice": 3.5},
            {"productUid": "E", "name": "E", "purchasePrice": True},
        ],
        status=400,
    )
    assert errors["errors"] == {
        "0": {"productUid": ["Has no letters or digits to make a UID from."]},
        "1": {"purchasePrice": ["Must not be negative."]},
        "2": {"weight": ["A valid integer is required."]},
        "3": {"productGroupUid": ["No product group with uid 'hats'; push it first."]},
        "4": {"purchaseCurrency": ["Give currencyPurchasePrice and purchaseCurrency together."]},
        "5": {"purchasePrice": ["A number is required, e.g. 199.50."]},
    }
    assert not Product.objects.exists()


# --------------------------------------------------------------------------- prices


@pytest.mark.django_db
def test_selling_prices_go_into_price_lists(api_client, tenant, catalogue):
    push(api_client, "products", [PRODUCT, {"productUid": "B", "name": "B"}])
    push_twice(api_client, "price-lists", {"priceListUid": "main", "name": "Main prices"})
    assert PriceList.objects.get(uid="main").currency == "NOK"

    body = [
        {
            "priceListUid": "main",
            "productUid": "SKU-001/A",
            "unitPrice": 199.50,
            "recommendedRetailPrice": 249,
        },
        {"priceListUid": "main", "productUid": "B", "unitPrice": "0.29"},
    ]
    result = push_twice(api_client, "prices", body)
    assert result["items"][0] == {
        "priceListUid": "main",
        "productUid": "SKU001A",
        "result": "created",
    }
    prices = {
        p.product.uid: (p.unit_price, p.recommended_retail_price) for p in Price.objects.all()
    }
    assert prices == {"SKU001A": (19950, 24900), "B": (29, None)}
    assert api_client.get("/api/products/B").json()["prices"] == [
        {"priceListUid": "main", "unitPrice": 29, "recommendedRetailPrice": None}
    ]

    errors = push(
        api_client,
        "prices",
        [
            {"priceListUid": "outlet", "productUid": "B", "unitPrice": 1},
            {"priceListUid": "main", "productUid": "ZZZ", "unitPrice": 1},
            {"priceListUid": "main", "productUid": "B", "unitPrice": 1},
            {"priceListUid": "main", "productUid": "B", "unitPrice": 2},
        ],
        status=400,
    )
    assert errors["errors"] == {
        "0": {"priceListUid": ["No price list with uid 'outlet'; push it first."]},
        "1": {"productUid": ["No product with uid 'ZZZ'; push it first."]},
        "3": {"productUid": ["Same productUid as item 2 once sanitised ('main/B')."]},
    }
    assert Price.objects.get(product__uid="B").unit_price == 29


@pytest.mark.django_db
def test_cost_prices_update_the_products(api_client, catalogue):
    push(api_client, "products", PRODUCT)
    result = push_twice(
        api_client,
        "cost-prices",
        {
            "productUid": "SKU-001/A",
            "purchasePrice": 120.10,
            "currencyPurchasePrice": 11.5,
            "purchaseCurrency": "eur",
        },
    )
    assert result["items"] == [{"uid": "SKU001A", "result": "updated"}]
    product = Product.objects.get(uid="SKU001A")
    assert (product.purchase_price, product.currency_purchase_price, product.purchase_currency) == (
        12010,
        1150,
        "EUR",
    )
    assert product.name == "Air Max 90"
    errors = push(api_client, "cost-prices", {"productUid": "nope", "purchasePrice": 1}, status=400)
    assert errors["errors"] == {"0": {"productUid": ["No product with uid 'nope'; push it first."]}}


# --------------------------------------------------------------------------- stores


STORES = [
    # A non-primary store before its primary: it still becomes the primary's warehouse.
    {
        "storeUid": "oslo-backroom",
        "name": "Oslo back room",
        "isPrimaryStore": False,
        "primaryStoreUid": "oslo-city",
    },
    {
        "storeUid": "oslo-city",
        "name": "Oslo City",
        "isPrimaryStore": True,
        "isWarehouse": True,
        "availableWarehouses": ["oslo-backroom", "central"],
        "address": "Stenersgata 1",
        "city": "Oslo",
        "postalCode": "0050",
        "countryCode": "no",
        "email": "oslo@example.no",
        "phone": "+4722000000",
        "latitude": "59,9127",
        "longitude": 10.7461,
        "isActive": True,
        "externalId": "NOR",
        "vatNumber": "NO 912 345 678 MVA",
        "organizationUid": "NO 912 345 678 MVA",
        "organizationName": "Nordic Retail AS",
        "salesPriceUid": "main",
        "purchaseNumberSeriesUid": "po",
        "voucherNumberSeriesUid": "oslo",
        "openingHours": [{"day": "Monday", "open": "10:00", "close": "20:00"}],
        "storePriceListUid": "oslo_prices",
    },
    {
        "storeUid": "bergen",
        "name": "Bergen",
        "countryCode": "NO",
        "organizationUid": "NO 912 345 678 MVA",
    },
]


@pytest.mark.django_db
def test_primary_stores_become_stores_and_the_others_warehouses(api_client, tenant):
    result = push_twice(api_client, "stores", STORES)
    assert result["items"] == [
        {
            "uid": "oslobackroom",
            "becomes": "warehouse",
            "storeUid": "oslocity",
            "result": "created",
        },
        {"uid": "oslocity", "becomes": "store", "result": "created"},
        {"uid": "bergen", "becomes": "store", "result": "created"},
    ]
    assert set(Store.objects.values_list("uid", flat=True)) == {"oslocity", "bergen"}
    oslo = Store.objects.get(uid="oslocity")
    assert (oslo.country_code, oslo.city, oslo.postal_code) == ("NO", "Oslo", "0050")
    assert (oslo.latitude, oslo.longitude) == (Decimal("59.912700"), Decimal("10.746100"))
    assert oslo.organization.uid == "NO912345678MVA"
    assert oslo.organization.name == "Nordic Retail AS"
    assert oslo.voucher_number_series_uid == "oslo"
    assert oslo.opening_hours == [{"day": "Monday", "open": "10:00", "close": "20:00"}]
    assert Organization.objects.count() == 1
    warehouses = list(oslo.warehouses.values_list("uid", "name"))
    assert sorted(warehouses) == [
        ("central", "central"),
        ("oslobackroom", "Oslo back room"),
        ("oslocity", "Oslo City"),
    ]
    assert not Store.objects.get(uid="bergen").warehouses.exists()
    # The first available warehouse is the default one, for returns too.
    assert oslo.default_warehouse.uid == oslo.default_return_warehouse.uid == "oslobackroom"
    assert PriceList.objects.get(uid="oslo_prices").store == oslo

    detail = api_client.get("/api/stores/oslocity").json()
    assert detail["organizationUid"] == "NO912345678MVA"
    assert detail["defaultWarehouseUid"] == "oslobackroom"
    assert detail["priceLists"] == ["oslo_prices"]
    assert detail["flowStockMaster"] is False


@pytest.mark.django_db
def test_a_store_update_keeps_create_only_fields(api_client, tenant):
    push(api_client, "stores", STORES)
    changed = {
        **STORES[1],
        "name": "Oslo City Centre",
        "voucherNumberSeriesUid": "other",
        "salesPriceUid": "other",
        "purchaseNumberSeriesUid": "other",
        "availableWarehouses": ["central"],
    }
    result = push(api_client, "stores", changed)
    assert result["items"] == [{"uid": "oslocity", "becomes": "store", "result": "updated"}]
    oslo = Store.objects.get(uid="oslocity")
    assert oslo.name == "Oslo City Centre"
    assert (oslo.voucher_number_series_uid, oslo.sales_price_list_uid) == ("oslo", "main")
    assert oslo.purchase_number_series_uid == "po"
    # Reset to the first available warehouse on every push.
    assert oslo.default_warehouse.uid == "central"


@pytest.mark.django_db
def test_invalid_stores_are_refused(api_client, tenant, store):
    errors = push(
        api_client,
        "stores",
        [
            {"storeUid": "a", "name": "A"},
            {"storeUid": "b", "name": "B", "isPrimaryStore": False},
            {"storeUid": "c", "name": "C", "isPrimaryStore": False, "primaryStoreUid": "nowhere"},
            {"storeUid": "oslo_city", "name": "X", "isPrimaryStore": False, "primaryStoreUid": "d"},
            {
                "storeUid": "d",
                "name": "D",
                "countryCode": "NO",
                "organizationUid": "o",
                "latitude": "north",
            },
        ],
        status=400,
    )
    assert errors["errors"] == {
        "0": {
            "countryCode": ["A primary store needs its countryCode."],
            "organizationUid": ["A primary store needs its organizationUid."],
        },
        "1": {"primaryStoreUid": ["A store that is not primary needs its primaryStoreUid."]},
        "2": {
            "primaryStoreUid": [
                "No primary store 'nowhere' in Flow or among the valid items of this batch."
            ]
        },
        "3": {
            "isPrimaryStore": ["'oslo_city' is a Flow store; it cannot become a warehouse."],
            # 'd' is in the batch, but invalid.
            "primaryStoreUid": [
                "No primary store 'd' in Flow or among the valid items of this batch."
            ],
        },
        "4": {"latitude": ["A number between -90 and 90 is required."]},
    }
    assert Store.objects.count() == 1
    assert not Warehouse.objects.exists()
    assert not Organization.objects.exists()


# ------------------------------------------------------------------ purchase orders


def po(**extra):
    return {
        "purchaseOrderUid": "PO-2026/001",
        "supplierUid": "acme",
        "storeUid": "oslo_city",
        "currency": "nok",
        "supplierReferenceNumber": "REF-9",
        "note": ["Ring first", "Gate B"],
        "lines": [
            {
                "lineUid": "li-1",
                "sku": "A",
                "quantityOrdered": 10,
                "unitPrice": 0.29,
                "expectedDeliveryDate": "2026-12-01T08:00:00Z",
                "warehouseCode": "oslo_city",
            },
            {
                "lineUid": "li-2",
                "sku": "B",
                "quantityOrdered": 2.5,
                "unitPrice": "199.50",
                "expectedDeliveryDate": "2026-12-03",
            },
        ],
        **extra,
    }


@pytest.mark.django_db
def test_a_purchase_order_is_mapped_with_quantities_times_100(api_client, store):
    result = push_twice(api_client, "purchase-orders", po())
    assert result["items"] == [
        {
            "uid": "PO2026001",
            "result": "created",
            "status": "SENTTOSUPPLIER",
            "linesDeleted": 0,
            "linesKept": [],
        }
    ]
    order = PurchaseOrder.objects.get(uid="PO2026001")
    assert (order.external_id, order.external_delivery_id) == ("PO-2026/001", "")
    assert (order.supplier_uid, order.store, order.currency) == ("acme", store, "NOK")
    assert (order.supplier_reference_number, order.note) == ("REF-9", "Ring first, Gate B")
    lines = {line.uid: line for line in order.lines.all()}
    assert (lines["li-1"].quantity_ordered, lines["li-1"].unit_price) == (1000, 29)
    assert (lines["li-2"].quantity_ordered, lines["li-2"].unit_price) == (250, 19950)
    assert str(lines["li-1"].expected_delivery_date) == "2026-12-01"
    assert lines["li-1"].warehouse_code == "oslo_city"

    detail = api_client.get("/api/purchase-orders/PO2026001").json()
    assert detail["externalId"] == "PO-2026/001"
    assert [line["quantityOrdered"] for line in detail["lines"]] == [1000, 250]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("received", "cancelled", "status"),
    [
        ((0, 0), False, "SENTTOSUPPLIER"),
        ((4, 0), False, "PARTIALLYRECEIVED"),
        ((10, 2.5), False, "RECEIVED"),
        ((12, 3), False, "RECEIVED"),
        ((4, 0), True, "CLOSED"),
    ],
)
def test_po_status_follows_delivery_progress(api_client, store, received, cancelled, status):
    body = po(isCancelled=cancelled)
    for line, quantity in zip(body["lines"], received, strict=True):
        line["quantityReceived"] = quantity
    assert push(api_client, "purchase-orders", body)["items"][0]["status"] == status
    assert PurchaseOrder.objects.get().status == status


@pytest.mark.django_db
def test_delivery_as_po_has_its_own_uid_and_stays_sent_to_supplier(api_client, store):
    delivery = po(deliveryUid="D-7")
    delivery["lines"][0]["quantityReceived"] = 10
    result = push_twice(api_client, "purchase-orders", [po(), delivery])
    assert [item["uid"] for item in result["items"]] == ["PO2026001", "PO2026001-delivery-D7"]
    order = PurchaseOrder.objects.get(uid="PO2026001-delivery-D7")
    assert (order.external_id, order.external_delivery_id) == ("PO-2026/001", "D-7")
    assert order.status == "SENTTOSUPPLIER"
    assert (
        push(api_client, "purchase-orders", po(deliveryUid="D-7", isCancelled=True))["items"][0][
            "status"
        ]
        == "CLOSED"
    )


@pytest.mark.django_db
def test_lines_removed_in_omnium_are_removed_in_flow(api_client, store):
    body = po()
    body["lines"].append({"lineUid": "li-3", "sku": "C", "quantityOrdered": 1})
    push(api_client, "purchase-orders", body)
    # Goods were received in Flow on li-2: that line stays, even once gone from Omnium.
    order = PurchaseOrder.objects.get()
    reception = Receivement.objects.create(
        tenant=store.tenant, store=store, uid="GR", purchase_order=order
    )
    ReceivementLine.objects.create(
        receivement=reception,
        purchase_order_line=order.lines.get(uid="li-2"),
        sku="B",
        quantity=100,
    )
    PurchaseOrderLine.objects.filter(uid="li-2").update(quantity_received=100)

    result = push(api_client, "purchase-orders", {**body, "lines": body["lines"][:1]})
    assert result["deleted"] == 1
    assert result["items"][0] == {
        "uid": "PO2026001",
        "result": "updated",
        "status": "PARTIALLYRECEIVED",
        "linesDeleted": 1,
        "linesKept": ["li-2"],
    }
    assert set(order.lines.values_list("uid", flat=True)) == {"li-1", "li-2"}


@pytest.mark.django_db
def test_an_omnium_push_never_undoes_a_flow_goods_reception(api_client, store):
    push(api_client, "purchase-orders", po())
    PurchaseOrderLine.objects.filter(uid="li-1").update(quantity_received=400)
    result = push(api_client, "purchase-orders", po())  # Omnium does not know yet: 0 received
    assert result["items"][0]["status"] == "PARTIALLYRECEIVED"
    assert PurchaseOrderLine.objects.get(uid="li-1").quantity_received == 400
    body = po()
    body["lines"][0]["quantityReceived"] = 6
    push(api_client, "purchase-orders", body)
    assert PurchaseOrderLine.objects.get(uid="li-1").quantity_received == 600


@pytest.mark.django_db
def test_invalid_purchase_orders_are_refused(api_client, store):
    duplicated = po()
    duplicated["lines"][1]["lineUid"] = "li-1"
    errors = push(
        api_client,
        "purchase-orders",
        [
            po(storeUid="nowhere"),
            duplicated,
            po(
                purchaseOrderUid="//",
                lines=[{"lineUid": "x", "sku": "A", "quantityOrdered": "many"}],
            ),
            po(
                purchaseOrderUid="PO-2",
                note=7,
                lines=[
                    {
                        "lineUid": "x",
                        "sku": "A",
                        "quantityOrdered": 1,
                        "expectedDeliveryDate": "soon",
                    }
                ],
            ),
        ],
        status=400,
    )
    assert errors["errors"] == {
        "0": {"storeUid": ["No store with uid 'nowhere'; push it first."]},
        "1": {"lines": {"1": {"lineUid": ["Same lineUid as item 0."]}}},
        "2": {"lines": {"0": {"quantityOrdered": ["A number is required, e.g. 12 or 2.5."]}}},
        "3": {
            "note": ["A string or a list of strings is required."],
            "lines": {
                "0": {"expectedDeliveryDate": ["Use a date (2026-03-01) or date-time (ISO 8601)."]}
            },
        },
    }
    assert not PurchaseOrder.objects.exists()


# ---------------------------------------------------------------------------- stock


@pytest.mark.django_db
def test_stock_levels_are_absolute_and_times_100(api_client, tenant, store):
    bergen = Store.objects.create(tenant=tenant, uid="bergen", name="Bergen", country_code="NO")
    body = [
        {"storeUid": "oslo_city", "sku": "A", "quantity": 12},
        {"storeUid": "oslo_city", "sku": "B", "quantity": 2.5},
        {"storeUid": "bergen", "sku": "A", "quantity": -1},
    ]
    result = push_twice(api_client, "stock", body)
    assert result["items"][1] == {"storeUid": "oslo_city", "sku": "B", "result": "created"}
    levels = {(lvl.store.uid, lvl.sku): lvl.quantity for lvl in InventoryLevel.objects.all()}
    assert levels == {("oslo_city", "A"): 1200, ("oslo_city", "B"): 250, ("bergen", "A"): -100}
    assert InventoryLevel.objects.get(store=bergen).tenant == tenant

    push(api_client, "stock", {"storeUid": "oslo_city", "sku": "A", "quantity": 3})
    assert InventoryLevel.objects.get(store=store, sku="A").quantity == 300
    assert api_client.get("/api/stock", {"storeUid": "oslo_city"}).json() == {
        "storeUid": "oslo_city",
        "items": [{"sku": "A", "quantity": 300}, {"sku": "B", "quantity": 250}],
    }
    assert api_client.get("/api/stock", {"storeUid": "oslo_city", "sku": "B"}).json()["items"] == [
        {"sku": "B", "quantity": 250}
    ]
    assert api_client.get("/api/stock").status_code == 400


@pytest.mark.django_db
def test_stock_for_a_store_where_flow_is_stock_master_is_refused(api_client, tenant, store):
    StoreExtension.objects.create(store=store, flow_stock_master=True)
    bergen = Store.objects.create(tenant=tenant, uid="bergen", name="Bergen", country_code="NO")
    Warehouse.objects.create(tenant=tenant, store=bergen, uid="bergen_back", name="Back room")
    before = snapshot()
    errors = push(
        api_client,
        "stock",
        [
            {"storeUid": "bergen", "sku": "A", "quantity": 1},
            {"storeUid": "oslo_city", "sku": "A", "quantity": 1},
            {"storeUid": "bergen_back", "sku": "A", "quantity": 1},
            {"storeUid": "tromso", "sku": "A", "quantity": 1},
        ],
        status=400,
    )
    assert errors == {
        "detail": "3 of 4 items are invalid; nothing was written.",
        "errors": {
            "1": {
                "storeUid": [
                    "Flow is stock master for store 'oslo_city' (OMNIUM_FLOW_STOCK_MASTER is on); "
                    "Omnium may not push its stock."
                ]
            },
            "2": {
                "storeUid": [
                    "'bergen_back' is a warehouse of store 'bergen'; Flow keeps stock per store."
                ]
            },
            "3": {"storeUid": ["No store with uid 'tromso'; push it first."]},
        },
    }
    assert snapshot() == before
    assert api_client.get("/api/stores/oslo_city").json()["flowStockMaster"] is True
