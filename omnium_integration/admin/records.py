"""What the integration records and people only read: events (accepted and refused),
imports, stock notes, the identity map and customer erasures. Events are never deleted
here: retention prunes them."""

from __future__ import annotations

from django.contrib import admin

from ..models import (
    CustomerErasure,
    ImportedOrder,
    InboundEvent,
    OmniumIdentity,
    PendingStockChange,
    RefusedDelivery,
)
from .base import ReadOnlyAdmin, pretty_json


@admin.register(InboundEvent)
class InboundEventAdmin(ReadOnlyAdmin):
    list_display = (
        "received_at",
        "extension",
        "class_name",
        "sub_class_name",
        "object_id",
        "event_id",
        "outcome",
        "reason",
        "job",
        "webhook_secret",
    )
    list_filter = ("outcome", "class_name", "extension")
    search_fields = ("=object_id", "=event_id")
    date_hierarchy = "received_at"
    fields = (
        "extension",
        "event_id",
        "class_name",
        "sub_class_name",
        "object_id",
        "received_at",
        "remote_addr",
        "webhook_secret",
        "outcome",
        "reason",
        "job",
        "body_json",
        "headers_json",
    )

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # retention prunes (EVENT_RETENTION_DAYS)

    @admin.display(description="body")
    def body_json(self, obj: InboundEvent) -> str:
        return pretty_json(obj.body)

    @admin.display(description="headers")
    def headers_json(self, obj: InboundEvent) -> str:
        return pretty_json(obj.headers)


@admin.register(ImportedOrder)
class ImportedOrderAdmin(ReadOnlyAdmin):
    """Why an Omnium order is (or is not) in Flow: the answer to "where is order X?"."""

    list_display = (
        "omnium_order_id",
        "extension",
        "order_type",
        "omnium_status",
        "outcome",
        "order",
        "omnium_modified",
        "imported_at",
    )
    list_filter = ("outcome", "order_type", "extension")
    search_fields = ("=omnium_order_id",)
    date_hierarchy = "imported_at"
    fields = (
        "extension",
        "omnium_order_id",
        "order",
        "order_type",
        "omnium_status",
        "omnium_modified",
        "fingerprint",
        "outcome",
        "reason",
        "imported_at",
    )


@admin.register(PendingStockChange)
class PendingStockChangeAdmin(ReadOnlyAdmin):
    """SKUs whose stock the next ``stock.export`` push of their store will send."""

    list_display = ("store", "sku", "reason", "created_at", "extension")
    list_filter = ("extension",)
    search_fields = ("=sku",)
    fields = ("extension", "store", "sku", "cost", "cost_currency", "reason", "created_at")


@admin.register(OmniumIdentity)
class OmniumIdentityAdmin(ReadOnlyAdmin):
    """Which Omnium object each Flow object is: the answer to "where did sale X go?"."""

    list_display = ("kind", "flow_uid", "omnium_id", "confirmed_at", "note", "extension")
    list_filter = ("kind", "extension")
    search_fields = ("=flow_uid", "=omnium_id", "=flow_ref")
    date_hierarchy = "created_at"
    fields = (
        "extension",
        "kind",
        "flow_ref",
        "flow_uid",
        "omnium_id",
        "confirmed_at",
        "note",
        "created_at",
    )


@admin.register(RefusedDelivery)
class RefusedDeliveryAdmin(ReadOnlyAdmin):
    """Deliveries the Omnium Event API refused: "Omnium says it sent it, where is it?"."""

    list_display = ("received_at", "tenant_key", "status", "error", "reason", "remote_addr")
    list_filter = ("status", "error", "extension")
    search_fields = ("=tenant_key", "=remote_addr")
    date_hierarchy = "received_at"
    fields = (
        "received_at",
        "tenant_key",
        "extension",
        ("status", "error"),
        "reason",
        "remote_addr",
        "headers_json",
        "body_size",
        "body_head",
    )

    @admin.display(description="headers")
    def headers_json(self, obj: RefusedDelivery) -> str:
        return pretty_json(obj.headers)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # retention prunes (REFUSED_DELIVERY_RETENTION_DAYS)


@admin.register(CustomerErasure)
class CustomerErasureAdmin(ReadOnlyAdmin):
    """Which customers were forgotten, where it started, what Omnium did, when our rows were
    scrubbed. The person's values waiting for the scrub are counted, never shown."""

    list_display = (
        "requested_at",
        "extension",
        "flow_ref",
        "origin",
        "omnium_outcome",
        "omnium_done_at",
        "scrubbed_at",
        "scrubbed_rows",
        "job",
    )
    list_filter = ("origin", "omnium_outcome", "extension")
    search_fields = ("=flow_ref", "=omnium_id")
    date_hierarchy = "requested_at"
    fields = (
        "extension",
        "flow_ref",
        "origin",
        "omnium_id",
        "requested_at",
        "job",
        "omnium_outcome",
        "omnium_done_at",
        "values_waiting",
        "scrubbed_at",
        "scrubbed_rows",
    )

    @admin.display(description="values waiting for the scrub")
    def values_waiting(self, obj: CustomerErasure) -> int:
        return len(obj.pending_terms or [])
