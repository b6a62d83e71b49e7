"""Flow core's domain, as much of it as the integration touches.

Money is integer cents (199.50 NOK is 19950). Purchase-order, goods-reception and
inventory quantities are fixed-point integers with two decimals (1 piece is 100), as
Flow documents for purchase orders; order-line quantities are decimals.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.db import models
from django.db.models import Q, Sum
from django.utils import timezone


class Tenant(models.Model):
    uid = models.CharField(max_length=100, unique=True)
    name = models.CharField(max_length=200)
    country_code = models.CharField(max_length=2, help_text="ISO 3166-1 alpha-2, e.g. NO")
    currency = models.CharField(max_length=3, help_text="ISO 4217, e.g. NOK")

    def __str__(self) -> str:
        return self.name or self.uid


class Store(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="stores")
    uid = models.CharField(max_length=100)
    name = models.CharField(max_length=200)
    country_code = models.CharField(max_length=2)
    external_id = models.CharField(
        max_length=100, blank=True, help_text="Omnium market id when it differs from the country."
    )
    is_active = models.BooleanField(default=True)
    # --- written by Omnium's store export (master data) -----------------------------------
    organization = models.ForeignKey(
        "Organization", null=True, blank=True, on_delete=models.PROTECT, related_name="stores"
    )
    address = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=50, blank=True)
    latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    vat_number = models.CharField(max_length=50, blank=True)
    sales_price_list_uid = models.CharField(
        max_length=100, blank=True, help_text="salesPriceUid: the store's selling price list."
    )
    purchase_number_series_uid = models.CharField(max_length=100, blank=True)
    voucher_number_series_uid = models.CharField(
        max_length=100, blank=True, help_text="Receipts' voucher numbers come from this series."
    )
    default_warehouse = models.ForeignKey(
        "Warehouse", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    default_return_warehouse = models.ForeignKey(
        "Warehouse", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    opening_hours = models.JSONField(default=list, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "uid"], name="store_uid")]

    def __str__(self) -> str:
        return self.name or self.uid


class Customer(models.Model):
    class Type(models.TextChoices):
        PERSON = "PERSON", "Person"
        COMPANY = "COMPANY", "Company"

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="customers")
    uid = models.CharField(max_length=100)
    type = models.CharField(max_length=10, choices=Type.choices, default=Type.PERSON)
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    display_name = models.CharField(max_length=200, blank=True)
    company_name = models.CharField(max_length=200, blank=True)
    vat_number = models.CharField(max_length=50, blank=True)
    contact_person_name = models.CharField(max_length=200, blank=True)
    contact_person_email = models.EmailField(blank=True)
    email = models.EmailField(blank=True)
    mobile = models.CharField(max_length=50, blank=True)
    address = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    country_code = models.CharField(max_length=2, blank=True)
    loyalty_id = models.CharField(max_length=100, blank=True)
    external_id = models.CharField(
        max_length=200, blank=True, help_text="The customer's id in Omnium, once it exists there."
    )
    created_at = models.DateTimeField(default=timezone.now)
    last_modified_at = models.DateTimeField(auto_now=True)
    last_modified_by = models.CharField(max_length=100, blank=True)
    erased_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the customer's personal data was erased (GDPR); the sales stay.",
    )

    # What an erasure blanks: everything that says who the customer is. The type, the
    # country, the dates and the Omnium id stay, and so do the customer's sales.
    PERSONAL_FIELDS = (
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
        "loyalty_id",
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "uid"], name="customer_uid")]

    def __str__(self) -> str:
        return self.display_name or self.company_name or self.uid

    def erase(self, *, by: str = "") -> None:
        """Forget who the customer is (Flow's erase action, a GDPR request).

        The personal fields are blanked and the uid, which may be the customer's e-mail or
        phone (customers from Omnium take Omnium's id as uid), becomes an anonymous
        reference; the row stays, so the sales keep pointing at it. Erasing an erased
        customer changes nothing.
        """
        if self.erased_at is not None:
            return
        for name in self.PERSONAL_FIELDS:
            setattr(self, name, "")
        self.uid = f"anon-{uuid.uuid4().hex[:16]}"
        self.erased_at = timezone.now()
        self.last_modified_by = by[:100]
        self.save()


class Order(models.Model):
    class Type(models.TextChoices):
        SALE = "SALE", "Sale"
        RETURN = "RETURN", "Return"
        PAYMENT = "PAYMENT", "Payment (deposit / down payment)"

    class State(models.TextChoices):
        OPEN = "OPEN", "Open"
        PARKED = "PARKED", "Parked"
        CONFIRMED = "CONFIRMED", "Confirmed"
        COMPLETED = "COMPLETED", "Completed"
        CANCELLED = "CANCELLED", "Cancelled"

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="orders")
    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="orders")
    uid = models.CharField(max_length=100)
    type = models.CharField(max_length=10, choices=Type.choices, default=Type.SALE)
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    customer = models.ForeignKey(
        Customer, null=True, blank=True, on_delete=models.SET_NULL, related_name="orders"
    )
    original_order = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="returns",
        help_text="For a return: the sale it returns goods from.",
    )
    currency = models.CharField(max_length=3)
    external_id = models.CharField(
        max_length=200, blank=True, help_text="Omnium order id of an order that came from Omnium."
    )
    external_order_type = models.CharField(max_length=50, blank=True)
    valid_until = models.DateTimeField(null=True, blank=True, help_text="Pickup deadline.")
    shipping_method_id = models.CharField(max_length=100, blank=True)
    note = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "uid"], name="order_uid"),
            models.UniqueConstraint(
                fields=["tenant", "external_id"],
                condition=~Q(external_id=""),
                name="order_external_id",
            ),
        ]

    def __str__(self) -> str:
        return self.uid

    @property
    def total(self) -> int:
        """Grand total in cents, VAT included."""
        return sum(line.total for line in self.lines.all())

    @property
    def paid(self) -> int:
        return self.payments.aggregate(s=Sum("amount"))["s"] or 0


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines")
    uid = models.CharField(max_length=100, help_text="Unique within the order.")
    sku = models.CharField(max_length=100)
    name = models.CharField(max_length=200, blank=True)
    quantity = models.DecimalField(max_digits=12, decimal_places=3)
    unit_price = models.BigIntegerField(help_text="Cents, VAT included, before discount.")
    discount = models.BigIntegerField(default=0, help_text="Cents off the whole line.")
    vat_rate = models.DecimalField(max_digits=5, decimal_places=2, default=Decimal("25.00"))
    delivered_quantity = models.DecimalField(max_digits=12, decimal_places=3, default=0)
    is_paid = models.BooleanField(default=False)
    restock = models.BooleanField(
        default=True,
        help_text="On a return line: the goods go back into stock (off: damaged, not restocked).",
    )
    external_id = models.CharField(max_length=200, blank=True, help_text="Omnium lineItemId.")
    original_line = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="returned_by",
        help_text="On a return: the sale line the goods come back from.",
    )
    package_parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="components",
        help_text="The package line this component belongs to.",
    )

    class Meta:
        ordering = ["pk"]
        constraints = [models.UniqueConstraint(fields=["order", "uid"], name="order_line_uid")]

    def __str__(self) -> str:
        return f"{self.quantity} × {self.sku}"

    @property
    def total(self) -> int:
        """Line total in cents: quantity × unit price − discount, rounded half up."""
        gross = (self.quantity * self.unit_price).quantize(Decimal(1), rounding="ROUND_HALF_UP")
        return int(gross) - self.discount

    @property
    def vat_amount(self) -> int:
        """VAT contained in the line total, in cents (prices include VAT)."""
        rate = Decimal(self.vat_rate)
        vat = Decimal(self.total) * rate / (Decimal(100) + rate)
        return int(vat.quantize(Decimal(1), rounding="ROUND_HALF_UP"))


class OrderPayment(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="payments")
    uid = models.CharField(max_length=100)
    method = models.CharField(max_length=50, help_text="e.g. Card, Cash, Vipps, GiftCard")
    amount = models.BigIntegerField(help_text="Cents; negative for refunds.")
    transaction_id = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.method} {self.amount}"


class OrderHandling(models.Model):
    """A handling task on an order (Click & Collect pick-up, online-order shipping...)."""

    class Status(models.TextChoices):
        OPEN = "OPEN", "Open"
        DONE = "DONE", "Done"

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="handlings")
    handling_uid = models.CharField(max_length=100)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["order", "handling_uid"], name="order_handling_uid")
        ]

    def __str__(self) -> str:
        return f"{self.handling_uid} on {self.order_id}"


class OrderReceipt(models.Model):
    """The receipt Flow issues after settlement (the basis of an Omnium invoice)."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="receipts")
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="receipts")
    uid = models.CharField(max_length=100)
    voucher_number = models.CharField(max_length=50)
    grand_total = models.BigIntegerField(help_text="Cents, VAT included.")
    vat_total = models.BigIntegerField(help_text="Cents.")
    created_at = models.DateTimeField(default=timezone.now)
    settled_at = models.DateTimeField(null=True, blank=True)
    pdf = models.BinaryField(null=True, blank=True, help_text="The rendered receipt, if any.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "uid"], name="receipt_uid")]

    def __str__(self) -> str:
        return self.voucher_number or self.uid


class PurchaseOrder(models.Model):
    class Status(models.TextChoices):
        SENTTOSUPPLIER = "SENTTOSUPPLIER", "Sent to supplier"
        PARTIALLYRECEIVED = "PARTIALLYRECEIVED", "Partially received"
        RECEIVED = "RECEIVED", "Received"
        CLOSED = "CLOSED", "Closed"

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="purchase_orders")
    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="purchase_orders")
    uid = models.CharField(max_length=200, help_text="Omnium PO id, or {PO}-delivery-{D}.")
    supplier_uid = models.CharField(max_length=100)
    currency = models.CharField(max_length=3, blank=True)
    supplier_reference_number = models.CharField(max_length=100, blank=True)
    note = models.TextField(blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SENTTOSUPPLIER)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    # Omnium's own ids, unsanitised, for goods-reception confirmations back to Omnium.
    external_id = models.CharField(max_length=200, blank=True, help_text="Omnium PO id.")
    external_delivery_id = models.CharField(
        max_length=200,
        blank=True,
        help_text="Omnium delivery id when this Flow PO is one delivery (delivery-as-PO mode).",
    )

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "uid"], name="po_uid")]

    def __str__(self) -> str:
        return self.uid


class PurchaseOrderLine(models.Model):
    purchase_order = models.ForeignKey(
        PurchaseOrder, on_delete=models.CASCADE, related_name="lines"
    )
    uid = models.CharField(max_length=200, help_text="Omnium PO lineItemId.")
    sku = models.CharField(max_length=100)
    quantity_ordered = models.BigIntegerField(help_text="Hundredths of a unit (1 piece = 100).")
    quantity_received = models.BigIntegerField(default=0, help_text="Hundredths of a unit.")
    unit_price = models.BigIntegerField(default=0, help_text="Cents.")
    expected_delivery_date = models.DateField(null=True, blank=True)
    warehouse_code = models.CharField(
        max_length=100, blank=True, help_text="Omnium warehouse code of the line, as exported."
    )

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["purchase_order", "uid"], name="po_line_uid")
        ]

    def __str__(self) -> str:
        return f"{self.purchase_order_id}/{self.uid}"


class Receivement(models.Model):
    """A goods reception: goods counted into a store, usually against a purchase order."""

    class State(models.TextChoices):
        OPEN = "OPEN", "Open"
        COMPLETED = "COMPLETED", "Completed"

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="receivements")
    store = models.ForeignKey(Store, on_delete=models.PROTECT, related_name="receivements")
    uid = models.CharField(max_length=100)
    purchase_order = models.ForeignKey(
        PurchaseOrder, null=True, blank=True, on_delete=models.PROTECT, related_name="receivements"
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    created_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "uid"], name="receivement_uid")]

    def __str__(self) -> str:
        return self.uid


class ReceivementLine(models.Model):
    receivement = models.ForeignKey(Receivement, on_delete=models.CASCADE, related_name="lines")
    purchase_order_line = models.ForeignKey(
        PurchaseOrderLine, null=True, blank=True, on_delete=models.PROTECT, related_name="received"
    )
    sku = models.CharField(max_length=100)
    quantity = models.BigIntegerField(help_text="Hundredths of a unit.")

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.quantity / 100} × {self.sku}"


class InventoryLevel(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="inventory")
    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="inventory")
    sku = models.CharField(max_length=100)
    quantity = models.BigIntegerField(default=0, help_text="Hundredths of a unit.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["store", "sku"], name="inventory_sku")]

    def __str__(self) -> str:
        return f"{self.store_id}/{self.sku}: {self.quantity / 100}"


class StockMovement(models.Model):
    """One booked change of a store's stock: a row of Flow's stock ledger.

    Whatever moves stock (a sale, a return, a goods reception, a count...) books one
    movement with :func:`flow_stub_project.flow.stock.book`, in its own transaction: the
    movement is written, its lines added, the levels moved, and only then is it saved as
    booked (``booked_at``). That last save is what Flow's integrations hear of.
    """

    class Kind(models.TextChoices):
        SALE = "SALE", "Sale"
        RETURN = "RETURN", "Return"
        CANCELLATION = "CANCELLATION", "Cancelled sale"
        RECEPTION = "RECEPTION", "Goods reception"
        COUNT = "COUNT", "Stock count"
        ADJUSTMENT = "ADJUSTMENT", "Adjustment"
        TRANSFER_OUT = "TRANSFER_OUT", "Transfer out"
        TRANSFER_IN = "TRANSFER_IN", "Transfer in"

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="stock_movements")
    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="stock_movements")
    uid = models.CharField(max_length=100)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    reason = models.CharField(max_length=200, blank=True)
    reference = models.CharField(
        max_length=100,
        blank=True,
        help_text="What it belongs to: the order, goods reception or transfer uid.",
    )
    created_at = models.DateTimeField(default=timezone.now)
    booked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["pk"]
        constraints = [models.UniqueConstraint(fields=["tenant", "uid"], name="stock_movement_uid")]
        indexes = [models.Index(fields=["store", "booked_at"], name="stock_movement_booked")]

    def __str__(self) -> str:
        return f"{self.kind} {self.uid}"


class StockMovementLine(models.Model):
    """One SKU of a movement: the change, and the level it left."""

    movement = models.ForeignKey(StockMovement, on_delete=models.CASCADE, related_name="lines")
    sku = models.CharField(max_length=100)
    quantity = models.BigIntegerField(help_text="Hundredths added (negative: taken off).")
    counted = models.BigIntegerField(
        null=True, blank=True, help_text="A stock count: the level counted, in hundredths."
    )
    level_after = models.BigIntegerField(help_text="The store's level of the SKU afterwards.")

    class Meta:
        ordering = ["pk"]

    def __str__(self) -> str:
        return f"{self.sku} {self.quantity:+d}"


class ApiToken(models.Model):
    """A tenant's API token for Flow's REST API (POS terminals, Omnium's connector)."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    key = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return f"{self.name} ({self.tenant})"


class NumberSeries(models.Model):
    """A tenant's running number series (voucher numbers of receipts)."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="number_series")
    uid = models.CharField(max_length=100)
    last_number = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name_plural = "number series"
        constraints = [models.UniqueConstraint(fields=["tenant", "uid"], name="number_series_uid")]

    def __str__(self) -> str:
        return f"{self.uid} ({self.last_number})"

    @classmethod
    def next(cls, tenant: Tenant, uid: str) -> int:
        """Take the series' next number (inside a transaction: the row stays locked)."""
        series, _ = cls.objects.select_for_update().get_or_create(tenant=tenant, uid=uid)
        series.last_number += 1
        series.save(update_fields=["last_number"])
        return series.last_number


# ------------------------------------------------------------------------------------------
# Master data pushed by Omnium's FlowRetail connector (products, prices, stores).
# ``updated_at`` moves only when a push changes something, so a repeated push is visible
# as a no-op.


class Organization(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="organizations")
    uid = models.CharField(max_length=100)
    name = models.CharField(max_length=200)
    vat_number = models.CharField(max_length=50, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "uid"], name="organization_uid")]

    def __str__(self) -> str:
        return self.name or self.uid


class Warehouse(models.Model):
    """A stock location of a store: the store itself, or a non-primary Omnium store."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="warehouses")
    store = models.ForeignKey(Store, on_delete=models.CASCADE, related_name="warehouses")
    uid = models.CharField(max_length=100)
    name = models.CharField(max_length=200)
    is_active = models.BooleanField(default=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["pk"]
        constraints = [models.UniqueConstraint(fields=["store", "uid"], name="warehouse_uid")]

    def __str__(self) -> str:
        return self.name or self.uid


class Brand(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="brands")
    uid = models.CharField(max_length=100, help_text='Lowercase: "Nike Air" is nike_air.')
    name = models.CharField(max_length=200)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "uid"], name="brand_uid")]

    def __str__(self) -> str:
        return self.name or self.uid


class ProductGroup(models.Model):
    """Flow's product group: an Omnium category."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="product_groups")
    uid = models.CharField(max_length=100)
    name = models.CharField(max_length=200)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "uid"], name="product_group_uid")]

    def __str__(self) -> str:
        return self.name or self.uid


class Product(models.Model):
    """A sellable item. Variants of one Omnium product share ``sibling_group``."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="products")
    uid = models.CharField(max_length=100)
    sku = models.CharField(max_length=100, default="NoSku")
    name = models.CharField(max_length=300)
    description = models.TextField(blank=True)
    short_description = models.TextField(blank=True)
    brand = models.ForeignKey(
        Brand, null=True, blank=True, on_delete=models.PROTECT, related_name="products"
    )
    product_group = models.ForeignKey(
        ProductGroup, null=True, blank=True, on_delete=models.PROTECT, related_name="products"
    )
    sibling_group = models.CharField(
        max_length=100, blank=True, help_text="Omnium product id shared by all its variants."
    )
    allow_purchase = models.BooleanField(default=True)
    purchase_price = models.BigIntegerField(null=True, blank=True, help_text="Cents.")
    recommended_retail_price = models.BigIntegerField(null=True, blank=True, help_text="Cents.")
    currency_purchase_price = models.BigIntegerField(
        null=True, blank=True, help_text="Cents, in purchase_currency."
    )
    purchase_currency = models.CharField(max_length=3, blank=True)
    weight = models.PositiveIntegerField(null=True, blank=True, help_text="Grams.")
    height = models.PositiveIntegerField(null=True, blank=True, help_text="Millimetres.")
    width = models.PositiveIntegerField(null=True, blank=True, help_text="Millimetres.")
    length = models.PositiveIntegerField(null=True, blank=True, help_text="Millimetres.")
    properties = models.JSONField(default=dict, blank=True, help_text="Variant properties.")
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "uid"], name="product_uid")]
        indexes = [
            models.Index(fields=["tenant", "sku"], name="product_sku"),
            models.Index(fields=["tenant", "sibling_group"], name="product_sibling_group"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.uid})"


class PriceList(models.Model):
    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="price_lists")
    uid = models.CharField(max_length=100)
    name = models.CharField(max_length=200)
    currency = models.CharField(max_length=3)
    store = models.ForeignKey(
        Store,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="price_lists",
        help_text="Set for a store's own price list.",
    )
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["tenant", "uid"], name="price_list_uid")]

    def __str__(self) -> str:
        return self.name or self.uid


class Price(models.Model):
    """A product's selling price in one price list."""

    price_list = models.ForeignKey(PriceList, on_delete=models.CASCADE, related_name="prices")
    product = models.ForeignKey(Product, on_delete=models.CASCADE, related_name="prices")
    unit_price = models.BigIntegerField(help_text="Cents, VAT included.")
    recommended_retail_price = models.BigIntegerField(null=True, blank=True, help_text="Cents.")
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["price_list", "product"], name="price_product")
        ]

    def __str__(self) -> str:
        return f"{self.product_id} in {self.price_list_id}: {self.unit_price}"
