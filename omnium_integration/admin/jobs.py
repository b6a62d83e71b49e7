"""Jobs with their attempt history, and the operator's actions on them."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import Count
from django.http import HttpRequest
from django.utils.html import format_html

from .. import permissions
from ..enums import JobStatus
from ..jobs import manager
from ..models import ExternalSyncJob, JobAttempt
from ..redaction import redact
from .base import ReadOnlyAdmin, pretty_json


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
        "object_id",
        "extension",
        "status",
        "attempts",
        "next_attempt_at",
        "short_error",
        "updated_at",
    )
    list_filter = ("queue", "status", "kind", "direction", "extension", "source")
    search_fields = ("=object_id", "=id")
    date_hierarchy = "created_at"
    ordering = ("-id",)
    list_select_related = ("extension__tenant",)
    inlines = [JobAttemptInline]
    actions = ["retry_now", "cancel"]
    change_list_template = "admin/omnium_integration/externalsyncjob/change_list.html"
    fields = (
        ("queue", "direction", "kind", "source"),
        ("extension", "object_id"),
        ("status", "attempts", "failures", "rerun"),
        ("next_attempt_at", "started_at", "finished_at"),
        ("lease_owner", "lease_expires_at"),
        "last_status_code",
        "error",
        "payload_json",
        "result_json",
    )

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

    def changelist_view(self, request, extra_context=None):
        counts = dict(
            ExternalSyncJob.objects.values_list("status").annotate(n=Count("pk")).order_by()
        )
        extra_context = {
            **(extra_context or {}),
            "status_counts": [(s.label, s.value, counts.get(s.value, 0)) for s in JobStatus],
        }
        return super().changelist_view(request, extra_context)
