"""Test settings: the stub host plus a test app that registers recording handlers.

Subprocesses started by tests (qcluster, workers, servers) use these settings too, so
the handlers exist on both sides.
"""

from flow_stub_project.settings import *  # noqa: F403
from flow_stub_project.settings import INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "tests.testapp"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
