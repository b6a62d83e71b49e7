"""Compare Omnium's stock levels of Flow-master stores with Flow's, and optionally heal.

    omnium_stock_check                       # every Flow-master store of active tenants
    omnium_stock_check --store oslo_city     # one store (repeatable); --tenant if ambiguous
    omnium_stock_check --store oslo_city --heal   # push Flow's level of the differing SKUs
    omnium_stock_check --json                # the differences as JSON

Exit 1 when a store could not be checked, or when differences were found and not healed.
Each store's outcome is kept as its last check (admin: Omnium integration > Stock checks).
"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from omnium_integration.host import get_adapter
from omnium_integration.host.stock import MasterStore
from omnium_integration.sync.stock_check import CheckResult, check_stores

SHOWN = 50  # differences printed per store (all of them with --json)


class Command(BaseCommand):
    help = (
        "Read Omnium's stock levels of Flow-master stores, compare them with Flow's and print "
        "the differences; --heal pushes Flow's levels of exactly the differing SKUs."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--store", action="append", default=[], help="Store uid (repeatable; default: all)."
        )
        parser.add_argument("--tenant", help="Flow tenant uid: only its stores.")
        parser.add_argument(
            "--heal", action="store_true", help="Push Flow's level of every differing SKU."
        )
        parser.add_argument("--json", action="store_true", help="Print the results as JSON.")

    def handle(self, *args, **options):
        stores = self.stores(options["store"], options["tenant"])
        results = check_stores(stores, heal=options["heal"])
        if options["json"]:
            self.stdout.write(json.dumps([_as_json(r) for r in results], indent=2))
        else:
            for result in results:
                self.report(result)
        failed = [r.store.uid for r in results if r.error]
        unhealed = [r.store.uid for r in results if r.differences and not r.healed]
        if failed:
            raise CommandError(f"Could not check: {', '.join(failed)}.")
        if unhealed:
            raise CommandError(
                f"Stock differs at {', '.join(unhealed)}; run again with --heal to push "
                "Flow's levels."
            )

    def stores(self, store_uids: list[str], tenant_uid: str | None) -> list[MasterStore]:
        adapter = get_adapter()
        extension = None
        if tenant_uid is not None:
            extension = adapter.extension_for_tenant(tenant_uid)
            if extension is None:
                raise CommandError(f"No Omnium extension for tenant {tenant_uid!r}.")
        stores = adapter.master_stores(extension=extension, store_keys=store_uids)
        found = {store.uid for store in stores}
        missing = [uid for uid in store_uids if uid not in found]
        if missing:
            raise CommandError(
                f"Not a Flow-master store of an active tenant: {', '.join(missing)}."
            )
        if len(stores) > len(set(store_uids)) and store_uids:
            raise CommandError("Stores of several tenants have that uid: add --tenant.")
        if not stores:
            self.stdout.write("No Flow-master store of an active tenant: nothing to check.")
        return stores

    def report(self, result: CheckResult) -> None:
        head = f"{result.store.uid} (warehouse {result.store.warehouse_code})"
        if result.error:
            self.stdout.write(f"{head}: check failed: {result.error}")
            return
        self.stdout.write(
            f"{head}: {result.compared} SKUs compared, {len(result.differences)} differ"
            + (f", {result.in_flight} with a push on its way" if result.in_flight else "")
            + (f", {result.healed} queued to be healed" if result.healed else "")
            + f" ({result.seconds:.1f} s)"
        )
        if result.differences:
            self.stdout.write(f"  {'SKU':<30} {'Flow':>12} {'Omnium':>12}")
        for difference in result.differences[:SHOWN]:
            self.stdout.write(
                f"  {difference.sku:<30} {difference.flow:>12} {difference.omnium:>12}"
            )
        if len(result.differences) > SHOWN:
            self.stdout.write(f"  … and {len(result.differences) - SHOWN} more (--json: all)")


def _as_json(result: CheckResult) -> dict:
    return {
        "store": result.store.uid,
        "warehouseCode": result.store.warehouse_code,
        "compared": result.compared,
        "inFlight": result.in_flight,
        "healed": result.healed,
        "error": result.error,
        "differences": [d.as_dict() for d in result.differences],
    }
