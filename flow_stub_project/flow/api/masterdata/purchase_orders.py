"""Purchase orders from Omnium (``IPurchaseOrderSynchronousExporter`` / ``IDeliveryExporter``).

Two modes, as Omnium's ``ExportDeliveryAsPo`` setting picks:

* PO as PO: Flow PO uid = the sanitised Omnium PO id; status from delivery progress
  (nothing received SENTTOSUPPLIER, some PARTIALLYRECEIVED, all RECEIVED; cancelled
  CLOSED).
* Delivery as PO (``deliveryUid`` given): uid ``{PO}-delivery-{D}``, status always
  SENTTOSUPPLIER (CLOSED when cancelled, so nothing is received on it).

A push carries the PO's whole state: lines missing from it are deleted, except lines on
which Flow has already received goods (those are kept and reported in ``linesKept``).
``quantityReceived`` never goes below what Flow has received itself, so an Omnium export
that predates a Flow goods reception does not undo it.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.shortcuts import get_object_or_404
from rest_framework import serializers
from rest_framework.response import Response

from omnium_integration.exceptions import MappingError
from omnium_integration.transform import sanitize_uid

from ...models import PurchaseOrder, PurchaseOrderLine, ReceivementLine, Store
from ...purchasing import status_from_progress
from ...upsert import upsert
from ..base import CamelModelSerializer, TenantAPIView, duplicates
from .batch import BatchView, Errors, lookup, merge, overall, unknown
from .fields import Amount, LenientDate, Quantity, SanitizedUid

Status = PurchaseOrder.Status
UID_MAX_LENGTH = PurchaseOrder._meta.get_field("uid").max_length


class Notes(serializers.Field):
    """Omnium's ``PurchaseOrderNotes``: a string, or a list of them joined with commas."""

    default_error_messages = {"invalid": "A string or a list of strings is required."}

    def to_internal_value(self, data):
        if isinstance(data, str):
            return data.strip()
        if isinstance(data, list) and all(isinstance(note, str) for note in data):
            return ", ".join(note.strip() for note in data if note.strip())
        return self.fail("invalid")

    def to_representation(self, value):
        return value


class PurchaseOrderLineItem(serializers.Serializer):
    lineUid = serializers.CharField(
        source="uid", max_length=200, help_text="Omnium lineItemId, kept as it is."
    )
    sku = serializers.CharField(max_length=100)
    quantityOrdered = Quantity(source="quantity_ordered")
    quantityReceived = Quantity(source="quantity_received", required=False)
    unitPrice = Amount(source="unit_price", required=False, help_text="Discounted unit price.")
    expectedDeliveryDate = LenientDate(
        source="expected_delivery_date", required=False, allow_null=True
    )
    warehouseCode = serializers.CharField(
        source="warehouse_code", max_length=100, required=False, allow_blank=True
    )


class PurchaseOrderItem(serializers.Serializer):
    purchaseOrderUid = serializers.CharField(
        source="external_id", max_length=200, help_text="Omnium PO id; sanitised for the uid."
    )
    deliveryUid = serializers.CharField(
        source="external_delivery_id", max_length=200, required=False, allow_blank=True
    )
    supplierUid = serializers.CharField(source="supplier_uid", max_length=100)
    storeUid = SanitizedUid(source="store", help_text="The Flow store receiving the goods.")
    currency = serializers.CharField(min_length=3, max_length=3, required=False)
    supplierReferenceNumber = serializers.CharField(
        source="supplier_reference_number", max_length=100, required=False, allow_blank=True
    )
    note = Notes(required=False)
    isCancelled = serializers.BooleanField(source="is_cancelled", default=False)
    lines = PurchaseOrderLineItem(many=True)

    def validate(self, attrs):
        try:
            uid = sanitize_uid(attrs["external_id"])
        except MappingError:
            raise serializers.ValidationError(
                {"purchaseOrderUid": ["Has no letters or digits to make a UID from."]}
            ) from None
        delivery = attrs.setdefault("external_delivery_id", "")
        if delivery:
            try:
                uid = f"{uid}-delivery-{sanitize_uid(delivery)}"
            except MappingError:
                raise serializers.ValidationError(
                    {"deliveryUid": ["Has no letters or digits to make a UID from."]}
                ) from None
        if len(uid) > UID_MAX_LENGTH:
            raise serializers.ValidationError(
                {"purchaseOrderUid": [f"The Flow uid {uid!r} is over {UID_MAX_LENGTH} characters."]}
            )
        attrs["uid"] = uid
        if "currency" in attrs:
            attrs["currency"] = attrs["currency"].upper()
        if line_errors := duplicates([line["uid"] for line in attrs["lines"]], "lineUid"):
            raise serializers.ValidationError({"lines": line_errors})
        return attrs


class PurchaseOrdersView(BatchView):
    """``/api/purchase-orders``: whole POs (or deliveries) with their lines."""

    item_serializer = PurchaseOrderItem
    key_field = "purchaseOrderUid"

    def key(self, item):
        return item["uid"]

    def resolve(self, valid):
        tenant = self.tenant
        self.stores = lookup(Store, (i["store"] for i in valid.values()), tenant=tenant)
        # Lock the POs and their lines, in the order goods receptions lock them.
        self.orders = {
            po.uid: po
            for po in PurchaseOrder.objects.select_for_update().filter(
                tenant=tenant, uid__in=[i["uid"] for i in valid.values()]
            )
        }
        self.lines = {
            (line.purchase_order_id, line.uid): line
            for line in PurchaseOrderLine.objects.select_for_update()
            .filter(purchase_order__in=self.orders.values())
            .order_by("pk")
        }
        self.lines_by_order: dict[int, dict[str, PurchaseOrderLine]] = defaultdict(dict)
        for (po_id, uid), line in self.lines.items():
            self.lines_by_order[po_id][uid] = line
        errors: Errors = {}
        for index, item in valid.items():
            if item["store"] not in self.stores:
                merge(errors, index, unknown("storeUid", "store", item["store"]))
        return errors

    def apply(self, items):
        received_on = set(
            ReceivementLine.objects.filter(
                purchase_order_line__purchase_order__in=list(self.orders.values())
            ).values_list("purchase_order_line_id", flat=True)
        )
        headers, on_create, plans = {}, {}, []
        for item in items:
            plan = self._plan(item, received_on)
            plans.append(plan)
            header = {
                "external_id": item["external_id"],
                "external_delivery_id": item["external_delivery_id"],
                "supplier_uid": item["supplier_uid"],
                "store_id": self.stores[item["store"]].pk,
                "status": plan["status"],
            }
            for name in ("currency", "supplier_reference_number", "note"):
                if name in item:
                    header[name] = item[name]
            headers[(item["uid"],)] = header
            on_create[(item["uid"],)] = {"currency": self.tenant.currency}
        existing = {(uid,): po for uid, po in self.orders.items()}
        orders = upsert(
            PurchaseOrder,
            headers,
            key=("uid",),
            scope={"tenant": self.tenant},
            on_create=on_create,
            existing=existing,
        )
        line_rows = {}
        for item, plan in zip(items, plans, strict=True):
            po = orders.objects[(item["uid"],)]
            for uid, values in plan["lines"].items():
                line_rows[(po.pk, uid)] = values
        lines = upsert(
            PurchaseOrderLine,
            line_rows,
            key=("purchase_order_id", "uid"),
            existing=self.lines,
        )
        doomed = [line.pk for plan in plans for line in plan["delete"]]
        PurchaseOrderLine.objects.filter(pk__in=doomed).delete()

        results = []
        for item, plan in zip(items, plans, strict=True):
            po = orders.objects[(item["uid"],)]
            outcomes = [orders.outcomes[(item["uid"],)]]
            outcomes += [lines.outcomes[(po.pk, uid)] for uid in plan["lines"]]
            if plan["delete"]:
                outcomes.append("updated")
            results.append(
                {
                    "uid": item["uid"],
                    "result": overall(outcomes),
                    "status": plan["status"],
                    "linesDeleted": len(plan["delete"]),
                    "linesKept": plan["kept"],
                }
            )
        return results

    def _plan(self, item: dict[str, Any], received_on: set[int]) -> dict[str, Any]:
        """The PO's lines after this push, the lines to delete, and its status."""
        po = self.orders.get(item["uid"])
        current = self.lines_by_order.get(po.pk, {}) if po is not None else {}
        lines: dict[str, dict[str, Any]] = {}
        progress: list[tuple[int, int]] = []
        for line in item["lines"]:
            values = {name: value for name, value in line.items() if name != "uid"}
            existing = current.get(line["uid"])
            flow_received = existing.quantity_received if existing else 0
            values["quantity_received"] = max(flow_received, values.get("quantity_received", 0))
            lines[line["uid"]] = values
            progress.append((values["quantity_ordered"], values["quantity_received"]))
        gone = [line for uid, line in current.items() if uid not in lines]
        kept = [line for line in gone if line.pk in received_on]
        progress += [(line.quantity_ordered, line.quantity_received) for line in kept]
        if item["external_delivery_id"]:
            status = Status.CLOSED if item["is_cancelled"] else Status.SENTTOSUPPLIER
        else:
            status = status_from_progress(progress, cancelled=item["is_cancelled"])
        return {
            "lines": lines,
            "delete": [line for line in gone if line.pk not in received_on],
            "kept": [line.uid for line in kept],
            "status": status,
        }


class PurchaseOrderLineOut(CamelModelSerializer):
    lineUid = serializers.CharField(source="uid")

    class Meta:
        model = PurchaseOrderLine
        fields = [
            "lineUid",
            "sku",
            "quantity_ordered",
            "quantity_received",
            "unit_price",
            "expected_delivery_date",
            "warehouse_code",
        ]


class PurchaseOrderOut(CamelModelSerializer):
    purchaseOrderUid = serializers.CharField(source="uid")
    storeUid = serializers.CharField(source="store.uid")
    lines = PurchaseOrderLineOut(many=True)

    class Meta:
        model = PurchaseOrder
        fields = [
            "purchaseOrderUid",
            "external_id",
            "external_delivery_id",
            "supplier_uid",
            "storeUid",
            "currency",
            "supplier_reference_number",
            "note",
            "status",
            "lines",
            "updated_at",
        ]


class PurchaseOrderDetailView(TenantAPIView):
    """``GET /api/purchase-orders/<uid>``: quantities in hundredths, prices in cents."""

    def get(self, request, uid: str):
        po = get_object_or_404(
            PurchaseOrder.objects.select_related("store").prefetch_related("lines"),
            tenant=self.tenant,
            uid=uid,
        )
        return Response(PurchaseOrderOut(po).data)
