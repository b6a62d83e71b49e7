"""What the client learns about a tenant's credentials, kept on its extension row.

When Omnium refuses the credentials (the token call answers 400/401/403, or refuses a
token it has just issued), the tenant's ``credentials_failed_at`` and
``credentials_error`` are set: the health report shows the tenant ``degraded`` and an
alert goes out. The next token obtained clears them (``tokens.store_token``).
"""

from __future__ import annotations

import logging

from django.utils import timezone

from ..models import TenantExtension
from ..redaction import redact

logger = logging.getLogger(__name__)

# Token-call answers that mean "not these credentials" rather than "not now".
REFUSED = (400, 401, 403)

CLEARED = {"credentials_failed_at": None, "credentials_error": ""}


def refused(extension_pk: int, error: str) -> None:
    """Record that Omnium refused the tenant's credentials, and raise the alert."""
    from .. import alerts, signals

    error = redact(error)[:500]
    TenantExtension.objects.filter(pk=extension_pk).update(
        credentials_failed_at=timezone.now(), credentials_error=error
    )
    logger.error("Omnium refused the credentials: %s", error, extra={"extension_id": extension_pk})
    alerts.credentials_refused(extension_pk, error)
    signals.credentials_failed.send(TenantExtension, extension_id=extension_pk, error=error)
