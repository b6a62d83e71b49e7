"""Sync objects again by hand: one by id, or everything changed since a date.

Signal receivers do not see ``QuerySet.update()``, ``bulk_create`` or raw SQL, and an
outage longer than the retry table may leave work undone: this is the way to catch up.

    omnium_resync order POS-1001            # a Flow order (uid or primary key)
    omnium_resync customer C-17 --tenant no # a Flow customer (an erased one: its erasure)
    omnium_resync receivement R-9           # a Flow goods reception
    omnium_resync receipt 2026-0001         # a Flow receipt (when receipts go to Omnium)
    omnium_resync omnium-order W-5 --tenant no   # re-import an Omnium order
    omnium_resync stock --store oslo_city   # a Flow-master store's whole stock
    omnium_resync stock-movement M-17       # the SKUs of one stock movement
    omnium_resync --since 2026-11-01 [--kind order ...] [--inbound] [--dry-run]
"""

from __future__ import annotations

import sys
from datetime import datetime, time

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from omnium_integration.enums import JobKind
from omnium_integration.host import get_adapter
from omnium_integration.jobs import manager
from omnium_integration.models import JobSource, TenantExtension
from omnium_integration.privacy.erasures import resend_erasure
from omnium_integration.receivers import CAPTURES, send_full_stock
from omnium_integration.sync.order_poll import poll_tenant

OMNIUM_ORDER = "omnium-order"
STOCK = "stock"
CHUNK = 200  # objects enqueued per transaction


def parse_since(value: str) -> datetime:
    moment = parse_datetime(value)
    if moment is None:
        day = parse_date(value)
        if day is None:
            raise CommandError(f"--since {value!r}: expected a date (2026-11-01) or date-time.")
        moment = datetime.combine(day, time.min)
    return moment if timezone.is_aware(moment) else timezone.make_aware(moment)


class Progress:
    """A one-line progress bar on a terminal; a summary line elsewhere."""

    def __init__(self, stream, total: int, label: str):
        self.stream, self.total, self.label = stream, total, label
        self.done = 0
        self.live = hasattr(stream, "isatty") and stream.isatty()

    def step(self, count: int = 1) -> None:
        self.done += count
        if self.live:
            width = 30
            filled = width * self.done // max(self.total, 1)
            bar = "#" * filled + "." * (width - filled)
            self.stream.write(f"\r{self.label:12} [{bar}] {self.done}/{self.total}")
            self.stream.flush()

    def finish(self) -> None:
        if self.live:
            self.stream.write("\n")


class Command(BaseCommand):
    help = (
        "Enqueue sync jobs again: one object by uid or id, or everything changed since a "
        "date. Exits 1 when an object is not found."
    )

    def add_arguments(self, parser):
        parser.add_argument("what", nargs="?", choices=[*CAPTURES, OMNIUM_ORDER, STOCK])
        parser.add_argument("reference", nargs="?", help="The object's uid (or primary key).")
        parser.add_argument("--tenant", help="Flow tenant uid (needed for omnium-order).")
        parser.add_argument("--since", help="Everything changed at or after this date(-time).")
        parser.add_argument("--store", help="With stock: the Flow store (uid) to send whole.")
        parser.add_argument(
            "--kind",
            action="append",
            choices=list(CAPTURES),
            help="With --since: only these Flow objects (repeatable; default: all).",
        )
        parser.add_argument(
            "--inbound",
            action="store_true",
            help="With --since: also re-import Omnium orders changed since then.",
        )
        parser.add_argument("--dry-run", action="store_true", help="Say what, write nothing.")

    def handle(self, *args, **options):
        extension = self.extension(options["tenant"])
        if options["since"]:
            if options["what"]:
                raise CommandError("Give either an object to resync or --since, not both.")
            return self.since(parse_since(options["since"]), extension, options)
        if options["what"] == STOCK:
            return self.stock(options["store"] or options["reference"], extension, options)
        if not (options["what"] and options["reference"]):
            raise CommandError("Name an object (e.g. `order POS-1001`) or pass --since DATE.")
        if options["what"] == OMNIUM_ORDER:
            return self.omnium_order(options["reference"], extension, options["dry_run"])
        return self.one(options["what"], options["reference"], extension, options["dry_run"])

    def extension(self, tenant_uid: str | None) -> TenantExtension | None:
        """The Omnium extension of the Flow tenant ``--tenant`` names."""
        if tenant_uid is None:
            return None
        extension = get_adapter().extension_for_tenant(tenant_uid)
        if extension is None:
            raise CommandError(f"No Omnium extension for tenant {tenant_uid!r}.")
        return extension

    def one(self, what: str, reference: str, extension, dry_run: bool) -> None:
        capture = CAPTURES[what]
        tenant_id = extension.tenant_id if extension else None
        instance = get_adapter().find_object(capture.model_key, reference, tenant_id)
        if instance is None:
            raise CommandError(f"No Flow {what} {reference!r}.")
        # An erased customer is sent as its erasure (anonymised in Omnium, then forgotten).
        erased = what == "customer" and get_adapter().customer_is_erased(instance)
        kind = JobKind.CUSTOMER_ERASE if erased else capture.kind
        if dry_run:
            self.stdout.write(f"Would enqueue {kind} for {what} {reference}.")
            return
        with transaction.atomic():
            if erased:
                queued = resend_erasure(instance)
            else:
                queued = capture(instance, source=JobSource.COMMAND)
        self.stdout.write(self.describe(what, reference, queued))

    def omnium_order(self, order_id: str, extension, dry_run: bool) -> None:
        if extension is None:
            raise CommandError("omnium-order needs --tenant (which Omnium to fetch it from).")
        if dry_run:
            self.stdout.write(f"Would enqueue {JobKind.ORDER_IMPORT} for Omnium order {order_id}.")
            return
        with transaction.atomic():
            queued = manager.enqueue(
                JobKind.ORDER_IMPORT,
                extension_id=extension.pk,
                object_id=order_id,
                source=JobSource.COMMAND,
            )
        self.stdout.write(self.describe("Omnium order", order_id, queued))

    def stock(self, store_uid: str | None, extension, options) -> None:
        """Queue a Flow-master store's whole stock for Omnium (what switching it does)."""
        if not store_uid:
            raise CommandError("Name the store: `stock --store <uid>`.")
        tenant_id = extension.tenant_id if extension else None
        stores = get_adapter().find_stores(store_uid, tenant_id)
        if not stores:
            raise CommandError(f"No Flow store {store_uid!r}.")
        if len(stores) > 1:
            raise CommandError(f"Stores of several tenants have uid {store_uid!r}: add --tenant.")
        if options["dry_run"]:
            self.stdout.write(f"Would enqueue {JobKind.STOCK_FULL} for store {store_uid}.")
            return
        with transaction.atomic():
            queued = send_full_stock(
                stores[0].pk, reason="omnium_resync stock", source=JobSource.COMMAND
            )
        if queued is None:
            raise CommandError(
                f"Nothing to send for store {store_uid}: Flow is not its stock master, its "
                "tenant's extension is inactive, or it keeps no stock."
            )
        self.stdout.write(self.describe("the whole stock of store", store_uid, queued))

    def describe(self, what: str, reference: str, queued) -> str:
        if queued is None:
            return (
                f"Nothing to send for {what} {reference}: its tenant's extension is inactive "
                "or the object has nothing for Omnium (e.g. an open order)."
            )
        job_id, created = queued
        if created:
            return f"Queued job #{job_id} for {what} {reference}."
        return f"{what} {reference} already has job #{job_id} waiting; it will send the latest."

    def since(self, moment: datetime, extension, options) -> None:
        adapter = get_adapter()
        tenant_id = extension.tenant_id if extension else None
        dry_run = options["dry_run"]
        for name in options["kind"] or list(CAPTURES):
            capture = CAPTURES[name]
            objects = adapter.changed_since(capture.model_key, moment, tenant_id)
            progress = Progress(sys.stderr, objects.count(), name)
            queued = due = 0
            for chunk in _chunks(objects.iterator(chunk_size=CHUNK), CHUNK):
                with transaction.atomic():
                    for instance in chunk:
                        if not getattr(adapter, capture.due)(instance):
                            continue
                        due += 1
                        if not dry_run and capture(instance, source=JobSource.COMMAND):
                            queued += 1
                progress.step(len(chunk))
            progress.finish()
            verb = "would be queued" if dry_run else "queued"
            self.stdout.write(
                f"{name}: {progress.done} changed since {moment:%Y-%m-%d %H:%M}, "
                f"{due} with something for Omnium, {due if dry_run else queued} {verb}"
            )
        if options["inbound"]:
            extensions = [extension] if extension else TenantExtension.objects.active()
            for each in extensions:
                stats = poll_tenant(each, since=moment, dry_run=dry_run)
                self.stdout.write(
                    f"Omnium orders of tenant {adapter.tenant_key(each)}: "
                    f"{stats.seen} changed, {stats.enqueued} "
                    f"{'would be queued' if dry_run else 'queued'}, "
                    f"{stats.coalesced} already waiting, {stats.skipped} already current"
                )


def _chunks(iterable, size: int):
    chunk = []
    for item in iterable:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk
