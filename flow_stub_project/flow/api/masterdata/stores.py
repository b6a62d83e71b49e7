"""Stores, their organisations and warehouses (Omnium's store export, ``IStoreExporter``).

Only primary Omnium stores become Flow stores. A non-primary store becomes a warehouse
of its primary store (``primaryStoreUid``). Warehouses are also made from a primary
store that is itself a warehouse (``isWarehouse``) and from its ``availableWarehouses``;
the first available one becomes the store's default (and default return) warehouse on
every push. The organisation (``organizationUid``, from Omnium's organisational number)
is created when missing. The number series and the sales price list are set when the
store is created only.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.shortcuts import get_object_or_404
from rest_framework import serializers
from rest_framework.response import Response

from omnium_integration.models import StoreExtension

from ...models import Organization, PriceList, Store, Warehouse
from ...upsert import upsert
from ..base import CamelModelSerializer, TenantAPIView
from .batch import BatchView, Errors, lookup, merge, overall
from .fields import Coordinate, SanitizedUid

CREATE_ONLY = ("sales_price_list_uid", "purchase_number_series_uid", "voucher_number_series_uid")


class StoreItem(serializers.Serializer):
    storeUid = SanitizedUid(source="uid", help_text="Omnium store id.")

    def to_internal_value(self, data):
        values = super().to_internal_value(data)
        # The store's id in Omnium, as Omnium spells it: the integration names the store
        # so on the way out and finds it so on the way in (its store parameter).
        values["omnium_id"] = str(data.get("storeUid", "")).strip()
        return values

    name = serializers.CharField(max_length=200)
    isPrimaryStore = serializers.BooleanField(source="is_primary", default=True)
    primaryStoreUid = SanitizedUid(
        source="primary", required=False, help_text="Of a store that is not primary."
    )
    isWarehouse = serializers.BooleanField(source="is_warehouse", default=False)
    availableWarehouses = serializers.ListField(
        source="available_warehouses", child=SanitizedUid(), required=False
    )
    isActive = serializers.BooleanField(source="is_active", required=False)
    address = serializers.CharField(max_length=200, required=False, allow_blank=True)
    city = serializers.CharField(max_length=100, required=False, allow_blank=True)
    postalCode = serializers.CharField(
        source="postal_code", max_length=20, required=False, allow_blank=True
    )
    countryCode = serializers.RegexField(
        r"^[A-Za-z]{2}$", source="country_code", required=False, help_text="ISO alpha-2."
    )
    email = serializers.EmailField(required=False, allow_blank=True)
    phone = serializers.CharField(max_length=50, required=False, allow_blank=True)
    latitude = Coordinate(limit=90, required=False, allow_null=True)
    longitude = Coordinate(limit=180, required=False, allow_null=True)
    externalId = serializers.CharField(
        source="external_id", max_length=100, required=False, allow_blank=True
    )
    vatNumber = serializers.CharField(
        source="vat_number", max_length=50, required=False, allow_blank=True
    )
    organizationUid = SanitizedUid(source="organization", required=False)
    organizationName = serializers.CharField(
        source="organization_name", max_length=200, required=False
    )
    salesPriceUid = serializers.CharField(
        source="sales_price_list_uid", max_length=100, required=False, allow_blank=True
    )
    purchaseNumberSeriesUid = serializers.CharField(
        source="purchase_number_series_uid", max_length=100, required=False, allow_blank=True
    )
    voucherNumberSeriesUid = serializers.CharField(
        source="voucher_number_series_uid", max_length=100, required=False, allow_blank=True
    )
    openingHours = serializers.JSONField(source="opening_hours", required=False)
    storePriceListUid = serializers.CharField(
        source="store_price_list", max_length=100, required=False
    )

    def validate(self, attrs):
        errors = {}
        if attrs["is_primary"]:
            if "country_code" not in attrs:
                errors["countryCode"] = ["A primary store needs its countryCode."]
            if "organization" not in attrs:
                errors["organizationUid"] = ["A primary store needs its organizationUid."]
        elif "primary" not in attrs:
            errors["primaryStoreUid"] = ["A store that is not primary needs its primaryStoreUid."]
        elif attrs["primary"] == attrs["uid"]:
            errors["primaryStoreUid"] = ["A store cannot be its own primary store."]
        if errors:
            raise serializers.ValidationError(errors)
        if "country_code" in attrs:
            attrs["country_code"] = attrs["country_code"].upper()
        return attrs


class StoresView(BatchView):
    """``/api/stores``: primary stores become stores, the others their warehouses."""

    item_serializer = StoreItem
    key_field = "storeUid"

    def key(self, item):
        return item["uid"]

    def resolve(self, valid):
        uids = [i["uid"] for i in valid.values()] + [
            i["primary"] for i in valid.values() if "primary" in i
        ]
        self.stores = lookup(Store, uids, tenant=self.tenant)
        primary_in_batch = {i["uid"] for i in valid.values() if i["is_primary"]}
        errors: Errors = {}
        for index, item in valid.items():
            if item["is_primary"]:
                continue
            if item["uid"] in self.stores:
                merge(
                    errors,
                    index,
                    {
                        "isPrimaryStore": [
                            f"{item['uid']!r} is a Flow store; it cannot become a warehouse."
                        ]
                    },
                )
            parent = item["primary"]
            if parent not in primary_in_batch and parent not in self.stores:
                merge(
                    errors,
                    index,
                    {
                        "primaryStoreUid": [
                            f"No primary store {parent!r} in Flow or among the valid items "
                            "of this batch."
                        ]
                    },
                )
        return errors

    def apply(self, items):
        tenant = self.tenant
        primaries = [item for item in items if item["is_primary"]]
        organizations = self._organizations(primaries)

        rows, on_create = {}, {}
        for item in primaries:
            row = {
                name: value
                for name, value in item.items()
                if name in _STORE_FIELDS and name not in CREATE_ONLY
            }
            row["organization_id"] = organizations[item["organization"]].pk
            rows[(item["uid"],)] = row
            on_create[(item["uid"],)] = {name: item[name] for name in CREATE_ONLY if name in item}
        existing = {(uid,): store for uid, store in self.stores.items()}
        stores = upsert(
            Store,
            rows,
            key=("uid",),
            scope={"tenant": tenant},
            on_create=on_create,
            existing=existing,
        )
        by_uid = {uid: store for (uid,), store in stores.objects.items()}
        by_uid.update({uid: s for uid, s in self.stores.items() if uid not in by_uid})
        outcomes: dict[str, list[str]] = defaultdict(list)
        for (uid,), outcome in stores.outcomes.items():
            outcomes[uid].append(outcome)

        for item in primaries:
            StoreExtension.objects.update_or_create(
                store=by_uid[item["uid"]], defaults={"omnium_store_id": item["omnium_id"]}
            )
        warehouses = self._warehouses(items, by_uid)

        defaults = self._default_warehouses(primaries, by_uid, warehouses.objects)
        linked = upsert(Store, defaults, key=("uid",), existing=stores.objects)
        for (uid,), outcome in linked.outcomes.items():
            outcomes[uid].append(outcome)

        price_lists = self._store_price_lists(primaries, by_uid)
        for (uid,), outcome in price_lists.items():
            outcomes[uid].append(outcome)

        results = []
        for item in items:
            if item["is_primary"]:
                store = by_uid[item["uid"]]
                mine = outcomes[item["uid"]] + [
                    outcome
                    for (store_id, _), outcome in warehouses.outcomes.items()
                    if store_id == store.pk
                ]
                results.append({"uid": item["uid"], "becomes": "store", "result": overall(mine)})
            else:
                parent = by_uid[item["primary"]]
                results.append(
                    {
                        "uid": item["uid"],
                        "becomes": "warehouse",
                        "storeUid": parent.uid,
                        "result": warehouses.outcomes[(parent.pk, item["uid"])],
                    }
                )
        return results

    @staticmethod
    def _default_warehouses(primaries, stores: dict[str, Store], warehouses) -> dict[tuple, dict]:
        """Each store's first available warehouse (or itself, as a warehouse) as its default
        and default return warehouse. Stores pushed without warehouses keep theirs."""
        defaults = {}
        for item in primaries:
            if "available_warehouses" not in item and not item["is_warehouse"]:
                continue
            store = stores[item["uid"]]
            first = (item.get("available_warehouses") or [None])[0]
            if first is None and item["is_warehouse"]:
                first = item["uid"]
            warehouse = warehouses.get((store.pk, first))
            warehouse_id = warehouse.pk if warehouse else None
            defaults[(item["uid"],)] = {
                "default_warehouse_id": warehouse_id,
                "default_return_warehouse_id": warehouse_id,
            }
        return defaults

    def _organizations(self, primaries: list[dict[str, Any]]) -> dict[str, Organization]:
        rows, on_create = {}, {}
        for item in primaries:
            key = (item["organization"],)
            row = rows.setdefault(key, {})
            if "organization_name" in item:
                row["name"] = item["organization_name"]
            if "vat_number" in item:
                row["vat_number"] = item["vat_number"]
            on_create[key] = {"name": item["organization"]}
        done = upsert(
            Organization, rows, key=("uid",), scope={"tenant": self.tenant}, on_create=on_create
        )
        return {uid: org for (uid,), org in done.objects.items()}

    def _warehouses(self, items: list[dict[str, Any]], stores: dict[str, Store]):
        rows: dict[tuple, dict] = {}
        on_create: dict[tuple, dict] = {}
        names = {item["uid"]: item["name"] for item in items if not item["is_primary"]}
        for item in items:
            if item["is_primary"]:
                store = stores[item["uid"]]
                if item["is_warehouse"]:
                    row = rows.setdefault((store.pk, store.uid), {})
                    row["name"] = item["name"]
                    if "is_active" in item:
                        row["is_active"] = item["is_active"]
                for uid in item.get("available_warehouses", ()):
                    rows.setdefault((store.pk, uid), {})
                    on_create[(store.pk, uid)] = {"name": names.get(uid, uid)}
            else:
                parent = stores[item["primary"]]
                row = rows.setdefault((parent.pk, item["uid"]), {})
                row["name"] = item["name"]
                if "is_active" in item:
                    row["is_active"] = item["is_active"]
        return upsert(
            Warehouse,
            rows,
            key=("store_id", "uid"),
            scope={"tenant": self.tenant},
            on_create=on_create,
        )

    def _store_price_lists(self, primaries, stores: dict[str, Store]) -> dict[tuple, str]:
        rows, on_create = {}, {}
        for item in primaries:
            if "store_price_list" not in item:
                continue
            store = stores[item["uid"]]
            key = (item["store_price_list"],)
            rows[key] = {"store_id": store.pk}
            on_create[key] = {"name": f"{store.name} prices", "currency": self.tenant.currency}
        done = upsert(
            PriceList, rows, key=("uid",), scope={"tenant": self.tenant}, on_create=on_create
        )
        by_store = {}
        for item in primaries:
            if "store_price_list" in item:
                by_store[(item["uid"],)] = done.outcomes[(item["store_price_list"],)]
        return by_store


_STORE_FIELDS = {f.attname for f in Store._meta.concrete_fields} - {"id", "tenant_id", "uid"}


class WarehouseOut(CamelModelSerializer):
    class Meta:
        model = Warehouse
        fields = ["uid", "name", "is_active"]


class StoreOut(CamelModelSerializer):
    storeUid = serializers.CharField(source="uid")
    organizationUid = serializers.CharField(source="organization.uid", default=None)
    organizationName = serializers.CharField(source="organization.name", default=None)
    defaultWarehouseUid = serializers.CharField(source="default_warehouse.uid", default=None)
    defaultReturnWarehouseUid = serializers.CharField(
        source="default_return_warehouse.uid", default=None
    )
    salesPriceUid = serializers.CharField(source="sales_price_list_uid")
    warehouses = WarehouseOut(many=True)
    priceLists = serializers.SlugRelatedField(
        source="price_lists", slug_field="uid", many=True, read_only=True
    )
    flowStockMaster = serializers.SerializerMethodField()

    class Meta:
        model = Store
        fields = [
            "storeUid",
            "name",
            "is_active",
            "address",
            "city",
            "postal_code",
            "country_code",
            "email",
            "phone",
            "latitude",
            "longitude",
            "external_id",
            "vat_number",
            "organizationUid",
            "organizationName",
            "salesPriceUid",
            "purchase_number_series_uid",
            "voucher_number_series_uid",
            "opening_hours",
            "defaultWarehouseUid",
            "defaultReturnWarehouseUid",
            "warehouses",
            "priceLists",
            "flowStockMaster",
        ]

    def get_flowStockMaster(self, store) -> bool:
        return StoreExtension.objects.filter(store=store, flow_stock_master=True).exists()


class StoreDetailView(TenantAPIView):
    """``GET /api/stores/<uid>``: the store with its organisation and warehouses."""

    def get(self, request, uid: str):
        store = get_object_or_404(
            Store.objects.select_related("organization"), tenant=self.tenant, uid=uid
        )
        return Response(StoreOut(store).data)
