"""``python -m omnium_sandbox`` (or ``omnium-sandbox``): serve a fake Omnium on loopback.

    python -m omnium_sandbox --port 8765 --credentials CLIENT_ID:SECRET \
        --subscribe http://127.0.0.1:8000/omnium/events/TENANT/ \
        --subscribe-header "Authorization: Bearer WEBHOOK_SECRET"

Everything is set at start: API users, token lifetime, latency and error rates, one
webhook subscription. ``GET /sandbox/state`` shows the data while it runs.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any

from .server import LOOPBACK, OmniumSandbox


def pair(value: str, separator: str, what: str) -> tuple[str, str]:
    """``NAME<separator>VALUE`` split and stripped; ``ValueError`` names the option."""
    left, sep, right = value.partition(separator)
    if not sep or not left.strip():
        raise ValueError(f"{what} must look like NAME{separator}VALUE, not {value!r}.")
    return left.strip(), right.strip()


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The sandbox's options (the stub host's ``omnium_sandbox`` command takes them too)."""
    parser.add_argument(
        "--host", default="127.0.0.1", choices=sorted(LOOPBACK), help="Loopback address."
    )
    parser.add_argument("--port", type=int, default=8765, help="0 picks a free port.")
    parser.add_argument(
        "--credentials",
        action="append",
        default=[],
        metavar="CLIENT_ID:SECRET",
        help="Register an API user (repeatable).",
    )
    parser.add_argument(
        "--token-lifetime", type=float, default=864_000, help="Seconds (Omnium: 10 days)."
    )
    parser.add_argument("--latency", type=float, default=0.0, help="Seconds added to API calls.")
    parser.add_argument(
        "--error-rate",
        action="append",
        default=[],
        metavar="STATUS=RATE",
        help="Answer STATUS to this share of API calls, e.g. 503=0.05 (repeatable).",
    )
    parser.add_argument("--seed", type=int, default=None, help="Make fault draws repeatable.")
    parser.add_argument("--subscribe", metavar="URL", help="Subscribe this URL to events.")
    parser.add_argument(
        "--subscribe-header",
        action="append",
        default=[],
        metavar="NAME: VALUE",
        help="A header sent with every event, e.g. 'Authorization: Bearer …' (repeatable).",
    )
    parser.add_argument(
        "--subscribe-class",
        action="append",
        default=[],
        metavar="CLASS",
        help="Class names the subscription receives (default: Order; repeatable).",
    )


def build(options: dict[str, Any]) -> OmniumSandbox:
    """A sandbox set up from parsed options (not yet listening). ``ValueError`` if one is
    malformed."""
    users = [pair(value, ":", "--credentials") for value in options["credentials"]]
    rates = dict(pair(value, "=", "--error-rate") for value in options["error_rate"])
    try:
        rates = {int(status): float(rate) for status, rate in rates.items()}
    except ValueError:
        raise ValueError("--error-rate takes STATUS=RATE, e.g. 503=0.05.") from None
    headers = dict(pair(h, ":", "--subscribe-header") for h in options["subscribe_header"])
    if (headers or options["subscribe_class"]) and not options["subscribe"]:
        raise ValueError("--subscribe-header and --subscribe-class need --subscribe URL.")
    sandbox = OmniumSandbox(
        options["host"],
        options["port"],
        seed=options["seed"],
        token_lifetime=options["token_lifetime"],
    )
    for client_id, secret in users:
        sandbox.add_credentials(client_id, secret)
    sandbox.faults.configure(latency=options["latency"], error_rates=rates)
    if options["subscribe"]:
        sandbox.subscribe(
            options["subscribe"],
            headers=headers,
            class_names=options["subscribe_class"] or ("Order",),
        )
    return sandbox


def serve(sandbox: OmniumSandbox, write=print) -> None:
    """Listen, say where, and serve until interrupted."""
    sandbox.bind()
    users = len(sandbox.auth.users)
    write(f"Omnium sandbox on {sandbox.url} ({users} API user(s)); Ctrl-C to stop.")
    try:
        sandbox.serve_forever()
    except KeyboardInterrupt:
        write("Stopped.")


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="omnium-sandbox", description="Serve a fake Omnium API on loopback."
    )
    add_arguments(parser)
    options = vars(parser.parse_args(argv))
    try:
        sandbox = build(options)
    except ValueError as exc:
        parser.error(str(exc))
    serve(sandbox, lambda line: print(line, flush=True))


if __name__ == "__main__":
    sys.exit(main())
