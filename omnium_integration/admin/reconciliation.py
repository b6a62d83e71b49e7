"""Reconciliation runs, newest first, with their differences readable and a "heal" action."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.html import format_html, format_html_join

from ..models import ReconciliationRun
from ..reconcile.differences import AREA_LABELS, KIND_LABELS, Area, Kind
from ..reconcile.run import heal_run
from ..redaction import redact
from .base import ReadOnlyAdmin, pretty_json


def _value(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, dict | list):
        return redact(json.dumps(value, sort_keys=True, default=str))
    return redact(str(value))


@admin.register(ReconciliationRun)
class ReconciliationRunAdmin(ReadOnlyAdmin):
    list_display = (
        "started_at",
        "extension",
        "period",
        "status",
        "difference_count",
        "found",
        "trigger",
        "triggered_by",
        "healed_at",
    )
    list_filter = ("status", "trigger", "extension")
    date_hierarchy = "started_at"
    ordering = ("-started_at", "-pk")
    list_select_related = ("extension__tenant",)
    actions = ["heal"]
    fields = (
        ("extension", "status"),
        ("period_start", "period_end"),
        ("trigger", "triggered_by"),
        ("started_at", "finished_at"),
        "failure",
        "summary",
        "difference_count",
        "truncated",
        "difference_table",
        ("healed_at", "healed_by"),
        "healed_json",
    )

    @admin.display(description="error")
    def failure(self, obj: ReconciliationRun) -> str:
        return format_html("<pre style='white-space: pre-wrap'>{}</pre>", redact(obj.error))

    @admin.display(description="period")
    def period(self, obj: ReconciliationRun) -> str:
        return f"{obj.period_start:%Y-%m-%d %H:%M} – {obj.period_end:%Y-%m-%d %H:%M}"

    @admin.display(description="differences by kind")
    def found(self, obj: ReconciliationRun) -> str:
        parts = [
            f"{AREA_LABELS[Area(area)]}: "
            + ", ".join(f"{n} {KIND_LABELS[Kind(kind)]}" for kind, n in kinds.items())
            for area, kinds in obj.counts.items()
            if kinds
        ]
        return "; ".join(parts) or "—"

    @admin.display(description="compared")
    def summary(self, obj: ReconciliationRun) -> str:
        rows = (
            (AREA_LABELS[Area(area)], checked, sum(obj.counts.get(area, {}).values()))
            for area, checked in obj.checked.items()
        )
        return format_html(
            "<table><tr><th>area</th><th>compared</th><th>different</th></tr>{}</table>",
            format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td></tr>", rows),
        )

    @admin.display(description="differences")
    def difference_table(self, obj: ReconciliationRun) -> str:
        if not obj.differences:
            return "—"
        rows = (
            (
                KIND_LABELS[Kind(d["kind"])],
                AREA_LABELS[Area(d["area"])],
                (d.get("flow") or {}).get("uid") or "—",
                (d.get("omnium") or {}).get("id") or "—",
                format_html_join(
                    "",
                    "<div><b>{}</b>: Flow {} · Omnium {}</div>",
                    (
                        (name, _value(v.get("flow")), _value(v.get("omnium")))
                        for name, v in (d.get("fields") or {}).items()
                    ),
                ),
                f"{d['heal']['job']} {d['heal']['object']}" if d.get("heal") else "needs a person",
                d.get("note") or "",
            )
            for d in obj.differences
        )
        return format_html(
            "<table><tr><th>difference</th><th>area</th><th>Flow</th><th>Omnium</th>"
            "<th>values</th><th>repair</th><th>note</th></tr>{}</table>",
            format_html_join(
                "",
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td>"
                "<td>{}</td></tr>",
                rows,
            ),
        )

    @admin.display(description="healed with")
    def healed_json(self, obj: ReconciliationRun) -> str:
        return pretty_json(obj.healed) if obj.healed else "—"

    def has_operate_permission(self, request: HttpRequest) -> bool:
        """Healing writes jobs: it needs the run's change permission (the form is read-only)."""
        return request.user.has_perm("omnium_integration.change_reconciliationrun")

    @admin.action(
        description="Heal: enqueue the jobs that repair the differences", permissions=["operate"]
    )
    def heal(self, request: HttpRequest, queryset) -> None:
        jobs = runs = 0
        done = queryset.select_related("extension").filter(status=ReconciliationRun.Status.DONE)
        for run in done:
            if not run.extension.is_active:
                self.message_user(
                    request, f"Run #{run.pk}: the tenant's extension is inactive; not healed."
                )
                continue
            jobs += len(heal_run(run, user=request.user.get_username()))
            runs += 1
            if run.truncated:
                self.message_user(
                    request,
                    f"Run #{run.pk} kept {len(run.differences)} of its {run.difference_count} "
                    "differences: only those were healed. Reconcile again after the jobs ran.",
                )
        self.message_user(request, f"{jobs} job(s) enqueued for {runs} run(s).")
