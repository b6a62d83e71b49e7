"""The Omnium Event API: one webhook URL per tenant, ``events/<tenant uid>/``.

Omnium's event subscriptions cannot sign requests; they send custom headers. One of the
tenant's usable webhook secrets (several while one is rotated) is expected as
``Authorization: Bearer <secret>`` or in the API-key header named by
``WEBHOOK_AUTH_HEADER``, compared in constant time; the stored event names the secret
that matched.

Status codes are chosen for Omnium's retry policy (docs/omnium-api.md#events-and-webhooks,
docs/decisions.md#webhook-status-codes): it does not retry 2xx, 400, 404 and 429, and
retries everything else three times within ~20 s.

=====  ===================  =========================================================
code   error                why this code
=====  ===================  =========================================================
202    (queued/coalesced)   stored; the order's import job exists
200    (duplicate/ignored)  nothing more to do; a retry would change nothing
400    malformed_json,      the same bytes will never parse: not retried
       invalid_event,
       bad_content_length   a Content-Length that is not a number of bytes
401    unauthorized         says exactly what is wrong in Omnium's event log; the three
                            retries are cheap refusals (at most 1 KB of the body is read,
                            to record the refusal), and a secret being rotated right now
                            may still match
403    tenant_inactive      the tenant is known and authenticated but switched off;
                            the delta poll catches up from its watermark once the
                            extension is active again
404    unknown_tenant       the subscription's URL is wrong: not retried
413    body_too_large       refused from Content-Length before reading; no envelope is
                            anywhere near the limit, so this is a misdirected request
503    unavailable          our database is down or busy, or the stored secrets cannot
                            be decrypted (a key missing from ENCRYPTION_KEYS): retried,
                            as it should be
=====  ===================  =========================================================

Every refusal (4xx) is recorded as a ``RefusedDelivery`` (``refusals.py``), and every
answer is counted in ``omnium_webhook_deliveries_total``.

The view stores first and answers at once: no Omnium call, no Flow order work (the
job does that). It opts out of ``ATOMIC_REQUESTS``: storing the event and its job is
its own transaction, committed before the answer.
"""

from __future__ import annotations

import ipaddress
import logging
from typing import Any

from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError, transaction
from django.http import HttpRequest
from rest_framework.exceptions import APIException
from rest_framework.permissions import AllowAny
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from .. import metrics
from ..conf import app_settings
from ..credentials import matching_webhook_secret
from ..crypto import UnreadableSecret
from ..enums import EventOutcome
from ..host import get_adapter
from ..models import TenantExtension
from ..redaction import redact
from .envelope import EventRejected, parse_event
from .intake import receive_event
from .refusals import record_refusal

logger = logging.getLogger(__name__)

# Request headers never stored with an event: credentials, and anything named like one.
CREDENTIAL_HEADERS = {"authorization", "proxy-authorization", "cookie"}
CREDENTIAL_WORDS = ("secret", "token", "key", "auth", "password", "signature", "cookie")
MAX_STORED_HEADERS = 50
MAX_HEADER_VALUE = 500


def error_response(status: int, error: str, detail: str, **headers: str) -> Response:
    return Response({"error": error, "detail": detail}, status=status, headers=headers)


class OmniumEventView(APIView):
    """Receives one Omnium event (``POST``) for the tenant named in the URL."""

    authentication_classes: list = []  # the webhook secret is checked in ``post``
    permission_classes = [AllowAny]
    throttle_classes: list = []
    parser_classes: list = []  # the raw body is read, size-checked and parsed here
    renderer_classes = [JSONRenderer]

    @classmethod
    def as_view(cls, **initkwargs: Any):
        view = super().as_view(**initkwargs)  # DRF's as_view is already csrf_exempt
        return login_not_required(transaction.non_atomic_requests(view))

    extension: TenantExtension | None = None  # once the URL's tenant is known

    def post(self, request: Request, tenant_key: str) -> Response:
        extension = self.extension = get_adapter().extension_for_tenant(tenant_key)
        if extension is None:
            raise EventRejected(404, "unknown_tenant", "No Omnium extension for this tenant.")
        secret = matching_webhook_secret(extension, offered_secrets(request))
        if secret is None:
            raise EventRejected(
                401, "unauthorized", "Missing or wrong webhook secret (Bearer or API key)."
            )
        if not extension.is_active:
            raise EventRejected(
                403, "tenant_inactive", "The tenant's Omnium extension is not active."
            )
        body, event = parse_event(read_body(request))
        intake = receive_event(
            extension,
            body,
            event,
            headers=stored_headers(request),
            remote_addr=client_address(request),
            webhook_secret=secret,
        )
        accepted = intake.outcome in (EventOutcome.QUEUED, EventOutcome.COALESCED)
        return Response(intake.as_dict(), status=202 if accepted else 200)

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, EventRejected):
            record_refusal(
                self.request,
                str(self.kwargs.get("tenant_key", "")),
                self.extension,
                exc,
                headers=stored_headers(self.request),
                remote_addr=client_address(self.request),
            )
            return error_response(exc.status, exc.error, exc.detail)
        if isinstance(exc, UnreadableSecret):
            # A deployment without the key the secrets were encrypted with: say so loudly
            # here, and let Omnium retry (the delta poll catches up once it is fixed).
            logger.error("Omnium event refused: %s", exc)
            return error_response(
                503,
                "unavailable",
                "The event could not be checked now; please retry.",
                **{"Retry-After": "5"},
            )
        if isinstance(exc, OperationalError | InterfaceError):
            # Transient on our side: Omnium retries a 503 (and would not retry a 400).
            logger.warning("Omnium event refused, database unavailable: %s", redact(str(exc)))
            return error_response(
                503,
                "unavailable",
                "The event could not be stored now; please retry.",
                **{"Retry-After": "5"},
            )
        if isinstance(exc, APIException):  # e.g. 405 for a GET
            return error_response(exc.status_code, exc.default_code, str(exc.detail))
        logger.exception("Omnium event failed unexpectedly")
        return error_response(500, "internal_error", "The event could not be processed.")

    def finalize_response(self, request, response, *args: Any, **kwargs: Any):
        response = super().finalize_response(request, response, *args, **kwargs)
        metrics.webhook_delivery(response.status_code)
        return response


def read_body(request: Request) -> bytes:
    """The request body, refused (413) above ``WEBHOOK_MAX_BODY_BYTES`` before it is read."""
    limit = app_settings.WEBHOOK_MAX_BODY_BYTES
    too_large = EventRejected(
        413, "body_too_large", f"The body exceeds the limit of {limit} bytes."
    )
    length = content_length(request)
    if length > limit:
        raise too_large
    django_request: HttpRequest = request._request
    try:
        raw = django_request.body
    except RequestDataTooBig:  # above Django's own DATA_UPLOAD_MAX_MEMORY_SIZE
        raise too_large from None
    if len(raw) > limit:
        raise too_large
    return raw


def content_length(request: Request) -> int:
    """The declared body size; 400 when it is not a number of bytes.

    Django reads ``Content-Length`` with ``int()`` when the body is read, so a value like
    ``abc`` would otherwise end in a 500.
    """
    declared = (request.META.get("CONTENT_LENGTH") or "0").strip()
    if not declared.isascii() or not declared.isdigit():
        raise EventRejected(
            400, "bad_content_length", "The Content-Length header is not a number of bytes."
        )
    return int(declared)


def offered_secrets(request: Request) -> list[str]:
    """What the request offers as the webhook secret: a Bearer token, the API-key header."""
    offered = []
    authorization = request.headers.get("Authorization", "")
    scheme, _, credentials = authorization.strip().partition(" ")
    if scheme.lower() == "bearer":
        offered.append(credentials.strip())
    api_key = request.headers.get(app_settings.WEBHOOK_AUTH_HEADER)
    if api_key is not None:
        offered.append(api_key.strip())
    return offered


def stored_headers(request: Request) -> dict[str, str]:
    """Request headers worth keeping with the event: without credentials, size-capped."""
    auth_header = app_settings.WEBHOOK_AUTH_HEADER.lower()
    kept: dict[str, str] = {}
    for name, value in request.headers.items():
        lowered = name.lower()
        if (
            lowered in CREDENTIAL_HEADERS
            or lowered == auth_header
            or any(word in lowered for word in CREDENTIAL_WORDS)
        ):
            continue
        if len(kept) >= MAX_STORED_HEADERS:
            break
        kept[_clean(name, 100)] = _clean(redact(str(value)), MAX_HEADER_VALUE)
    return kept


def _clean(text: str, limit: int) -> str:
    """``text`` as storable UTF-8: no NUL, no unpaired surrogates, at most ``limit`` long."""
    return text.replace("\x00", "").encode("utf-8", "replace").decode("utf-8")[:limit]


def client_address(request: Request) -> str | None:
    address = request.META.get("REMOTE_ADDR") or ""
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None
