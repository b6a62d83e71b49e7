"""Testing a tenant's connection to Omnium: "Test connection" in the admin, ``omnium_check``.

A stored token proves nothing (it may be revoked, its API user deactivated since), and
``GET /api/Health`` needs no token at all. So the test does what a worker would do on a
cold start: it fetches a NEW token with the stored credentials, then makes one
authenticated read call (an order search for one order in the tenant's stores, which
needs ``OrderRead`` and access to the stores). The answer names what is wrong:

* ``wrong_credentials``: the token call is refused and these credentials never had a
  token (new credentials drop the stored token), so they are probably mistyped;
* ``inactive_user``: the token call is refused for credentials that obtained a token
  before (the API user was deactivated, or its secret renewed, in Omnium), or a token just
  obtained is refused (401) by the read call;
* ``forbidden``: the read call answers 403, a missing role or store access;
* ``unreachable``: no answer, a timeout, or a 5xx/429 from Omnium;
* ``error``: anything else (the text says what).

Omnium answers a refused token call the same way for a wrong secret and an inactive user
(docs/omnium-api.md#authentication), which is why the first two are told apart by the
tenant's history, and the message says so.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

import requests
from django.utils import timezone

from .. import metrics
from ..conf import app_settings
from ..exceptions import ConfigurationError, PermanentError, RetryableError
from ..models import TenantExtension
from ..redaction import redact
from . import credentials
from .http import encode_json, root_cause
from .tokens import Credentials, Token, fetch_token, store_token

READ_CALL = "/api/Orders/Search"


@dataclass(frozen=True)
class ConnectionCheck:
    ok: bool
    problem: str  # "" when ok; see the module docstring
    message: str  # one line, never a secret
    elapsed_ms: float
    token_renewal_due: datetime | None = None

    def as_dict(self) -> dict:
        return {
            "ok": self.ok,
            "problem": self.problem,
            "message": self.message,
            "elapsed_ms": round(self.elapsed_ms),
            "token_renewal_due": self.token_renewal_due.isoformat(timespec="seconds")
            if self.token_renewal_due
            else None,
        }


def test_connection(extension: TenantExtension, session: requests.Session) -> ConnectionCheck:
    """Fetch a new token for ``extension`` and make one authenticated read call."""
    started = time.monotonic()

    def answer(problem: str, message: str, token: Token | None = None) -> ConnectionCheck:
        elapsed = (time.monotonic() - started) * 1000
        renew = token.renew_at if token else None
        return ConnectionCheck(not problem, problem, redact(message), elapsed, renew)

    extension.refresh_from_db()
    if not extension.has_credentials:
        return answer("wrong_credentials", "no client id and secret are set")
    had_token = bool(extension.token)  # these credentials obtained one before
    try:
        token = fetch_token(session, extension.base_url, Credentials.of(extension))
    except RetryableError as exc:
        return answer("unreachable", f"Omnium's token endpoint could not be reached: {exc}")
    except PermanentError as exc:
        if exc.status_code not in credentials.REFUSED:
            return answer("error", str(exc))
        credentials.refused(extension.pk, str(exc))
        if had_token:
            return answer(
                "inactive_user",
                f"Omnium refused credentials that worked before{_last_token(extension)}: "
                "the API user is probably deactivated (Omnium: Configuration > Authorization "
                "> API Users > Is active) or its secret was renewed.",
            )
        return answer(
            "wrong_credentials",
            f"Omnium refused the client id and secret ({exc.status_code}): check "
            "OMNIUM_CLIENT_ID and OMNIUM_CLIENT_SECRET against the API user in Omnium.",
        )
    store_token(extension.pk, token)
    return _read_call(extension, session, token, answer)


def _read_call(extension, session, token: Token, answer) -> ConnectionCheck:
    body = {"take": 1, "page": 0, "disableFacets": True, "modifiedFrom": timezone.now()}
    stores = _store_ids(extension)
    if stores:
        body["selectedStores"] = stores
    timeout = (float(app_settings.CONNECT_TIMEOUT), float(app_settings.READ_TIMEOUT))
    sent = time.monotonic()
    try:
        response = session.post(
            extension.base_url + READ_CALL,
            data=encode_json(body),
            headers={"Content-Type": "application/json", **token.bearer_headers()},
            timeout=timeout,
        )
    except requests.RequestException as exc:
        metrics.omnium_call("POST", READ_CALL, "connection_error", time.monotonic() - sent)
        return answer("unreachable", f"Omnium could not be reached ({root_cause(exc)}).", token)
    status = response.status_code
    metrics.omnium_call("POST", READ_CALL, status, time.monotonic() - sent)
    if 200 <= status < 300:
        return answer("", f"new token obtained; POST {READ_CALL} answered {status}", token)
    if status == 401:
        credentials.refused(extension.pk, "Omnium refused a token it had just issued (401).")
        return answer(
            "inactive_user",
            "Omnium issued a token but refuses it (401): the API user is not active "
            "(Omnium: Configuration > Authorization > API Users > Is active).",
            token,
        )
    if status == 403:
        return answer(
            "forbidden",
            f"Omnium refused POST {READ_CALL} (403): the API user lacks a role (OrderAdmin, "
            "CustomerAdmin, InventoryAdmin, PurchaseOrderAdmin) or access to the tenant's "
            f"stores ({', '.join(stores) or 'all'}).",
            token,
        )
    if status in (408, 429) or status >= 500:
        return answer("unreachable", f"Omnium answered {status} to POST {READ_CALL}.", token)
    return answer("error", f"Omnium answered {status} to POST {READ_CALL}.", token)


def _last_token(extension: TenantExtension) -> str:
    when = extension.token_obtained_at
    return f" (last token obtained {when:%Y-%m-%d %H:%M %Z})" if when else ""


def _store_ids(extension: TenantExtension) -> list[str]:
    from ..host import get_adapter

    try:
        return get_adapter().omnium_store_ids(extension.tenant)
    except (ConfigurationError, PermanentError):
        return []  # a store conflict is reported by its jobs; the call still tests access
