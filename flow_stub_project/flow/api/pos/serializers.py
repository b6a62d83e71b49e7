"""Request and response bodies of the POS API.

Names are camelCase; money is integer cents; order-line quantities are decimals
(``"1.5"`` or ``1.5``); goods-reception quantities are Flow's fixed-point hundredths
(``200`` is 2 pieces), like purchase-order quantities.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.urls import reverse
from rest_framework import serializers

from ...models import (
    Customer,
    Order,
    OrderHandling,
    OrderLine,
    OrderPayment,
    OrderReceipt,
    PurchaseOrder,
    Receivement,
    ReceivementLine,
    Store,
)
from ...pos import new_uid
from ..base import CamelModelSerializer, TenantUidField, UidField, duplicates

MAX_CENTS = 10**15  # keeps every sum far inside a 64-bit integer


def cents(**kwargs) -> serializers.IntegerField:
    kwargs.setdefault("max_value", MAX_CENTS)
    kwargs.setdefault("min_value", -MAX_CENTS)
    return serializers.IntegerField(**kwargs)


# --------------------------------------------------------------------------- orders


class OrderLineInput(serializers.Serializer):
    uid = UidField(required=False, help_text="Default: the line's position, 1, 2, ...")
    sku = serializers.CharField(max_length=100)
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    quantity = serializers.DecimalField(max_digits=12, decimal_places=3, min_value=Decimal("0.001"))
    unitPrice = cents(source="unit_price", min_value=0, help_text="Cents, VAT included.")
    discount = cents(min_value=0, required=False, help_text="Cents off the whole line.")
    vatRate = serializers.DecimalField(
        source="vat_rate",
        max_digits=5,
        decimal_places=2,
        min_value=Decimal(0),
        max_value=Decimal(100),
        required=False,
    )

    def validate(self, attrs):
        gross = (attrs["quantity"] * attrs["unit_price"]).quantize(
            Decimal(1), rounding=ROUND_HALF_UP
        )
        if attrs.get("discount", 0) > gross:
            raise serializers.ValidationError(
                {"discount": [f"The discount is more than the line's {gross} cents."]}
            )
        return attrs


class NewOrder(serializers.Serializer):
    uid = UidField(required=False, help_text="Default: a generated UID.")

    def validate_uid(self, value):
        if Order.objects.filter(tenant=self.context["tenant"], uid=value).exists():
            raise serializers.ValidationError(f"An order with uid {value!r} exists already.")
        return value


class OrderCreate(NewOrder):
    storeUid = TenantUidField(Store, source="store")
    customerUid = TenantUidField(Customer, source="customer", required=False, allow_null=True)
    note = serializers.CharField(required=False, allow_blank=True)
    lines = OrderLineInput(many=True, allow_empty=False)

    def validate_lines(self, lines):
        if errors := duplicates([line.get("uid") for line in lines], "uid"):
            raise serializers.ValidationError(errors)
        return lines


class PaymentInput(serializers.Serializer):
    uid = UidField(required=False)
    method = serializers.CharField(max_length=50, help_text="Card, Cash, Vipps, GiftCard...")
    amount = cents(help_text="Cents; negative for a refund.")
    transactionId = serializers.CharField(
        source="transaction_id", max_length=100, required=False, allow_blank=True
    )


class Complete(serializers.Serializer):
    payments = PaymentInput(many=True, required=False, default=list)


class ReturnLineInput(serializers.Serializer):
    lineUid = serializers.CharField(max_length=100, help_text="The sale line's uid.")
    quantity = serializers.DecimalField(
        max_digits=12, decimal_places=3, min_value=Decimal("0.001"), help_text="Positive."
    )
    uid = UidField(required=False)
    restock = serializers.BooleanField(
        required=False, help_text="Default: the return's restock. Off: damaged, not restocked."
    )

    def validate_lineUid(self, value):
        line = self.context["sale"].lines.filter(uid=value).first()
        if line is None:
            raise serializers.ValidationError(
                f"Order {self.context['sale'].uid} has no line {value!r}."
            )
        return line


class ReturnCreate(NewOrder):
    storeUid = TenantUidField(
        Store, source="store", required=False, help_text="Default: the sale's store."
    )
    note = serializers.CharField(required=False, allow_blank=True)
    lines = ReturnLineInput(many=True, allow_empty=False)
    payments = PaymentInput(
        many=True, required=False, help_text="Refunds (negative); given, the return completes."
    )
    restock = serializers.BooleanField(
        default=True, help_text="The goods go back into stock (off: damaged, not restocked)."
    )

    def validate_lines(self, lines):
        if errors := duplicates([line["lineUid"].pk for line in lines], "lineUid"):
            raise serializers.ValidationError(errors)
        if errors := duplicates([line.get("uid") for line in lines], "uid"):
            raise serializers.ValidationError(errors)
        return lines


class OrderLineOut(CamelModelSerializer):
    total = serializers.IntegerField(read_only=True)
    vatAmount = serializers.IntegerField(source="vat_amount", read_only=True)
    originalLineUid = serializers.CharField(source="original_line.uid", default=None)
    packageParentUid = serializers.CharField(source="package_parent.uid", default=None)

    class Meta:
        model = OrderLine
        fields = [
            "uid",
            "sku",
            "name",
            "quantity",
            "unit_price",
            "discount",
            "vat_rate",
            "total",
            "vatAmount",
            "delivered_quantity",
            "is_paid",
            "restock",
            "external_id",
            "originalLineUid",
            "packageParentUid",
        ]


class PaymentOut(CamelModelSerializer):
    class Meta:
        model = OrderPayment
        fields = ["uid", "method", "amount", "transaction_id", "created_at"]


class HandlingOut(CamelModelSerializer):
    class Meta:
        model = OrderHandling
        fields = ["handling_uid", "status", "created_at"]


class ReceiptOut(CamelModelSerializer):
    hasPdf = serializers.SerializerMethodField()
    pdfUrl = serializers.SerializerMethodField()

    class Meta:
        model = OrderReceipt
        fields = [
            "uid",
            "voucher_number",
            "grand_total",
            "vat_total",
            "created_at",
            "settled_at",
            "hasPdf",
            "pdfUrl",
        ]

    def get_hasPdf(self, receipt) -> bool:
        return receipt.pdf is not None

    def get_pdfUrl(self, receipt) -> str | None:
        if receipt.pdf is None:
            return None
        path = reverse("flow_api:pos-receipt-pdf", args=[receipt.uid])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request else path


class OrderOut(CamelModelSerializer):
    storeUid = serializers.CharField(source="store.uid")
    customerUid = serializers.CharField(source="customer.uid", default=None)
    originalOrderUid = serializers.CharField(source="original_order.uid", default=None)
    total = serializers.IntegerField(read_only=True)
    vatTotal = serializers.SerializerMethodField()
    paid = serializers.IntegerField(read_only=True)
    lines = OrderLineOut(many=True)
    payments = PaymentOut(many=True)
    handlings = HandlingOut(many=True)
    receipts = ReceiptOut(many=True)

    class Meta:
        model = Order
        fields = [
            "uid",
            "type",
            "state",
            "storeUid",
            "customerUid",
            "originalOrderUid",
            "currency",
            "external_id",
            "external_order_type",
            "valid_until",
            "note",
            "created_at",
            "completed_at",
            "cancelled_at",
            "total",
            "vatTotal",
            "paid",
            "lines",
            "payments",
            "handlings",
            "receipts",
        ]

    def get_vatTotal(self, order) -> int:
        return sum(line.vat_amount for line in order.lines.all())


# ------------------------------------------------------------------------ customers


class CustomerSerializer(CamelModelSerializer):
    """A PERSON or COMPANY customer; ``externalId`` (the Omnium id) is the integration's."""

    uid = UidField(required=False, help_text="Default: a generated UID. Cannot change.")

    class Meta:
        model = Customer
        fields = [
            "uid",
            "type",
            "first_name",
            "last_name",
            "display_name",
            "company_name",
            "vat_number",
            "contact_person_name",
            "contact_person_email",
            "email",
            "mobile",
            "address",
            "city",
            "postal_code",
            "country_code",
            "loyalty_id",
            "external_id",
            "created_at",
            "last_modified_at",
            "last_modified_by",
            "erased_at",
        ]
        read_only_fields = [
            "external_id",
            "created_at",
            "last_modified_at",
            "last_modified_by",
            "erased_at",
        ]

    def validate_uid(self, value):
        if self.instance is not None:
            if value != self.instance.uid:
                raise serializers.ValidationError("A customer's uid cannot change.")
            return value
        if Customer.objects.filter(tenant=self.context["tenant"], uid=value).exists():
            raise serializers.ValidationError(f"A customer with uid {value!r} exists already.")
        return value

    def validate_countryCode(self, value):
        if value and not (len(value) == 2 and value.isascii() and value.isalpha()):
            raise serializers.ValidationError("Use an ISO 3166-1 alpha-2 code, e.g. NO.")
        return value.upper()

    def validate(self, attrs):
        def current(name):
            if name in attrs:
                return attrs[name]
            return getattr(self.instance, name, "") if self.instance else ""

        kind = current("type") or Customer.Type.PERSON
        if kind == Customer.Type.PERSON:
            if not (current("first_name") or current("last_name") or current("display_name")):
                raise serializers.ValidationError(
                    {"firstName": ["A PERSON needs a firstName, lastName or displayName."]}
                )
        elif not current("company_name"):
            raise serializers.ValidationError({"companyName": ["A COMPANY needs a companyName."]})
        # The display name follows the names unless the POS chose one.
        if "display_name" not in attrs or not attrs["display_name"]:
            previous = self.instance and _default_display_name(self.instance)
            if not current("display_name") or current("display_name") == previous:
                attrs["display_name"] = _default_display_name(current)
        return attrs

    def create(self, validated_data):
        validated_data.setdefault("uid", new_uid())
        return Customer.objects.create(tenant=self.context["tenant"], **validated_data)


def _default_display_name(source) -> str:
    """'First Last' of a PERSON, the company name of a COMPANY.

    ``source`` is a customer, or a function that gives a field's value.
    """
    value = source if callable(source) else lambda name: getattr(source, name)
    if (value("type") or Customer.Type.PERSON) == Customer.Type.PERSON:
        return f"{value('first_name')} {value('last_name')}".strip()
    return value("company_name")


# --------------------------------------------------------------------- receivements


class ReceivementLineInput(serializers.Serializer):
    purchaseOrderLineUid = serializers.CharField(
        source="purchase_order_line", max_length=200, required=False
    )
    sku = serializers.CharField(max_length=100, required=False)
    quantity = serializers.IntegerField(
        min_value=1, max_value=MAX_CENTS, help_text="Hundredths of a unit: 200 is 2 pieces."
    )


class ReceivementCreate(serializers.Serializer):
    uid = UidField(required=False)
    storeUid = TenantUidField(Store, source="store")
    purchaseOrderUid = TenantUidField(
        PurchaseOrder, source="purchase_order", required=False, allow_null=True
    )
    complete = serializers.BooleanField(
        default=True, help_text="Count the goods in now (default) or keep it OPEN."
    )
    lines = ReceivementLineInput(many=True, allow_empty=False)

    def validate_uid(self, value):
        if Receivement.objects.filter(tenant=self.context["tenant"], uid=value).exists():
            raise serializers.ValidationError(f"A goods reception with uid {value!r} exists.")
        return value

    def validate(self, attrs):
        purchase_order = attrs.get("purchase_order")
        errors: dict[str, list] = {}
        if purchase_order is not None:
            if purchase_order.store_id != attrs["store"].pk:
                errors["purchaseOrderUid"] = [
                    f"Purchase order {purchase_order.uid} is for store "
                    f"{purchase_order.store.uid}, not {attrs['store'].uid}."
                ]
            elif purchase_order.status == PurchaseOrder.Status.CLOSED:
                errors["purchaseOrderUid"] = [
                    f"Purchase order {purchase_order.uid} is CLOSED; nothing can be received."
                ]
        po_lines = {line.uid: line for line in purchase_order.lines.all()} if purchase_order else {}
        line_errors = {}
        for index, line in enumerate(attrs["lines"]):
            if line_error := self._resolve_line(line, purchase_order, po_lines):
                line_errors[index] = line_error
        if line_errors:
            errors["lines"] = line_errors
        if errors:
            raise serializers.ValidationError(errors)
        return attrs

    @staticmethod
    def _resolve_line(line: dict, purchase_order, po_lines) -> dict:
        """Turn a line's PO line uid into the PO line; its errors, if any."""
        uid = line.get("purchase_order_line")
        if uid is None:
            if not line.get("sku"):
                return {"sku": ["Give the sku, or the purchaseOrderLineUid it was ordered on."]}
            return {}
        if purchase_order is None:
            return {"purchaseOrderLineUid": ["Give the purchaseOrderUid of this line too."]}
        po_line = po_lines.get(uid)
        if po_line is None:
            return {
                "purchaseOrderLineUid": [
                    f"Purchase order {purchase_order.uid} has no line {uid!r}."
                ]
            }
        if line.get("sku", po_line.sku) != po_line.sku:
            return {"sku": [f"Line {uid!r} of the purchase order is for sku {po_line.sku!r}."]}
        line["purchase_order_line"] = po_line
        line["sku"] = po_line.sku
        return {}


class ReceivementLineOut(CamelModelSerializer):
    purchaseOrderLineUid = serializers.CharField(source="purchase_order_line.uid", default=None)

    class Meta:
        model = ReceivementLine
        fields = ["purchaseOrderLineUid", "sku", "quantity"]


class ReceivementOut(CamelModelSerializer):
    storeUid = serializers.CharField(source="store.uid")
    purchaseOrderUid = serializers.CharField(source="purchase_order.uid", default=None)
    purchaseOrderStatus = serializers.CharField(source="purchase_order.status", default=None)
    lines = ReceivementLineOut(many=True)

    class Meta:
        model = Receivement
        fields = [
            "uid",
            "state",
            "storeUid",
            "purchaseOrderUid",
            "purchaseOrderStatus",
            "created_at",
            "completed_at",
            "lines",
        ]
