"""What local runs of the stub (the demo, the benchmarks) add to its production-safe
settings: a Django secret key and an encryption key.

They are put in the environment before the stub's settings read it, so the engine
processes a run starts (which inherit its environment) use the same values. The
encryption key is kept in the data directory, beside the database whose credentials it
encrypts, and made once; the secret key is new for each run (it signs only sessions and
the engines' task messages, both of one run). Never for production: there, both come
from the deployment's secret store.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from cryptography.fernet import Fernet

DATA_DIR = Path(os.environ.get("FLOW_DATA_DIR", Path(__file__).resolve().parent.parent / "var"))


def local_encryption_key(name: str) -> str:
    """The key in ``<data dir>/<name>``, made (readable by its owner only) if missing."""
    path = DATA_DIR / name
    if not path.exists():
        DATA_DIR.mkdir(exist_ok=True)
        with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as f:
            f.write(Fernet.generate_key().decode("ascii"))
    return path.read_text().strip()


def use_local_keys(key_file: str) -> None:
    os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))
    os.environ.setdefault("OMNIUM_ENCRYPTION_KEYS", local_encryption_key(key_file))
