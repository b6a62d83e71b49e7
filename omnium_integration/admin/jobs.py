"""Jobs with their attempt history, and the operator's actions on them.

A job is found by its object's Flow UID or Omnium id as well as by its object id or job
id (``job_objects.jobs_for``); the object column names it by UID and links to its Flow
record. Jobs are never deleted here: retention prunes them (``retention.py``), and deleting
an active job would silently drop a sync.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.html import format_html
from django.views.decorators.http import require_POST

from .. import permissions
from ..enums import JobStatus
from ..job_objects import describe, flow_admin_url, jobs_for
from ..jobs import manager
from ..models import ExternalSyncJob, JobAttempt
from ..redaction import redact
from .base import ReadOnlyAdmin, pretty_json

# Status at a glance: the badge colours.
STATUS_COLOURS = {
    JobStatus.PENDING: "#79aec8",
    JobStatus.RUNNING: "#417690",
    JobStatus.SUCCEEDED: "#2e7d32",
    JobStatus.FAILED: "#ba2121",
    JobStatus.CANCELLED: "#888888",
}


def status_badge(status: str, label: str) -> str:
    return format_html(
        '<span class="omnium-status omnium-status-{}" style="color: #fff; background: {}; '
        'padding: 1px 6px; border-radius: 3px; white-space: nowrap">{}</span>',
        status,
        STATUS_COLOURS.get(status, "#666"),
        label,
    )


class JobAttemptInline(admin.TabularInline):
    model = JobAttempt
    extra = 0
    can_delete = False
    fields = ("number", "outcome", "started_at", "duration", "worker", "status_code", "error")
    readonly_fields = fields
    ordering = ("-number", "-pk")

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="ms")
    def duration(self, obj: JobAttempt) -> str:
        return f"{obj.duration_ms:.0f}"


@admin.register(ExternalSyncJob)
class ExternalSyncJobAdmin(ReadOnlyAdmin):
    list_display = (
        "id",
        "kind",
        "flow_object",
        "extension",
        "status_shown",
        "attempts",
        "next_attempt_at",
        "short_error",
        "updated_at",
    )
    list_filter = ("queue", "status", "kind", "direction", "extension", "source")
    search_fields = ("=object_id",)  # and Flow UIDs, Omnium ids, job ids: get_search_results
    search_help_text = "A sale's (or customer's, receipt's...) Flow UID, an Omnium id, a job id."
    date_hierarchy = "created_at"
    ordering = ("-id",)
    list_select_related = ("extension__tenant",)
    inlines = [JobAttemptInline]
    actions = ["retry_now", "cancel"]
    change_list_template = "admin/omnium_integration/externalsyncjob/change_list.html"
    change_form_template = "admin/omnium_integration/externalsyncjob/change_form.html"
    fields = (
        ("queue", "direction", "kind", "source"),
        ("extension", "flow_object", "object_id"),
        ("status_shown", "attempts", "failures", "rerun"),
        ("next_attempt_at", "started_at", "finished_at"),
        ("created_at", "updated_at"),
        ("lease_owner", "lease_expires_at"),
        "last_status_code",
        "error",
        "payload_json",
        "result_json",
    )

    # ------------------------------------------------------------------ reading

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        match = jobs_for(term)
        if term.lstrip("#").isdigit():
            match |= Q(pk=int(term.lstrip("#")))
        return queryset.filter(match), False

    def get_changelist_instance(self, request):
        changelist = super().get_changelist_instance(request)
        # One query per Flow model for the page, not one per row.
        objects = describe(changelist.result_list)
        for job in changelist.result_list:
            job.flow_object_described = objects[job.pk]
        return changelist

    @admin.display(description="object")
    def flow_object(self, obj: ExternalSyncJob) -> str:
        described = getattr(obj, "flow_object_described", None) or describe([obj])[obj.pk]
        url = flow_admin_url(described.record)
        if url:
            return format_html('<a href="{}">{}</a>', url, str(described))
        return str(described)

    @admin.display(description="status", ordering="status")
    def status_shown(self, obj: ExternalSyncJob) -> str:
        return status_badge(obj.status, obj.get_status_display())

    @admin.display(description="last error")
    def short_error(self, obj: ExternalSyncJob) -> str:
        return redact(obj.last_error.splitlines()[0][:120]) if obj.last_error else ""

    @admin.display(description="last error")
    def error(self, obj: ExternalSyncJob) -> str:
        return format_html("<pre style='white-space: pre-wrap'>{}</pre>", redact(obj.last_error))

    @admin.display(description="payload")
    def payload_json(self, obj: ExternalSyncJob) -> str:
        return pretty_json(obj.payload)

    @admin.display(description="result")
    def result_json(self, obj: ExternalSyncJob) -> str:
        return pretty_json(obj.result)

    def changelist_view(self, request, extra_context=None):
        counts = dict(
            ExternalSyncJob.objects.values_list("status").annotate(n=Count("pk")).order_by()
        )
        extra_context = {
            **(extra_context or {}),
            "status_counts": [
                (s.label, s.value, counts.get(s.value, 0), STATUS_COLOURS[s]) for s in JobStatus
            ],
        }
        return super().changelist_view(request, extra_context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        job = self.get_object(request, object_id)
        extra_context = {
            **(extra_context or {}),
            "can_operate": self.has_operate_permission(request),
            "can_retry": job is not None and job.status in (JobStatus.FAILED, JobStatus.PENDING),
            "can_cancel": job is not None and job.status in (JobStatus.FAILED, JobStatus.PENDING),
        }
        return super().change_view(request, object_id, form_url, extra_context)

    # -------------------------------------------------------------- operating

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # retention prunes; a deleted active job would be a lost sync

    def has_operate_permission(self, request: HttpRequest) -> bool:
        """Retry and cancel need ``operate_externalsyncjob``: seeing jobs does not reach them."""
        return permissions.can_operate_jobs(request.user)

    @admin.action(description="Retry now", permissions=["operate"])
    def retry_now(self, request: HttpRequest, queryset) -> None:
        count = manager.retry_now(queryset)
        self.message_user(request, f"{count} job(s) will run now.")

    @admin.action(description="Cancel", permissions=["operate"])
    def cancel(self, request: HttpRequest, queryset) -> None:
        count = manager.cancel(queryset)
        self.message_user(request, f"{count} job(s) cancelled (running jobs finish first).")

    def get_urls(self):
        opts = self.model._meta
        name = f"{opts.app_label}_{opts.model_name}"
        own = [
            path(
                "<path:object_id>/retry/",
                self.admin_site.admin_view(require_POST(self.retry_view)),
                name=f"{name}_retry",
            ),
            path(
                "<path:object_id>/cancel/",
                self.admin_site.admin_view(require_POST(self.cancel_view)),
                name=f"{name}_cancel",
            ),
        ]
        return own + super().get_urls()

    def retry_view(self, request: HttpRequest, object_id: str):
        return self._operate(request, object_id, self.retry_now)

    def cancel_view(self, request: HttpRequest, object_id: str):
        return self._operate(request, object_id, self.cancel)

    def _operate(self, request: HttpRequest, object_id: str, action):
        """The job page's Retry and Cancel buttons: the list's action on one job."""
        if not self.has_operate_permission(request):
            raise PermissionDenied
        job = get_object_or_404(ExternalSyncJob, pk=object_id)
        before = job.status
        action(request, ExternalSyncJob.objects.filter(pk=job.pk))
        job.refresh_from_db()
        if job.status == before and before != JobStatus.PENDING:
            self.message_user(request, f"Job #{job.pk} is {job.status}.", messages.WARNING)
        opts = self.model._meta
        url = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[job.pk])
        return HttpResponseRedirect(url)
