"""Prometheus metrics, in the standard client library's text format.

Counted where they happen, in every process (django-q2's pre-forked workers, the web
server's):

* ``omnium_job_attempts_total{queue,kind,outcome}``: job attempts finished;
* ``omnium_api_calls_total{method,endpoint,status}`` and
  ``omnium_api_call_duration_seconds{method,endpoint}`` (histogram): calls to Omnium, by
  endpoint template (``/api/Orders/{id}/UpdateStatus``: ids never become labels) and
  status code (or ``timeout`` / ``connection_error``);
* ``omnium_webhook_deliveries_total{status}``: answers of the Omnium Event API;
* ``omnium_outbound_sync_latency_seconds{kind}`` (histogram): from the Flow change that
  wrote an outbound job to the job's success in Omnium.

Read from the database when scraped: ``omnium_jobs{queue,kind,status}``,
``omnium_queue_oldest_due_age_seconds{queue}``, ``omnium_health_status`` (0 ok,
1 degraded, 2 down) and ``omnium_database_up``.

Several processes: set ``PROMETHEUS_MULTIPROC_DIR`` (an empty directory, wiped at start,
the same for the web server and both engines of a machine) in their environment before
they start; :func:`render` then adds up every process's files (prometheus_client's
multiprocess mode). Without it each process only knows its own counts.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import datetime

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

ATTEMPTS = Counter("omnium_job_attempts", "Job attempts finished.", ["queue", "kind", "outcome"])
API_CALLS = Counter("omnium_api_calls", "Calls to Omnium's API.", ["method", "endpoint", "status"])
API_DURATION = Histogram(
    "omnium_api_call_duration_seconds",
    "Time Omnium took to answer.",
    ["method", "endpoint"],
    buckets=(0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
WEBHOOK_DELIVERIES = Counter(
    "omnium_webhook_deliveries", "Answers of the Omnium Event API.", ["status"]
)
SYNC_LATENCY = Histogram(
    "omnium_outbound_sync_latency_seconds",
    "From the Flow change that wrote an outbound job to its success in Omnium.",
    ["kind"],
    buckets=(0.5, 1, 2, 5, 10, 30, 60, 120, 300, 900, 1800, 3600, 4 * 3600, 24 * 3600),
)

# Path segments that name an action, not an object; every other segment after the
# resource is an id and becomes "{id}" (a bounded set of label values).
_ACTIONS = {
    "search",
    "update",
    "updatestatus",
    "patchorder",
    "return",
    "updatemany",
    "createdelivery",
    "processgoodsreception",
    "updateinvoice",
    "addfiletoinvoice",
}
_HEALTH_VALUES = {"ok": 0, "degraded": 1, "down": 2}


def endpoint_template(path: str) -> str:
    """``/api/Orders/POS1/UpdateStatus`` -> ``/api/Orders/{id}/UpdateStatus``."""
    parts = path.split("?", 1)[0].strip("/").split("/")
    kept = [p if i < 2 or p.lower() in _ACTIONS else "{id}" for i, p in enumerate(parts)]
    return "/" + "/".join(kept)


def omnium_call(method: str, path: str, status: int | str, seconds: float) -> None:
    endpoint = endpoint_template(path)
    API_CALLS.labels(method, endpoint, str(status)).inc()
    API_DURATION.labels(method, endpoint).observe(seconds)


def webhook_delivery(status: int) -> None:
    WEBHOOK_DELIVERIES.labels(str(status)).inc()


def job_attempt(queue: str, kind: str, outcome: str) -> None:
    ATTEMPTS.labels(queue, kind, outcome).inc()


def outbound_synced(kind: str, changed_at: datetime, synced_at: datetime) -> None:
    SYNC_LATENCY.labels(kind).observe(max((synced_at - changed_at).total_seconds(), 0.0))


class DatabaseCollector:
    """The figures the database holds, read at each scrape."""

    def collect(self) -> Iterator[Metric]:
        from django.db import DatabaseError
        from django.db.models import Count

        from .health import health_report
        from .models import ExternalSyncJob

        up = GaugeMetricFamily("omnium_database_up", "Whether the database answered.")
        try:
            rows = list(
                ExternalSyncJob.objects.values_list("queue", "kind", "status")
                .annotate(n=Count("pk"))
                .order_by()
            )
            report = health_report()
        except DatabaseError:
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        jobs = GaugeMetricFamily(
            "omnium_jobs", "Jobs by queue, kind and status.", labels=["queue", "kind", "status"]
        )
        for queue, kind, status, count in rows:
            jobs.add_metric([queue, kind, status], count)
        yield jobs
        due = GaugeMetricFamily(
            "omnium_queue_oldest_due_age_seconds",
            "How long the most overdue due job has waited (0: none due).",
            labels=["queue"],
        )
        for queue in report.queues:
            due.add_metric([queue.queue], queue.oldest_due_age or 0.0)
        yield due
        health = GaugeMetricFamily(
            "omnium_health_status", "The health report's status: 0 ok, 1 degraded, 2 down."
        )
        health.add_metric([], _HEALTH_VALUES[report.status])
        yield health


class _ThisProcess:
    """This process's own metrics (the default registry), when not in multiprocess mode."""

    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()


def render(multiprocess_dir: str | None = None) -> bytes:
    """Every metric in Prometheus' text format."""
    registry = CollectorRegistry()
    directory = multiprocess_dir or os.environ.get(MULTIPROC_ENV)
    if directory:
        MultiProcessCollector(registry, path=directory)
    else:
        registry.register(_ThisProcess())
    registry.register(DatabaseCollector())
    return generate_latest(registry)


def address_allowed(address: str, allowed: list[str] | tuple[str, ...]) -> bool:
    """Whether ``address`` is in one of the ``allowed`` addresses or networks."""
    import ipaddress

    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    for entry in allowed:
        try:
            if ip in ipaddress.ip_network(entry, strict=False):
                return True
        except ValueError:
            continue
    return False


_BEARER = re.compile(r"^\s*bearer\s+(\S+)\s*$", re.IGNORECASE)


def offered_token(authorization: str) -> str:
    match = _BEARER.match(authorization or "")
    return match.group(1) if match else ""
