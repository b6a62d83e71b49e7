"""The back office's stock calls: counts, adjustments, transfers, and the ledger's movements.

One request, one transaction, one kind of movement (sales, returns and voids move stock
through the order calls). Quantities are Flow's fixed point, hundredths of a unit
(``250`` is 2.5 pieces), like goods receptions.

* ``POST /api/pos/stock/counts``: ``{uid?, storeUid, reason?, lines: [{sku, quantity}]}``;
  each line's quantity is the level counted, which becomes the store's level.
* ``POST /api/pos/stock/adjustments``: ``{uid?, storeUid, reason, lines: [{sku,
  quantity}]}``; each quantity is added (negative: taken off), the reason is required.
* ``POST /api/pos/stock/transfers``: ``{uid?, fromStoreUid, toStoreUid, reason?, lines:
  [{sku, quantity}]}``; goods leave one store and arrive at the other (movements
  ``<uid>.out`` and ``<uid>.in``).
* ``GET /api/pos/stock/movements/<uid>``: a movement with its lines.
"""

from __future__ import annotations

from django.db import transaction
from django.shortcuts import get_object_or_404
from rest_framework import serializers, status
from rest_framework.response import Response

from ... import stock
from ...models import StockMovement, StockMovementLine, Store
from ...pos import new_uid
from ..base import CamelModelSerializer, TenantAPIView, TenantUidField, UidField, duplicates
from .serializers import MAX_CENTS

# A quantity in hundredths, bounded like goods receptions' (far inside 64 bits).
MAX_QUANTITY = MAX_CENTS


class LineInput(serializers.Serializer):
    sku = serializers.CharField(max_length=100)
    quantity = serializers.IntegerField(
        min_value=-MAX_QUANTITY, max_value=MAX_QUANTITY, help_text="Hundredths of a unit."
    )


class MovementInput(serializers.Serializer):
    """What every stock call takes: a uid, a reason, the lines (one per SKU)."""

    uid = UidField(required=False, help_text="Default: a generated UID.")
    reason = serializers.CharField(max_length=200, required=False, allow_blank=True)
    lines = LineInput(many=True, allow_empty=False)
    # Per call: the smallest quantity a line may have, and whether 0 is allowed.
    min_quantity = -MAX_QUANTITY
    zero_allowed = True

    def validate_uid(self, value):
        taken = StockMovement.objects.filter(
            tenant=self.context["tenant"], uid__in=self.movement_uids(value)
        )
        if taken.exists():
            raise serializers.ValidationError(f"A stock movement with uid {value!r} exists.")
        return value

    def movement_uids(self, uid: str) -> list[str]:
        return [uid]

    def validate_lines(self, lines):
        errors = duplicates([line["sku"] for line in lines], "sku")
        for index, line in enumerate(lines):
            if line["quantity"] < self.min_quantity:
                errors[index] = {"quantity": [f"Must be at least {self.min_quantity}."]}
            elif line["quantity"] == 0 and not self.zero_allowed:
                errors[index] = {"quantity": ["Must not be 0."]}
        if errors:
            raise serializers.ValidationError(errors)
        return lines


class CountInput(MovementInput):
    storeUid = TenantUidField(Store, source="store")
    min_quantity = 0


class AdjustmentInput(MovementInput):
    storeUid = TenantUidField(Store, source="store")
    reason = serializers.CharField(max_length=200, help_text="Why: damaged, theft, found...")
    zero_allowed = False


class TransferInput(MovementInput):
    fromStoreUid = TenantUidField(Store, source="source")
    toStoreUid = TenantUidField(Store, source="destination")
    min_quantity = 1

    def movement_uids(self, uid: str) -> list[str]:
        return [f"{uid}.out", f"{uid}.in"]

    def validate(self, attrs):
        if attrs["source"] == attrs["destination"]:
            raise serializers.ValidationError(
                {"toStoreUid": ["Give another store than the source."]}
            )
        return attrs


class MovementLineOut(CamelModelSerializer):
    class Meta:
        model = StockMovementLine
        fields = ["sku", "quantity", "counted", "level_after"]


class MovementOut(CamelModelSerializer):
    storeUid = serializers.CharField(source="store.uid")
    lines = MovementLineOut(many=True)

    class Meta:
        model = StockMovement
        fields = [
            "uid",
            "kind",
            "storeUid",
            "reason",
            "reference",
            "created_at",
            "booked_at",
            "lines",
        ]


def movement_data(movement: StockMovement) -> dict:
    movement = (
        StockMovement.objects.select_related("store").prefetch_related("lines").get(pk=movement.pk)
    )
    return MovementOut(movement).data


class MovementView(TenantAPIView):
    input_class: type[MovementInput]

    def valid(self, request) -> dict:
        serializer = self.input_class(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data


class CountView(MovementView):
    """``POST /api/pos/stock/counts``: the counted levels become the store's levels."""

    input_class = CountInput

    @transaction.atomic
    def post(self, request):
        data = self.valid(request)
        movement = stock.book(
            data["store"],
            stock.Kind.COUNT,
            [stock.Change(line["sku"], counted=line["quantity"]) for line in data["lines"]],
            uid=data.get("uid", ""),
            reason=data.get("reason", ""),
        )
        return Response(movement_data(movement), status=status.HTTP_201_CREATED)


class AdjustmentView(MovementView):
    """``POST /api/pos/stock/adjustments``: add or take off stock, with a reason."""

    input_class = AdjustmentInput

    @transaction.atomic
    def post(self, request):
        data = self.valid(request)
        movement = stock.book(
            data["store"],
            stock.Kind.ADJUSTMENT,
            [stock.Change(line["sku"], line["quantity"]) for line in data["lines"]],
            uid=data.get("uid", ""),
            reason=data["reason"],
        )
        return Response(movement_data(movement), status=status.HTTP_201_CREATED)


class TransferView(MovementView):
    """``POST /api/pos/stock/transfers``: goods leave one store and arrive at another."""

    input_class = TransferInput

    @transaction.atomic
    def post(self, request):
        data = self.valid(request)
        uid = data.get("uid") or new_uid()
        out, into = stock.transfer(
            data["source"],
            data["destination"],
            [stock.Change(line["sku"], line["quantity"]) for line in data["lines"]],
            uid=uid,
            reason=data.get("reason", ""),
        )
        body = {"uid": uid, "movements": [movement_data(out), movement_data(into)]}
        return Response(body, status=status.HTTP_201_CREATED)


class MovementDetailView(TenantAPIView):
    """``GET /api/pos/stock/movements/<uid>``."""

    def get(self, request, uid: str):
        movement = get_object_or_404(StockMovement, tenant=self.tenant, uid=uid)
        return Response(movement_data(movement))
