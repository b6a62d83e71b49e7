"""Run the sync engines in this process: ``omnium_sync [--poll] [--drain] [--queue Q]``."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from omnium_integration import stopping
from omnium_integration.enums import Queue
from omnium_integration.host import get_adapter
from omnium_integration.jobs import worker
from omnium_integration.models import TenantExtension


class Command(BaseCommand):
    help = (
        "Run due sync jobs in-process and exit (for operators, tests and scripts): both "
        "queues unless --queue, after the safety-net poll with --poll. Exits 1 if any job "
        "failed permanently during the run. The engines themselves run under "
        "`Q_CLUSTER_NAME=<queue> manage.py qcluster`."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--drain",
            action="store_true",
            help="Run every due job until none is due, then exit (the default; with --poll, "
            "pass it to drain after polling).",
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
            help="Run the safety-net poll of Omnium orders for every active tenant "
            "(as after an outage, without waiting for its schedule).",
        )

    def handle(self, *args, **options):
        with stopping.worker_handler():  # SIGTERM: finish or release, then exit
            if options["poll"]:
                self.poll()
            if options["drain"] or not options["poll"]:
                self.drain(options["queue"] or [q.value for q in Queue], options["max_jobs"])

    def poll(self) -> None:
        from omnium_integration.sync.order_poll import poll_all

        results = poll_all()
        extensions = (
            TenantExtension.objects.without_secrets()
            .select_related("tenant")
            .in_bulk([int(pk) for pk in results])
        )
        adapter = get_adapter()
        for pk, stats in results.items():
            tenant = adapter.tenant_key(extensions[int(pk)])
            if "error" in stats:
                self.stderr.write(f"poll of tenant {tenant}: {stats['error']}")
            else:
                self.stdout.write(
                    f"poll of tenant {tenant}: {stats['enqueued']} enqueued, "
                    f"{stats['coalesced']} already queued, {stats['skipped']} up to date"
                )

    def drain(self, queues: list[str], max_jobs: int | None) -> None:
        failed = 0
        for queue in queues:
            stats = worker.drain(queue, max_jobs=max_jobs)
            failed += stats.failed
            self.stdout.write(
                f"{queue}: {stats.claimed} run, {stats.succeeded} succeeded, "
                f"{stats.retried} to retry, {stats.failed} failed"
                + (f", {stats.lost} lost their lease" if stats.lost else "")
                + (f", {stats.released} given back" if stats.released else "")
            )
        if stopping.requested():
            raise CommandError("stopped by SIGTERM; jobs not run were given back.")
        if failed:
            raise CommandError(f"{failed} job(s) failed; see `manage.py omnium_jobs --failed`.")
