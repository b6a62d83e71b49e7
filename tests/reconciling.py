"""Running reconciliations in tests: the period around now, the queue drained, runs read."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from io import StringIO

from django.core.management import call_command
from django.utils import timezone

from omnium_integration.enums import ACTIVE_STATUSES, IdentityKind, Queue
from omnium_integration.host import get_adapter
from omnium_integration.jobs import worker
from omnium_integration.mapping.orders import pos_order
from omnium_integration.models import ExternalSyncJob, OmniumIdentity, ReconciliationRun
from omnium_integration.reconcile.dates import Period
from omnium_integration.reconcile.run import reconcile
from omnium_integration.sync.outbound import export_options
from omnium_integration.transform import sanitize_uid
from tests.flow_factories import completed_sales

HOUR = timedelta(hours=1)


def around_now() -> Period:
    """An hour either side of now: everything a test does falls inside."""
    now = timezone.now()
    return Period(now - HOUR, now + HOUR)


def run(extension, *, heal: bool = False, period: Period | None = None) -> ReconciliationRun:
    return reconcile(
        extension,
        period or around_now(),
        trigger=ReconciliationRun.Trigger.COMMAND,
        user="tester",
        heal_differences=heal,
    )


def command(*args: str) -> str:
    out = StringIO()
    call_command("omnium_reconcile", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def drain(rounds: int = 40) -> None:
    """Run the order queue until no job is active, making every retry due at once."""
    for _ in range(rounds):
        worker.drain(Queue.ORDER)
        active = ExternalSyncJob.objects.filter(status__in=ACTIVE_STATUSES)
        if not active.exists():
            return
        active.update(next_attempt_at=timezone.now())
    raise AssertionError(f"jobs still active after {rounds} rounds: {list(active)}")


def found(run_: ReconciliationRun) -> set[tuple[str, str, str]]:
    """``(area, kind, flow uid or Omnium id)`` of each difference."""
    return {
        (
            d["area"],
            d["kind"],
            (d["flow"] or {}).get("uid") or (d["omnium"] or {}).get("id"),
        )
        for d in run_.differences
    }


def difference(run_: ReconciliationRun, kind: str, who: str) -> dict:
    (match,) = [
        d
        for d in run_.differences
        if d["kind"] == kind
        and who in ((d["flow"] or {}).get("uid"), (d["omnium"] or {}).get("id"))
    ]
    return match


def seed_in_sync(store, extension, sandbox, count: int) -> None:
    """``count`` completed sales in Flow and the same sales in Omnium, as if their jobs had
    run: the documents the export sends, their map rows confirmed. No job, no HTTP."""
    orders = completed_sales(store, count)
    records = get_adapter().orders_for_export(store.tenant_id, [o.pk for o in orders])
    options = export_options(extension)
    rows = []
    with sandbox.lock:
        for record in records.values():
            omnium_id = sanitize_uid(record.uid)
            sandbox.state.add_order(pos_order(replace(record, omnium_id=omnium_id), options))
            rows.append(
                OmniumIdentity(
                    extension=extension,
                    kind=IdentityKind.ORDER,
                    flow_ref=str(record.pk),
                    flow_uid=record.uid,
                    omnium_id=omnium_id,
                    confirmed_at=timezone.now(),
                )
            )
    OmniumIdentity.objects.bulk_create(rows, batch_size=500)
