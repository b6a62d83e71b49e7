"""Plain Django views of the app (the Omnium Event API lives in ``webhooks/``)."""

from __future__ import annotations

import hmac
import logging

from django.contrib.auth.decorators import login_not_required
from django.db import DatabaseError, transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST

from .conf import app_settings
from .health import health_report, unreachable_database

logger = logging.getLogger(__name__)


@require_GET
@never_cache
@login_not_required
@transaction.non_atomic_requests  # ATOMIC_REQUESTS would connect before the view runs
def health(request: HttpRequest) -> JsonResponse:
    """The health report as JSON: 200 when ``ok`` or ``degraded``, 503 when ``down``.

    It shows statuses, counts, ages and reasons (never an object's data or a secret), so
    monitoring can call it without credentials. Due alerts go out from here too, so that
    alerts flow while both engines are stopped (see ``alerts.py``).
    """
    from . import alerts

    try:
        report = health_report()
    except DatabaseError as exc:
        logger.error("health: the database is unreachable (%s)", type(exc).__name__)
        report = unreachable_database(exc)
    else:
        alerts.notice_health(report)
    return JsonResponse(report.as_dict(), status=report.http_status)


@require_GET
@never_cache
@login_not_required
@transaction.non_atomic_requests
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus metrics (``metrics.py``): 404 unless ``METRICS_TOKEN`` or
    ``METRICS_ALLOWED_IPS`` is set; then only for the token or an allowed address."""
    from . import metrics as prometheus

    token, allowed = app_settings.METRICS_TOKEN, app_settings.METRICS_ALLOWED_IPS
    if not token and not allowed:
        raise Http404("The metrics endpoint is not enabled.")
    offered = prometheus.offered_token(request.headers.get("Authorization", ""))
    by_token = bool(token and offered) and hmac.compare_digest(offered.encode(), token.encode())
    by_address = bool(allowed) and prometheus.address_allowed(
        request.META.get("REMOTE_ADDR", ""), allowed
    )
    if not (by_token or by_address):
        if token:
            return HttpResponse(status=401, headers={"WWW-Authenticate": "Bearer"})
        return HttpResponse(status=403)
    return HttpResponse(prometheus.render(), content_type=CONTENT_TYPE_LATEST)
