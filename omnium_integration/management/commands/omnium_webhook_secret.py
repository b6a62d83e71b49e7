"""A tenant's webhook secrets: ``omnium_webhook_secret list | add | retire --tenant UID``."""

from __future__ import annotations

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError
from django.db.models import Max

from omnium_integration.conf import app_settings
from omnium_integration.credentials import (
    add_webhook_secret,
    command_actor,
    retire_webhook_secret,
)
from omnium_integration.exceptions import ConfigurationError
from omnium_integration.host import get_adapter
from omnium_integration.models import TenantExtension


class Command(BaseCommand):
    help = (
        "List, add or retire a tenant's webhook secrets. A new secret is printed once; the "
        "earlier ones keep working for the overlap, so Omnium's event subscription can be "
        "switched to the new one without refusing an event, then they are retired."
    )

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        listing = actions.add_parser("list", help="The secrets by number, with their state.")
        add = actions.add_parser("add", help="Add a secret and print it (once).")
        add.add_argument(
            "--overlap-hours",
            type=float,
            default=None,
            help="How long the earlier secrets keep working (default: WEBHOOK_SECRET_OVERLAP).",
        )
        retire = actions.add_parser("retire", help="End a secret now and erase it.")
        retire.add_argument("number", type=int, help="The secret's number (see list).")
        for sub in (listing, add, retire):
            sub.add_argument("--tenant", required=True, help="The Flow tenant's uid.")

    def handle(self, *args, **options):
        action = {"list": self.list_secrets, "add": self.add_secret, "retire": self.retire_secret}
        try:  # a secret no key opens, the last secret, an unknown number: one line each
            extension = get_adapter().extension_for_tenant(options["tenant"])
            if extension is None:
                raise CommandError(f"No Omnium extension for tenant {options['tenant']!r}.")
            action[options["action"]](extension, options)
        except ConfigurationError as exc:
            raise CommandError(str(exc)) from None

    def list_secrets(self, extension: TenantExtension, options) -> None:
        secrets = extension.webhook_secrets.defer("secret").annotate(
            last_event=Max("events__received_at")
        )
        for secret in secrets.order_by("-number"):
            last = f"{secret.last_event:%Y-%m-%d %H:%M %Z}" if secret.last_event else "never"
            by = f" by {secret.created_by}" if secret.created_by else ""
            self.stdout.write(
                f"{secret}  {secret.state()}; added {secret.created_at:%Y-%m-%d %H:%M %Z}"
                f"{by}; last event {last}"
            )

    def add_secret(self, extension: TenantExtension, options) -> None:
        hours = options["overlap_hours"]
        if hours is not None and hours < 0:
            raise CommandError("--overlap-hours cannot be negative.")
        overlap = None if hours is None else timedelta(hours=hours)
        secret, value = add_webhook_secret(extension, by=command_actor(), overlap=overlap)
        header = app_settings.WEBHOOK_AUTH_HEADER
        self.stdout.write(f"Webhook secret {secret} added. It is shown this once:")
        self.stdout.write(f"  Authorization: Bearer {value}")
        self.stdout.write(f"  or {header}: {value}")
        for other in extension.webhook_secrets.usable().exclude(pk=secret.pk).defer("secret"):
            self.stdout.write(f"{other} is {other.state()}: retire it once Omnium sends {secret}.")

    def retire_secret(self, extension: TenantExtension, options) -> None:
        secret = retire_webhook_secret(extension, options["number"], by=command_actor())
        self.stdout.write(f"Webhook secret {secret} retired: events sent with it are refused.")
