"""Run the Omnium sandbox (a fake Omnium on loopback) in the foreground."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from omnium_integration.sandbox import OmniumSandbox


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
        parser.add_argument("--seed", type=int, default=None, help="Make fault draws repeatable.")
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
        sandbox.bind()
        self.stdout.write(
            f"Omnium sandbox on {sandbox.url} ({registered} API user(s)); Ctrl-C to stop.",
        )
        self.stdout.flush()
        try:
            sandbox.serve_forever()
        except KeyboardInterrupt:
            self.stdout.write("Stopped.")
