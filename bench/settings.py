"""Benchmark settings: the stub host plus no-op handlers, on a database of its own."""

import os

os.environ.setdefault(
    "SQLITE_PATH", os.path.join(os.path.dirname(__file__), "..", "var", "bench.sqlite3")
)

from flow_stub_project.settings import *  # noqa: E402,F403
from flow_stub_project.settings import INSTALLED_APPS, LOGGING, Q_CLUSTER  # noqa: E402

INSTALLED_APPS = [*INSTALLED_APPS, "bench.benchapp"]
LOGGING = {**LOGGING, "root": {"handlers": ["console"], "level": "ERROR"}}
Q_CLUSTER = {**Q_CLUSTER, "ALT_CLUSTERS": {**Q_CLUSTER["ALT_CLUSTERS"], "bench_q": {}}}
