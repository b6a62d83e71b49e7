"""Tenant parameters and the store flag. No credential is ever rendered: secrets are
write-only fields (shown as set / not set), the managed token shows only whether it
exists and when it expires, and webhook secrets are known by their number; a new webhook
secret is shown once, to whoever added it (:mod:`.webhook_secrets`).

Parameters need ``change_tenantextension``; the credentials (client id and secret, and the
API base URL they are sent to) need ``change_credentials``, and their state
``view_credentials`` (:mod:`omnium_integration.permissions`). Credential changes are
recorded without their values.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse
from django.urls import path

from .. import permissions
from ..conf import app_settings
from ..credentials import record_change
from ..enums import CredentialChangeKind
from ..host import get_adapter
from ..models import StoreExtension, TenantExtension
from ..redaction import redact
from ..webhooks.address import public_base_url_missing, webhook_url
from . import webhook_secrets

CREDENTIAL_FIELDS = ("api_base_url", "client_id", "client_secret")
WRITE_ONLY_FIELDS = ("client_id", "client_secret")
# Flow's own parameters (OMNIUM_*), then the integration's.
FLOW_PARAMETER_FIELDS = (
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
PARAMETER_FIELDS = (
    "tenant",
    "is_active",
    *FLOW_PARAMETER_FIELDS,
    "id_prefix",
    "create_customers_from_events",
)
CHANGE_KINDS = {
    "api_base_url": CredentialChangeKind.API_BASE_URL,
    "client_id": CredentialChangeKind.CLIENT_ID,
    "client_secret": CredentialChangeKind.CLIENT_SECRET,
}


class WriteOnlySecretField(forms.CharField):
    """A secret input that never renders its value; empty input keeps the stored one."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("strip", True)
        kwargs["widget"] = forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"})
        super().__init__(**kwargs)


class TenantExtensionForm(forms.ModelForm):
    client_id = WriteOnlySecretField(
        label="Client id",
        max_length=200,
        help_text="OMNIUM_CLIENT_ID: the client id of the tenant's API user in Omnium "
        "(Configuration > Authorization > API Users). Write-only, like the secret. Leave "
        "empty to keep the current client id.",
    )
    api_base_url = forms.URLField(
        label="Omnium API base URL",
        required=False,
        assume_scheme="https",
        help_text="Leave empty for the default (production) API; set it for test/dev tenants. "
        "The client secret is sent there.",
    )
    client_secret = WriteOnlySecretField(
        label="Client secret",
        max_length=500,
        help_text="OMNIUM_CLIENT_SECRET: the API user's client secret. Write-only. Leave "
        "empty to keep the current secret; new credentials drop the stored token.",
    )

    class Meta:
        model = TenantExtension
        # The credential inputs are declared above; the admin removes them for users
        # without change_credentials, so no model field may bring them back.
        fields = PARAMETER_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._stored = {name: getattr(self.instance, name) for name in CREDENTIAL_FIELDS}

    def clean(self):
        cleaned = super().clean()
        for name in WRITE_ONLY_FIELDS:
            if name in self.fields and not cleaned.get(name) and self.instance.pk:
                cleaned[name] = self._stored[name]
        return cleaned

    def changed_credentials(self) -> list[str]:
        """The credential fields this form replaces (empty write-only input keeps one)."""
        return [
            name
            for name in CREDENTIAL_FIELDS
            if name in self.fields and (self.cleaned_data.get(name) or "") != self._stored[name]
        ]

    def save(self, commit=True):
        for name in WRITE_ONLY_FIELDS:
            if name in self.fields:
                setattr(self.instance, name, self.cleaned_data[name] or self._stored[name])
        if "api_base_url" in self.fields:
            self.instance.api_base_url = self.cleaned_data["api_base_url"]
        # A token belongs to the credentials and the Omnium it came from: new ones drop it.
        if self.changed_credentials():
            self.instance.token = ""
            self.instance.token_expires_at = None
            self.instance.token_obtained_at = None
        return super().save(commit)


def _yes_no(value: bool) -> str:
    return "set" if value else "not set"


@admin.register(TenantExtension)
class TenantExtensionAdmin(admin.ModelAdmin):
    form = TenantExtensionForm
    list_display = ("tenant", "is_active", "credentials_state", "token_state")
    list_filter = ("is_active",)
    search_fields = ("tenant__uid",)
    actions = ["test_connection"]
    change_form_template = "admin/omnium_integration/tenantextension/change_form.html"
    STATE_FIELDS = ("credentials_state", "credentials_refused", "token_state", "poll_watermark")

    # ------------------------------------------------------------------ permissions

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return super().has_view_permission(request, obj) or self.has_view_credentials_permission(
            request
        )

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return super().has_change_permission(
            request, obj
        ) or self.has_change_credentials_permission(request)

    def has_view_credentials_permission(self, request: HttpRequest) -> bool:
        return permissions.can_view_credentials(request.user)

    def has_change_credentials_permission(self, request: HttpRequest) -> bool:
        return permissions.can_change_credentials(request.user)

    def get_list_display(self, request: HttpRequest):
        if self.has_view_credentials_permission(request):
            return self.list_display
        return ("tenant", "is_active")

    # ----------------------------------------------------------------- the form

    def get_fieldsets(self, request: HttpRequest, obj=None):
        fieldsets = [(None, {"fields": ("tenant", "is_active")})]
        if self.has_view_credentials_permission(request):
            shown = ["api_base_url", "credentials_state"]
            if self.has_change_credentials_permission(request):
                shown += list(WRITE_ONLY_FIELDS)
            shown += ["credentials_refused", "token_state"]
            fieldsets.append(("Credentials", {"fields": shown}))
        fieldsets += [
            ("Parameters", {"fields": FLOW_PARAMETER_FIELDS}),
            ("Identities", {"fields": ("id_prefix",)}),
            ("Customers from Omnium", {"fields": ("create_customers_from_events",)}),
            ("Safety-net poll", {"fields": ("poll_watermark",)}),
        ]
        return fieldsets

    def get_readonly_fields(self, request: HttpRequest, obj=None):
        readonly = list(self.STATE_FIELDS)
        if not super().has_change_permission(request, obj):  # credentials only
            readonly += PARAMETER_FIELDS if obj is not None else []
        if not self.has_change_credentials_permission(request):
            readonly.append("api_base_url")
        return readonly

    def get_form(self, request: HttpRequest, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        if self.has_change_credentials_permission(request):
            return form
        # Without the permission the credential inputs do not exist, posted or not.
        return type(form.__name__, (form,), dict.fromkeys(CREDENTIAL_FIELDS))

    def save_model(self, request: HttpRequest, obj: TenantExtension, form, change: bool) -> None:
        changed = form.changed_credentials()
        super().save_model(request, obj, form, change)
        by = request.user.get_username()
        for name in changed:
            detail = "" if change else "set when the extension was added"
            record_change(obj, CHANGE_KINDS[name], by, detail)
        if not change:  # the model gave it its first webhook secret
            record_change(obj, CredentialChangeKind.WEBHOOK_SECRET_ADDED, by, "#1, with it")

    def delete_model(self, request: HttpRequest, obj: TenantExtension) -> None:
        self.delete_queryset(request, TenantExtension.objects.filter(pk=obj.pk))

    def delete_queryset(self, request: HttpRequest, queryset) -> None:
        """Deleting an extension erases its credentials: recorded like any change."""
        by = request.user.get_username()
        for extension in queryset.without_secrets().select_related("tenant"):
            record_change(extension, CredentialChangeKind.EXTENSION_DELETED, by)
        super().delete_queryset(request, queryset)

    def response_add(self, request: HttpRequest, obj: TenantExtension, post_url_continue=None):
        """Whoever may change credentials is shown the new extension's webhook secret, once."""
        first = obj.webhook_secrets.usable().first()
        if first is None or not self.has_change_credentials_permission(request):
            return super().response_add(request, obj, post_url_continue)
        self.message_user(request, f"The Omnium extension of {obj.tenant} was added.")
        return webhook_secrets.reveal_once(self, request, first)

    # ------------------------------------------------------------- read-only state

    @admin.display(description="credentials")
    def credentials_state(self, obj: TenantExtension) -> str:
        return (
            f"OMNIUM_CLIENT_ID {_yes_no(bool(obj.client_id))}, "
            f"OMNIUM_CLIENT_SECRET {_yes_no(bool(obj.client_secret))}"
        )

    @admin.display(description="refused by Omnium")
    def credentials_refused(self, obj: TenantExtension) -> str:
        if not obj.credentials_failed_at:
            return "no (or not since the last token)"
        return f"{obj.credentials_failed_at:%Y-%m-%d %H:%M %Z}: {redact(obj.credentials_error)}"

    @admin.display(description="OMNIUM_TOKEN")
    def token_state(self, obj: TenantExtension) -> str:
        if not obj.token:
            return "none yet (fetched on first use)"
        state = "valid" if obj.token_is_fresh() else "due for renewal"
        return f"{state}, expires {obj.token_expires_at:%Y-%m-%d %H:%M %Z}"

    def change_view(self, request: HttpRequest, object_id, form_url="", extra_context=None):
        extra_context = {
            **(extra_context or {}),
            **webhook_secrets.change_form_context(self, request, object_id),
            **self.subscription(request, self.get_object(request, object_id)),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    def subscription(self, request: HttpRequest, extension: TenantExtension | None) -> dict:
        """What to enter in Omnium's event subscription: the absolute URL and the header."""
        if extension is None:
            return {}
        key = get_adapter().tenant_key(extension)
        return {
            "webhook_url": webhook_url(key, request),
            "webhook_url_warning": public_base_url_missing(),
            "webhook_auth_header": app_settings.WEBHOOK_AUTH_HEADER,
        }

    def get_urls(self):
        own = [
            path(
                "<path:object_id>/webhook-secrets/add/",
                self.admin_site.admin_view(self.add_webhook_secret_view),
                name=webhook_secrets.url_name(self, "add_webhook_secret"),
            ),
            path(
                "<path:object_id>/webhook-secrets/<int:number>/",
                self.admin_site.admin_view(self.reveal_webhook_secret_view),
                name=webhook_secrets.url_name(self, "reveal_webhook_secret"),
            ),
            path(
                "<path:object_id>/webhook-secrets/<int:number>/retire/",
                self.admin_site.admin_view(self.retire_webhook_secret_view),
                name=webhook_secrets.url_name(self, "retire_webhook_secret"),
            ),
        ]
        return own + super().get_urls()

    def add_webhook_secret_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        return webhook_secrets.add_view(self, request, object_id)

    def reveal_webhook_secret_view(
        self, request: HttpRequest, object_id: str, number: int
    ) -> HttpResponse:
        return webhook_secrets.reveal_view(self, request, object_id, number)

    def retire_webhook_secret_view(
        self, request: HttpRequest, object_id: str, number: int
    ) -> HttpResponse:
        return webhook_secrets.retire_view(self, request, object_id, number)

    # ------------------------------------------------------------------- actions

    @admin.action(
        description="Test connection (a new token and one authenticated call)",
        permissions=["view_credentials"],
    )
    def test_connection(self, request: HttpRequest, queryset) -> None:
        from ..client import get_client

        for extension in queryset.select_related("tenant"):
            try:
                result = get_client(extension).check()
            except Exception as exc:  # every failure is reported, none escapes
                self.message_user(
                    request, f"{extension.tenant}: failed: {redact(str(exc))}", messages.ERROR
                )
                continue
            if result.ok:
                took = f"{result.elapsed_ms:.0f} ms"
                self.message_user(request, f"{extension.tenant}: OK ({result.message}, {took})")
            else:
                problem = PROBLEMS.get(result.problem, result.problem)
                self.message_user(
                    request, f"{extension.tenant}: {problem}: {result.message}", messages.ERROR
                )


# What "Test connection" found, in an operator's words (client/connection.py).
PROBLEMS = {
    "wrong_credentials": "wrong credentials",
    "inactive_user": "API user inactive",
    "forbidden": "missing role or store access",
    "unreachable": "Omnium unreachable",
    "error": "failed",
}


@admin.register(StoreExtension)
class StoreExtensionAdmin(admin.ModelAdmin):
    list_display = ("store", "flow_stock_master", "omnium_store_id", "omnium_id_in_use")
    list_filter = ("flow_stock_master",)
    list_editable = ("flow_stock_master", "omnium_store_id")
    search_fields = ("store__uid", "omnium_store_id")

    @admin.display(description="Omnium id in use")
    def omnium_id_in_use(self, obj: StoreExtension) -> str:
        """What outbound calls send and inbound orders are matched by (set or derived)."""
        return get_adapter().omnium_store_id(obj.store)
