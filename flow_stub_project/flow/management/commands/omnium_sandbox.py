"""Run the Omnium sandbox for this host: ``python -m omnium_sandbox``'s options, plus the API
users of the tenants in the database and, first, a catalogue pushed into a running Flow as
Omnium's FlowRetail connector does (``flow_stub_project.connector``)."""

from __future__ import annotations

import json
import os

from django.core.management.base import BaseCommand, CommandError
from omnium_sandbox import OmniumSandbox
from omnium_sandbox.__main__ import add_arguments, build, serve

from flow_stub_project.connector import (
    ConnectorError,
    ConnectorSettings,
    generate_catalogue,
    push_catalogue,
    seed_omnium,
)


class Command(BaseCommand):
    help = (
        "Run a fake Omnium API on loopback for development, demos and benchmarks. Point a "
        "tenant's Omnium API base URL at it; GET /sandbox/state shows its data."
    )

    def add_arguments(self, parser):
        add_arguments(parser)
        parser.add_argument(
            "--from-db",
            action="store_true",
            help="Register the client id and secret of every tenant extension in the database.",
        )
        connector = parser.add_argument_group(
            "connector",
            "Push a generated catalogue (seeded by --seed, default 1) into Flow through "
            "Flow's master-data API, and give its purchase orders, deliveries, stores and "
            "stock to the sandbox (so goods receptions can be confirmed), then serve.",
        )
        connector.add_argument(
            "--push-catalogue",
            metavar="FLOW_API_URL",
            help="Flow's API root, e.g. http://127.0.0.1:8000/api/.",
        )
        connector.add_argument(
            "--flow-token",
            default=os.environ.get("FLOW_API_TOKEN", ""),
            help="The Flow tenant's API token (default: $FLOW_API_TOKEN).",
        )
        connector.add_argument("--products", type=int, default=2000, help="SKUs to generate.")
        connector.add_argument(
            "--purchase-orders", type=int, default=None, help="Default: one per 50 products."
        )
        connector.add_argument(
            "--delivery-as-po",
            metavar="all|none|SUPPLIER,...",
            help="ExportDeliveryAsPo: for every supplier, none, or these supplier ids "
            "(default: the catalogue's delivery-as-PO supplier).",
        )
        connector.add_argument(
            "--push-only", action="store_true", help="Exit after the push instead of serving."
        )
        connector.add_argument("--json", action="store_true", help="Print the push report as JSON.")

    def handle(self, *args, **options):
        try:
            sandbox = build(options)
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        if options["from_db"]:
            from omnium_integration.models import TenantExtension

            for extension in TenantExtension.objects.exclude(client_id="").exclude(
                client_secret=""
            ):
                sandbox.add_credentials(extension.client_id, extension.client_secret)
        if options["push_catalogue"]:
            self._push(sandbox, options)
            if options["push_only"]:
                sandbox.stop()
                return

        def write(line: str) -> None:
            self.stdout.write(line)
            self.stdout.flush()

        serve(sandbox, write)

    def _push(self, sandbox: OmniumSandbox, options: dict) -> None:
        if not options["flow_token"]:
            raise CommandError("--push-catalogue needs --flow-token (or $FLOW_API_TOKEN).")
        try:
            catalogue = generate_catalogue(
                options["products"],
                seed=1 if options["seed"] is None else options["seed"],
                purchase_orders=options["purchase_orders"],
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        settings = ConnectorSettings()
        mode = options["delivery_as_po"]
        if mode is not None:
            choice = {"all": True, "none": False}.get(mode.strip().lower())
            suppliers = frozenset(s.strip() for s in mode.split(",") if s.strip())
            settings = ConnectorSettings(
                export_delivery_as_po=choice if choice is not None else suppliers
            )
        seed_omnium(sandbox, catalogue)
        try:
            report = push_catalogue(
                catalogue, options["push_catalogue"], options["flow_token"], settings
            )
        except ConnectorError as exc:
            raise CommandError(f"The push stopped: {exc}") from exc
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), indent=2))
        else:
            self.stdout.write(report.format())
        self.stdout.flush()
