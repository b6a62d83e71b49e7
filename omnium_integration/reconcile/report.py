"""A stored run as people and scripts read it: a summary table, or one JSON document."""

from __future__ import annotations

from typing import Any

from ..models import ReconciliationRun
from .differences import AREA_LABELS, KIND_LABELS, Area, Kind


def as_document(run: ReconciliationRun, tenant: str) -> dict[str, Any]:
    """The run with every difference stored on it (``--json``)."""
    return {
        "run": run.pk,
        "tenant": tenant,
        "period": {"since": run.period_start.isoformat(), "until": run.period_end.isoformat()},
        "status": run.status,
        "checked": run.checked,
        "counts": run.counts,
        "differenceCount": run.difference_count,
        "truncated": run.truncated,
        "differences": run.differences,
        "healed": run.healed,
        "error": run.error or None,
    }


def summary_lines(run: ReconciliationRun, tenant: str, zone: Any = None) -> list[str]:
    """The summary table: per area, what was compared and how many differ, by kind."""
    since, until = run.period_start, run.period_end
    if zone is not None:
        since, until = since.astimezone(zone), until.astimezone(zone)
    lines = [
        f"Reconciliation #{run.pk} of tenant {tenant}: "
        f"{since:%Y-%m-%d %H:%M} to {until:%Y-%m-%d %H:%M} {since.tzname() or ''}".rstrip(),
        "",
        f"{'':38} {'compared':>9} {'different':>10}",
    ]
    for area in Area:
        counts = run.counts.get(area.value, {})
        lines.append(
            f"{AREA_LABELS[area]:38} {run.checked.get(area.value, 0):>9} {sum(counts.values()):>10}"
        )
        for kind, count in counts.items():
            lines.append(f"  {KIND_LABELS[Kind(kind)]:36} {'':>9} {count:>10}")
    lines.append(f"{'total':38} {sum(run.checked.values()):>9} {run.difference_count:>10}")
    if run.truncated:
        lines.append(f"(the first {len(run.differences)} differences were kept)")
    if run.healed:
        created = sum(1 for job in run.healed if job["created"])
        lines.append(
            f"Healed: {len(run.healed)} job(s) enqueued ({created} new, "
            f"{len(run.healed) - created} joined a job already waiting)."
        )
        for job in run.healed:
            lines.append(f"  {job['job']:16} {job['object']:24} job #{job['jobId']}")
    unhealable = sum(1 for d in run.differences if not d.get("heal"))
    if unhealable:
        lines.append(f"{unhealable} difference(s) need a person: no job repairs them (see --json).")
    return lines
