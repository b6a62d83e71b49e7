"""A reconciliation run: read both sides, compare each area, store the run, heal on request.

A run that cannot finish (Omnium unreachable, a refused token) is stored as failed with
the reason and reports no differences at all: a half-read day must never look clean, nor
be healed from.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable
from datetime import timedelta

from django.db import IntegrityError, transaction
from django.utils import timezone

from ..client import get_client
from ..conf import app_settings, get_store_model
from ..host import get_adapter
from ..models import ReconciliationRun, TenantExtension
from ..sync.outbound import export_options
from .context import AreaResult, Context
from .customers import check_customers
from .dates import Period
from .differences import Difference
from .heal import heal
from .invoices import check_invoices
from .omnium_side import OmniumSide
from .pos_orders import check_pos_orders
from .web_orders import check_web_orders

logger = logging.getLogger(__name__)


class RunExists(Exception):
    """The scheduled run of this tenant and period exists already (running or done)."""


AREAS: tuple[Callable[[Context], AreaResult], ...] = (
    check_pos_orders,
    check_web_orders,
    check_customers,
    check_invoices,
)


def compare(extension: TenantExtension, period: Period) -> list[AreaResult]:
    """Every area of the tenant compared over ``period`` (nothing is written)."""
    adapter = get_adapter()
    options = export_options(extension)
    stores = get_store_model().objects.filter(tenant_id=extension.tenant_id)
    margin = timedelta(minutes=float(app_settings.RECONCILE_MARGIN_MINUTES))
    context = Context(
        extension=extension,
        period=period,
        window=period.widened(margin),
        options=options,
        omnium=OmniumSide(get_client(extension), options),
        adapter=adapter,
        store_ids=frozenset(
            adapter.omnium_store_id(s) for s in stores.select_related("omnium_extension")
        ),
    )
    return [check(context) for check in AREAS]


def reconcile(
    extension: TenantExtension,
    period: Period,
    *,
    trigger: str,
    user: str = "",
    heal_differences: bool = False,
) -> ReconciliationRun:
    """Compare, store the run (and heal). A failure is stored on the run, then raised."""
    try:
        with transaction.atomic():  # a savepoint: the caller's transaction survives
            run = ReconciliationRun.objects.create(
                extension=extension,
                period_start=period.since,
                period_end=period.until,
                trigger=trigger,
                triggered_by=user,
            )
    except IntegrityError:
        raise RunExists(f"Extension {extension.pk} has its run of {period} already.") from None
    try:
        results = compare(extension, period)
    except Exception as exc:
        run.status, run.error = ReconciliationRun.Status.FAILED, str(exc)
        run.finished_at = timezone.now()
        run.save(update_fields=["status", "error", "finished_at"])
        logger.warning("Reconciliation #%s of extension %s failed: %s", run.pk, extension.pk, exc)
        raise
    differences = [d for result in results for d in result.differences]
    record(run, results, differences)
    if heal_differences:
        heal_run(run, differences, user)
    return run


def record(
    run: ReconciliationRun, results: list[AreaResult], differences: list[Difference]
) -> None:
    """Store what the comparison found on ``run`` (at most the configured number of
    differences; the counts always cover all of them)."""
    limit = int(app_settings.RECONCILE_MAX_STORED_DIFFERENCES)
    counts: dict[str, dict[str, int]] = {}
    for result in results:
        kinds = Counter(d.kind.value for d in result.differences)
        counts[result.area.value] = dict(sorted(kinds.items()))
    run.checked = {result.area.value: result.checked for result in results}
    run.counts = counts
    run.difference_count = len(differences)
    run.differences = [d.as_json() for d in differences[:limit]]
    run.truncated = len(differences) > limit
    run.status, run.finished_at = ReconciliationRun.Status.DONE, timezone.now()
    run.save()


def heal_run(run: ReconciliationRun, differences: list | None = None, user: str = "") -> list:
    """Enqueue the jobs that repair ``run``'s differences (its stored ones by default)."""
    enqueued = heal(run.extension, run.differences if differences is None else differences)
    run.healed, run.healed_at, run.healed_by = enqueued, timezone.now(), user
    run.save(update_fields=["healed", "healed_at", "healed_by"])
    return enqueued
