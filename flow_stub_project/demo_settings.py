"""Settings of the demo (``make demo``): the stub host's, plus what a local run needs.

They are put in the environment before the stub's settings read it, so the engine
processes the demo starts (which inherit its environment) use the same values. The
encryption key is kept in ``var/`` next to the demo's database, whose credentials it
encrypts, and made once; the Django secret key is new each run (it signs only sessions
and the engines' task messages, both of one run).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet

_DATA_DIR = Path(os.environ.get("FLOW_DATA_DIR", Path(__file__).resolve().parent.parent / "var"))


def _demo_encryption_key() -> str:
    path = _DATA_DIR / "demo-encryption-key"
    if not path.exists():
        _DATA_DIR.mkdir(exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as file:
            file.write(Fernet.generate_key().decode("ascii"))
    return path.read_text().strip()


os.environ.setdefault("DJANGO_DEBUG", "1")
os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))
os.environ.setdefault("OMNIUM_ENCRYPTION_KEYS", _demo_encryption_key())

from .settings import *  # noqa: E402, F403
