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
in an exception message and never chained into a traceback: errors are raised after the
``except`` block that caught requests' error (which holds the URL), so they have neither
a ``__cause__`` nor a ``__context__``; the credentials travel as :class:`Credentials`,
whose ``repr`` hides the secret, so no frame of a traceback shows it either.

An answer that is not a token (a proxy's or a web server's HTML page at a wrong base URL)
is refused as retryable with the reason, never stored; a stored token that could not be
sent as a bearer token (written before that check existed) is dropped and renewed.
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
from ..models.tenants import TenantExtension, bearer_token_problem, token_renewal_time
from .credentials import CLEARED, REFUSED, refused

logger = logging.getLogger(__name__)

TOKEN_PATH = "/api/token"  # noqa: S105 - a path, not a password


@dataclass(frozen=True)
class Credentials:
    """A tenant's API user, as the token call needs it; ``repr`` never shows the secret."""

    client_id: str
    client_secret: str = field(repr=False)

    @classmethod
    def of(cls, extension: TenantExtension) -> Credentials:
        return cls(extension.client_id, extension.client_secret)

    def scrub(self, text: str) -> str:
        """``text`` without the client id or secret (an error body echoing the query)."""
        for value in (self.client_secret, self.client_id):
            if value:
                text = text.replace(value, "***")
        return text


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
        """The token stored on the row, if there is one that can be sent."""
        if not extension.token or not extension.token_expires_at:
            return None
        problem = bearer_token_problem(extension.token)
        if problem:
            logger.warning(
                "The Omnium token stored for tenant extension %s cannot be sent (%s): it "
                "is dropped and a new one fetched.",
                extension.pk,
                problem,
            )
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


def fetch_token(session: requests.Session, base_url: str, credentials: Credentials) -> Token:
    """Ask Omnium for a new token. Errors say what happened, never with the URL in them."""
    obtained_at = timezone.now()
    started = time.monotonic()
    response, failure = _post_token(session, base_url, credentials)
    # Raised here, after the except block, so requests' error (its URL holds the secret)
    # is neither the cause nor the context of ours.
    if response is None:
        outcome = "timeout" if failure == TIMED_OUT else "connection_error"
        metrics.omnium_call("POST", TOKEN_PATH, outcome, time.monotonic() - started)
        raise RetryableError(f"Omnium's token endpoint {failure}.")
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
            f"Omnium's token endpoint answered {status}.",
            status_code=status,
            body=credentials.scrub(response.text),
        )
    return _parse_token(response.text, obtained_at, response.headers.get("Content-Type", ""))


TIMED_OUT = "did not answer in time"


def _post_token(
    session: requests.Session, base_url: str, credentials: Credentials
) -> tuple[requests.Response | None, str]:
    """The token call's answer, or ``None`` and what went wrong (without the URL)."""
    try:
        response = session.post(
            base_url + TOKEN_PATH,
            params={
                "clientId": credentials.client_id,
                "clientSecret": credentials.client_secret,
                "returnAsJson": "true",
            },
            headers={"Accept": "application/json"},
            timeout=(app_settings.CONNECT_TIMEOUT, app_settings.READ_TIMEOUT),
        )
    except requests.Timeout:
        return None, TIMED_OUT
    except requests.RequestException as exc:
        return None, f"could not be reached ({type(exc).__name__})"
    return response, ""


def _parse_token(text: str, obtained_at: datetime, content_type: str = "") -> Token:
    """The token in Omnium's answer: ``{"accessToken", "tokenType", "expiresIn"}`` or the
    bare JWT. An answer that is neither is refused as retryable (a page served by
    something other than Omnium's token endpoint: a proxy, a wrong base URL)."""
    data = _json_or_text(text)
    if isinstance(data, str):
        params = {"access_token": data, "token_type": "Bearer"}
        if not _looks_like_jwt(data):  # Omnium's bare answer is a JWT
            raise _not_a_token(text, content_type)
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
        raise _not_a_token(text, content_type)
    oauth_token = _oauth_token(params)
    if oauth_token is None:
        raise PermanentError("Omnium's token endpoint answered without a usable token.")
    if str(oauth_token.get("token_type", "")).lower() != "bearer":
        raise PermanentError("Omnium's token endpoint answered a token type other than Bearer.")
    access_token = oauth_token["access_token"]
    if bearer_token_problem(access_token):
        raise _not_a_token(text, content_type)
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


def _json_or_text(text: str) -> object:
    try:
        return json.loads(text)
    except ValueError:
        return text.strip()  # without returnAsJson, Omnium answers the bare JWT


def _oauth_token(params: dict) -> dict | None:
    """oauthlib's reading of the answer (``None``: an ``error`` member or no token)."""
    try:
        return parse_token_response(json.dumps(params))
    except (OAuth2Error, ValueError):
        return None


def _looks_like_jwt(text: str) -> bool:
    parts = text.split(".")
    return len(parts) == 3 and all(parts[:2]) and not bearer_token_problem(text)


def _not_a_token(text: str, content_type: str) -> RetryableError:
    kind = content_type.split(";")[0].strip() or "no content type"
    return RetryableError(
        f"Omnium's token endpoint answered 200 with something that is not a token ({kind}, "
        f"{len(text)} characters); nothing was stored. Check the tenant's Omnium API base "
        "URL: another server (a proxy, a web page) may be answering."
    )


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

    def fetch(self) -> Token:
        """A new token from Omnium, whatever is stored: what testing the credentials means.
        Stored for every worker, as any new token is."""
        with self._lock, transaction.atomic():
            extension = self._load(TenantExtension.objects.select_for_update())
            self._token = self._obtain_and_store(extension)
            return self._token

    def _refresh(self, stale: str | None) -> tuple[Token, bool]:
        try:
            return self._refresh_locked(stale)
        except PermanentError as exc:
            if exc.status_code in REFUSED:  # the credentials, not the moment
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
        token = fetch_token(self.session, self.base_url, Credentials.of(extension))
        store_token(self.extension_pk, token)
        logger.info(
            "Obtained a new Omnium token for tenant extension %s (renewal due %s).",
            self.extension_pk,
            token.renew_at.isoformat(timespec="seconds"),
        )
        return token


def store_token(extension_pk: int, token: Token) -> None:
    """Keep a token just obtained for every worker, and clear any recorded refusal."""
    TenantExtension.objects.filter(pk=extension_pk).update(
        token=token.access_token,
        token_expires_at=token.expires_at,
        token_obtained_at=token.obtained_at,
        **CLEARED,
    )
