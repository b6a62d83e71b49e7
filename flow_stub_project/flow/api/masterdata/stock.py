"""Stock levels from Omnium (``FlowInventoryScheduledTask``), for stores Omnium is master of.

Quantities are absolute, in units (``2.5``), stored as hundredths. A store whose
``OMNIUM_FLOW_STOCK_MASTER`` is on has Flow as its stock master: Omnium's stock for it
is refused, and with it the whole batch.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from rest_framework import serializers
from rest_framework.response import Response

from omnium_integration.models import StoreExtension

from ...models import InventoryLevel, Store, Warehouse
from ...upsert import upsert
from .batch import BatchView, Errors, lookup, merge
from .fields import Quantity, SanitizedUid


class StockItem(serializers.Serializer):
    storeUid = SanitizedUid(source="store")
    sku = serializers.CharField(max_length=100)
    quantity = Quantity(allow_negative=True, help_text="Absolute; may be negative.")


class StockView(BatchView):
    """``/api/stock`` (push) and ``GET /api/stock?storeUid=...[&sku=...]`` (read)."""

    item_serializer = StockItem
    key_field = "sku"

    def key(self, item):
        return f"{item['store']}/{item['sku']}"

    def get(self, request):
        uid = request.query_params.get("storeUid")
        if not uid:
            raise serializers.ValidationError({"storeUid": ["This query parameter is required."]})
        store = get_object_or_404(Store, tenant=self.tenant, uid=uid)
        levels = InventoryLevel.objects.filter(store=store).order_by("sku")
        if request.query_params.get("sku"):
            levels = levels.filter(sku=request.query_params["sku"])
        return Response(
            {
                "storeUid": store.uid,
                "items": [{"sku": level.sku, "quantity": level.quantity} for level in levels],
            }
        )

    def resolve(self, valid):
        uids = {item["store"] for item in valid.values()}
        self.stores = lookup(Store, uids, tenant=self.tenant)
        flow_masters = set(
            StoreExtension.objects.filter(
                store__in=self.stores.values(), flow_stock_master=True
            ).values_list("store__uid", flat=True)
        )
        warehouses = dict(
            Warehouse.objects.filter(
                tenant=self.tenant, uid__in=uids - self.stores.keys()
            ).values_list("uid", "store__uid")
        )
        errors: Errors = {}
        for index, item in valid.items():
            uid = item["store"]
            if uid in flow_masters:
                message = (
                    f"Flow is stock master for store {uid!r} (OMNIUM_FLOW_STOCK_MASTER is on); "
                    "Omnium may not push its stock."
                )
            elif uid in warehouses:
                message = (
                    f"{uid!r} is a warehouse of store {warehouses[uid]!r}; Flow keeps stock "
                    "per store."
                )
            elif uid not in self.stores:
                message = f"No store with uid {uid!r}; push it first."
            else:
                continue
            merge(errors, index, {"storeUid": [message]})
        return errors

    def apply(self, items):
        rows = {
            (self.stores[item["store"]].pk, item["sku"]): {"quantity": item["quantity"]}
            for item in items
        }
        done = upsert(InventoryLevel, rows, key=("store_id", "sku"), scope={"tenant": self.tenant})
        return [
            {
                "storeUid": item["store"],
                "sku": item["sku"],
                "result": done.outcomes[(self.stores[item["store"]].pk, item["sku"])],
            }
            for item in items
        ]
