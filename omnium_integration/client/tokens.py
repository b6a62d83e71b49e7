"""Omnium access tokens: fetched with the tenant's credentials, shared by every worker.

Omnium's token endpoint (docs/omnium-api.md#authentication) is ``POST
/api/token?clientId=…&clientSecret=…`` with ``returnAsJson=true`` for ``{"accessToken",
"tokenType", "expiresIn"}``. It looks like an OAuth2 client-credentials grant but is not
one (no form body, no ``grant_type``), so no OAuth2 session library can make the
request. What oauthlib does serve, and is used for:

* the token model and its checks: the answer, renamed to RFC 6749 names, goes through
  ``parse_token_response`` -> an ``OAuth2Token`` (an ``error`` member or a missing
  access token raise), with ``expires_in`` turned into an absolute ``expires_at``;
* the RFC 6750 bearer header (``prepare_bearer_headers``).

The token is the tenant's managed ``OMNIUM_TOKEN``: stored on the
:class:`~omnium_integration.models.TenantExtension` row with its expiry and the time it
was obtained, and reused by every worker process until :func:`token_renewal_time`.
Renewal is single-flight across processes: it happens under a row lock (``SELECT … FOR
UPDATE`` on PostgreSQL; on SQLite the ``BEGIN IMMEDIATE`` write lock serialises it the
same way, which needs ``"transaction_mode": "IMMEDIATE"`` in the database OPTIONS, as
the stub host sets), and whoever gets the lock second re-reads the row and finds the
fresh token instead of asking again. The token call is made while holding the lock,
bounded by the timeouts.

The token URL carries the secret in its query string, so it is never logged, never put
in an exception message and never chained into a traceback.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

import requests
from django.db import transaction
from django.utils import timezone
from oauthlib.oauth2.rfc6749.errors import OAuth2Error
from oauthlib.oauth2.rfc6749.parameters import parse_token_response
from oauthlib.oauth2.rfc6749.tokens import prepare_bearer_headers

from .. import metrics
from ..conf import app_settings
from ..exceptions import ConfigurationError, PermanentError, RetryableError
from ..models.tenants import TenantExtension, token_renewal_time

logger = logging.getLogger(__name__)

TOKEN_PATH = "/api/token"  # noqa: S105 - a path, not a password


@dataclass(frozen=True)
class Token:
    """An access token with its expiry; ``repr`` never shows the token itself."""

    access_token: str = field(repr=False)
    expires_at: datetime
    obtained_at: datetime | None

    @property
    def renew_at(self) -> datetime:
        return token_renewal_time(self.expires_at, self.obtained_at)

    def is_fresh(self, now: datetime | None = None) -> bool:
        return (now or timezone.now()) < self.renew_at

    def usable_instead_of(self, stale: str | None) -> bool:
        """Fresh, and not the token Omnium just refused."""
        return self.is_fresh() and self.access_token != stale

    def bearer_headers(self) -> dict[str, str]:
        return prepare_bearer_headers(self.access_token, {})

    @classmethod
    def stored_on(cls, extension: TenantExtension) -> Token | None:
        if not extension.token or not extension.token_expires_at:
            return None
        return cls(extension.token, extension.token_expires_at, extension.token_obtained_at)


def jwt_expiry(token: str) -> datetime | None:
    """The ``exp`` claim of a JWT (read, not verified: we only need to know when it ends)."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        payload = parts[1] + "=" * (-len(parts[1]) % 4)
        exp = json.loads(base64.urlsafe_b64decode(payload))["exp"]
        return datetime.fromtimestamp(int(exp), tz=UTC)
    except (ValueError, KeyError, TypeError, OverflowError):
        return None


def fetch_token(
    session: requests.Session, base_url: str, client_id: str, client_secret: str
) -> Token:
    """Ask Omnium for a new token. Errors say what happened, never with the URL in them."""
    obtained_at = timezone.now()
    started = time.monotonic()
    try:
        response = session.post(
            base_url + TOKEN_PATH,
            params={"clientId": client_id, "clientSecret": client_secret, "returnAsJson": "true"},
            headers={"Accept": "application/json"},
            timeout=(app_settings.CONNECT_TIMEOUT, app_settings.READ_TIMEOUT),
        )
    except requests.Timeout:
        metrics.omnium_call("POST", TOKEN_PATH, "timeout", time.monotonic() - started)
        raise RetryableError("Omnium's token endpoint did not answer in time.") from None
    except requests.RequestException as exc:
        metrics.omnium_call("POST", TOKEN_PATH, "connection_error", time.monotonic() - started)
        raise RetryableError(
            f"Could not reach Omnium's token endpoint ({type(exc).__name__})."
        ) from None
    status = response.status_code
    metrics.omnium_call("POST", TOKEN_PATH, status, time.monotonic() - started)
    if status in (400, 401, 403):
        raise PermanentError(
            f"Omnium refused the tenant's client credentials ({status}): check "
            "OMNIUM_CLIENT_ID and OMNIUM_CLIENT_SECRET, and that the API user is active "
            "(Omnium: Configuration > Authorization > API Users).",
            status_code=status,
        )
    if status == 408 or status == 429 or status >= 500:
        raise RetryableError(f"Omnium's token endpoint answered {status}.", status_code=status)
    if status != 200:
        raise PermanentError(
            f"Omnium's token endpoint answered {status}.", status_code=status, body=response.text
        )
    return _parse_token(response.text, obtained_at)


def _parse_token(text: str, obtained_at: datetime) -> Token:
    try:
        data = json.loads(text)
    except ValueError:
        data = text.strip()  # without returnAsJson, Omnium answers the bare JWT
    if isinstance(data, str):
        params = {"access_token": data, "token_type": "Bearer"}
    elif isinstance(data, dict):
        params = {
            "access_token": data.get("accessToken"),
            "token_type": data.get("tokenType") or "Bearer",
            "expires_in": data.get("expiresIn"),
        }
        params = {k: v for k, v in params.items() if v not in (None, "")}
        if "error" in data:
            params["error"] = data["error"]
    else:
        params = {}
    try:
        oauth_token = parse_token_response(json.dumps(params))
    except (OAuth2Error, ValueError):
        raise PermanentError("Omnium's token endpoint answered without a usable token.") from None
    if str(oauth_token.get("token_type", "")).lower() != "bearer":
        raise PermanentError("Omnium's token endpoint answered a token type other than Bearer.")
    access_token = oauth_token["access_token"]
    # The token's own expiry: the earlier of expiresIn and the JWT's exp. TOKEN_MAX_AGE is
    # applied when deciding to renew (token_renewal_time), so the row keeps the real expiry.
    candidates = []
    if "expires_at" in oauth_token:  # oauthlib: time of the answer + expires_in
        candidates.append(datetime.fromtimestamp(float(oauth_token["expires_at"]), tz=UTC))
    if exp := jwt_expiry(access_token):
        candidates.append(exp)
    if not candidates:  # neither says: assume it lasts as long as we would keep it
        candidates.append(obtained_at + timedelta(seconds=app_settings.TOKEN_MAX_AGE))
    return Token(access_token, min(candidates), obtained_at)


class TokenCache:
    """The token of one tenant in this process, backed by the shared copy on its row.

    :meth:`get` returns a token to use; :meth:`renew` replaces one Omnium refused (401).
    Threads of this process queue on a lock, processes on the row lock, and everyone
    re-checks after waiting, so a cold start of many workers asks Omnium once.
    """

    def __init__(self, extension_pk: int, session: requests.Session, base_url: str):
        self.extension_pk = extension_pk
        self.session = session
        self.base_url = base_url
        self._lock = threading.Lock()
        self._token: Token | None = None

    def __repr__(self) -> str:
        return f"<TokenCache extension={self.extension_pk}>"

    def get(self) -> Token:
        token = self._token
        if token is not None and token.is_fresh():
            return token
        return self._refresh(stale=None)[0]

    def forget(self) -> None:
        """Drop this process's copy; the next call reads the row (after a connection test)."""
        with self._lock:
            self._token = None

    def renew(self, stale: Token) -> tuple[Token, bool]:
        """A token other than ``stale``: another worker's newer one, or a new one.

        Also says whether this call obtained it from Omnium (``True``) or took one another
        thread or worker had stored (``False``): only a refusal of the former tells
        anything about the API user, since the latter may have been revoked since.
        """
        return self._refresh(stale=stale.access_token)

    def _refresh(self, stale: str | None) -> tuple[Token, bool]:
        try:
            return self._refresh_locked(stale)
        except PermanentError as exc:
            if exc.status_code in (400, 401, 403):  # the credentials, not the moment
                from .credentials import refused

                refused(self.extension_pk, str(exc))
            raise

    def _refresh_locked(self, stale: str | None) -> tuple[Token, bool]:
        with self._lock:
            if self._token is not None and self._token.usable_instead_of(stale):
                return self._token, False
            obtained = False
            # Another worker may have stored a newer token: look without locking first.
            token = Token.stored_on(self._load(TenantExtension.objects.all()))
            if token is None or not token.usable_instead_of(stale):
                with transaction.atomic():
                    extension = self._load(TenantExtension.objects.select_for_update())
                    token = Token.stored_on(extension)
                    if token is None or not token.usable_instead_of(stale):
                        token, obtained = self._obtain_and_store(extension), True
            self._token = token
            return token, obtained

    def _load(self, queryset) -> TenantExtension:
        try:
            return queryset.get(pk=self.extension_pk)
        except TenantExtension.DoesNotExist:
            raise ConfigurationError("The tenant's Omnium extension no longer exists.") from None

    def _obtain_and_store(self, extension: TenantExtension) -> Token:
        if not extension.has_credentials:
            raise ConfigurationError(
                "The tenant has no Omnium API credentials: set OMNIUM_CLIENT_ID and "
                "OMNIUM_CLIENT_SECRET on its Omnium extension."
            )
        token = fetch_token(
            self.session, self.base_url, extension.client_id, extension.client_secret
        )
        from .credentials import store_token

        store_token(self.extension_pk, token)
        logger.info(
            "Obtained a new Omnium token for tenant extension %s (renewal due %s).",
            self.extension_pk,
            token.renew_at.isoformat(timespec="seconds"),
        )
        return token
