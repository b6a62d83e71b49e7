"""The encryption keys: ``omnium_secrets generate-key | verify | reencrypt [--dry-run]``."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS

from omnium_integration import crypto, stored_secrets


class Command(BaseCommand):
    help = (
        "Encryption keys of the stored credentials: make a new key, check that every stored "
        "value opens with ENCRYPTION_KEYS, or move every value under the first (newest) key. "
        "Never prints a stored value."
    )
    # Runs when the keys are missing or wrong: that is what it is for.
    requires_system_checks: list = []

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        actions.add_parser(
            "generate-key", help="Print a new random key, to put first in ENCRYPTION_KEYS."
        )
        actions.add_parser(
            "verify",
            help="Check that every stored value opens with ENCRYPTION_KEYS (exit 1 if not).",
        )
        reencrypt = actions.add_parser(
            "reencrypt",
            help="Encrypt every stored value under the first key of ENCRYPTION_KEYS, so the "
            "others can be removed. Safe while the engines run, and to run again.",
        )
        reencrypt.add_argument(
            "--dry-run", action="store_true", help="Only count what would be re-encrypted."
        )
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args, **options):
        if options["action"] == "generate-key":
            self.stdout.write(crypto.generate_key())
            return
        try:
            crypto.fernet()
        except crypto.EncryptionKeyError as exc:
            raise CommandError(str(exc)) from None
        if options["action"] == "verify":
            self.verify(options["database"])
        else:
            self.reencrypt(options["database"], options["dry_run"])

    def verify(self, database: str) -> None:
        unreadable = stored_secrets.unreadable_values(database)
        for label, count in unreadable.items():
            self.stdout.write(f"{label}: {count} value(s) no key in ENCRYPTION_KEYS opens")
        if unreadable:
            raise CommandError(
                "Some stored values cannot be decrypted: put the key they were encrypted "
                "with back into ENCRYPTION_KEYS."
            )
        self.stdout.write("Every stored value opens with ENCRYPTION_KEYS.")

    def reencrypt(self, database: str, dry_run: bool) -> None:
        report = stored_secrets.reencrypt(database, dry_run=dry_run)
        verb = "would move" if dry_run else "moved"
        labels = sorted({*report.moved, *report.current, *report.unreadable})
        for label in labels:
            self.stdout.write(
                f"{label}: {verb} {report.moved.get(label, 0)} under the newest key, "
                f"{report.current.get(label, 0)} already there, "
                f"{report.unreadable.get(label, 0)} unreadable"
            )
        if report.unreadable:
            raise CommandError(
                "Some stored values cannot be decrypted with any key in ENCRYPTION_KEYS: "
                "they were left as they are. Keep every old key until they are dealt with."
            )
        if dry_run:
            self.stdout.write(f"{report.total_moved} value(s) to re-encrypt.")
        else:
            self.stdout.write(
                f"{report.total_moved} value(s) re-encrypted: every stored value is under "
                "the newest key; the other keys can be removed from ENCRYPTION_KEYS."
            )
