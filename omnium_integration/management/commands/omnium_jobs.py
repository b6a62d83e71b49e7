"""Look at and act on sync jobs: ``omnium_jobs [--failed | --retry-failed | --prune]``."""

from __future__ import annotations

import json
from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from omnium_integration.conf import app_settings
from omnium_integration.enums import JobStatus, Queue
from omnium_integration.health import queue_health
from omnium_integration.jobs import clock, manager
from omnium_integration.models import ExternalSyncJob


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s"


class Command(BaseCommand):
    help = (
        "Summary of sync jobs per queue (exit 1 when a queue has overdue jobs), the failed "
        "jobs with their reasons, or retry them."
    )

    def add_arguments(self, parser):
        action = parser.add_mutually_exclusive_group()
        action.add_argument("--failed", action="store_true", help="List failed jobs.")
        action.add_argument("--retry-failed", action="store_true", help="Make failed jobs due now.")
        action.add_argument(
            "--prune",
            action="store_true",
            help="Delete succeeded jobs older than SUCCEEDED_RETENTION_DAYS.",
        )
        parser.add_argument("--queue", choices=[q.value for q in Queue])
        parser.add_argument("--kind")
        parser.add_argument("--limit", type=int, default=50)
        parser.add_argument("--json", action="store_true", help="Machine-readable output.")

    def handle(self, *args, **options):
        failed = ExternalSyncJob.objects.filter(status=JobStatus.FAILED).order_by("-finished_at")
        if options["queue"]:
            failed = failed.filter(queue=options["queue"])
        if options["kind"]:
            failed = failed.filter(kind=options["kind"])
        if options["failed"]:
            return self.list_failed(failed[: options["limit"]], options["json"])
        if options["retry_failed"]:
            count = manager.retry_now(failed)
            self.stdout.write(f"{count} failed job(s) will run again now.")
            return None
        if options["prune"]:
            cutoff = clock.now() - timedelta(days=app_settings.SUCCEEDED_RETENTION_DAYS)
            deleted, _ = ExternalSyncJob.objects.filter(
                status=JobStatus.SUCCEEDED, finished_at__lt=cutoff
            ).delete()
            self.stdout.write(f"Deleted {deleted} row(s) of succeeded jobs before {cutoff:%F}.")
            return None
        return self.summary(options["json"])

    def list_failed(self, jobs, as_json: bool) -> None:
        rows = [
            {
                "id": job.pk,
                "queue": job.queue,
                "kind": job.kind,
                "object_id": job.object_id,
                "attempts": job.attempts,
                "status_code": job.last_status_code,
                "reason": (job.last_error.splitlines() or [""])[0],
            }
            for job in jobs
        ]
        if as_json:
            self.stdout.write(json.dumps(rows, indent=2))
            return
        if not rows:
            self.stdout.write("No failed jobs.")
        for row in rows:
            self.stdout.write(
                f"#{row['id']} {row['kind']} {row['object_id']} "
                f"(attempts {row['attempts']}, HTTP {row['status_code'] or '-'}): {row['reason']}"
            )

    def summary(self, as_json: bool) -> None:
        report = queue_health()
        if as_json:
            self.stdout.write(json.dumps([q.as_dict() for q in report], indent=2))
        else:
            header = f"{'queue':28} {'pending':>8} {'running':>8} {'failed':>7} "
            self.stdout.write(header + f"{'oldest pending':>15} {'overdue':>8}  last success")
            for q in report:
                last = f"{q.last_success_at:%Y-%m-%d %H:%M:%S}" if q.last_success_at else "never"
                self.stdout.write(
                    f"{q.queue:28} {q.pending:>8} {q.running:>8} {q.failed:>7} "
                    f"{_age(q.oldest_pending_age):>15} {_age(q.oldest_due_age):>8}  {last}"
                )
        stalled = [q.queue for q in report if not q.healthy]
        if stalled:
            raise CommandError(
                f"jobs overdue by more than {app_settings.HEALTH_MAX_DUE_AGE}s on "
                f"{', '.join(stalled)}: is the engine running?"
            )
