"""The sandbox's connector mode: Omnium's FlowRetail connector, pushing master data into Flow.

Omnium exports its master data into Flow through Flow's REST API (spec F7, F9-F11, O1-O5).
:class:`FlowConnector` plays that connector against a running Flow: it maps a
:class:`~.catalogue.Catalogue` (Omnium's shapes) to Flow's master-data payloads and pushes
them one resource after another, in the order their references need, each resource in
sequential batches of at most 1000 items::

    brands, product-groups, stores, products, price-lists, prices, cost-prices,
    purchase-orders, stock

Amounts and quantities travel as Omnium's decimals (``199.50``, ``12.5``): Flow's API turns
them into cents and hundredths, sanitises UIDs and strips HTML. The connector maps fields
and decides what is sent:

* brands: the distinct ``brand`` names of the products, keyed by ``slug_uid`` (names that
  make the same uid are pushed once, the first seen).
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
* stock: absolute levels of the primary stores. Not sent for a store where Flow is stock
  master (``flowStockMaster`` of ``GET stores/<uid>``), nor at all when Omnium is not
  stock master (``omnium_is_master_for_stock``); the report says what was skipped.

A batch Flow refuses stops the push with :class:`ConnectorError` (its field errors, and
the report so far); pushes are idempotent, so pushing again after a fix is safe.
"""

from __future__ import annotations

import time
from collections import Counter, defaultdict
from contextlib import suppress
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import quote

import requests

from ..exceptions import MappingError
from ..transform import parse_omnium_datetime, sanitize_uid, slug_uid, to_decimal
from .catalogue import DELIVERY_AS_PO_SUPPLIER, MAIN_PRICE_LIST, Catalogue
from .common import dumps

BATCH_LIMIT = 1000  # what Flow's master-data API takes in one call
RESOURCES = (
    "brands",
    "product-groups",
    "stores",
    "products",
    "price-lists",
    "prices",
    "cost-prices",
    "purchase-orders",
    "stock",
)
COUNTS = ("items", "batches", "created", "updated", "unchanged", "deleted")
CANCELLED = {"canceled", "cancelled"}
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
USER_AGENT = "OmniumSandbox-FlowConnector/1.0"


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


# ---------------------------------------------------------------------------- report


@dataclass
class ResourceReport:
    """What Flow answered for one resource, summed over its batches."""

    resource: str
    items: int = 0
    batches: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    seconds: float = 0.0
    skipped: list[str] = field(default_factory=list)

    def add(self, answer: dict[str, Any], items: int) -> None:
        self.items += items
        self.batches += 1
        for name in COUNTS[2:]:
            setattr(self, name, getattr(self, name) + int(answer.get(name) or 0))


@dataclass
class PushReport:
    """Per resource, in push order: items sent, batches, what Flow did, what was skipped."""

    api_url: str
    resources: dict[str, ResourceReport] = field(default_factory=dict)
    seconds: float = 0.0

    def __getitem__(self, resource: str) -> ResourceReport:
        return self.resources[resource]

    @property
    def skipped(self) -> list[str]:
        return [f"{r.resource}: {note}" for r in self.resources.values() for note in r.skipped]

    def as_dict(self) -> dict[str, Any]:
        return {
            "apiUrl": self.api_url,
            "seconds": round(self.seconds, 3),
            "resources": {
                name: {**asdict(r), "seconds": round(r.seconds, 3)}
                for name, r in self.resources.items()
            },
        }

    def format(self) -> str:
        """A table for people (the management command prints it)."""
        rows = [f"{'resource':<16}" + "".join(f"{name:>10}" for name in (*COUNTS, "seconds"))]
        for r in self.resources.values():
            numbers = "".join(f"{getattr(r, name):>10,}" for name in COUNTS)
            rows.append(f"{r.resource:<16}{numbers}{r.seconds:>10.2f}")
        rows += [f"skipped: {note}" for note in self.skipped]
        rows.append(f"Pushed to {self.api_url} in {self.seconds:.1f} s.")
        return "\n".join(rows)


class ConnectorError(Exception):
    """Flow refused a batch, or could not be reached; ``report`` holds what was done."""

    def __init__(
        self,
        message: str,
        *,
        resource: str,
        status: int | None = None,
        body: Any = None,
        report: PushReport | None = None,
    ):
        super().__init__(message)
        self.resource = resource
        self.status = status
        self.body = body
        self.report = report


# --------------------------------------------------------------------------- mapping
# Pure functions: Omnium documents in, Flow payloads out (with notes on what was left out).


def brand_uid(name: object) -> str | None:
    """The Flow uid of an Omnium brand name (``"Nike Air"`` -> ``nike_air``), if it has one."""
    with suppress(MappingError):
        return slug_uid(name)
    return None


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
                "unitPrice": to_decimal(price["unitPrice"]),
                "recommendedRetailPrice": to_decimal(original) if original is not None else None,
            }
        )
    return items


def cost_prices(catalogue: Catalogue) -> list[dict]:
    return [
        {
            "productUid": product.get("skuId") or product["productId"],
            "purchasePrice": to_decimal(product["cost"]),
        }
        for product in catalogue.products
        if product.get("cost") is not None
    ]


def _expected_date(line: dict, po: dict) -> str | None:
    """ETA, else the requested delivery date (as a UTC date); Omnium's 0001-01-01 is unset."""
    moment = parse_omnium_datetime(line.get("estimatedTimeOfArrival")) or parse_omnium_datetime(
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
        "quantityOrdered": to_decimal(line["quantity"]),
        "quantityReceived": to_decimal(line.get("deliveredQuantity") or 0),
        "expectedDeliveryDate": _expected_date(line, po),
        "warehouseCode": line.get("warehouseCode") or po.get("storeId") or "",
    }
    if price is not None:
        item["unitPrice"] = to_decimal(price)
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
            {"storeUid": warehouse, "sku": item["sku"], "quantity": to_decimal(item["inventory"])}
        )
    skipped = [
        f"{count:,} level(s) of warehouse {warehouse!r} not sent: Flow keeps stock per store, "
        "and it is not a primary store"
        for warehouse, count in sorted(elsewhere.items())
    ]
    return dict(by_store), skipped


# ---------------------------------------------------------------------------- pusher


class FlowConnector:
    """Pushes catalogues into one Flow tenant: ``api_url`` (e.g. ``http://127.0.0.1:8000/api/``)
    and the tenant's API token. Use it as a context manager, or call :meth:`close`."""

    def __init__(
        self,
        api_url: str,
        token: str,
        settings: ConnectorSettings | None = None,
        *,
        timeout: float = 300.0,
    ):
        self.api_url = api_url.rstrip("/") + "/"
        self.settings = settings or ConnectorSettings()
        self.timeout = (10.0, timeout)
        self.session = requests.Session()
        self.session.headers.update(
            {
                "Authorization": f"Token {token}",
                "Content-Type": "application/json",
                "Accept": "application/json",
                "User-Agent": USER_AGENT,
            }
        )
        # Proxy settings read once, for Flow's URL (requests would re-read them per call).
        self.session.trust_env = False
        self.session.proxies.update(requests.utils.get_environ_proxies(self.api_url))

    def __repr__(self) -> str:
        return f"<FlowConnector {self.api_url}>"

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> FlowConnector:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def push(self, catalogue: Catalogue) -> PushReport:
        """Push every resource of ``catalogue``, in dependency order; the report says what
        Flow did. Raises :class:`ConnectorError` at the first batch Flow refuses."""
        settings = self.settings
        report = PushReport(self.api_url)
        started = time.monotonic()
        plan = {
            "brands": lambda: (brands(catalogue), []),
            "product-groups": lambda: (product_groups(catalogue), []),
            "stores": lambda: stores(catalogue, settings),
            "products": lambda: (products(catalogue, settings), []),
            "price-lists": lambda: price_lists(catalogue, settings),
            "prices": lambda: (prices(catalogue, settings), []),
            "cost-prices": lambda: (cost_prices(catalogue), []),
            "purchase-orders": lambda: purchase_orders(catalogue, settings),
            "stock": lambda: self._stock(catalogue),
        }
        try:
            for resource in RESOURCES:
                section = report.resources[resource] = ResourceReport(resource)
                began = time.monotonic()
                items, section.skipped = plan[resource]()
                self._send(resource, items, section)
                section.seconds = time.monotonic() - began
        except ConnectorError as exc:
            exc.report = report
            raise
        finally:
            report.seconds = time.monotonic() - started
        return report

    def _stock(self, catalogue: Catalogue) -> tuple[list[dict], list[str]]:
        if not self.settings.omnium_is_master_for_stock:
            return [], ["no stock sent: Omnium is not stock master (OmniumIsMasterForStock)"]
        by_store, skipped = stock_levels(catalogue)
        items = []
        for store_id, levels in by_store.items():
            flow_store = self._get("stock", f"stores/{quote(sanitize_uid(store_id), safe='')}")
            if flow_store is None:
                skipped.append(f"store {store_id!r} not in Flow: {len(levels):,} level(s) not sent")
            elif flow_store.get("flowStockMaster"):
                skipped.append(
                    f"store {store_id!r}: Flow is stock master there; "
                    f"{len(levels):,} level(s) not sent"
                )
            else:
                items.extend(levels)
        return items, skipped

    def _send(self, resource: str, items: list[dict], section: ResourceReport) -> None:
        size = self.settings.batch_size
        for number, start in enumerate(range(0, len(items), size), start=1):
            batch = items[start : start + size]
            answer = self._call("POST", resource, resource, dumps(batch), f"batch {number}")
            section.add(answer, len(batch))

    def _get(self, resource: str, path: str) -> dict | None:
        return self._call("GET", resource, path, None, f"GET {path}", none_on_404=True)

    def _call(
        self,
        method: str,
        resource: str,
        path: str,
        body: bytes | None,
        what: str,
        *,
        none_on_404: bool = False,
    ) -> Any:
        try:
            response = self.session.request(
                method, self.api_url + path, data=body, timeout=self.timeout
            )
        except requests.RequestException as exc:
            raise ConnectorError(
                f"{resource}: {what}: Flow could not be reached ({type(exc).__name__}: {exc})",
                resource=resource,
            ) from None
        if response.status_code == 404 and none_on_404:
            return None
        try:
            data = response.json()
        except ValueError:
            data = response.text[:500]
        if response.status_code != 200:
            detail = data.get("detail") if isinstance(data, dict) else data
            raise ConnectorError(
                f"{resource}: {what}: Flow answered {response.status_code}: {detail}",
                resource=resource,
                status=response.status_code,
                body=data,
            )
        return data


def push_catalogue(
    catalogue: Catalogue,
    api_url: str,
    token: str,
    settings: ConnectorSettings | None = None,
) -> PushReport:
    """Push ``catalogue`` into the Flow tenant of ``token`` at ``api_url``."""
    with FlowConnector(api_url, token, settings) as connector:
        return connector.push(catalogue)
