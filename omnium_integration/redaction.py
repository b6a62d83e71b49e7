"""Keep credentials out of anything a person can read: logs, job errors, admin pages."""

from __future__ import annotations

import logging
import re

# clientSecret=..., client_secret=..., access_token=..., "accessToken": "...", Bearer ...
_PATTERNS = [
    re.compile(
        r"(?i)((?:client_?secret|client_?id|access_?token|token|secret|password)=)([^&\s'\"]+)"
    ),
    re.compile(r"(?i)(\"(?:client_?secret|access_?token|token|secret)\"\s*:\s*\")([^\"]*)"),
    re.compile(r"(?i)(bearer\s+)([A-Za-z0-9\-_.~+/]+=*)"),
]
MASK = "***"


def redact(text: str) -> str:
    """``text`` with every credential-looking value replaced by ``***``."""
    if not text:
        return text
    for pattern in _PATTERNS:
        text = pattern.sub(lambda m: m.group(1) + MASK, text)
    return text


class RedactingFilter(logging.Filter):
    """A logging filter that redacts the formatted message of every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
