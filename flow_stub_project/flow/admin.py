"""Django admin for Flow core's models: readable lists, orders and POs with their lines inline.

API token keys are credentials: the admin never shows them (``manage.py flow_api_token``
creates a token and prints its key once).
"""

from __future__ import annotations

import secrets

from django.contrib import admin
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html

from omnium_integration.transform import cents_to_decimal, hundredths_to_quantity

from . import models


def money(cents: int | None) -> str:
    return "" if cents is None else f"{cents_to_decimal(cents):,.2f}".replace(",", " ")


def pieces(hundredths: int | None) -> str:
    return "" if hundredths is None else f"{hundredths_to_quantity(hundredths).normalize():f}"


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


# ------------------------------------------------------------------------ tenants


@admin.register(models.Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ["uid", "name", "country_code", "currency"]
    search_fields = ["uid", "name"]


@admin.register(models.ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "tenant", "masked_key", "created_at"]
    list_filter = ["tenant"]
    fields = ["tenant", "name", "masked_key", "created_at"]
    readonly_fields = ["masked_key", "created_at"]

    @admin.display(description="key")
    def masked_key(self, token: models.ApiToken) -> str:
        return f"{token.key[:4]}…" if token.key else "(generated on save)"

    def save_model(self, request, obj, form, change) -> None:
        if not obj.key:
            obj.key = secrets.token_hex(24)
            self.message_user(
                request, "Token created. Its key is not shown here: use manage.py flow_api_token."
            )
        super().save_model(request, obj, form, change)


@admin.register(models.NumberSeries)
class NumberSeriesAdmin(admin.ModelAdmin):
    list_display = ["uid", "tenant", "last_number"]
    list_filter = ["tenant"]


# ------------------------------------------------------------------------- stores


class WarehouseInline(admin.TabularInline):
    model = models.Warehouse
    fields = ["uid", "name", "is_active"]
    extra = 0


@admin.register(models.Store)
class StoreAdmin(admin.ModelAdmin):
    list_display = [
        "uid",
        "name",
        "tenant",
        "country_code",
        "external_id",
        "organization",
        "is_active",
    ]
    list_filter = ["tenant", "is_active", "country_code"]
    search_fields = ["uid", "name"]
    list_select_related = ["tenant", "organization"]
    raw_id_fields = ["default_warehouse", "default_return_warehouse"]
    inlines = [WarehouseInline]


@admin.register(models.Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["uid", "name", "vat_number", "tenant"]
    list_filter = ["tenant"]
    search_fields = ["uid", "name", "vat_number"]


@admin.register(models.Warehouse)
class WarehouseAdmin(admin.ModelAdmin):
    list_display = ["uid", "name", "store", "is_active"]
    list_filter = ["tenant", "is_active"]
    search_fields = ["uid", "name", "store__uid"]
    list_select_related = ["store"]


@admin.register(models.InventoryLevel)
class InventoryLevelAdmin(admin.ModelAdmin):
    list_display = ["sku", "store", "quantity_in_units", "updated_at"]
    list_filter = ["tenant", "store"]
    search_fields = ["sku"]
    list_select_related = ["store"]

    @admin.display(description="quantity", ordering="quantity")
    def quantity_in_units(self, level: models.InventoryLevel) -> str:
        return pieces(level.quantity)


class StockMovementLineInline(admin.TabularInline):
    model = models.StockMovementLine
    fields = ["sku", "quantity", "counted", "level_after"]
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(models.StockMovement)
class StockMovementAdmin(admin.ModelAdmin):
    """The stock ledger, read only: stock moves through the POS and back-office calls."""

    list_display = ["uid", "kind", "store", "reason", "reference", "booked_at"]
    list_filter = ["tenant", "kind", "store"]
    search_fields = ["uid", "reference", "lines__sku"]
    list_select_related = ["store"]
    readonly_fields = [
        "tenant",
        "store",
        "uid",
        "kind",
        "reason",
        "reference",
        "created_at",
        "booked_at",
    ]
    inlines = [StockMovementLineInline]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


# ---------------------------------------------------------------------- customers


@admin.register(models.Customer)
class CustomerAdmin(admin.ModelAdmin):
    list_display = [
        "uid",
        "display_name",
        "type",
        "email",
        "mobile",
        "loyalty_id",
        "external_id",
        "erased_at",
    ]
    list_filter = ["tenant", "type", ("erased_at", admin.EmptyFieldListFilter)]
    search_fields = ["uid", "display_name", "company_name", "email", "mobile", "loyalty_id"]
    readonly_fields = ["created_at", "last_modified_at", "erased_at"]
    actions = ["erase"]

    @admin.action(description="Erase the selected customers (GDPR: personal data gone, sales kept)")
    def erase(self, request, queryset) -> None:
        erased = 0
        with transaction.atomic():
            for customer in queryset.select_for_update().filter(erased_at=None):
                customer.erase(by=request.user.get_username())
                erased += 1
        self.message_user(request, f"{erased} customer(s) erased.")


# ------------------------------------------------------------------------- orders


class OrderLineInline(admin.TabularInline):
    model = models.OrderLine
    fk_name = "order"
    fields = [
        "uid",
        "sku",
        "name",
        "quantity",
        "unit_price",
        "discount",
        "vat_rate",
        "delivered_quantity",
        "is_paid",
        "external_id",
    ]
    extra = 0


class OrderPaymentInline(admin.TabularInline):
    model = models.OrderPayment
    fields = ["uid", "method", "amount", "transaction_id", "created_at"]
    extra = 0


class OrderHandlingInline(admin.TabularInline):
    model = models.OrderHandling
    fields = ["handling_uid", "status", "created_at"]
    extra = 0


class OrderReceiptInline(ReadOnlyInline):
    model = models.OrderReceipt
    fields = ["voucher_number", "grand_total", "vat_total", "settled_at", "pdf_link"]
    readonly_fields = fields

    @admin.display(description="PDF")
    def pdf_link(self, receipt: models.OrderReceipt) -> str:
        return OrderReceiptAdmin.pdf_link(receipt)


@admin.register(models.Order)
class OrderAdmin(admin.ModelAdmin):
    list_display = [
        "uid",
        "type",
        "state",
        "store",
        "customer",
        "total_amount",
        "external_id",
        "created_at",
    ]
    list_filter = ["tenant", "type", "state", "store"]
    search_fields = ["uid", "external_id", "customer__display_name"]
    list_select_related = ["store", "customer"]
    date_hierarchy = "created_at"
    raw_id_fields = ["customer", "original_order"]
    readonly_fields = ["created_at", "updated_at", "completed_at", "cancelled_at"]
    inlines = [OrderLineInline, OrderPaymentInline, OrderHandlingInline, OrderReceiptInline]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("lines")

    @admin.display(description="total")
    def total_amount(self, order: models.Order) -> str:
        return money(order.total)


@admin.register(models.OrderReceipt)
class OrderReceiptAdmin(admin.ModelAdmin):
    list_display = ["voucher_number", "order", "grand_total_amount", "settled_at", "has_pdf"]
    list_filter = ["tenant"]
    search_fields = ["voucher_number", "uid", "order__uid"]
    list_select_related = ["order"]
    exclude = ["pdf"]
    readonly_fields = ["pdf_link"]
    raw_id_fields = ["order"]

    @admin.display(description="grand total")
    def grand_total_amount(self, receipt: models.OrderReceipt) -> str:
        return money(receipt.grand_total)

    @admin.display(description="PDF", boolean=True)
    def has_pdf(self, receipt: models.OrderReceipt) -> bool:
        return receipt.pdf is not None

    @staticmethod
    @admin.display(description="PDF")
    def pdf_link(receipt: models.OrderReceipt) -> str:
        if not receipt.pk or receipt.pdf is None:
            return "none"
        url = reverse("admin:flow_orderreceipt_pdf", args=[receipt.pk])
        return format_html('<a href="{}">receipt-{}.pdf</a>', url, receipt.voucher_number)

    def get_urls(self):
        pdf = self.admin_site.admin_view(self.pdf_view)
        return [path("<int:pk>/pdf/", pdf, name="flow_orderreceipt_pdf"), *super().get_urls()]

    def pdf_view(self, request, pk: int):
        receipt = get_object_or_404(models.OrderReceipt, pk=pk)
        if not self.has_view_permission(request, receipt):
            raise Http404
        if receipt.pdf is None:
            raise Http404("This receipt has no PDF.")
        return HttpResponse(bytes(receipt.pdf), content_type="application/pdf")


# --------------------------------------------------------------------- purchasing


class PurchaseOrderLineInline(admin.TabularInline):
    model = models.PurchaseOrderLine
    fields = [
        "uid",
        "sku",
        "quantity_ordered",
        "quantity_received",
        "unit_price",
        "expected_delivery_date",
        "warehouse_code",
    ]
    extra = 0


@admin.register(models.PurchaseOrder)
class PurchaseOrderAdmin(admin.ModelAdmin):
    list_display = ["uid", "status", "supplier_uid", "store", "external_id", "updated_at"]
    list_filter = ["tenant", "status", "store"]
    search_fields = ["uid", "external_id", "supplier_uid", "supplier_reference_number"]
    list_select_related = ["store"]
    inlines = [PurchaseOrderLineInline]


class ReceivementLineInline(admin.TabularInline):
    model = models.ReceivementLine
    fields = ["purchase_order_line", "sku", "quantity"]
    raw_id_fields = ["purchase_order_line"]
    extra = 0


@admin.register(models.Receivement)
class ReceivementAdmin(admin.ModelAdmin):
    list_display = ["uid", "state", "store", "purchase_order", "created_at", "completed_at"]
    list_filter = ["tenant", "state", "store"]
    search_fields = ["uid", "purchase_order__uid"]
    list_select_related = ["store", "purchase_order"]
    raw_id_fields = ["purchase_order"]
    inlines = [ReceivementLineInline]


# -------------------------------------------------------------------- master data


@admin.register(models.Brand)
class BrandAdmin(admin.ModelAdmin):
    list_display = ["uid", "name", "tenant", "updated_at"]
    list_filter = ["tenant"]
    search_fields = ["uid", "name"]


@admin.register(models.ProductGroup)
class ProductGroupAdmin(admin.ModelAdmin):
    list_display = ["uid", "name", "parent", "tenant"]
    list_filter = ["tenant"]
    search_fields = ["uid", "name"]
    list_select_related = ["parent"]
    raw_id_fields = ["parent"]


class PriceInline(admin.TabularInline):
    model = models.Price
    fields = ["price_list", "unit_price", "recommended_retail_price", "updated_at"]
    readonly_fields = ["updated_at"]
    extra = 0


@admin.register(models.Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = [
        "uid",
        "sku",
        "name",
        "brand",
        "product_group",
        "purchase_price_amount",
        "allow_purchase",
    ]
    list_filter = ["tenant", "allow_purchase", "brand"]
    search_fields = ["uid", "sku", "name", "sibling_group"]
    list_select_related = ["brand", "product_group"]
    raw_id_fields = ["brand", "product_group"]
    inlines = [PriceInline]

    @admin.display(description="purchase price", ordering="purchase_price")
    def purchase_price_amount(self, product: models.Product) -> str:
        return money(product.purchase_price)


@admin.register(models.PriceList)
class PriceListAdmin(admin.ModelAdmin):
    list_display = ["uid", "name", "currency", "store", "tenant"]
    list_filter = ["tenant", "currency"]
    search_fields = ["uid", "name"]
    list_select_related = ["store"]
