"""Run the Omnium sandbox (a fake Omnium on loopback) in the foreground; optionally push a
generated catalogue into a running Flow first, as Omnium's FlowRetail connector does."""

from __future__ import annotations

import json
import os

from django.core.management.base import BaseCommand, CommandError

from omnium_integration.sandbox import (
    ConnectorError,
    ConnectorSettings,
    OmniumSandbox,
    generate_catalogue,
)


def _pair(value: str, separator: str, what: str) -> tuple[str, str]:
    left, sep, right = value.partition(separator)
    if not sep or not left.strip():
        raise CommandError(f"{what} must look like NAME{separator}VALUE, not {value!r}.")
    return left.strip(), right.strip()


class Command(BaseCommand):
    help = (
        "Run a fake Omnium API on loopback for development, demos and benchmarks. Point a "
        "tenant's Omnium API base URL at it. Control API: GET/POST /sandbox/... (state, "
        "calls, faults, config, subscriptions, events)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--host", default="127.0.0.1", help="Loopback address to bind.")
        parser.add_argument("--port", type=int, default=8765, help="0 picks a free port.")
        parser.add_argument(
            "--credentials",
            action="append",
            default=[],
            metavar="CLIENT_ID:SECRET",
            help="Register an API user (repeatable).",
        )
        parser.add_argument(
            "--from-db",
            action="store_true",
            help="Register the client id and secret of every tenant extension in the database.",
        )
        parser.add_argument(
            "--token-lifetime", type=float, default=864_000, help="Seconds (Omnium: 10 days)."
        )
        parser.add_argument(
            "--latency", type=float, default=0.0, help="Seconds added to every API call."
        )
        parser.add_argument(
            "--error-rate",
            action="append",
            default=[],
            metavar="STATUS=RATE",
            help="Answer STATUS to this share of API calls, e.g. 503=0.05 (repeatable).",
        )
        parser.add_argument(
            "--seed",
            type=int,
            default=None,
            help="Make fault draws repeatable; also seeds the generated catalogue (default 1).",
        )
        parser.add_argument(
            "--webhook-url", help="Subscribe this URL to Order events (Omnium's event API)."
        )
        parser.add_argument(
            "--webhook-header",
            action="append",
            default=[],
            metavar="NAME: VALUE",
            help="A header sent with every event, e.g. 'X-Omnium-Api-Key: …' (repeatable).",
        )
        parser.add_argument(
            "--webhook-class",
            action="append",
            default=[],
            metavar="CLASS",
            help="Class names the subscription receives (default: Order).",
        )
        connector = parser.add_argument_group(
            "connector mode",
            "Load a generated catalogue (seeded by --seed, default 1) and push it into Flow "
            "through Flow's master-data API, then serve it (its purchase orders take goods "
            "receptions).",
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
            sandbox = OmniumSandbox(
                options["host"],
                options["port"],
                seed=options["seed"],
                token_lifetime=options["token_lifetime"],
            )
        except ValueError as exc:
            raise CommandError(str(exc)) from exc
        registered = 0
        for value in options["credentials"]:
            sandbox.add_credentials(*_pair(value, ":", "--credentials"))
            registered += 1
        if options["from_db"]:
            from omnium_integration.models import TenantExtension

            for extension in TenantExtension.objects.exclude(client_id="").exclude(
                client_secret=""
            ):
                sandbox.add_credentials(extension.client_id, extension.client_secret)
                registered += 1
        sandbox.faults.configure(
            latency=options["latency"],
            error_rates=dict(_pair(v, "=", "--error-rate") for v in options["error_rate"]),
        )
        if options["webhook_url"]:
            headers = dict(_pair(h, ":", "--webhook-header") for h in options["webhook_header"])
            sandbox.subscribe(
                options["webhook_url"],
                headers=headers,
                class_names=options["webhook_class"] or ("Order",),
            )
        if options["push_catalogue"]:
            self._push(sandbox, options)
            if options["push_only"]:
                return
        sandbox.bind()
        self.stdout.write(
            f"Omnium sandbox on {sandbox.url} ({registered} API user(s)); Ctrl-C to stop.",
        )
        self.stdout.flush()
        try:
            sandbox.serve_forever()
        except KeyboardInterrupt:
            self.stdout.write("Stopped.")

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
        sandbox.load_catalogue(catalogue)
        try:
            report = sandbox.push_catalogue(
                options["push_catalogue"], options["flow_token"], settings=settings
            )
        except ConnectorError as exc:
            raise CommandError(f"The push stopped: {exc}") from exc
        if options["json"]:
            self.stdout.write(json.dumps(report.as_dict(), indent=2))
        else:
            self.stdout.write(report.format())
        self.stdout.flush()
