"""Plain Django views of the app (the Omnium Event API lives in ``webhooks/``)."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.http import require_GET

from .health import queue_health


@require_GET
def health(request: HttpRequest) -> JsonResponse:
    """Per-queue health as JSON; 503 when any queue has a job overdue for too long.

    It reveals counts and ages only, so monitoring can call it without credentials.
    """
    queues = queue_health()
    healthy = all(q.healthy for q in queues)
    return JsonResponse(
        {"healthy": healthy, "queues": [q.as_dict() for q in queues]},
        status=200 if healthy else 503,
    )
