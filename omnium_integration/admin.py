"""The operator's view: tenant parameters, the store flag, and the jobs with their history.

No credential is ever rendered: secrets are write-only fields (shown as set / not set) and
the managed token shows only whether it exists and when it expires.
"""

from __future__ import annotations

import json

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.utils import flatten_fieldsets
from django.db.models import Count
from django.http import HttpRequest
from django.utils.html import format_html

from .enums import JobStatus
from .jobs import manager
from .models import (
    ExternalSyncJob,
    ImportedOrder,
    InboundEvent,
    JobAttempt,
    PendingStockChange,
    StoreExtension,
    TenantExtension,
)
from .redaction import redact

WRITE_ONLY_FIELDS = ("client_id", "client_secret", "webhook_secret")


class WriteOnlySecretField(forms.CharField):
    """A secret input that never renders its value; empty input keeps the stored one."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("strip", True)
        kwargs["widget"] = forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"})
        super().__init__(**kwargs)


class TenantExtensionForm(forms.ModelForm):
    client_id = WriteOnlySecretField(
        label="OMNIUM_CLIENT_ID",
        help_text="Write-only, like the secret. Leave empty to keep the current client id.",
    )
    api_base_url = forms.URLField(
        label="Omnium API base URL",
        required=False,
        assume_scheme="https",
        help_text="Leave empty for the default (production) API; set it for test/dev tenants.",
    )
    client_secret = WriteOnlySecretField(
        label="OMNIUM_CLIENT_SECRET",
        help_text="Write-only. Leave empty to keep the current secret.",
    )
    webhook_secret = WriteOnlySecretField(
        label="Webhook secret",
        help_text="Write-only. Omnium's event subscription sends it as "
        "'Authorization: Bearer <secret>' or as an API-key header. Leave empty to keep it.",
    )

    class Meta:
        model = TenantExtension
        fields = (
            "tenant",
            "is_active",
            "api_base_url",
            "client_id",
            "client_secret",
            "default_shipping_method_id",
            "click_collect_orderhandling_uid",
            "online_order_handling_uid",
            "click_collect_expiry_days",
            "include_main_package_in_order_items",
            "customer_market_group_id",
            "customer_loyalty_id_property_key",
            "send_order_receipt_to_omnium",
            "property_prefix",
        )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._stored = {name: getattr(self.instance, name) for name in WRITE_ONLY_FIELDS}

    def clean(self):
        cleaned = super().clean()
        for name in WRITE_ONLY_FIELDS:
            if not cleaned.get(name) and self.instance.pk:
                cleaned[name] = self._stored[name]
        return cleaned

    def save(self, commit=True):
        for name in WRITE_ONLY_FIELDS:
            setattr(self.instance, name, self.cleaned_data[name] or self._stored[name])
        # New credentials invalidate the token obtained with the old ones.
        if any(
            self.cleaned_data[name] != self._stored[name] for name in ("client_id", "client_secret")
        ):
            self.instance.token = ""
            self.instance.token_expires_at = None
        return super().save(commit)


def _yes_no(value: bool) -> str:
    return "set" if value else "not set"


@admin.register(TenantExtension)
class TenantExtensionAdmin(admin.ModelAdmin):
    form = TenantExtensionForm
    list_display = ("tenant", "is_active", "credentials_state", "token_state")
    list_filter = ("is_active",)
    search_fields = ("tenant__uid",)
    readonly_fields = (
        "credentials_state",
        "webhook_secret_state",
        "token_state",
        "poll_watermark",
    )
    actions = ["test_connection"]
    fieldsets = (
        (None, {"fields": ("tenant", "is_active", "api_base_url")}),
        (
            "Credentials",
            {
                "fields": (
                    "credentials_state",
                    "client_id",
                    "client_secret",
                    "token_state",
                    "webhook_secret",
                    "webhook_secret_state",
                )
            },
        ),
        (
            "Parameters",
            {
                "fields": (
                    "default_shipping_method_id",
                    "click_collect_orderhandling_uid",
                    "online_order_handling_uid",
                    "click_collect_expiry_days",
                    "include_main_package_in_order_items",
                    "customer_market_group_id",
                    "customer_loyalty_id_property_key",
                    "send_order_receipt_to_omnium",
                    "property_prefix",
                )
            },
        ),
        ("Safety-net poll", {"fields": ("poll_watermark",)}),
    )

    @admin.display(description="credentials")
    def credentials_state(self, obj: TenantExtension) -> str:
        return (
            f"OMNIUM_CLIENT_ID {_yes_no(bool(obj.client_id))}, "
            f"OMNIUM_CLIENT_SECRET {_yes_no(bool(obj.client_secret))}"
        )

    @admin.display(description="Webhook secret")
    def webhook_secret_state(self, obj: TenantExtension) -> str:
        return _yes_no(bool(obj.webhook_secret))

    @admin.display(description="OMNIUM_TOKEN")
    def token_state(self, obj: TenantExtension) -> str:
        if not obj.token:
            return "none yet (fetched on first use)"
        state = "valid" if obj.token_is_fresh() else "due for renewal"
        return f"{state}, expires {obj.token_expires_at:%Y-%m-%d %H:%M %Z}"

    @admin.action(description="Test connection (fetch a token and call Omnium)")
    def test_connection(self, request: HttpRequest, queryset) -> None:
        from .client import get_client

        for extension in queryset:
            try:
                result = get_client(extension).check()
            except Exception as exc:  # every failure is reported, none escapes
                self.message_user(
                    request, f"{extension.tenant}: failed: {redact(str(exc))}", messages.ERROR
                )
            else:
                self.message_user(
                    request, f"{extension.tenant}: OK ({result.get('detail', 'connected')})"
                )


@admin.register(StoreExtension)
class StoreExtensionAdmin(admin.ModelAdmin):
    list_display = ("store", "flow_stock_master")
    list_filter = ("flow_stock_master",)
    list_editable = ("flow_stock_master",)


class ReadOnlyAdmin(admin.ModelAdmin):
    """A record the integration writes and people only read: no add, no edit form."""

    def get_readonly_fields(self, request, obj=None):
        return flatten_fieldsets([(None, {"fields": self.get_fields(request, obj)})])

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class JobAttemptInline(admin.TabularInline):
    model = JobAttempt
    extra = 0
    can_delete = False
    fields = ("number", "outcome", "started_at", "duration", "worker", "status_code", "error")
    readonly_fields = fields
    ordering = ("-number", "-pk")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="ms")
    def duration(self, obj: JobAttempt) -> str:
        return f"{obj.duration_ms:.0f}"


def _pretty_json(value) -> str:
    return format_html(
        "<pre style='white-space: pre-wrap'>{}</pre>",
        redact(json.dumps(value, indent=2, sort_keys=True, default=str)),
    )


@admin.register(ExternalSyncJob)
class ExternalSyncJobAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "kind",
        "object_id",
        "extension",
        "status",
        "attempts",
        "next_attempt_at",
        "short_error",
        "updated_at",
    )
    list_filter = ("queue", "status", "kind", "direction", "extension", "source")
    search_fields = ("=object_id", "=id")
    date_hierarchy = "created_at"
    ordering = ("-id",)
    list_select_related = ("extension__tenant",)
    inlines = [JobAttemptInline]
    actions = ["retry_now", "cancel"]
    change_list_template = "admin/omnium_integration/externalsyncjob/change_list.html"
    fields = (
        ("queue", "direction", "kind", "source"),
        ("extension", "object_id"),
        ("status", "attempts", "failures", "rerun"),
        ("next_attempt_at", "started_at", "finished_at"),
        ("lease_owner", "lease_expires_at"),
        "last_status_code",
        "error",
        "payload_json",
        "result_json",
    )

    @admin.display(description="last error")
    def short_error(self, obj: ExternalSyncJob) -> str:
        return redact(obj.last_error.splitlines()[0][:120]) if obj.last_error else ""

    @admin.display(description="last error")
    def error(self, obj: ExternalSyncJob) -> str:
        return format_html("<pre style='white-space: pre-wrap'>{}</pre>", redact(obj.last_error))

    @admin.display(description="payload")
    def payload_json(self, obj: ExternalSyncJob) -> str:
        return _pretty_json(obj.payload)

    @admin.display(description="result")
    def result_json(self, obj: ExternalSyncJob) -> str:
        return _pretty_json(obj.result)

    def has_operate_permission(self, request: HttpRequest) -> bool:
        """Retry and cancel need the model's change permission (the form itself is read-only)."""
        return request.user.has_perm("omnium_integration.change_externalsyncjob")

    @admin.action(description="Retry now", permissions=["operate"])
    def retry_now(self, request: HttpRequest, queryset) -> None:
        count = manager.retry_now(queryset)
        self.message_user(request, f"{count} job(s) will run now.")

    @admin.action(description="Cancel", permissions=["operate"])
    def cancel(self, request: HttpRequest, queryset) -> None:
        count = manager.cancel(queryset)
        self.message_user(request, f"{count} job(s) cancelled (running jobs finish first).")

    def changelist_view(self, request, extra_context=None):
        counts = dict(
            ExternalSyncJob.objects.values_list("status").annotate(n=Count("pk")).order_by()
        )
        extra_context = {
            **(extra_context or {}),
            "status_counts": [(s.label, s.value, counts.get(s.value, 0)) for s in JobStatus],
        }
        return super().changelist_view(request, extra_context)


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
        "job",
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
        "outcome",
        "job",
        "body_json",
        "headers_json",
    )

    @admin.display(description="body")
    def body_json(self, obj: InboundEvent) -> str:
        return _pretty_json(obj.body)

    @admin.display(description="headers")
    def headers_json(self, obj: InboundEvent) -> str:
        return _pretty_json(obj.headers)


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
