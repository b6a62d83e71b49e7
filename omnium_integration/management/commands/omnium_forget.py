"""Forget a person by hand: scrub their values from every text and JSON column of the
integration's own rows (events, jobs, attempts, imports, everything the app stores).

    omnium_forget --customer C-17 [--tenant no]      # a Flow customer (uid or primary key)
    omnium_forget --customer C-17 --term "Kari N."   # and values of theirs Flow no longer has
    omnium_forget --term kari@example.no --term +4740000000   # no Flow customer to name
    omnium_forget ... --dry-run                      # how many rows, nothing written

The values searched for are the ``--term`` values, the customer's own (unless Flow erased
it) and what its erasure records still hold. Nothing is erased in Flow or in Omnium: Flow's
erase action does that, and the ``customer.erase`` job scrubs these rows by itself when it
succeeds. This is for an erasure Omnium refused (scrub now, settle Omnium later), and for
people erased before the integration forgot by itself (docs/operations.md#gdpr-erasure).
The values are never printed.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from omnium_integration.host import get_adapter
from omnium_integration.models import TenantExtension
from omnium_integration.privacy.erasures import forget


class Command(BaseCommand):
    help = (
        "Scrub a person's values (a Flow customer's, and/or --term values) from every text "
        "and JSON column of the integration's tables. Prints counts, never the values."
    )

    def add_arguments(self, parser):
        parser.add_argument("--customer", help="The Flow customer's uid (or primary key).")
        parser.add_argument("--tenant", help="The Flow tenant's uid, when uids repeat.")
        parser.add_argument(
            "--term",
            action="append",
            default=[],
            help="A value of the person's to scrub too (repeatable): a name, e-mail, phone…",
        )
        parser.add_argument("--dry-run", action="store_true", help="Count rows, write nothing.")

    def handle(self, *args, **options):
        if not options["customer"] and not options["term"]:
            raise CommandError("Name a --customer, or give the values to scrub with --term.")
        extension, customer = None, None
        if options["customer"]:
            extension, customer = self.customer(options["customer"], options["tenant"])
        with transaction.atomic():
            report = forget(extension, customer, options["term"], dry_run=options["dry_run"])
        verb = "would change" if options["dry_run"] else "scrubbed"
        self.stdout.write(f"{report.rows} row(s) {verb}.")
        for label, rows in report.as_dict().items():
            self.stdout.write(f"  {label}: {rows}")

    def customer(self, reference: str, tenant_uid: str | None):
        """The customer and its tenant's extension; an error when it is not one customer."""
        adapter = get_adapter()
        extensions = TenantExtension.objects.select_related("tenant")
        if tenant_uid is not None:
            extension = adapter.extension_for_tenant(tenant_uid)
            if extension is None:
                raise CommandError(f"No Omnium extension for tenant {tenant_uid!r}.")
            extensions = extensions.filter(pk=extension.pk)
        found = []
        for extension in extensions:
            customer = adapter.find_object("CUSTOMER_MODEL", reference, extension.tenant_id)
            if customer is not None:
                found.append((extension, customer))
        if not found:
            raise CommandError(f"No Flow customer {reference!r} in a tenant with Omnium.")
        if len(found) > 1:
            raise CommandError(f"Flow customer {reference!r} is in several tenants: --tenant.")
        return found[0]
