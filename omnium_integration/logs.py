"""A log format that shows the job context the engine attaches to its records."""

from __future__ import annotations

import logging

CONTEXT_FIELDS = ("job_id", "extension_id", "kind", "attempt", "outcome", "status_code")


class JobContextFormatter(logging.Formatter):
    """Appends ``job_id=… extension_id=… kind=… attempt=…`` when a record carries them."""

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        context = " ".join(
            f"{name}={getattr(record, name)}"
            for name in CONTEXT_FIELDS
            if getattr(record, name, None) not in (None, "")
        )
        return f"{text} {context}" if context else text
