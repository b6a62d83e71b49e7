"""The stub host's own settings are production-safe; the demo's add what a local run needs.

Each case is a fresh interpreter with an environment of its own, as a deployment starts
one: settings are read once per process.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PROBE = """
import json, django
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
django.setup()
try:
    key = bool(settings.SECRET_KEY)
except ImproperlyConfigured as exc:
    key = str(exc)
print(json.dumps({"debug": settings.DEBUG, "secret_key": key,
                  "keys": len(settings.OMNIUM_INTEGRATION.get("ENCRYPTION_KEYS", []))}))
"""


def clean_env(tmp_path: Path, settings_module: str) -> dict[str, str]:
    """The environment without what the tests' own settings put there."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DJANGO_SECRET_KEY", "DJANGO_DEBUG", "OMNIUM_ENCRYPTION_KEYS"}
        and not k.startswith("PYTEST")
    }
    env.update(
        DJANGO_SETTINGS_MODULE=settings_module,
        FLOW_DATA_DIR=str(tmp_path),
        PYTHONPATH=str(ROOT),
    )
    env.pop("DATABASE_URL", None)
    return env


def run(env, *args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.slow
def test_the_stubs_settings_default_to_no_debug_no_secret_key_and_no_keys(tmp_path):
    env = clean_env(tmp_path, "flow_stub_project.settings")
    probe = json.loads(run(env, "-c", PROBE).stdout)
    assert probe == {
        "debug": False,
        "secret_key": "The SECRET_KEY setting must not be empty.",
        "keys": 0,
    }
    deploy = run(env, "manage.py", "check", "--database", "default")
    assert deploy.returncode != 0 and "omnium_integration.E020" in deploy.stderr
    demo = run(env, "manage.py", "omnium_demo")
    assert demo.returncode == 1
    assert "use `make demo`, or set DJANGO_SETTINGS_MODULE" in demo.stderr


@pytest.mark.slow
def test_the_demo_settings_set_what_a_local_run_needs_and_keep_the_key(tmp_path):
    env = clean_env(tmp_path, "flow_stub_project.demo_settings")
    first = json.loads(run(env, "-c", PROBE).stdout)
    assert first == {"debug": True, "secret_key": True, "keys": 1}
    key_file = tmp_path / "demo-encryption-key"
    key = key_file.read_text()
    assert oct(key_file.stat().st_mode & 0o777) == "0o600"
    run(env, "-c", PROBE)
    assert key_file.read_text() == key  # the same key on the next run: the data stays readable
