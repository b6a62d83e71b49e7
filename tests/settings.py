"""Test settings: the stub host plus a test app that registers recording handlers.

Subprocesses started by tests (qcluster, workers, servers) use these settings too, so
the handlers exist on both sides. What the stub's production-safe settings leave unset
(a secret key, an encryption key, both made for this run) is put in the environment
first, so those subprocesses inherit the same values.
"""

import os
import secrets

from cryptography.fernet import Fernet

os.environ.setdefault("DJANGO_SECRET_KEY", secrets.token_urlsafe(50))
os.environ.setdefault("OMNIUM_ENCRYPTION_KEYS", Fernet.generate_key().decode("ascii"))

from flow_stub_project.settings import *  # noqa: E402, F403
from flow_stub_project.settings import INSTALLED_APPS  # noqa: E402

INSTALLED_APPS = [*INSTALLED_APPS, "tests.testapp"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
