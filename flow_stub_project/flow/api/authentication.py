"""Per-tenant API tokens: ``Authorization: Token <key>``. The request's tenant comes from it."""

from __future__ import annotations

import secrets

from rest_framework import authentication, exceptions, permissions

from ..models import ApiToken, Tenant


class TenantPrincipal:
    """The caller of Flow's API: a tenant, authenticated by one of its tokens."""

    is_authenticated = True
    is_anonymous = False

    def __init__(self, tenant: Tenant, token_name: str):
        self.tenant = tenant
        self.token_name = token_name

    def __str__(self) -> str:
        return f"{self.token_name}@{self.tenant.uid}"


class TenantTokenAuthentication(authentication.TokenAuthentication):
    keyword = "Token"

    def authenticate_credentials(self, key: str):
        token = ApiToken.objects.select_related("tenant").filter(key=key).first()
        if token is None or not secrets.compare_digest(token.key, key):
            raise exceptions.AuthenticationFailed("Invalid API token.")
        return TenantPrincipal(token.tenant, token.name), token


def new_api_token(tenant: Tenant, name: str) -> ApiToken:
    return ApiToken.objects.create(tenant=tenant, name=name, key=secrets.token_hex(24))


class IsTenant(permissions.BasePermission):
    """Only a tenant's API token may call Flow's tenant APIs (not, e.g., an admin session)."""

    message = "This API needs a tenant's API token: Authorization: Token <key>."

    def has_permission(self, request, view) -> bool:
        return getattr(request.user, "tenant", None) is not None
