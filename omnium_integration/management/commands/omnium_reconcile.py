"""Prove that Flow and Omnium agree over a period, and heal where they do not.

    omnium_reconcile --tenant no --since 2026-11-01                 # the 1st until now
    omnium_reconcile --tenant no --since 2026-11-01 --until 2026-11-01 --json
    omnium_reconcile --tenant no --since 2026-11-01 --heal          # and enqueue repairs

Dates are days in the tenant's time zone; ``--until`` includes its day. The run is stored
(admin: "Reconciliation runs"). Exit 1 when the run could not finish (nothing is then
reported as compared).
"""

from __future__ import annotations

import getpass
import json

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from omnium_integration.host import get_adapter
from omnium_integration.models import ReconciliationRun
from omnium_integration.reconcile.dates import period_between
from omnium_integration.reconcile.report import as_document, summary_lines
from omnium_integration.reconcile.run import reconcile


class Command(BaseCommand):
    help = (
        "Compare a tenant's Flow and Omnium over a period: POS sales, returns and "
        "cancellations, Omnium's web orders, linked customers, invoices. --heal enqueues "
        "the jobs that repair each difference."
    )

    def add_arguments(self, parser):
        parser.add_argument("--tenant", required=True, help="Flow tenant uid.")
        parser.add_argument("--since", required=True, help="First day (or date-time).")
        parser.add_argument("--until", help="Last day, included (or an end); default: now.")
        parser.add_argument(
            "--heal", action="store_true", help="Enqueue the job that repairs each difference."
        )
        parser.add_argument(
            "--json", action="store_true", help="Every difference, with both sides' values."
        )

    def handle(self, *args, **options):
        adapter = get_adapter()
        extension = adapter.extension_for_tenant(options["tenant"])
        if extension is None:
            raise CommandError(f"No Omnium extension for tenant {options['tenant']!r}.")
        if options["heal"] and not extension.is_active:
            raise CommandError("The tenant's Omnium extension is not active: nothing would heal.")
        zone = adapter.tenant_time_zone(extension.tenant)
        try:
            period = period_between(options["since"], options["until"], zone, timezone.now())
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        try:
            run = reconcile(
                extension,
                period,
                trigger=ReconciliationRun.Trigger.COMMAND,
                user=_login(),
                heal_differences=options["heal"],
            )
        except Exception as exc:
            raise CommandError(f"The reconciliation failed, nothing was compared: {exc}") from exc
        tenant = options["tenant"]
        if options["json"]:
            self.stdout.write(json.dumps(as_document(run, tenant), indent=2, default=str))
        else:
            self.stdout.write("\n".join(summary_lines(run, tenant, zone)))


def _login() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name (a container without a passwd entry)
        return ""
