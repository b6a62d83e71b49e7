"""Benchmark settings: the stub host plus no-op handlers, on a database of its own."""

import os

from flow_stub_project.local_keys import use_local_keys

os.environ.setdefault(
    "SQLITE_PATH", os.path.join(os.path.dirname(__file__), "..", "var", "bench.sqlite3")
)
use_local_keys("bench-encryption-key")  # the benchmark database's credentials

from flow_stub_project.settings import *  # noqa: E402,F403
from flow_stub_project.settings import DATABASES, INSTALLED_APPS, LOGGING, Q_CLUSTER  # noqa: E402

INSTALLED_APPS = [*INSTALLED_APPS, "bench.benchapp"]
LOGGING = {**LOGGING, "root": {"handlers": ["console"], "level": "ERROR"}}
Q_CLUSTER = {**Q_CLUSTER, "ALT_CLUSTERS": {**Q_CLUSTER["ALT_CLUSTERS"], "bench_q": {}}}

ROOT_URLCONF = "bench.urls"  # the stub's URLs and P4's bare view
# As in production: no query log kept per connection, no debug pages.
DEBUG = False
# Seconds a request thread keeps its database connection (0: one per request, the stub's
# default). P4 sets it, as a production host would.
DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ.get("BENCH_CONN_MAX_AGE", "0"))
