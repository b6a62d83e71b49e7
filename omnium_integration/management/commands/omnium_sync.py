"""Run the sync engines in this process: ``omnium_sync [--poll] --drain [--queue Q]``."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from omnium_integration.enums import Queue
from omnium_integration.jobs import worker


class Command(BaseCommand):
    help = (
        "Run due sync jobs in-process and exit (for operators, tests and scripts). "
        "Exits 1 if any job failed permanently during the run."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--drain",
            action="store_true",
            help="Run every due job until none is due, then exit.",
        )
        parser.add_argument(
            "--queue",
            choices=[q.value for q in Queue],
            action="append",
            help="Only this queue (repeatable). Default: both.",
        )
        parser.add_argument("--max-jobs", type=int, default=None, help="Stop after N jobs.")
        parser.add_argument(
            "--poll",
            action="store_true",
            help="First run the safety-net poll of Omnium orders for every active tenant "
            "(as after an outage, without waiting for its schedule).",
        )

    def handle(self, *args, **options):
        if not options["drain"] and not options["poll"]:
            raise CommandError(
                "Nothing to do: pass --drain and/or --poll (the engines themselves run under "
                "`Q_CLUSTER_NAME=<queue> manage.py qcluster`)."
            )
        if options["poll"]:
            from omnium_integration.sync.order_poll import poll_all

            for tenant, stats in poll_all().items():
                if "error" in stats:
                    self.stderr.write(f"poll of tenant extension {tenant}: {stats['error']}")
                else:
                    self.stdout.write(
                        f"poll of tenant extension {tenant}: {stats['enqueued']} enqueued, "
                        f"{stats['coalesced']} already queued, {stats['skipped']} up to date"
                    )
        if not options["drain"]:
            return
        queues = options["queue"] or [q.value for q in Queue]
        failed = 0
        for queue in queues:
            stats = worker.drain(queue, max_jobs=options["max_jobs"])
            failed += stats.failed
            self.stdout.write(
                f"{queue}: {stats.claimed} run, {stats.succeeded} succeeded, "
                f"{stats.retried} to retry, {stats.failed} failed"
                + (f", {stats.lost} lost their lease" if stats.lost else "")
            )
        if failed:
            raise CommandError(f"{failed} job(s) failed; see `manage.py omnium_jobs --failed`.")
