"""What operators do with a tenant's credentials, recorded (who, when, which tenant; never
the value): replacing the API credentials, adding and retiring webhook secrets. The admin
and the commands both come through here. Also the webhook secret check itself."""

from __future__ import annotations

import getpass
import hashlib
import hmac
from collections.abc import Iterable
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from .conf import app_settings
from .enums import CredentialChangeKind
from .exceptions import ConfigurationError
from .host import get_adapter
from .models import CredentialChange, TenantExtension, WebhookSecret
from .models.tenants import new_webhook_secret


def command_actor() -> str:
    """Who a management command acts as: the operating-system user running it."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (a container's anonymous uid)
        user = "unknown"
    return f"{user} (manage.py)"


def record_change(
    extension: TenantExtension, kind: CredentialChangeKind, by: str, detail: str = ""
) -> CredentialChange:
    return CredentialChange.objects.create(
        extension=extension,
        tenant_key=get_adapter().tenant_key(extension),
        kind=kind,
        detail=detail,
        changed_by=by,
    )


def add_webhook_secret(
    extension: TenantExtension, *, by: str, overlap: timedelta | None = None
) -> tuple[WebhookSecret, str]:
    """A new webhook secret and its value, to be shown once.

    The secrets accepted until now keep working for ``overlap`` (default
    ``WEBHOOK_SECRET_OVERLAP``) so Omnium's subscription can be switched to the new one
    meanwhile; secrets already past their end are wiped.
    """
    if overlap is None:
        overlap = timedelta(seconds=app_settings.WEBHOOK_SECRET_OVERLAP)
    if overlap < timedelta(0):
        raise ValueError("The overlap cannot be negative.")
    now = timezone.now()
    value = new_webhook_secret()
    with transaction.atomic():
        # The row lock numbers concurrent additions one after the other.
        TenantExtension.objects.select_for_update().filter(pk=extension.pk).exists()
        secrets = extension.webhook_secrets.all()
        _wipe_ended(secrets, now)
        end = now + overlap
        secrets.usable(now).exclude(expires_at__lte=end).update(expires_at=end)
        last = secrets.order_by("-number").values_list("number", flat=True).first() or 0
        added = WebhookSecret.objects.create(
            extension=extension, number=last + 1, secret=value, created_at=now, created_by=by
        )
        record_change(
            extension,
            CredentialChangeKind.WEBHOOK_SECRET_ADDED,
            by,
            f"{added}; earlier secrets accepted until {end:%Y-%m-%d %H:%M %Z}",
        )
    return added, value


def retire_webhook_secret(extension: TenantExtension, number: int, *, by: str) -> WebhookSecret:
    """End webhook secret ``#number`` now and wipe its value. The last usable secret cannot
    be retired: Omnium's events would all be refused."""
    now = timezone.now()
    with transaction.atomic():
        TenantExtension.objects.select_for_update().filter(pk=extension.pk).exists()
        secrets = extension.webhook_secrets.all()
        secret = secrets.filter(number=number).first()
        if secret is None:
            raise ConfigurationError(f"The tenant has no webhook secret #{number}.")
        if secret.retired_at:
            raise ConfigurationError(f"Webhook secret #{number} is retired already.")
        if secret.is_usable(now) and not secrets.usable(now).exclude(pk=secret.pk).exists():
            raise ConfigurationError(
                f"Webhook secret #{number} is the only one Omnium can use: add a new one and "
                "enter it in Omnium's event subscription first."
            )
        secret.secret = ""
        secret.expires_at = min(secret.expires_at or now, now)
        secret.retired_at, secret.retired_by = now, by
        secret.save(update_fields=["secret", "expires_at", "retired_at", "retired_by"])
        _wipe_ended(secrets, now)
        record_change(extension, CredentialChangeKind.WEBHOOK_SECRET_RETIRED, by, str(secret))
    return secret


def _wipe_ended(secrets, now) -> None:
    """A secret past its end authenticates nothing: keep its row, not its value."""
    secrets.ended(now).update(secret="")


def matching_webhook_secret(
    extension: TenantExtension, offered: Iterable[str]
) -> WebhookSecret | None:
    """The tenant's usable secret among the ``offered`` values, or ``None``.

    Every offered value is compared with every usable secret, as SHA-256 digests with
    ``hmac.compare_digest``: the time taken depends neither on the secrets' contents and
    lengths nor on which one matched.
    """
    candidates = [_digest(value) for value in offered if value]
    found = None
    for secret in extension.webhook_secrets.usable():
        expected = _digest(secret.secret)
        for candidate in candidates:
            if hmac.compare_digest(candidate, expected) and found is None:
                found = secret
    return found


def _digest(value: str) -> bytes:
    return hashlib.sha256(value.encode("utf-8", "replace")).digest()
