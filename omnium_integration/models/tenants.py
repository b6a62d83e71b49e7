"""The Omnium extension of a Flow tenant, and the store-level parameter."""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta

from django.core.validators import RegexValidator
from django.db import models
from django.utils import timezone

from ..conf import app_settings, host_model_label
from ..fields import EncryptedTextField

# RFC 6750's b64token: what may follow "Bearer " in an Authorization header.
BEARER_TOKEN = re.compile(r"[A-Za-z0-9\-._~+/]+=*")
MAX_TOKEN_LENGTH = 8192


def new_webhook_secret() -> str:
    """256 random bits, url-safe (also named by migration 0001 as the old field default)."""
    return secrets.token_urlsafe(32)


def bearer_token_problem(value: object) -> str:
    """Why ``value`` cannot be sent as ``Authorization: Bearer <value>`` ("" if it can)."""
    if not isinstance(value, str) or not value:
        return "it is empty"
    if len(value) > MAX_TOKEN_LENGTH:
        return f"it is longer than {MAX_TOKEN_LENGTH} characters"
    if not BEARER_TOKEN.fullmatch(value):
        return "it has characters no token may have"
    return ""


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


# The encrypted fields: decrypted when a row is loaded, unless deferred.
ENCRYPTED_FIELDS = ("client_secret", "token")


class TenantExtensionQuerySet(models.QuerySet):
    def active(self) -> TenantExtensionQuerySet:
        return self.filter(is_active=True)

    def without_secrets(self) -> TenantExtensionQuerySet:
        """Rows whose secrets are decrypted only when read: a row no key opens then fails
        where its secret is needed, not every row loaded with it."""
        return self.defer(*ENCRYPTED_FIELDS)


class TenantExtension(models.Model):
    """Flow's tenant-level "Omnium" extension: activation flag and its parameters.

    Each parameter is labelled for what it does; its help text starts with Flow's key
    (``OMNIUM_*``), so operators also find it under the name Flow's documentation uses.
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
    # The secret and the token are encrypted at rest (ENCRYPTION_KEYS); the client id
    # names the API user and grants nothing alone, like a user name.
    client_id = models.CharField("OMNIUM_CLIENT_ID", max_length=200, blank=True)
    client_secret = EncryptedTextField("OMNIUM_CLIENT_SECRET", blank=True)
    # --- the managed token: written by the client only ---------------------------------
    token = EncryptedTextField("OMNIUM_TOKEN", blank=True, editable=False)
    token_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    token_obtained_at = models.DateTimeField(null=True, blank=True, editable=False)
    # --- behaviour parameters: label = what it is, help text = Flow's key and what it does
    default_shipping_method_id = models.CharField(
        "Default shipping method",
        max_length=200,
        blank=True,
        help_text="OMNIUM_DEFAULT_SHIPPING_METHOD_ID. Sent as shippingMethodId and "
        "shippingMethodName of a POS order's shipment when the Flow order names no method.",
    )
    click_collect_orderhandling_uid = models.CharField(
        "Click & Collect handling",
        max_length=200,
        blank=True,
        help_text="OMNIUM_CLICK_COLLECT_ORDERHANDLING_UID. The Flow handling task attached to "
        "Click & Collect orders imported from Omnium (on create, and on update if missing). "
        "Empty: none.",
    )
    online_order_handling_uid = models.CharField(
        "Online order handling",
        max_length=200,
        blank=True,
        help_text="OMNIUM_ONLINE_ORDER_HANDLING_UID. The Flow handling task attached to "
        "online orders imported from Omnium. Empty: none.",
    )
    click_collect_expiry_days = models.PositiveSmallIntegerField(
        "Click & Collect pickup days",
        null=True,
        blank=True,
        help_text="OMNIUM_CLICK_COLLECT_EXPIRY_DAYS. Working days (Monday to Friday) until the "
        "pickup deadline of a new Click & Collect order when Omnium gives none.",
    )
    include_main_package_in_order_items = models.BooleanField(
        "Import package lines",
        default=False,
        help_text="OMNIUM_INCLUDE_MAIN_PACKAGE_IN_ORDER_ITEMS. Off: only a package's "
        "components become lines of an imported order. On: the package line too, with its "
        "components linked to it.",
    )
    customer_market_group_id = models.CharField(
        "Customer market group",
        max_length=200,
        blank=True,
        help_text="OMNIUM_CUSTOMER_MARKET_GROUP_ID. Sent as marketGroupId on every customer "
        "created or updated in Omnium.",
    )
    customer_loyalty_id_property_key = models.CharField(
        "Loyalty id key",
        max_length=200,
        blank=True,
        help_text="OMNIUM_CUSTOMER_LOYALTY_ID_PROPERTY_KEY. The external-id provider (e.g. "
        "Voyado) under which a customer's loyalty id goes to Omnium and is read back.",
    )
    send_order_receipt_to_omnium = models.BooleanField(
        "Send receipts as invoices",
        default=False,
        help_text="OMNIUM_SEND_ORDER_RECEIPT_TO_OMNIUM. On: every settled receipt goes to "
        "Omnium as an invoice with its PDF. Off: receipts stay in Flow.",
    )
    property_prefix = models.CharField(
        "Property prefix",
        max_length=50,
        default="flow",
        help_text="OMNIUM_PROPERTY_PREFIX. Put before every property the integration writes "
        "on Omnium orders, customers and invoices (flowOrderUid...); only those are changed "
        "later, and they say which Omnium objects are Flow's.",
    )
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
    # Written by the client when Omnium refuses the credentials (the token call, or a token
    # just obtained); cleared by the next token obtained. Health and alerts read it.
    credentials_failed_at = models.DateTimeField(null=True, blank=True, editable=False)
    credentials_error = models.CharField(max_length=500, blank=True, editable=False)
    # Safety-net poll: Omnium orders modified at or after this instant are not yet known.
    poll_watermark = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = TenantExtensionQuerySet.as_manager()

    class Meta:
        verbose_name = "Omnium tenant extension"
        permissions = [
            ("view_credentials", "Can see the state of Omnium credentials and webhook secrets"),
            ("change_credentials", "Can change Omnium credentials and webhook secrets"),
        ]

    def __str__(self) -> str:
        return f"Omnium extension of {self.tenant}"

    def __repr__(self) -> str:
        # Never include credentials or the token.
        return f"<TenantExtension pk={self.pk} tenant_id={self.tenant_id} active={self.is_active}>"

    def save(self, *args, **kwargs) -> None:
        """A new extension gets its first webhook secret, as it always had one."""
        adding = self._state.adding
        super().save(*args, **kwargs)
        if adding and not self.webhook_secrets.exists():
            self.webhook_secrets.create(number=1, secret=new_webhook_secret())

    @property
    def webhook_secret(self) -> str:
        """The newest usable webhook secret in clear: what Omnium should send now.

        Read-only; secrets are added and retired through
        :class:`~omnium_integration.models.WebhookSecret` (admin, ``omnium_webhook_secret``).
        """
        if self.pk is None:
            return ""
        newest = self.webhook_secrets.usable().order_by("-number").first()
        return newest.secret if newest else ""

    @property
    def base_url(self) -> str:
        return (self.api_base_url or app_settings.API_BASE_URL).rstrip("/")

    @property
    def has_credentials(self) -> bool:
        return bool(self.client_id and self.client_secret)

    def token_is_fresh(self, now: datetime | None = None) -> bool:
        """Whether the stored token may still be used (see :func:`token_renewal_time`)."""
        if bearer_token_problem(self.token) or not self.token_expires_at:
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
        "Flow is stock master (OMNIUM_FLOW_STOCK_MASTER)",
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
