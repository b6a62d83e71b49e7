"""What Omnium's FlowRetail connector sends to Flow: Omnium documents in, Flow payloads out.

Pure functions over a :class:`~.catalogue.Catalogue` (Omnium's shapes) and the connector's
:class:`ConnectorSettings`; :mod:`.push` sends what they return. Amounts and quantities
stay Omnium's decimals (``199.50``, ``12.5``): Flow's API turns them into cents and
hundredths, sanitises UIDs and strips HTML. What each resource gets:

* brands: the distinct ``brand`` names of the products, keyed by :func:`brand_uid` (names
  that make the same uid are pushed once, the first seen).
* product groups: the categories, parents before their children.
* stores: a primary store with its organisation (``organizationalNumber``, else the
  connector's ``organization_uid``), its ``availableWarehouses`` and the main price list
  (which Flow sets on create only). A store that is not primary goes as a warehouse of
  the primary store whose ``availableWarehouses`` lists it; one that no primary store
  lists is not sent (the report says so).
* products: ``productUid`` is the ``skuId`` (else the ``productId``); variants
  (``isVariant``) share their ``productId`` as sibling group; ``allowPurchase`` is
  ``isActive`` without a non-purchasable assortment code. Prices are left to the price
  and cost-price tasks: no ``recommendedRetailPrice`` nor ``purchasePrice`` on products.
* price lists: the catalogue's, the main one (``MainPricesListUid``) always, store lists
  when ``store_price_lists`` is on. Prices: ``unitPrice``, and ``originalUnitPrice`` as
  the recommended retail price (``null`` when there is none, which clears an old one).
* cost prices: each product's ``cost``.
* purchase orders: one Flow PO per Omnium PO with all its lines, or, for the suppliers
  ``export_delivery_as_po`` names, one per delivery (``deliveryUid``) with that
  delivery's lines. A PO whose store is a warehouse goes to that warehouse's primary
  store; its lines keep their warehouse code. ``isCancelled`` from a cancelled status.
* stock: absolute levels of the primary stores (:func:`stock_levels`; :mod:`.push` asks
  Flow which stores it is stock master of).

The UID, number and date rules here are the connector's own, written from Flow's and
Omnium's documentation; nothing is shared with the integration app, so a rule wrong in
the app is not wrong here by construction.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from .catalogue import DELIVERY_AS_PO_SUPPLIER, MAIN_PRICE_LIST, Catalogue

BATCH_LIMIT = 1000  # what Flow's master-data API takes in one call
CANCELLED = {"canceled", "cancelled"}
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


# ------------------------------------------------------------------- values Flow takes

_NOT_UID = re.compile(r"[^A-Za-z0-9_]+")
# Letters Unicode does not decompose into a base letter and a mark.
_LETTERS = str.maketrans(
    {"æ": "ae", "Æ": "AE", "ø": "o", "Ø": "O", "ß": "ss", "đ": "d", "Đ": "D", "ł": "l", "Ł": "L"}
)


def _latin(text: str) -> str:
    """``text`` with accents and Nordic letters written in plain Latin letters."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_LETTERS))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def flow_uid(value: object) -> str:
    """A UID as Flow keeps it: letters, digits and ``_`` only (``"PO-1/2"`` -> ``PO12``)."""
    return _NOT_UID.sub("", _latin(str(value)))


def brand_uid(name: object) -> str | None:
    """The Flow uid of a brand name: lower case, words joined by ``_`` (``"Nike Air"`` ->
    ``nike_air``, ``"Norrøna"`` -> ``norrona``); ``None`` for a name with no letter or
    digit."""
    return "_".join(_NOT_UID.sub(" ", _latin(str(name))).split()).lower() or None


def decimal(value: object) -> Decimal:
    """An exact Decimal from an Omnium number (Decimal, int, str, or float by its repr)."""
    if isinstance(value, bool) or value is None:
        raise ValueError(f"Not a number: {value!r}")
    try:
        result = value if isinstance(value, Decimal) else Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"Not a number: {value!r}") from None
    if not result.is_finite():
        raise ValueError(f"Not a finite number: {value!r}")
    return result


def omnium_date(value: object) -> datetime | None:
    """An aware UTC datetime from an Omnium date; ``None`` when unset.

    Omnium writes ISO 8601 in UTC with up to seven fractional digits, and
    ``0001-01-01T00:00:00`` for a date that is not set.
    """
    if not isinstance(value, str) or not value.strip():
        return None
    text = re.sub(r"(\.\d{6})\d+", r"\1", value.strip())
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.year <= 1:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


# --------------------------------------------------------------------------- settings


@dataclass(frozen=True)
class ConnectorSettings:
    """The connector's configuration in Omnium (its setting names in the comments)."""

    main_price_list: str = MAIN_PRICE_LIST  # MainPricesListUid
    store_price_lists: bool = True  # StorePriceListsInFlow
    # ExportDeliveryAsPo. One switch in Omnium; here also a set of supplier ids, so that
    # one push can show both modes. The default catalogue has one such supplier.
    export_delivery_as_po: bool | frozenset[str] = frozenset({DELIVERY_AS_PO_SUPPLIER})
    # OmniumIsMasterForStock (Omnium's default is off; the sandbox pushes stock by default).
    omnium_is_master_for_stock: bool = True
    organization_uid: str = ""  # OrganizationUid: for stores without an organisational number
    default_product_group: str = ""  # DefaultProductGroupUid
    purchase_number_series: str = ""  # PurchaseNumberSeriesUid
    voucher_number_series: str = ""  # VoucherNumberSeriesUid
    non_purchasable_assortment_codes: frozenset[str] = frozenset({"OUTGOING"})
    batch_size: int = BATCH_LIMIT

    def __post_init__(self) -> None:
        if not 1 <= self.batch_size <= BATCH_LIMIT:
            raise ValueError(f"batch_size must be between 1 and {BATCH_LIMIT}.")

    def delivery_as_po(self, supplier_id: str) -> bool:
        if isinstance(self.export_delivery_as_po, bool):
            return self.export_delivery_as_po
        return supplier_id in self.export_delivery_as_po


# --------------------------------------------------------------------------- mapping
# Omnium documents in, Flow payloads out, with notes on what was left out.


def brands(catalogue: Catalogue) -> list[dict]:
    found: dict[str, str] = {}
    for product in catalogue.products:
        name = product.get("brand")
        uid = brand_uid(name) if name else None
        if uid and uid not in found:
            found[uid] = name
    return [{"brandUid": uid, "name": name} for uid, name in found.items()]


def product_groups(catalogue: Catalogue) -> list[dict]:
    parent_of = {c["id"]: c.get("parentId") or None for c in catalogue.categories}

    def depth(uid: str) -> int:
        seen = {uid}
        while (uid := parent_of.get(uid)) is not None and uid not in seen:
            seen.add(uid)
        return len(seen)

    ordered = sorted(catalogue.categories, key=lambda c: depth(c["id"]))
    return [
        {
            "productGroupUid": c["id"],
            "name": c.get("name") or c["id"],
            "parentUid": c.get("parentId") or None,
        }
        for c in ordered
    ]


def flow_stores(catalogue: Catalogue) -> dict[str, str]:
    """Omnium store id -> the primary store it is in Flow (itself, or the one listing it)."""
    mapping: dict[str, str] = {}
    for store in catalogue.stores:
        if store.get("isPrimaryStore"):
            mapping[store["id"]] = store["id"]
    for store in catalogue.stores:
        if store.get("isPrimaryStore"):
            for warehouse in store.get("availableWarehouses") or ():
                mapping.setdefault(warehouse, store["id"])
    return mapping


def _opening_hours(store: dict) -> list[dict]:
    hours = []
    for day in WEEKDAYS:
        value = store.get(f"{day}OpeningHours") or {}
        if value and not value.get("isClosed") and value.get("opens") and value.get("closes"):
            hours.append({"day": day.title(), "open": value["opens"], "close": value["closes"]})
    return hours


def stores(catalogue: Catalogue, settings: ConnectorSettings) -> tuple[list[dict], list[str]]:
    parent_of = flow_stores(catalogue)
    primaries, warehouses, skipped = [], [], []
    for store in catalogue.stores:
        active = not store.get("isInactive", False)
        if not store.get("isPrimaryStore"):
            parent = parent_of.get(store["id"])
            if parent is None:
                skipped.append(
                    f"store {store['id']!r} not sent: not a primary store, and no primary "
                    "store lists it among its availableWarehouses"
                )
                continue
            warehouses.append(
                {
                    "storeUid": store["id"],
                    "name": store.get("name") or store["id"],
                    "isPrimaryStore": False,
                    "primaryStoreUid": parent,
                    "isWarehouse": bool(store.get("isWarehouse")),
                    "isActive": active,
                }
            )
            continue
        address = store.get("address") or {}
        street = (address.get("streetName"), address.get("streetNumber"))
        organization = store.get("organizationalNumber") or settings.organization_uid
        item = {
            "storeUid": store["id"],
            "name": store.get("name") or store["id"],
            "isPrimaryStore": True,
            "isWarehouse": bool(store.get("isWarehouse")),
            "availableWarehouses": list(store.get("availableWarehouses") or []),
            "isActive": active,
            "address": " ".join(part for part in street if part),
            "city": address.get("city") or "",
            "postalCode": address.get("zipcode") or "",
            "countryCode": address.get("countryCode"),
            "email": store.get("email") or "",
            "phone": store.get("phoneNumber") or "",
            "latitude": store.get("latitude") or None,
            "longitude": store.get("longitude") or None,
            "externalId": next(iter(store.get("availableOnMarkets") or ()), ""),
            "vatNumber": store.get("organizationalNumber") or "",
            "organizationUid": organization,
            "salesPriceUid": settings.main_price_list,
            "openingHours": _opening_hours(store),
        }
        for key, value in (
            ("purchaseNumberSeriesUid", settings.purchase_number_series),
            ("voucherNumberSeriesUid", settings.voucher_number_series),
        ):
            if value:
                item[key] = value
        primaries.append(item)
    return primaries + warehouses, skipped


def products(catalogue: Catalogue, settings: ConnectorSettings) -> list[dict]:
    items = []
    for product in catalogue.products:
        codes = set(product.get("assortmentCodes") or ())
        colli = product.get("colli") or {}
        properties = {
            str(p["key"]): str(p.get("value") if p.get("value") is not None else "")
            for p in product.get("properties") or ()
            if p.get("key")
        }
        weight = product.get("weight") or colli.get("weight")
        items.append(
            {
                "productUid": product.get("skuId") or product["productId"],
                "sku": product.get("skuId") or "",
                "name": product.get("name") or product.get("skuId") or product["productId"],
                "description": product.get("description") or "",
                "shortDescription": product.get("shortDescription") or "",
                "brandUid": brand_uid(product["brand"]) if product.get("brand") else None,
                "productGroupUid": product.get("mainCategoryId")
                or settings.default_product_group
                or None,
                "siblingGroupUid": product["productId"] if product.get("isVariant") else None,
                "allowPurchase": bool(product.get("isActive", True))
                and not codes & settings.non_purchasable_assortment_codes,
                "weight": int(weight) if weight is not None else None,
                "height": colli.get("height"),
                "width": colli.get("width"),
                "length": colli.get("length"),
                "properties": properties,
            }
        )
    return items


def price_lists(catalogue: Catalogue, settings: ConnectorSettings) -> tuple[list[dict], list[str]]:
    store_of = flow_stores(catalogue)
    items, skipped = [], []
    for price_list in catalogue.price_lists:
        item = {
            "priceListUid": price_list["id"],
            "name": price_list.get("name") or price_list["id"],
        }
        if price_list.get("currency"):
            item["currency"] = price_list["currency"]
        if price_list.get("storeId"):
            if not settings.store_price_lists:
                skipped.append(
                    f"price list {price_list['id']!r} of store {price_list['storeId']!r} not "
                    "sent: store price lists are off"
                )
                continue
            item["storeUid"] = store_of.get(price_list["storeId"], price_list["storeId"])
        items.append(item)
    if settings.main_price_list not in {item["priceListUid"] for item in items}:
        items.insert(0, {"priceListUid": settings.main_price_list, "name": "Main prices"})
    return items, skipped


def prices(catalogue: Catalogue, settings: ConnectorSettings) -> list[dict]:
    sent = {item["priceListUid"] for item in price_lists(catalogue, settings)[0]}
    items = []
    for price in catalogue.prices:
        if price["priceListId"] not in sent:
            continue
        original = price.get("originalUnitPrice")
        items.append(
            {
                "priceListUid": price["priceListId"],
                "productUid": price["skuId"],
                "unitPrice": decimal(price["unitPrice"]),
                "recommendedRetailPrice": decimal(original) if original is not None else None,
            }
        )
    return items


def cost_prices(catalogue: Catalogue) -> list[dict]:
    return [
        {
            "productUid": product.get("skuId") or product["productId"],
            "purchasePrice": decimal(product["cost"]),
        }
        for product in catalogue.products
        if product.get("cost") is not None
    ]


def _expected_date(line: dict, po: dict) -> str | None:
    """ETA, else the requested delivery date (as a UTC date); Omnium's 0001-01-01 is unset."""
    moment = omnium_date(line.get("estimatedTimeOfArrival")) or omnium_date(
        po.get("requestedDeliveryDate")
    )
    return moment.date().isoformat() if moment else None


def _po_line(line: dict, po: dict) -> dict:
    price = line.get("discountedPrice")
    if price is None:
        price = line.get("placedPrice")
    item = {
        "lineUid": line["lineItemId"],
        "sku": line["code"],
        "quantityOrdered": decimal(line["quantity"]),
        "quantityReceived": decimal(line.get("deliveredQuantity") or 0),
        "expectedDeliveryDate": _expected_date(line, po),
        "warehouseCode": line.get("warehouseCode") or po.get("storeId") or "",
    }
    if price is not None:
        item["unitPrice"] = decimal(price)
    return item


def purchase_orders(
    catalogue: Catalogue, settings: ConnectorSettings
) -> tuple[list[dict], list[str]]:
    store_of = flow_stores(catalogue)
    items, skipped = [], []
    for po in catalogue.purchase_orders:
        store = store_of.get(po.get("storeId") or "")
        if store is None or not po.get("supplierId"):
            why = "no supplierId" if store else f"store {po.get('storeId')!r} is not in Flow"
            skipped.append(f"purchase order {po['id']!r} not sent: {why}")
            continue
        lines = (po.get("purchaseOrderForm") or {}).get("lineItems") or []
        header = {
            "purchaseOrderUid": po["id"],
            "supplierUid": po["supplierId"],
            "storeUid": store,
            "supplierReferenceNumber": po.get("referenceNumber") or "",
            "note": [note for note in po.get("purchaseOrderNotes") or () if note],
            "isCancelled": str(po.get("status") or "").lower() in CANCELLED,
        }
        if po.get("billingCurrency"):
            header["currency"] = po["billingCurrency"]
        if not settings.delivery_as_po(po["supplierId"]):
            items.append({**header, "lines": [_po_line(line, po) for line in lines]})
            continue
        deliveries = dict.fromkeys(line["deliveryId"] for line in lines if line.get("deliveryId"))
        for delivery in deliveries:
            mine = [_po_line(line, po) for line in lines if line.get("deliveryId") == delivery]
            items.append({**header, "deliveryUid": delivery, "lines": mine})
        if waiting := sum(1 for line in lines if not line.get("deliveryId")):
            skipped.append(
                f"purchase order {po['id']!r}: {waiting} line(s) on no delivery not sent "
                "(deliveries are exported as purchase orders)"
            )
    return items, skipped


def stock_levels(catalogue: Catalogue) -> tuple[dict[str, list[dict]], list[str]]:
    """Stock items per primary store, and notes on the levels Flow has no store for."""
    primaries = {s["id"] for s in catalogue.stores if s.get("isPrimaryStore")}
    by_store: dict[str, list[dict]] = defaultdict(list)
    elsewhere: Counter[str] = Counter()
    for item in catalogue.inventory:
        warehouse = item.get("warehouseCode") or ""
        if warehouse not in primaries:
            elsewhere[warehouse] += 1
            continue
        by_store[warehouse].append(
            {"storeUid": warehouse, "sku": item["sku"], "quantity": decimal(item["inventory"])}
        )
    skipped = [
        f"{count:,} level(s) of warehouse {warehouse!r} not sent: Flow keeps stock per store, "
        "and it is not a primary store"
        for warehouse, count in sorted(elsewhere.items())
    ]
    return dict(by_store), skipped
