"""The Omnium extension of a Flow tenant, and the store-level parameter."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone

from ..conf import app_settings, host_model_label


def new_webhook_secret() -> str:
    return secrets.token_urlsafe(32)


def token_renewal_time(expires_at: datetime, obtained_at: datetime | None) -> datetime:
    """When a token is due for renewal: ``TOKEN_RENEW_MARGIN`` before the earlier of its
    expiry and ``TOKEN_MAX_AGE`` after it was obtained.

    The margin is capped at half the token's usable life, so a short-lived token (a test
    Omnium issuing one-minute tokens) is still used for a while instead of never.
    """
    deadline = expires_at
    if obtained_at is not None:
        deadline = min(deadline, obtained_at + timedelta(seconds=app_settings.TOKEN_MAX_AGE))
        life = max((deadline - obtained_at).total_seconds(), 0.0)
        margin = min(float(app_settings.TOKEN_RENEW_MARGIN), life / 2)
    else:
        margin = float(app_settings.TOKEN_RENEW_MARGIN)
    return deadline - timedelta(seconds=margin)


class TenantExtensionQuerySet(models.QuerySet):
    def active(self) -> TenantExtensionQuerySet:
        return self.filter(is_active=True)


class TenantExtension(models.Model):
    """Flow's tenant-level "Omnium" extension: activation flag and its parameters.

    Field verbose names carry Flow's parameter keys (``OMNIUM_*``) so operators find
    them under the names Flow's documentation uses.
    """

    tenant = models.OneToOneField(
        host_model_label("TENANT_MODEL"),
        on_delete=models.CASCADE,
        related_name="omnium_extension",
    )
    is_active = models.BooleanField(
        "active",
        default=False,
        help_text="Nothing is synced for this tenant until the extension is active.",
    )
    # --- credentials (OAuth2 client credentials of the tenant's Omnium API user) --------
    client_id = models.CharField("OMNIUM_CLIENT_ID", max_length=200, blank=True)
    client_secret = models.CharField("OMNIUM_CLIENT_SECRET", max_length=500, blank=True)
    # --- the managed token: written by the client only ---------------------------------
    token = models.TextField("OMNIUM_TOKEN", blank=True, editable=False)
    token_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    token_obtained_at = models.DateTimeField(null=True, blank=True, editable=False)
    # --- behaviour parameters -------------------------------------------------------------
    default_shipping_method_id = models.CharField(
        "OMNIUM_DEFAULT_SHIPPING_METHOD_ID", max_length=200, blank=True
    )
    click_collect_orderhandling_uid = models.CharField(
        "OMNIUM_CLICK_COLLECT_ORDERHANDLING_UID", max_length=200, blank=True
    )
    online_order_handling_uid = models.CharField(
        "OMNIUM_ONLINE_ORDER_HANDLING_UID", max_length=200, blank=True
    )
    click_collect_expiry_days = models.PositiveSmallIntegerField(
        "OMNIUM_CLICK_COLLECT_EXPIRY_DAYS",
        null=True,
        blank=True,
        help_text="Working days (Monday to Friday) until a Click & Collect pickup deadline.",
    )
    include_main_package_in_order_items = models.BooleanField(
        "OMNIUM_INCLUDE_MAIN_PACKAGE_IN_ORDER_ITEMS", default=False
    )
    customer_market_group_id = models.CharField(
        "OMNIUM_CUSTOMER_MARKET_GROUP_ID", max_length=200, blank=True
    )
    customer_loyalty_id_property_key = models.CharField(
        "OMNIUM_CUSTOMER_LOYALTY_ID_PROPERTY_KEY", max_length=200, blank=True
    )
    send_order_receipt_to_omnium = models.BooleanField(
        "OMNIUM_SEND_ORDER_RECEIPT_TO_OMNIUM", default=False
    )
    property_prefix = models.CharField("OMNIUM_PROPERTY_PREFIX", max_length=50, default="flow")
    # --- the integration's own parameter (not one of Flow's twelve) ------------------------
    id_prefix = models.CharField(
        "Omnium id prefix",
        max_length=20,
        blank=True,
        validators=[RegexValidator(r"^[A-Za-z0-9_]*$", "Letters, digits and _ only.")],
        help_text="Put before every id this tenant creates in Omnium (orders, returns, "
        "customers, invoices, deliveries), so Flow tenants that share one Omnium tenant "
        "never use the same ids (e.g. NO_ and SE_). Empty: ids are the Flow UIDs. Set it "
        "before the first sync: ids already in Omnium keep what they have.",
    )
    create_customers_from_events = models.BooleanField(
        "Create Flow customers from Omnium customer events",
        default=False,
        help_text="Off (default): an Omnium customer event updates or erases the Flow "
        "customer it belongs to and is ignored for customers Flow does not have; Flow learns "
        "of new Omnium customers through the orders that name them. On: a customer event for "
        "a customer Flow does not have creates it in Flow.",
    )
    # --- integration plumbing -------------------------------------------------------------
    api_base_url = models.URLField(
        "Omnium API base URL",
        blank=True,
        help_text="Leave empty for the default (production) API; set it for test/dev tenants.",
    )
    webhook_secret = models.CharField(
        max_length=200,
        default=new_webhook_secret,
        help_text="Sent by Omnium's event subscription as a Bearer token or API-key header.",
    )
    # Safety-net poll: Omnium orders modified at or after this instant are not yet known.
    poll_watermark = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantExtensionQuerySet.as_manager()

    class Meta:
        verbose_name = "Omnium tenant extension"

    def __str__(self) -> str:
        return f"Omnium extension of {self.tenant}"

    def __repr__(self) -> str:
        # Never include credentials or the token.
        return f"<TenantExtension pk={self.pk} tenant_id={self.tenant_id} active={self.is_active}>"

    @property
    def base_url(self) -> str:
        return (self.api_base_url or app_settings.API_BASE_URL).rstrip("/")

    @property
    def has_credentials(self) -> bool:
        return bool(self.client_id and self.client_secret)

    def token_is_fresh(self, now: datetime | None = None) -> bool:
        """Whether the stored token may still be used (see :func:`token_renewal_time`)."""
        if not self.token or not self.token_expires_at:
            return False
        now = now or timezone.now()
        return now < token_renewal_time(self.token_expires_at, self.token_obtained_at)


class StoreExtension(models.Model):
    """The store-level parameter ``OMNIUM_FLOW_STOCK_MASTER``."""

    store = models.OneToOneField(
        host_model_label("STORE_MODEL"),
        on_delete=models.CASCADE,
        related_name="omnium_extension",
    )
    flow_stock_master = models.BooleanField(
        "OMNIUM_FLOW_STOCK_MASTER",
        default=False,
        help_text="On: Flow is stock master and sends this store's stock to Omnium. "
        "Off: Omnium is stock master and pushes stock to Flow.",
    )
    omnium_store_id = models.CharField(
        "Omnium store id",
        max_length=200,
        blank=True,
        help_text="The store's id in Omnium: its storeId and warehouseCode on the way out, "
        "how Omnium's orders find it on the way in. Empty: the store's Flow UID stripped "
        "to letters, digits and _ (which is what Omnium's store export made the UID of).",
    )

    class Meta:
        verbose_name = "Omnium store parameters"
        verbose_name_plural = "Omnium store parameters"

    def __str__(self) -> str:
        return f"Omnium parameters of {self.store}"
