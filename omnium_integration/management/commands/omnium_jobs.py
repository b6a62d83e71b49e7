"""Look at and act on sync jobs: ``omnium_jobs [--failed | --retry-failed | --prune]``."""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from omnium_integration.conf import app_settings
from omnium_integration.enums import JobStatus, Queue
from omnium_integration.health import DEGRADED, DOWN, HealthReport, health_report
from omnium_integration.host import get_adapter
from omnium_integration.job_objects import describe
from omnium_integration.jobs import manager, registry
from omnium_integration.models import ExternalSyncJob
from omnium_integration.retention import prune


def _age(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{secs:02d}s"


class Command(BaseCommand):
    help = (
        "Health and jobs per queue and tenant: exit 1 when the health is degraded (failed "
        "jobs, refused credentials) or down (overdue jobs). Also lists the failed jobs "
        "with their reasons, retries them, or prunes old records."
    )

    def add_arguments(self, parser):
        action = parser.add_mutually_exclusive_group()
        action.add_argument("--failed", action="store_true", help="List failed jobs.")
        action.add_argument("--retry-failed", action="store_true", help="Make failed jobs due now.")
        action.add_argument(
            "--prune",
            action="store_true",
            help="Delete records past their retention age (*_RETENTION_DAYS settings).",
        )
        parser.add_argument("--queue", choices=[q.value for q in Queue])
        parser.add_argument("--kind", help="Only jobs of this kind (e.g. order.export).")
        parser.add_argument("--limit", type=int, default=50)
        parser.add_argument("--json", action="store_true", help="Machine-readable output.")
        parser.add_argument(
            "--allow-degraded",
            action="store_true",
            help="Exit 0 when the health is only degraded (failed jobs, refused credentials); "
            "still 1 when a queue is down.",
        )

    def handle(self, *args, **options):
        kind = options["kind"]
        if kind and kind not in registry.known_kinds():
            raise CommandError(
                f"Unknown job kind {kind!r}; known: {', '.join(registry.known_kinds())}."
            )
        failed = ExternalSyncJob.objects.filter(status=JobStatus.FAILED).order_by("-finished_at")
        if options["queue"]:
            failed = failed.filter(queue=options["queue"])
        if kind:
            failed = failed.filter(kind=kind)
        if options["failed"]:
            return self.list_failed(failed[: options["limit"]], options["json"])
        if options["retry_failed"]:
            count = manager.retry_now(failed)
            self.stdout.write(f"{count} failed job(s) will run again now.")
            return None
        if options["prune"]:
            self.stdout.write(f"Deleted {prune()}.")
            return None
        report = health_report()
        self.summary(report, options["json"])
        return self.judge(report, options["allow_degraded"])

    def list_failed(self, jobs, as_json: bool) -> None:
        jobs = list(jobs.select_related("extension__tenant"))
        objects = describe(jobs)
        adapter = get_adapter()
        rows = [
            {
                "id": job.pk,
                "queue": job.queue,
                "kind": job.kind,
                "object_id": job.object_id,
                "object": str(objects[job.pk]),
                "tenant": adapter.tenant_key(job.extension),
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
                f"#{row['id']} {row['kind']} {row['object']} (tenant {row['tenant']}, "
                f"attempts {row['attempts']}, HTTP {row['status_code'] or '-'}): {row['reason']}"
            )

    def summary(self, report: HealthReport, as_json: bool) -> None:
        if as_json:
            self.stdout.write(json.dumps(report.as_dict(), indent=2))
            return
        header = f"{'queue':28} {'pending':>8} {'running':>8} {'failed':>7} "
        self.stdout.write(header + f"{'oldest pending':>15} {'overdue':>8}  last success")
        for q in report.queues:
            last = f"{q.last_success_at:%Y-%m-%d %H:%M:%S}" if q.last_success_at else "never"
            self.stdout.write(
                f"{q.queue:28} {q.pending:>8} {q.running:>8} {q.failed:>7} "
                f"{_age(q.oldest_pending_age):>15} {_age(q.oldest_due_age):>8}  {last}"
            )
        self.stdout.write(f"status: {report.status}")
        for reason in report.reasons:
            self.stdout.write(f"  {reason}")

    def judge(self, report: HealthReport, allow_degraded: bool) -> None:
        if report.status == DOWN:
            down = [q.queue for q in report.queues if q.status == DOWN]
            raise CommandError(
                f"down: jobs overdue by more than {app_settings.HEALTH_MAX_DUE_AGE}s on "
                f"{', '.join(down)}: is the engine running? ({'; '.join(report.reasons)})"
            )
        if report.status == DEGRADED and not allow_degraded:
            raise CommandError(f"degraded: {'; '.join(report.reasons)}")
