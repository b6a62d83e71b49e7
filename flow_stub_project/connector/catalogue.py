"""A generated Omnium catalogue: the master data the connector pushes into Flow.

:func:`generate_catalogue` makes the same catalogue for the same arguments (a seeded
``random.Random``, fixed dates), in Omnium's own shapes: camelCase documents, amounts and
quantities as ``Decimal`` in major units. Awkward amounts on purpose (0.29, 0.57, 1.15,
4.35, 199.50, costs at 35-55 % of the price rounded to the cent) so the x100 conversion
to Flow's cents is exercised end to end; a few quantities in halves (rope sold by the
metre) do the same for Flow's fixed-point quantities.

What it holds (default ``products=2000``):

* products: one document per SKU. A style with several sizes is a configurable product:
  its variants share ``productId`` and have ``isVariant`` set (siblings in Flow); a style
  with one size is a plain product whose ``skuId`` is its ``productId``.
* brands (the products' ``brand`` names, with spaces and Nordic letters), a two-level
  category tree (``mainCategoryId`` names a leaf);
* five stores: three primary stores under two organisations, each its own warehouse,
  and two warehouses that are not primary stores (listed by a primary store's
  ``availableWarehouses``);
* price lists: the main list and a campaign list of one store; selling prices (with
  ``originalUnitPrice`` as the recommended retail price) and cost prices (``cost``);
* purchase orders from three suppliers in every state of delivery progress (nothing,
  part or all delivered, cancelled), their deliveries, and the supplier whose deliveries
  Omnium exports as purchase orders of their own (``DELIVERY_AS_PO_SUPPLIER``);
* stock levels of the primary stores.

The Omnium side of it (stores, purchase orders, deliveries, stock) goes into a fake
Omnium through its ordinary seeding calls (:func:`seed_omnium`), so goods receptions made
in Flow against the pushed purchase orders can be confirmed to it.
"""

from __future__ import annotations

import copy
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

CENT = Decimal("0.01")
EPOCH = date(2026, 3, 2)  # fixed: the same seed gives the same dates whenever it runs
MARKET = "NOR"
CURRENCY = "NOK"
MAIN_PRICE_LIST = "main"
DELIVERY_AS_PO_SUPPLIER = "fjord_logistics"

BRANDS = (
    "Nike Air",
    "Bergans of Norway",
    "Helly Hansen",
    "Norrøna",
    "Devold",
    "Swix",
    "Fjällräven",
    "Kari Traa",
    "Dale of Norway",
    "Ulvang",
    "Åsnes",
    "Odd Molly",
    "Tretorn",
    "Mammut",
    "Salomon",
    "Madshus",
)
MODELS = (
    "Fjellrapp",
    "Romsdal",
    "Lofoten",
    "Senja",
    "Trolltunga",
    "Jotunheimen",
    "Rondane",
    "Hardanger",
    "Nordmarka",
    "Finnskogen",
    "Lyngen",
    "Hemsedal",
)
COLORS = ("Black", "Navy", "Forest green", "Red", "Sand", "Grey melange")
MATERIALS = ("Merino wool", "Recycled polyester", "Gore-Tex", "Down", "Cotton", "Nylon")

LETTER_SIZES = ("XS", "S", "M", "L", "XL", "XXL")
SHOE_SIZES = tuple(str(size) for size in range(37, 47))
SOCK_SIZES = ("36-39", "40-43", "44-47")
SKI_LENGTHS = ("170 cm", "180 cm", "190 cm", "200 cm")
ONE_SIZE = ("One size",)


@dataclass(frozen=True)
class Leaf:
    """A leaf category: what its products are called, sized and priced like."""

    parent: str
    name: str
    nouns: tuple[str, ...]
    sizes: tuple[str, ...]
    prices: tuple[str, ...]
    weight: tuple[int, int]  # grams, low and high
    by_metre: bool = False  # quantities in halves


ROOTS = {
    "clothing": "Clothing",
    "footwear": "Footwear",
    "equipment": "Equipment",
    "accessories": "Accessories",
}
LEAVES = {
    "clothing_jackets": Leaf(
        "clothing",
        "Jackets",
        ("Shell jacket", "Down jacket", "Rain jacket"),
        LETTER_SIZES,
        ("1299.00", "2499.50", "3999.00", "4999.90"),
        (350, 1200),
    ),
    "clothing_sweaters": Leaf(
        "clothing",
        "Sweaters",
        ("Wool sweater", "Fleece", "Cardigan"),
        LETTER_SIZES,
        ("899.50", "1199.00", "1499.90"),
        (300, 800),
    ),
    "clothing_base_layers": Leaf(
        "clothing",
        "Base layers",
        ("Base layer top", "Long johns"),
        LETTER_SIZES,
        ("399.50", "599.00", "749.90"),
        (120, 300),
    ),
    "footwear_boots": Leaf(
        "footwear",
        "Boots",
        ("Hiking boot", "Winter boot"),
        SHOE_SIZES,
        ("1799.00", "2299.50"),
        (900, 1600),
    ),
    "footwear_running": Leaf(
        "footwear",
        "Running shoes",
        ("Trail runner", "Road runner"),
        SHOE_SIZES,
        ("1199.50", "1599.00"),
        (500, 800),
    ),
    "equipment_skis": Leaf(
        "equipment",
        "Skis",
        ("Touring ski", "Classic ski", "Skate ski"),
        SKI_LENGTHS,
        ("2999.00", "4499.50", "5999.00"),
        (1100, 1900),
    ),
    "equipment_wax": Leaf(
        "equipment",
        "Ski wax",
        ("Glide wax", "Grip wax", "Klister"),
        ONE_SIZE,
        ("89.90", "149.50", "199.50"),
        (40, 180),
    ),
    "equipment_rope": Leaf(
        "equipment",
        "Rope and cord",
        ("Accessory cord", "Reflective cord"),
        ONE_SIZE,
        ("4.35", "12.90", "19.99"),
        (10, 60),
        by_metre=True,
    ),
    "accessories_small_parts": Leaf(
        "accessories",
        "Small parts",
        ("Spare button", "Zipper pull", "Cord lock"),
        ONE_SIZE,
        ("0.29", "0.57", "1.15", "4.35"),
        (1, 20),
    ),
    "accessories_hats": Leaf(
        "accessories",
        "Hats",
        ("Beanie", "Headband"),
        ONE_SIZE,
        ("199.50", "249.00", "299.90"),
        (60, 140),
    ),
    "accessories_socks": Leaf(
        "accessories",
        "Socks",
        ("Wool socks", "Hiking socks"),
        SOCK_SIZES,
        ("149.50", "199.50"),
        (60, 120),
    ),
}
# The first styles of every catalogue, so even a small one holds the awkward amounts.
FEATURED = (
    ("accessories_small_parts", "Spare button", "0.29"),
    ("equipment_wax", "Glide wax", "199.50"),
)

SUPPLIERS = (
    {"id": "nordic_outdoor", "name": "Nordic Outdoor AS", "currency": "NOK"},
    {"id": "alpine_gear", "name": "Alpine Gear GmbH", "currency": "EUR"},
    {"id": DELIVERY_AS_PO_SUPPLIER, "name": "Fjord Logistics AS", "currency": "NOK"},
)
EUR_RATE = Decimal("11.50")  # NOK per EUR, for the purchase prices of a EUR supplier
NOTES = ("Ring before delivery", "Gate B", "Pallets only", "Deliver before 10:00")
# Purchase orders cycle through these states of delivery progress.
PROGRESS = ("open", "partial", "received", "cancelled", "open")


def _opening_hours(weekdays: tuple[str, str], saturday: tuple[str, str] | None) -> dict:
    hours = {}
    for day in ("monday", "tuesday", "wednesday", "thursday", "friday"):
        hours[f"{day}OpeningHours"] = {"opens": weekdays[0], "closes": weekdays[1]}
    hours["saturdayOpeningHours"] = (
        {"opens": saturday[0], "closes": saturday[1]} if saturday else {"isClosed": True}
    )
    hours["sundayOpeningHours"] = {"isClosed": True}
    return hours


STORES = (
    {
        "id": "oslo_city",
        "name": "Oslo City",
        "isPrimaryStore": True,
        "isWarehouse": True,
        "availableOnMarkets": [MARKET],
        "availableWarehouses": ["oslo_city", "oslo_backroom"],
        "address": {
            "streetName": "Stenersgata",
            "streetNumber": "1",
            "city": "Oslo",
            "zipcode": "0050",
            "countryCode": "NO",
        },
        "email": "oslo@nordic-retail.example",
        "phoneNumber": "+47 22 00 00 00",
        "latitude": "59.9127",
        "longitude": "10.7519",
        "organizationalNumber": "NO 912 345 678 MVA",
        **_opening_hours(("10:00", "21:00"), ("10:00", "18:00")),
    },
    {
        "id": "oslo_backroom",
        "name": "Oslo City back room",
        "isPrimaryStore": False,
        "isWarehouse": True,
        "address": {"city": "Oslo", "zipcode": "0050", "countryCode": "NO"},
    },
    {
        "id": "bergen_storsenter",
        "name": "Bergen Storsenter",
        "isPrimaryStore": True,
        "isWarehouse": True,
        "availableOnMarkets": [MARKET],
        "availableWarehouses": ["bergen_storsenter", "central_warehouse"],
        "address": {
            "streetName": "Strømgaten",
            "streetNumber": "8",
            "city": "Bergen",
            "zipcode": "5015",
            "countryCode": "NO",
        },
        "email": "bergen@nordic-retail.example",
        "phoneNumber": "+47 55 00 00 00",
        "latitude": "60.3894",
        "longitude": "5.3328",
        "organizationalNumber": "NO 912 345 678 MVA",
        **_opening_hours(("09:00", "21:00"), ("09:00", "18:00")),
    },
    {
        "id": "central_warehouse",
        "name": "Central warehouse",
        "isPrimaryStore": False,
        "isWarehouse": True,
        "address": {"city": "Vestby", "zipcode": "1540", "countryCode": "NO"},
    },
    {
        "id": "trondheim_outlet",
        "name": "Trondheim Outlet",
        "isPrimaryStore": True,
        "isWarehouse": True,
        "availableOnMarkets": [MARKET],
        "availableWarehouses": ["trondheim_outlet"],
        "address": {
            "streetName": "Kjøpmannsgata",
            "streetNumber": "12",
            "city": "Trondheim",
            "zipcode": "7013",
            "countryCode": "NO",
        },
        "email": "outlet@nordic-outlet.example",
        "phoneNumber": "+47 73 00 00 00",
        "latitude": "63.4305",
        "longitude": "10.3951",
        "organizationalNumber": "NO 998 877 665 MVA",
        **_opening_hours(("10:00", "20:00"), None),
    },
)
CAMPAIGN_STORE = "oslo_city"


@dataclass
class Catalogue:
    """An Omnium catalogue in Omnium's shapes: what the connector reads."""

    categories: list[dict] = field(default_factory=list)
    stores: list[dict] = field(default_factory=list)
    products: list[dict] = field(default_factory=list)
    price_lists: list[dict] = field(default_factory=list)
    prices: list[dict] = field(default_factory=list)
    purchase_orders: list[dict] = field(default_factory=list)
    deliveries: list[dict] = field(default_factory=list)
    inventory: list[dict] = field(default_factory=list)

    def copy(self) -> Catalogue:
        """A deep copy (tests change theirs freely)."""
        return copy.deepcopy(self)


def seed_omnium(omnium: Any, catalogue: Catalogue, *, tenant: str = "default") -> None:
    """Give a fake Omnium (``omnium_sandbox.OmniumSandbox`` or ``FakeOmnium``) the Omnium
    side of ``catalogue``: its stores (which then validate warehouse codes), deliveries,
    purchase orders and stock levels, through the fake's seeding calls."""
    omnium.configure(stores=copy.deepcopy(catalogue.stores))
    for delivery in catalogue.deliveries:
        omnium.add_delivery(copy.deepcopy(delivery), tenant=tenant)
    for po in catalogue.purchase_orders:
        omnium.add_purchase_order(copy.deepcopy(po), tenant=tenant)
    omnium.add_inventory(copy.deepcopy(catalogue.inventory), tenant=tenant)


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _day(offset: int) -> str:
    """An Omnium date-time (UTC midnight) ``offset`` days after the epoch."""
    return f"{(EPOCH + timedelta(days=offset)).isoformat()}T00:00:00Z"


def generate_catalogue(
    products: int = 2000, *, seed: int = 1, purchase_orders: int | None = None
) -> Catalogue:
    """A catalogue of ``products`` SKUs (variants count one each), deterministic for ``seed``.

    ``purchase_orders`` defaults to one per 50 products (at least 5).
    """
    if products < 1:
        raise ValueError("A catalogue needs at least one product.")
    rng = random.Random(seed)
    catalogue = Catalogue()
    catalogue.categories = [
        {"id": uid, "name": name, "parentId": None} for uid, name in ROOTS.items()
    ] + [{"id": uid, "name": leaf.name, "parentId": leaf.parent} for uid, leaf in LEAVES.items()]
    catalogue.stores = copy.deepcopy(list(STORES))
    catalogue.products, list_prices = _products(rng, products)
    catalogue.price_lists = [
        {"id": MAIN_PRICE_LIST, "name": "Main prices", "currency": CURRENCY},
        {
            "id": f"{CAMPAIGN_STORE}_campaign",
            "name": "Oslo City campaign",
            "currency": CURRENCY,
            "storeId": CAMPAIGN_STORE,
        },
    ]
    catalogue.prices = _prices(rng, catalogue.products, list_prices)
    count = purchase_orders if purchase_orders is not None else max(5, products // 50)
    catalogue.purchase_orders, catalogue.deliveries = _purchase_orders(
        rng, catalogue.products, count
    )
    catalogue.inventory = _inventory(rng, catalogue.products)
    return catalogue


# ------------------------------------------------------------------------ products


def _styles(rng: random.Random):
    """Endless styles: (leaf id, noun, list price, may be on sale), the featured ones first."""
    for leaf_id, noun, price in FEATURED:
        yield leaf_id, noun, price, False
    leaves = list(LEAVES)
    while True:
        leaf_id = rng.choice(leaves)
        leaf = LEAVES[leaf_id]
        yield leaf_id, rng.choice(leaf.nouns), rng.choice(leaf.prices), True


def _products(rng: random.Random, count: int) -> tuple[list[dict], dict[str, tuple]]:
    """The product documents, and each SKU's (list price, may be on sale)."""
    documents: list[dict] = []
    list_prices: dict[str, tuple[Decimal, bool]] = {}
    for number, (leaf_id, noun, price, sale) in enumerate(_styles(rng), start=10001):
        if len(documents) >= count:
            break
        leaf = LEAVES[leaf_id]
        brand = rng.choice(BRANDS)
        name = f"{brand} {rng.choice(MODELS)} {noun}"
        color = rng.choice(COLORS)
        material = rng.choice(MATERIALS)
        sizes = list(leaf.sizes)
        if len(sizes) > 2:  # not every style comes in every size
            first = rng.randrange(0, 2)
            sizes = sizes[first : first + rng.randint(2, len(sizes) - first)]
        sizes = sizes[: count - len(documents)]
        product_id = f"P{number}"
        cost = _money(Decimal(price) * Decimal(rng.randint(35, 55)) / 100)
        is_active = rng.random() > 0.02
        codes = ["OUTGOING"] if rng.random() < 0.03 else ["STANDARD"]
        variant = len(sizes) > 1
        for index, size in enumerate(sizes, start=1):
            sku = f"{product_id}-{index:02d}" if variant else product_id
            weight = rng.randint(*leaf.weight)
            documents.append(
                {
                    "id": sku,
                    "productId": product_id,
                    "skuId": sku,
                    "isVariant": variant,
                    "name": f"{name} {size}" if variant else name,
                    "description": (
                        f"<p>{noun} from <b>{brand}</b> in {material.lower()} &amp; "
                        f"{color.lower()}.</p><ul><li>{material}</li><li>{leaf.name}</li></ul>"
                    ),
                    "shortDescription": f"<em>{noun}</em> by {brand}",
                    "brand": brand,
                    "mainCategoryId": leaf_id,
                    "categoryIds": [leaf.parent, leaf_id],
                    "marketId": MARKET,
                    "isActive": is_active,
                    "assortmentCodes": list(codes),
                    "cost": cost,
                    "unit": "m" if leaf.by_metre else "pcs",
                    "weight": weight,
                    "colli": {
                        "weight": weight + rng.randint(5, 80),
                        "height": rng.randint(20, 200),
                        "width": rng.randint(100, 400),
                        "length": rng.randint(150, 600),
                    },
                    "properties": [
                        {"key": "size", "value": size, "keyGroup": "Variant"},
                        {"key": "color", "value": color, "keyGroup": "Variant"},
                        {"key": "material", "value": material, "keyGroup": "Text"},
                    ],
                }
            )
            list_prices[sku] = (Decimal(price), sale)
    return documents, list_prices


def _prices(rng: random.Random, products: list[dict], list_prices: dict) -> list[dict]:
    prices = []
    for product in products:
        list_price, sale = list_prices[product["skuId"]]
        main = {
            "priceListId": MAIN_PRICE_LIST,
            "skuId": product["skuId"],
            "marketId": MARKET,
            "currencyCode": CURRENCY,
            "unitPrice": list_price,
            "originalUnitPrice": None,
        }
        if sale and rng.random() < 0.2:  # on sale: the list price is the recommended retail price
            main["unitPrice"] = _money(list_price * Decimal("0.85"))
            main["originalUnitPrice"] = list_price
        prices.append(main)
        if sale and rng.random() < 0.1:
            prices.append(
                {
                    "priceListId": f"{CAMPAIGN_STORE}_campaign",
                    "skuId": product["skuId"],
                    "marketId": MARKET,
                    "currencyCode": CURRENCY,
                    "unitPrice": _money(list_price * Decimal("0.7")),
                    "originalUnitPrice": list_price,
                }
            )
    return prices


# ----------------------------------------------------------------- purchase orders


def _line_quantity(rng: random.Random, product: dict) -> Decimal:
    if product["unit"] == "m":
        return Decimal(rng.randint(5, 60)) / 2  # 12.5 m
    return Decimal(rng.choice((2, 4, 5, 6, 10, 12, 20, 24)))


def _purchase_orders(
    rng: random.Random, products: list[dict], count: int
) -> tuple[list[dict], list[dict]]:
    buyable = [p for p in products if p["isActive"] and "OUTGOING" not in p["assortmentCodes"]]
    buyable = buyable or products
    receiving = [s["id"] for s in STORES if s["isWarehouse"]]
    orders: list[dict] = []
    deliveries: list[dict] = []
    for index in range(count):
        number = 100001 + index
        po_id = f"PO{number}"
        supplier = SUPPLIERS[index % len(SUPPLIERS)]
        progress = PROGRESS[index % len(PROGRESS)]
        store_id = receiving[index % len(receiving)]
        ordered_on = index % 30
        requested = _day(ordered_on + 14)
        picks = rng.sample(buyable, k=min(len(buyable), rng.randint(3, 12)))
        lines = []
        for n, product in enumerate(picks, start=1):
            quantity = _line_quantity(rng, product)
            price = product["cost"]
            if supplier["currency"] == "EUR":
                price = _money(price / EUR_RATE)
            line = {
                "lineItemId": f"{po_id}-{n}",
                "code": product["skuId"],
                "description": product["name"],
                "quantity": quantity,
                "deliveredQuantity": Decimal(0),
                "canceledQuantity": Decimal(0),
                "placedPrice": price,
                "currency": supplier["currency"],
                "warehouseCode": store_id,
                "supplierSkuId": f"{supplier['id'][:3].upper()}-{product['skuId']}",
            }
            if rng.random() < 0.25:  # a supplier discount on the line
                line["discountedPrice"] = _money(price * Decimal("0.9"))
            if rng.random() < 0.5:  # the supplier confirmed an arrival date
                line["estimatedTimeOfArrival"] = _day(ordered_on + rng.randint(7, 28))
            lines.append(line)
        _deliver(lines, progress)

        by_delivery = supplier["id"] == DELIVERY_AS_PO_SUPPLIER
        delivery_ids = _assign_deliveries(po_id, lines, progress, by_delivery)
        for delivery_id in delivery_ids:
            mine = [line for line in lines if line.get("deliveryId") == delivery_id]
            done = all(line["deliveredQuantity"] >= line["quantity"] for line in mine)
            started = any(line["deliveredQuantity"] for line in mine)
            deliveries.append(
                {
                    "id": delivery_id,
                    "orderType": "PurchaseOrder",
                    "warehouseCode": store_id,
                    "supplierIds": [supplier["id"]],
                    "deliveryStatus": "Completed" if done else "InProgress" if started else "New",
                    "estimatedTimeOfArrival": requested,
                }
            )
        notes = rng.sample(NOTES, k=rng.randint(0, 2))
        orders.append(
            {
                "id": po_id,
                "purchaseOrderNumber": po_id,
                "referenceNumber": f"{supplier['id'][:3].upper()}-{number}",
                "orderType": "PurchaseOrder",
                "status": {
                    "open": "Ordered",
                    "partial": "PartiallyDelivered",
                    "received": "Completed",
                    "cancelled": "Canceled",
                }[progress],
                "storeId": store_id,
                "marketId": MARKET,
                "supplierId": supplier["id"],
                "supplierName": supplier["name"],
                "billingCurrency": supplier["currency"],
                "requestedDeliveryDate": requested,
                "purchaseOrderNotes": notes,
                "purchaseOrderForm": {"lineItems": lines},
            }
        )
    return orders, deliveries


def _deliver(lines: list[dict], progress: str) -> None:
    """Set what has been delivered (and cancelled) for the purchase order's progress."""
    if progress == "received":
        for line in lines:
            line["deliveredQuantity"] = line["quantity"]
    elif progress in ("partial", "cancelled"):
        # the first lines in full, then one line in part; the rest not yet
        full = max(1, len(lines) // 3)
        for line in lines[:full]:
            line["deliveredQuantity"] = line["quantity"]
        if len(lines) > full:
            partly = lines[full]
            partly["deliveredQuantity"] = Decimal(int(partly["quantity"] / 2))
        if progress == "cancelled":
            for line in lines:
                line["canceledQuantity"] = line["quantity"] - line["deliveredQuantity"]


def _assign_deliveries(po_id: str, lines: list[dict], progress: str, by_delivery: bool):
    """Put lines on deliveries; returns the delivery ids in order.

    A supplier whose deliveries are exported as purchase orders ships every line on one of
    two deliveries (lines delivered first on the first). Other suppliers' lines are on a
    delivery once goods started arriving; lines still awaited are on none.
    """
    first, second = f"D{po_id[2:]}_1", f"D{po_id[2:]}_2"
    if by_delivery:
        started = [line for line in lines if line["deliveredQuantity"]]
        cut = len(started) if started else max(1, len(lines) // 2)
        for n, line in enumerate(lines):
            line["deliveryId"] = first if n < cut else second
        return [first, second] if cut < len(lines) else [first]
    if progress == "open":
        return []
    for line in lines:
        if line["deliveredQuantity"]:
            line["deliveryId"] = first
    return [first]


# --------------------------------------------------------------------------- stock


def _inventory(rng: random.Random, products: list[dict]) -> list[dict]:
    items = []
    for store in STORES:
        if not store["isPrimaryStore"]:
            continue
        for product in products:
            if not product["isActive"] or rng.random() < 0.1:
                continue
            if product["unit"] == "m":
                quantity = Decimal(rng.randint(0, 200)) / 2
            else:
                quantity = Decimal(rng.randint(0, 40))
            items.append(
                {"sku": product["skuId"], "warehouseCode": store["id"], "inventory": quantity}
            )
    return items
