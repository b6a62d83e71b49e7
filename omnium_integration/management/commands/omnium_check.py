"""Check each tenant's Omnium set-up: ``omnium_check [--tenant UID]``."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.urls import reverse

from omnium_integration.client import get_client
from omnium_integration.conf import app_settings
from omnium_integration.host import get_adapter
from omnium_integration.models import TenantExtension
from omnium_integration.redaction import redact


class Command(BaseCommand):
    help = (
        "Per tenant: credentials, token, connectivity to Omnium, and the webhook URL and "
        "header to configure in Omnium's event subscription. Exits 1 if any check fails."
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
        extensions = TenantExtension.objects.select_related("tenant").order_by("pk")
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
        ok = True
        if not extension.has_credentials:
            self.stdout.write(
                "  credentials   MISSING: set OMNIUM_CLIENT_ID and OMNIUM_CLIENT_SECRET"
            )
            ok = False
        else:
            self.stdout.write(f"  credentials   set (client id {extension.client_id})")
            self.stdout.write(f"  API           {extension.base_url}")
            try:
                result = get_client(extension).check()
            except Exception as exc:  # every failure is reported, one line each
                self.stdout.write(f"  connection    FAILED: {redact(str(exc)).splitlines()[0]}")
                ok = False
            else:
                self.stdout.write(f"  token         OK, renewal due {result['token_renewal_due']}")
                self.stdout.write(f"  connection    OK ({result['detail']})")
        path = reverse("omnium_integration:events", args=[key])
        self.stdout.write(
            f"  webhook URL   {base_url}{path}  "
            "(POST, classes Order, PrivateCustomer, BusinessCustomer)"
        )
        secret = extension.webhook_secret if options["show_webhook_secret"] else "<webhook secret>"
        self.stdout.write(
            f"  webhook auth  header 'Authorization: Bearer {secret}' "
            f"or '{app_settings.WEBHOOK_AUTH_HEADER}: {secret}'"
        )
        return ok
