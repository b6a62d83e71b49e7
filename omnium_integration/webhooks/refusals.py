"""Refused deliveries, recorded: what reached the Omnium Event API and why it was refused.

Only refusals (4xx) are recorded here; accepted events are ``InboundEvent`` rows. At most
``REFUSED_DELIVERIES_PER_HOUR`` are kept per hour, since anyone may post to the URL, and
``retention.py`` prunes them. A refusal is answered whether or not it could be recorded.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import DatabaseError, transaction
from django.utils import timezone
from rest_framework.request import Request

from ..conf import app_settings
from ..models import RefusedDelivery, TenantExtension
from ..redaction import redact
from .envelope import EventRejected

logger = logging.getLogger(__name__)

BODY_HEAD = 1024  # bytes of the body kept


def record_refusal(
    request: Request,
    tenant_key: str,
    extension: TenantExtension | None,
    refusal: EventRejected,
    *,
    headers: dict[str, str],
    remote_addr: str | None,
) -> RefusedDelivery | None:
    """Store one refused delivery, unless this hour's cap is reached or the database is down."""
    now = timezone.now()
    try:
        with transaction.atomic():
            recent = RefusedDelivery.objects.filter(received_at__gte=now - timedelta(hours=1))
            if recent.count() >= int(app_settings.REFUSED_DELIVERIES_PER_HOUR):
                return None
            head, size = _body_head(request, refusal)
            return RefusedDelivery.objects.create(
                received_at=now,
                tenant_key=tenant_key[:200],
                extension=extension,
                status=refusal.status,
                error=refusal.error[:50],
                reason=redact(refusal.detail)[:500],
                headers=headers,
                body_head=head,
                body_size=size,
                remote_addr=remote_addr,
            )
    except DatabaseError as exc:
        logger.warning("a refused Omnium delivery could not be recorded (%s)", type(exc).__name__)
        return None


def _body_head(request: Request, refusal: EventRejected) -> tuple[str, int | None]:
    """The first KB of the body as text, and the body's size (Content-Length if unread).

    A body refused for its size (413) is not read at all; others are read only as far
    as the first KB.
    """
    django_request = request._request
    try:
        declared = int(django_request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if refusal.status == 413:
        return "", declared or None
    if hasattr(django_request, "_body"):  # read already (a 400 after parsing)
        raw: bytes = django_request._body
        size = len(raw)
    else:
        raw = django_request.read(BODY_HEAD)
        size = declared or len(raw)
    text = raw[:BODY_HEAD].decode("utf-8", "replace").replace("\x00", "")
    return redact(text), size
