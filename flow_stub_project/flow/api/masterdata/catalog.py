"""Brands, product groups (Omnium categories) and products, as Omnium's connector pushes them."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from rest_framework import serializers
from rest_framework.response import Response

from omnium_integration.exceptions import MappingError
from omnium_integration.transform import slug_uid

from ...models import Brand, Product, ProductGroup
from ...upsert import upsert
from ..base import CamelModelSerializer, TenantAPIView
from .batch import BatchView, Errors, lookup, merge, overall, unknown
from .fields import Amount, PlainText, SanitizedUid

# --------------------------------------------------------------------------- brands


class BrandItem(serializers.Serializer):
    brandUid = SanitizedUid(
        sanitize=slug_uid, source="uid", required=False, help_text="Default: from the name."
    )
    name = serializers.CharField(max_length=200)

    def validate(self, attrs):
        if "uid" not in attrs:
            try:
                attrs["uid"] = slug_uid(attrs["name"])
            except MappingError:
                raise serializers.ValidationError(
                    {"name": ["Has no letters or digits to make a brandUid from."]}
                ) from None
        return attrs


class BrandsView(BatchView):
    """``/api/brands``: ``{"name": "Nike Air"}`` becomes brand ``nike_air``."""

    item_serializer = BrandItem
    key_field = "brandUid"

    def key(self, item):
        return item["uid"]

    def apply(self, items):
        rows = {(item["uid"],): {"name": item["name"]} for item in items}
        done = upsert(Brand, rows, key=("uid",), scope={"tenant": self.tenant})
        return [{"uid": item["uid"], "result": done.outcomes[(item["uid"],)]} for item in items]


# ------------------------------------------------------------------- product groups


class ProductGroupItem(serializers.Serializer):
    productGroupUid = serializers.CharField(source="uid", max_length=100)
    name = serializers.CharField(max_length=200)
    parentUid = serializers.CharField(
        source="parent", max_length=100, required=False, allow_null=True
    )


class ProductGroupsView(BatchView):
    """``/api/product-groups``: Omnium's categories; ``parentUid`` may name a group of the
    same batch. Product-group UIDs are Omnium's category ids as they are (docs/flow.md lists
    no sanitising for them, and products refer to them by ``MainCategoryId``)."""

    item_serializer = ProductGroupItem
    key_field = "productGroupUid"

    def key(self, item):
        return item["uid"]

    def resolve(self, valid):
        # The hierarchy after this push: what the tenant has, with the batch's changes.
        parents = dict(
            ProductGroup.objects.filter(tenant=self.tenant).values_list("uid", "parent__uid")
        )
        for item in valid.values():
            parents.setdefault(item["uid"], None)
            if "parent" in item:
                parents[item["uid"]] = item["parent"]
        errors: Errors = {}
        for index, item in valid.items():
            parent = item.get("parent")
            if parent is None:
                continue
            if parent not in parents:
                merge(errors, index, unknown("parentUid", "product group", parent))
            elif _in_cycle(item["uid"], parents):
                merge(errors, index, {"parentUid": [f"{parent!r} would make a cycle."]})
        return errors

    def apply(self, items):
        tenant = self.tenant
        names = {(item["uid"],): {"name": item["name"]} for item in items}
        done = upsert(ProductGroup, names, key=("uid",), scope={"tenant": tenant})
        in_batch = {uid: obj for (uid,), obj in done.objects.items()}
        outside = {item["parent"] for item in items if item.get("parent")} - in_batch.keys()
        groups = {**lookup(ProductGroup, outside, tenant=tenant), **in_batch}
        parents = {
            (item["uid"],): {"parent_id": groups[item["parent"]].pk if item["parent"] else None}
            for item in items
            if "parent" in item
        }
        linked = upsert(
            ProductGroup, parents, key=("uid",), scope={"tenant": tenant}, existing=done.objects
        )
        return [
            {
                "uid": item["uid"],
                "result": overall(
                    o[(item["uid"],)]
                    for o in (done.outcomes, linked.outcomes)
                    if (item["uid"],) in o
                ),
            }
            for item in items
        ]


def _in_cycle(uid: str, parents: dict[str, str | None]) -> bool:
    seen = {uid}
    current = parents.get(uid)
    while current is not None:
        if current in seen:
            return True
        seen.add(current)
        current = parents.get(current)
    return False


# ------------------------------------------------------------------------- products


def validate_currency_price(attrs: dict) -> dict:
    """``currencyPurchasePrice`` comes with its ``purchaseCurrency`` (Omnium's CostCurrency)."""
    if ("currency_purchase_price" in attrs) != ("purchase_currency" in attrs):
        raise serializers.ValidationError(
            {"purchaseCurrency": ["Give currencyPurchasePrice and purchaseCurrency together."]}
        )
    return attrs


class ProductItem(serializers.Serializer):
    """A product or variant. Fields left out keep their value; ``null`` clears one."""

    productUid = SanitizedUid(source="uid", help_text="Omnium SkuId, or ProductId.")
    sku = serializers.CharField(
        max_length=100, required=False, allow_blank=True, help_text='"NoSku" when empty.'
    )
    name = serializers.CharField(max_length=300)
    description = PlainText(required=False)
    shortDescription = PlainText(source="short_description", required=False)
    brandUid = SanitizedUid(sanitize=slug_uid, source="brand", required=False, allow_null=True)
    productGroupUid = serializers.CharField(
        source="product_group", max_length=100, required=False, allow_null=True
    )
    siblingGroupUid = SanitizedUid(
        source="sibling_group",
        required=False,
        allow_null=True,
        help_text="Omnium's ProductId, shared by the variants of one product.",
    )
    allowPurchase = serializers.BooleanField(source="allow_purchase", required=False)
    purchasePrice = Amount(source="purchase_price", required=False, allow_null=True)
    recommendedRetailPrice = Amount(
        source="recommended_retail_price", required=False, allow_null=True
    )
    currencyPurchasePrice = Amount(
        source="currency_purchase_price", required=False, allow_null=True
    )
    purchaseCurrency = serializers.CharField(
        source="purchase_currency", min_length=3, max_length=3, required=False, allow_null=True
    )
    weight = serializers.IntegerField(min_value=0, required=False, allow_null=True)
    height = serializers.IntegerField(min_value=0, required=False, allow_null=True)
    width = serializers.IntegerField(min_value=0, required=False, allow_null=True)
    length = serializers.IntegerField(min_value=0, required=False, allow_null=True)
    properties = serializers.DictField(
        child=serializers.CharField(allow_blank=True), required=False
    )

    def validate(self, attrs):
        if "sku" in attrs and not attrs["sku"]:
            attrs["sku"] = "NoSku"
        for name in ("sibling_group", "purchase_currency"):
            if name in attrs and attrs[name] is None:
                attrs[name] = ""
        if attrs.get("purchase_currency"):
            attrs["purchase_currency"] = attrs["purchase_currency"].upper()
        return validate_currency_price(attrs)


class ProductsView(BatchView):
    """``/api/products``: brands and product groups named must exist (push them first)."""

    item_serializer = ProductItem
    key_field = "productUid"

    def key(self, item):
        return item["uid"]

    def resolve(self, valid):
        tenant = self.tenant
        brands = lookup(
            Brand, (i["brand"] for i in valid.values() if i.get("brand")), tenant=tenant
        )
        groups = lookup(
            ProductGroup,
            (i["product_group"] for i in valid.values() if i.get("product_group")),
            tenant=tenant,
        )
        errors: Errors = {}
        for index, item in valid.items():
            if "brand" in item:
                uid = item.pop("brand")
                if uid and uid not in brands:
                    merge(errors, index, unknown("brandUid", "brand", uid))
                item["brand_id"] = brands[uid].pk if uid in brands else None
            if "product_group" in item:
                uid = item.pop("product_group")
                if uid and uid not in groups:
                    merge(errors, index, unknown("productGroupUid", "product group", uid))
                item["product_group_id"] = groups[uid].pk if uid in groups else None
        return errors

    def apply(self, items):
        rows = {(item["uid"],): _without(item, "uid") for item in items}
        done = upsert(Product, rows, key=("uid",), scope={"tenant": self.tenant})
        return [{"uid": item["uid"], "result": done.outcomes[(item["uid"],)]} for item in items]


def _without(item: dict, *names: str) -> dict:
    return {name: value for name, value in item.items() if name not in names}


class ProductOut(CamelModelSerializer):
    productUid = serializers.CharField(source="uid")
    brandUid = serializers.CharField(source="brand.uid", default=None)
    productGroupUid = serializers.CharField(source="product_group.uid", default=None)
    siblingGroupUid = serializers.CharField(source="sibling_group")
    siblings = serializers.SerializerMethodField()
    prices = serializers.SerializerMethodField()

    class Meta:
        model = Product
        fields = [
            "productUid",
            "sku",
            "name",
            "description",
            "short_description",
            "brandUid",
            "productGroupUid",
            "siblingGroupUid",
            "siblings",
            "allow_purchase",
            "purchase_price",
            "recommended_retail_price",
            "currency_purchase_price",
            "purchase_currency",
            "weight",
            "height",
            "width",
            "length",
            "properties",
            "prices",
            "updated_at",
        ]

    def get_siblings(self, product) -> list[str]:
        if not product.sibling_group:
            return []
        siblings = Product.objects.filter(
            tenant_id=product.tenant_id, sibling_group=product.sibling_group
        ).exclude(pk=product.pk)
        return list(siblings.order_by("uid").values_list("uid", flat=True))

    def get_prices(self, product) -> list[dict]:
        return [
            {
                "priceListUid": price.price_list.uid,
                "unitPrice": price.unit_price,
                "recommendedRetailPrice": price.recommended_retail_price,
            }
            for price in product.prices.select_related("price_list").order_by("price_list__uid")
        ]


class ProductDetailView(TenantAPIView):
    """``GET /api/products/<uid>``: as Flow stores it (money in cents)."""

    def get(self, request, uid: str):
        product = get_object_or_404(
            Product.objects.select_related("brand", "product_group"), tenant=self.tenant, uid=uid
        )
        return Response(ProductOut(product).data)
