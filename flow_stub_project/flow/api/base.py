"""Pieces every Flow API view and serializer shares: the tenant, camelCase names, errors."""

from __future__ import annotations

import re

from rest_framework import exceptions, serializers
from rest_framework.views import APIView

from ..errors import FlowError
from ..models import Tenant
from .authentication import IsTenant

# UIDs a POS may choose for the objects it creates: safe in URLs and in Omnium ids.
UID_PATTERN = r"^[A-Za-z0-9_.\-]{1,100}$"


class StateConflict(exceptions.APIException):
    status_code = 409
    default_code = "conflict"


class TenantAPIView(APIView):
    """A view of a tenant's API: token-authenticated, Flow's domain errors as 400 / 409."""

    permission_classes = [IsTenant]

    @property
    def tenant(self) -> Tenant:
        return self.request.user.tenant

    def get_serializer_context(self) -> dict:
        return {"request": self.request, "tenant": self.tenant, "view": self}

    def handle_exception(self, exc):
        if isinstance(exc, FlowError):
            error_class = StateConflict if exc.status_code == 409 else exceptions.ValidationError
            exc = error_class(exc.detail)
        return super().handle_exception(exc)


def camel(name: str) -> str:
    """``postal_code`` -> ``postalCode``."""
    first, *rest = name.split("_")
    return first + "".join(part.title() for part in rest)


class CamelModelSerializer(serializers.ModelSerializer):
    """A ModelSerializer whose fields are named in camelCase (``Meta.fields`` in snake_case)."""

    def get_fields(self):
        fields = {}
        for name, field in super().get_fields().items():
            if field.source is None and camel(name) != name:
                field.source = name
            fields[camel(name)] = field
        return fields


class TenantUidField(serializers.SlugRelatedField):
    """A reference by ``uid`` to one of the request tenant's objects of ``model``."""

    def __init__(self, model, **kwargs):
        self.model = model
        kwargs.setdefault("queryset", model.objects.all())
        super().__init__(slug_field="uid", **kwargs)
        self.error_messages["does_not_exist"] = (
            f"No {model._meta.verbose_name} with uid {{value!r}} in this tenant."
        )

    def get_queryset(self):
        return self.model.objects.filter(tenant=self.context["tenant"])


class UidField(serializers.RegexField):
    """A UID chosen by the caller for a new object."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 100)
        kwargs.setdefault("error_messages", {"invalid": self.invalid})
        super().__init__(re.compile(UID_PATTERN), **kwargs)

    invalid = "Use 1 to 100 letters, digits, '_', '.' or '-' (no spaces or slashes)."


def duplicates(values: list, what: str) -> dict[int, dict]:
    """Errors by item index (DRF's layout for lists) for values seen earlier in the list."""
    seen: dict = {}
    errors: dict[int, dict] = {}
    for index, value in enumerate(values):
        if value is not None and value in seen:
            errors[index] = {what: [f"Same {what} as item {seen[value]}."]}
        elif value is not None:
            seen[value] = index
    return errors
