"""What the admin's read-only records share."""

from __future__ import annotations

import json

from django.contrib import admin
from django.contrib.admin.utils import flatten_fieldsets
from django.utils.html import format_html

from ..redaction import redact


class ReadOnlyAdmin(admin.ModelAdmin):
    """A record the integration writes and people only read: no add, no edit form."""

    def get_readonly_fields(self, request, obj=None):
        return flatten_fieldsets([(None, {"fields": self.get_fields(request, obj)})])

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


def pretty_json(value) -> str:
    return format_html(
        "<pre style='white-space: pre-wrap'>{}</pre>",
        redact(json.dumps(value, indent=2, sort_keys=True, default=str)),
    )
