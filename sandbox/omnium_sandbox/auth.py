"""API users, the token endpoint and bearer checks (see docs/omnium-api.md, Authentication).

Documented: credentials go in the query string of ``POST /api/token`` (no body, no
``grant_type``); ``returnAsJson=true`` answers ``{accessToken, tokenType, expiresIn}``,
otherwise the bare JWT as text; tokens last 10 days by default; bad credentials get 401;
a deactivated user gets 401 on its next call even with an unexpired token; a missing role
gets 403; roles are ``<Resource>Read`` / ``<Resource>Admin`` (Admin includes Read) and
``ApiOwner`` is everything.

Assumptions where the documentation is silent: the token is a JWT (HS256, signed with a
per-sandbox key) with ``sub``, ``iat``, ``exp`` and ``jti``; a user may hold several valid
tokens at once (a new token does not revoke the old one); the token endpoint answers
``POST`` only. Which role guards ``/api/Invoices`` is not documented: the sandbox asks for
the Order roles.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

ALL_ROLES = ("ApiOwner",)

# First path segment after /api/ -> the resource whose Read/Admin role guards it.
RESOURCE_ROLES = {
    "orders": "Order",
    "returns": "Order",
    "invoices": "Order",
    "privatecustomers": "Customer",
    "businesscustomers": "Customer",
    "inventory": "Inventory",
    "purchaseorders": "PurchaseOrder",
    "deliveries": "PurchaseOrder",
    "stores": "Store",
}
# Calls that only read, whatever their verb (POST searches).
READ_ONLY_ACTIONS = {"search", "scroll", "existmany", "purchaseorderlines"}


def required_role(method: str, path: str) -> str | None:
    """The role an API call needs, e.g. ``OrderAdmin`` for ``POST /api/Orders``."""
    parts = [p.lower() for p in path.strip("/").split("/")]
    if len(parts) < 2 or parts[0] != "api":
        return None
    resource = RESOURCE_ROLES.get(parts[1])
    if resource is None:
        return None
    reads = method == "GET" or any(p in READ_ONLY_ACTIONS for p in parts[2:])
    return f"{resource}{'Read' if reads else 'Admin'}"


def has_role(roles: set[str], needed: str | None) -> bool:
    if needed is None or "ApiOwner" in roles or needed in roles:
        return True
    return needed.endswith("Read") and needed[: -len("Read")] + "Admin" in roles


@dataclass
class ApiUser:
    client_id: str
    client_secret: str = field(repr=False)
    tenant: str = "default"
    roles: set[str] = field(default_factory=lambda: set(ALL_ROLES))
    active: bool = True


@dataclass
class IssuedToken:
    client_id: str
    expires_at: float
    revoked: bool = False


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Auth:
    """The sandbox's API users and the tokens it has issued."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._key = secrets.token_bytes(32)
        self.users: dict[str, ApiUser] = {}
        self.tokens: dict[str, IssuedToken] = {}
        self.token_requests: Counter[str] = Counter()  # per client id, refused ones too

    def reset(self) -> None:
        with self._lock:
            self.users.clear()
            self.tokens.clear()
            self.token_requests.clear()

    def add_user(self, user: ApiUser) -> None:
        with self._lock:
            self.users[user.client_id] = user

    def issue(
        self, client_id: str, client_secret: str, lifetime: float, jwt_lifetime: float | None
    ) -> tuple[str, int] | None:
        """A new token and its ``expiresIn``, or ``None`` for unknown or inactive users."""
        with self._lock:
            self.token_requests[client_id] += 1
            user = self.users.get(client_id)
            if (
                user is None
                or not user.active
                or not hmac.compare_digest(user.client_secret, client_secret)
            ):
                return None
            now = time.time()
            exp = now + (jwt_lifetime if jwt_lifetime is not None else lifetime)
            header = _b64(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
            payload = _b64(
                json.dumps(
                    {
                        "sub": client_id,
                        "tenant": user.tenant,
                        "iat": int(now),
                        "exp": int(exp),
                        "jti": secrets.token_hex(8),
                    }
                ).encode()
            )
            signing_input = f"{header}.{payload}".encode()
            signature = _b64(hmac.new(self._key, signing_input, hashlib.sha256).digest())
            token = f"{header}.{payload}.{signature}"
            self.tokens[token] = IssuedToken(client_id, min(now + lifetime, exp))
            return token, int(lifetime)

    def authenticate(self, authorization: str | None) -> ApiUser | None:
        """The user behind ``Authorization: Bearer <token>``, or ``None`` (-> 401)."""
        if not authorization or not authorization.lower().startswith("bearer "):
            return None
        token = authorization[7:].strip()
        with self._lock:
            issued = self.tokens.get(token)
            if issued is None or issued.revoked or issued.expires_at <= time.time():
                return None
            user = self.users.get(issued.client_id)
            if user is None or not user.active:
                return None
            return user

    def revoke(self, client_id: str | None = None) -> int:
        """Invalidate issued tokens (all, or one user's); new ones can still be fetched."""
        count = 0
        with self._lock:
            for issued in self.tokens.values():
                if not issued.revoked and (client_id is None or issued.client_id == client_id):
                    issued.revoked = True
                    count += 1
        return count

    def set_active(self, client_id: str, active: bool) -> None:
        with self._lock:
            self.users[client_id].active = active
