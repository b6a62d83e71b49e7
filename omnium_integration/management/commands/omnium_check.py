"""Check each tenant's Omnium set-up: ``omnium_check [--tenant UID]``."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from omnium_integration.client import get_client
from omnium_integration.conf import app_settings
from omnium_integration.crypto import UnreadableSecret
from omnium_integration.host import get_adapter
from omnium_integration.models import TenantExtension
from omnium_integration.webhooks.address import public_base_url_missing, webhook_url


class Command(BaseCommand):
    help = (
        "Per tenant: a new token with the stored credentials and one authenticated read "
        "call to Omnium, and the webhook URL and header to configure in Omnium's event "
        "subscription. Exits 1 if any check fails."
    )

    def add_arguments(self, parser):
        parser.add_argument("--tenant", help="Only the tenant with this Flow uid.")
        parser.add_argument(
            "--base-url",
            default=None,
            help="Flow's public base URL for the webhook address (default: PUBLIC_BASE_URL).",
        )
        parser.add_argument(
            "--show-webhook-secret",
            action="store_true",
            help="Print the webhook secret too (to paste into Omnium; keep the output private).",
        )

    def handle(self, *args, **options):
        adapter = get_adapter()
        # Secrets are read per tenant, so one no key opens is reported, not a traceback.
        extensions = TenantExtension.objects.without_secrets().select_related("tenant")
        extensions = extensions.order_by("pk")
        if options["tenant"]:
            extensions = [e for e in extensions if adapter.tenant_key(e) == options["tenant"]]
            if not extensions:
                raise CommandError(f"No Omnium extension for tenant {options['tenant']!r}.")
        base_url = (options["base_url"] or app_settings.PUBLIC_BASE_URL).rstrip("/")
        failures = 0
        for extension in extensions:
            failures += not self.check_tenant(extension, adapter, base_url, options)
        if failures:
            raise CommandError(f"{failures} tenant(s) failed the check.")

    def check_tenant(self, extension, adapter, base_url: str, options) -> bool:
        key = adapter.tenant_key(extension)
        self.stdout.write(f"Tenant {key} ({'active' if extension.is_active else 'INACTIVE'})")
        ok = self.check_connection(extension) and self.check_parameters(extension)
        self.stdout.write(
            f"  webhook URL   {webhook_url(key, base_url=base_url)}  "
            "(POST, classes Order, PrivateCustomer, BusinessCustomer)"
        )
        if not base_url:
            self.stdout.write(f"  WARNING       {public_base_url_missing()} Or pass --base-url.")
        try:
            return self.check_webhook_secrets(extension, options) and ok
        except UnreadableSecret as exc:
            self.stdout.write(f"  webhook auth  UNREADABLE: {exc}")
            return False

    def check_connection(self, extension) -> bool:
        try:
            has_credentials = extension.has_credentials
        except UnreadableSecret as exc:
            self.stdout.write(f"  credentials   UNREADABLE: {exc}")
            return False
        if not has_credentials:
            self.stdout.write(
                "  credentials   MISSING: set OMNIUM_CLIENT_ID and OMNIUM_CLIENT_SECRET"
            )
            return False
        self.stdout.write("  credentials   set")
        self.stdout.write(f"  API           {extension.base_url}")
        result = get_client(extension).check()
        if not result.ok:
            self.stdout.write(f"  connection    FAILED ({result.problem}): {result.message}")
            return False
        due = result.token_renewal_due.isoformat(timespec="seconds")
        self.stdout.write(f"  token         OK (new), renewal due {due}")
        self.stdout.write(f"  connection    OK ({result.message} in {result.elapsed_ms:.0f} ms)")
        return True

    def check_parameters(self, extension) -> bool:
        if extension.default_shipping_method_id:
            return True
        fallback = app_settings.POS_SHIPPING_METHOD
        if fallback:
            self.stdout.write(
                "  parameters    OMNIUM_DEFAULT_SHIPPING_METHOD_ID not set: POS sales that name "
                f"no shipping method go with {fallback!r} (POS_SHIPPING_METHOD)"
            )
            return True
        self.stdout.write(
            "  parameters    MISSING: OMNIUM_DEFAULT_SHIPPING_METHOD_ID (POS sales that name no "
            "shipping method fail, since POS_SHIPPING_METHOD is empty)"
        )
        return False

    def check_webhook_secrets(self, extension, options) -> bool:
        secrets = extension.webhook_secrets.usable().order_by("-number")
        usable = list(secrets if options["show_webhook_secret"] else secrets.defer("secret"))
        if not usable:
            self.stdout.write(
                "  webhook auth  MISSING: no usable webhook secret (omnium_webhook_secret add)"
            )
            return False
        newest = usable[0]
        secret = newest.secret if options["show_webhook_secret"] else "<webhook secret>"
        self.stdout.write(
            f"  webhook auth  header 'Authorization: Bearer {secret}' "
            f"or '{app_settings.WEBHOOK_AUTH_HEADER}: {secret}' (secret {newest})"
        )
        for other in usable[1:]:
            self.stdout.write(f"                secret {other} also {other.state()}")
        return True
