"""Keep credentials out of anything a person can read: logs, job errors, admin pages.

:func:`redact` masks values by where they stand (a query parameter, a JSON or dict member,
an SQL assignment or comparison, ``name: value``, a Bearer header) and by their shape (a
JWT, a Fernet token), so SQL parameters logged by ``django.db.backends`` and ``repr``s of
dicts are covered as well as URLs and JSON.
"""

from __future__ import annotations

import logging
import re

MASK = "***"

# Names whose value is a credential. ``token`` only as a word of its own, so that a
# job's ``lease_token`` (not a credential) stays readable.
_NAMES = (
    r"client_?secret|client_?id|access_?token|webhook_?secret|api_?key|password|secret|"
    r"(?<![A-Za-z0-9_])token"
)
_PATTERNS = [
    # clientSecret=…, access_token=… (URLs, form bodies, key=value logs)
    re.compile(rf"(?i)((?:{_NAMES})=)([^&\s'\"]+)"),
    # "accessToken": "…" and 'accessToken': '…' (JSON, dict reprs)
    re.compile(rf"(?i)(['\"](?:{_NAMES})['\"]\s*:\s*(['\"]))((?:(?!\2)[^\\]|\\.)*)"),
    # SET "token" = '…', WHERE `client_secret` = '…' (SQL with its parameters inlined)
    re.compile(rf"(?i)([\"`]?\b(?:{_NAMES})[\"`]?\s*=\s*')((?:[^']|'')*)"),
    # token: …, secret: … (plain text, YAML-like)
    re.compile(rf"(?i)(\b(?:{_NAMES})\s*:\s*)(?!['\"])([^\s,;)}}\]]+)"),
    # Authorization: Bearer …
    re.compile(r"(?i)(bearer\s+)([A-Za-z0-9\-_.~+/]+=*)"),
]
_SHAPES = [
    # A JWT anywhere, e.g. a positional SQL parameter: header.payload.signature
    re.compile(r"\beyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]*"),
    # A Fernet token (an encrypted value): useless without the key, still nobody's business
    re.compile(r"\bgAAAAA[A-Za-z0-9_-]{20,}={0,2}"),
]


def redact(text: str) -> str:
    """``text`` with every credential-looking value replaced by ``***``."""
    if not text:
        return text
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + MASK, text)
    for shape in _SHAPES:
        text = shape.sub(MASK, text)
    return text


class RedactingFilter(logging.Filter):
    """A logging filter that redacts every record: its message, and the traceback and
    stack text a formatter would add (exception messages may quote what they were given)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True
