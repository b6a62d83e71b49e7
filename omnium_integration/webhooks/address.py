"""Where Omnium's event subscription must post: the tenant's absolute webhook URL."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse

from ..conf import app_settings


def webhook_path(tenant_key: str) -> str:
    return reverse("omnium_integration:events", args=[tenant_key])


def webhook_url(tenant_key: str, request: HttpRequest | None = None, base_url: str = "") -> str:
    """The absolute URL: on ``base_url`` or ``PUBLIC_BASE_URL``; failing both, on the host
    ``request`` came in on (which Omnium may not reach); failing that, the path alone."""
    base = (base_url or app_settings.PUBLIC_BASE_URL).rstrip("/")
    path = webhook_path(tenant_key)
    if base:
        return base + path
    if request is not None:
        return request.build_absolute_uri(path)
    return path


def public_base_url_missing() -> str:
    """The warning to show when the URL is not built on ``PUBLIC_BASE_URL`` ("" when it is)."""
    if app_settings.PUBLIC_BASE_URL:
        return ""
    return (
        "PUBLIC_BASE_URL is not set: this URL is built from the address you reached Flow "
        "on, which Omnium may not reach. Set OMNIUM_INTEGRATION['PUBLIC_BASE_URL']."
    )
