"""Price lists, selling prices and cost prices (Omnium's price scheduled tasks)."""

from __future__ import annotations

from rest_framework import serializers

from ...models import Price, PriceList, Product, Store
from ...upsert import upsert
from .batch import BatchView, Errors, lookup, merge, unknown
from .catalog import validate_currency_price
from .fields import Amount, SanitizedUid


class PriceListItem(serializers.Serializer):
    priceListUid = serializers.CharField(source="uid", max_length=100)
    name = serializers.CharField(max_length=200)
    currency = serializers.CharField(
        min_length=3, max_length=3, required=False, help_text="Default: the tenant's."
    )
    storeUid = SanitizedUid(
        source="store", required=False, allow_null=True, help_text="For a store's own list."
    )

    def validate_currency(self, value):
        return value.upper()


class PriceListsView(BatchView):
    """``/api/price-lists``: the main list (``MainPricesListUid``) and store price lists."""

    item_serializer = PriceListItem
    key_field = "priceListUid"

    def key(self, item):
        return item["uid"]

    def resolve(self, valid):
        stores = lookup(
            Store, (i["store"] for i in valid.values() if i.get("store")), tenant=self.tenant
        )
        errors: Errors = {}
        for index, item in valid.items():
            if "store" in item:
                uid = item.pop("store")
                if uid and uid not in stores:
                    merge(errors, index, unknown("storeUid", "store", uid))
                item["store_id"] = stores[uid].pk if uid in stores else None
        return errors

    def apply(self, items):
        rows = {(item["uid"],): {k: v for k, v in item.items() if k != "uid"} for item in items}
        on_create = {key: {"currency": self.tenant.currency} for key in rows}
        done = upsert(
            PriceList, rows, key=("uid",), scope={"tenant": self.tenant}, on_create=on_create
        )
        return [{"uid": item["uid"], "result": done.outcomes[(item["uid"],)]} for item in items]


class PriceItem(serializers.Serializer):
    priceListUid = serializers.CharField(source="price_list", max_length=100)
    productUid = SanitizedUid(source="product")
    unitPrice = Amount(source="unit_price", help_text="Selling price, VAT included.")
    recommendedRetailPrice = Amount(
        source="recommended_retail_price", required=False, allow_null=True
    )


class PricesView(BatchView):
    """``/api/prices``: selling prices, one per (price list, product)."""

    item_serializer = PriceItem
    key_field = "productUid"

    def key(self, item):
        return f"{item['price_list']}/{item['product']}"

    def resolve(self, valid):
        tenant = self.tenant
        lists = lookup(PriceList, (i["price_list"] for i in valid.values()), tenant=tenant)
        products = lookup(Product, (i["product"] for i in valid.values()), tenant=tenant)
        errors: Errors = {}
        for index, item in valid.items():
            if item["price_list"] not in lists:
                merge(errors, index, unknown("priceListUid", "price list", item["price_list"]))
            if item["product"] not in products:
                merge(errors, index, unknown("productUid", "product", item["product"]))
            if index not in errors:
                item["key"] = (lists[item["price_list"]].pk, products[item["product"]].pk)
        return errors

    def apply(self, items):
        rows = {
            item["key"]: {
                name: item[name]
                for name in ("unit_price", "recommended_retail_price")
                if name in item
            }
            for item in items
        }
        done = upsert(Price, rows, key=("price_list_id", "product_id"))
        return [
            {
                "priceListUid": item["price_list"],
                "productUid": item["product"],
                "result": done.outcomes[item["key"]],
            }
            for item in items
        ]


class CostPriceItem(serializers.Serializer):
    productUid = SanitizedUid(source="uid")
    purchasePrice = Amount(source="purchase_price", allow_null=True)
    currencyPurchasePrice = Amount(
        source="currency_purchase_price", required=False, allow_null=True
    )
    purchaseCurrency = serializers.CharField(
        source="purchase_currency", min_length=3, max_length=3, required=False
    )

    def validate(self, attrs):
        if attrs.get("purchase_currency"):
            attrs["purchase_currency"] = attrs["purchase_currency"].upper()
        return validate_currency_price(attrs)


class CostPricesView(BatchView):
    """``/api/cost-prices``: products' purchase (cost) prices; the products must exist."""

    item_serializer = CostPriceItem
    key_field = "productUid"

    def key(self, item):
        return item["uid"]

    def resolve(self, valid):
        self.products = lookup(Product, (i["uid"] for i in valid.values()), tenant=self.tenant)
        return {
            index: unknown("productUid", "product", item["uid"])
            for index, item in valid.items()
            if item["uid"] not in self.products
        }

    def apply(self, items):
        rows = {(item["uid"],): {k: v for k, v in item.items() if k != "uid"} for item in items}
        existing = {(uid,): product for uid, product in self.products.items()}
        done = upsert(Product, rows, key=("uid",), existing=existing)
        return [{"uid": item["uid"], "result": done.outcomes[(item["uid"],)]} for item in items]
