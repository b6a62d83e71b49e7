"""The metrics endpoint: off unless configured, protected, and what it counts."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.urls import reverse
from prometheus_client.parser import text_string_to_metric_families

from omnium_integration import metrics
from omnium_integration.enums import JobKind, JobStatus, Queue
from omnium_integration.models import ExternalSyncJob
from tests.flow_factories import make_order
from tests.jobs import drain
from tests.testapp.handlers import RECORD

TOKEN = "scrape-token-123"


def samples(text: str) -> dict[tuple[str, tuple], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(found, name: str, **labels) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


@pytest.fixture
def scrape(client, settings):
    settings.OMNIUM_INTEGRATION = {**settings.OMNIUM_INTEGRATION, "METRICS_TOKEN": TOKEN}

    def get():
        response = client.get(
            reverse("omnium_integration:metrics"), HTTP_AUTHORIZATION=f"Bearer {TOKEN}"
        )
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/plain; version=")
        return samples(response.content.decode())

    return get


def test_the_endpoint_is_off_unless_configured(client, db):
    assert client.get(reverse("omnium_integration:metrics")).status_code == 404


def test_a_token_protects_it(client, settings, db):
    settings.OMNIUM_INTEGRATION = {**settings.OMNIUM_INTEGRATION, "METRICS_TOKEN": TOKEN}
    url = reverse("omnium_integration:metrics")
    assert client.get(url).status_code == 401
    assert client.get(url, HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert client.get(url, HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200


def test_an_allow_list_protects_it(client, settings, db):
    settings.OMNIUM_INTEGRATION = {
        **settings.OMNIUM_INTEGRATION,
        "METRICS_ALLOWED_IPS": ["10.1.0.0/16", "::1"],
    }
    url = reverse("omnium_integration:metrics")
    assert client.get(url, REMOTE_ADDR="10.1.2.3").status_code == 200
    assert client.get(url, REMOTE_ADDR="10.2.0.1").status_code == 403
    assert client.get(url).status_code == 403  # 127.0.0.1 is not on the list


def test_jobs_attempts_and_due_age(scrape, extension):
    from datetime import timedelta

    from django.utils import timezone

    from omnium_integration.jobs import manager

    before = scrape()
    manager.enqueue(RECORD, extension_id=extension.pk, object_id="ok")
    manager.enqueue(
        RECORD, extension_id=extension.pk, object_id="bad", payload={"fail": "permanent"}
    )
    drain()
    late, _ = manager.enqueue(RECORD, extension_id=extension.pk, object_id="late")
    ExternalSyncJob.objects.filter(pk=late).update(
        next_attempt_at=timezone.now() - timedelta(seconds=90)
    )
    found = scrape()
    q = Queue.ORDER.value
    assert value(found, "omnium_jobs", queue=q, kind=RECORD, status="succeeded") == 1
    assert value(found, "omnium_jobs", queue=q, kind=RECORD, status="failed") == 1
    assert value(found, "omnium_jobs", queue=q, kind=RECORD, status="pending") == 1
    assert 90 <= value(found, "omnium_queue_oldest_due_age_seconds", queue=q) < 200
    for outcome in ("succeeded", "failed"):
        name, labels = "omnium_job_attempts_total", {"queue": q, "kind": RECORD}
        grew = value(found, name, outcome=outcome, **labels) - value(
            before, name, outcome=outcome, **labels
        )
        assert grew == 1
    assert value(found, "omnium_health_status") == 1  # degraded: a failed job
    assert value(found, "omnium_database_up") == 1


def test_omnium_calls_by_endpoint_template_and_outbound_latency(scrape, omnium, sandbox, store):
    before = scrape()
    with transaction.atomic():
        make_order(store, "POS-M-1")
    sandbox.faults.fail_next(503, path="/api/Orders$")
    drain()
    assert ExternalSyncJob.objects.get(kind=JobKind.ORDER_EXPORT).status == JobStatus.SUCCEEDED
    found = scrape()

    def grew(name, **labels):
        return value(found, name, **labels) - value(before, name, **labels)

    assert grew("omnium_api_calls_total", method="POST", endpoint="/api/token", status="200") == 1
    assert grew("omnium_api_calls_total", method="POST", endpoint="/api/Orders", status="503") == 1
    assert grew("omnium_api_calls_total", method="POST", endpoint="/api/Orders", status="201") == 1
    histogram = "omnium_api_call_duration_seconds_count"
    assert grew(histogram, method="POST", endpoint="/api/Orders") == 2
    assert grew("omnium_outbound_sync_latency_seconds_count", kind=JobKind.ORDER_EXPORT) == 1
    # No label carries an object's id.
    assert not any("POSM1" in str(key) for key in found)


def test_endpoint_templates_hide_ids():
    template = metrics.endpoint_template
    assert template("/api/Orders/POS1/UpdateStatus") == "/api/Orders/{id}/UpdateStatus"
    assert template("/api/Orders/POS1") == "/api/Orders/{id}"
    assert template("/api/Orders/Search") == "/api/Orders/Search"
    assert (
        template("/api/Deliveries/CreateDelivery/PO1?x=1") == "/api/Deliveries/CreateDelivery/{id}"
    )
    assert template("/api/Invoices/R%2F1/AddFileToInvoice") == "/api/Invoices/{id}/AddFileToInvoice"


def test_webhook_deliveries_by_status(scrape, client, extension):
    from tests.test_webhook import order_event, post

    before = scrape()
    post(client, order_event("W-1"), secret=extension.webhook_secret)
    post(client, order_event("W-2"), secret="wrong")
    post(client, order_event("W-3"), secret="wrong")
    found = scrape()
    name = "omnium_webhook_deliveries_total"
    assert value(found, name, status="202") - value(before, name, status="202") == 1
    assert value(found, name, status="401") - value(before, name, status="401") == 2


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_counts_of_a_qclusters_worker_processes_add_up(extension, child_env, tmp_path, runs_file):
    # Multiprocess mode: the engine's pre-forked workers write their counts to files that
    # the endpoint's process adds up.
    from django_q.models import Schedule

    from flow_stub_project.devstack import start_engine, stop, wait_for
    from omnium_integration.jobs import manager

    Schedule.objects.filter(name__startswith="omnium_integration").delete()
    directory = tmp_path / "prometheus"
    directory.mkdir()
    env = {**child_env, "PROMETHEUS_MULTIPROC_DIR": str(directory)}
    cluster = start_engine(Queue.ORDER.value, env=env, workers=2)
    try:
        for n in range(6):
            with transaction.atomic():
                manager.enqueue(
                    RECORD,
                    extension_id=extension.pk,
                    object_id=f"mp-{n}",
                    payload={"path": str(runs_file)},
                )
        done = ExternalSyncJob.objects.filter(status=JobStatus.SUCCEEDED)
        wait_for(lambda: cluster.poll() is not None or done.count() == 6, timeout=60)
    finally:
        stop(cluster)
    found = samples(metrics.render(multiprocess_dir=str(directory)).decode())
    labels = {"queue": Queue.ORDER.value, "kind": RECORD, "outcome": "succeeded"}
    assert value(found, "omnium_job_attempts_total", **labels) == 6
    assert len(list(directory.glob("counter_*.db"))) >= 1
