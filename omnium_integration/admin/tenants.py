"""Tenant parameters and the store flag. No credential is ever rendered: secrets are
write-only fields (shown as set / not set) and the managed token shows only whether it
exists and when it expires."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest

from ..models import StoreExtension, TenantExtension
from ..redaction import redact

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
            "id_prefix",
            "create_customers_from_events",
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
        ("Identities", {"fields": ("id_prefix",)}),
        ("Customers from Omnium", {"fields": ("create_customers_from_events",)}),
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
        from ..client import get_client

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
    list_display = ("store", "flow_stock_master", "omnium_store_id", "omnium_id_in_use")
    list_filter = ("flow_stock_master",)
    list_editable = ("flow_stock_master", "omnium_store_id")
    search_fields = ("store__uid", "omnium_store_id")

    @admin.display(description="Omnium id in use")
    def omnium_id_in_use(self, obj: StoreExtension) -> str:
        """What outbound calls send and inbound orders are matched by (set or derived)."""
        from ..host import get_adapter

        return get_adapter().omnium_store_id(obj.store)
