"""The record of credential changes: who changed which tenant's credentials, and when."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from .. import permissions
from ..models import CredentialChange
from .base import ReadOnlyAdmin


@admin.register(CredentialChange)
class CredentialChangeAdmin(ReadOnlyAdmin):
    """Readable by whoever may see the credentials' state; written only by the app."""

    list_display = ("changed_at", "tenant_key", "kind", "detail", "changed_by")
    list_filter = ("kind", "tenant_key")
    search_fields = ("=tenant_key", "changed_by")
    date_hierarchy = "changed_at"
    fields = ("changed_at", "tenant_key", "extension", "kind", "detail", "changed_by")

    def has_view_permission(self, request: HttpRequest, obj=None) -> bool:
        return permissions.can_view_credentials(request.user)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False
