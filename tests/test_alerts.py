"""Alerts: a failed job, a queue down, refused credentials (test_connection.py) reach the
people configured, as a digest, at most once per cause per interval, never with a secret."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.test import override_settings
from django.utils import timezone

from omnium_integration import alerts, signals, tasks
from omnium_integration.enums import Queue
from omnium_integration.jobs import manager, worker
from omnium_integration.models import Alert, AlertKind, ExternalSyncJob
from tests.testapp.handlers import RECORD

ORDER_Q = Queue.ORDER.value


@pytest.fixture(autouse=True)
def admins(settings):
    settings.ADMINS = [("Ops", "ops@example.com")]


def fail(extension, object_id: str) -> int:
    job_id, _ = manager.enqueue(
        RECORD, extension_id=extension.pk, object_id=object_id, payload={"fail": "permanent"}
    )
    worker.drain(ORDER_Q)
    return job_id


def test_a_failed_job_is_mailed_once_per_interval(extension):
    job_id = fail(extension, "order-1")
    assert alerts.send_due() == 1
    (message,) = mail.outbox
    assert message.to == ["ops@example.com"]
    assert message.subject.endswith("Omnium integration: 1 x Failed job")
    assert f"job #{job_id} {RECORD} of {RECORD} order-1 (tenant tenant_no) failed: " in message.body
    assert "Omnium answered 400" in message.body
    for secret in (extension.client_secret, extension.webhook_secret, extension.client_id):
        assert secret not in message.body + message.subject

    # The same job failing again within the interval: nothing; a new failed job: a digest.
    manager.retry_now(ExternalSyncJob.objects.filter(pk=job_id))
    worker.drain(ORDER_Q)
    assert alerts.send_due() == 0 and len(mail.outbox) == 1
    fail(extension, "order-2")
    assert alerts.send_due() == 1
    assert "order-2" in mail.outbox[1].body and "order-1" not in mail.outbox[1].body

    # After the interval, a cause seen again is told again, with its count.
    later = timezone.now() + timedelta(hours=2)
    Alert.objects.filter(cause=f"failed_job:{job_id}").update(last_seen_at=later)
    assert alerts.send_due(now=later + timedelta(seconds=1)) == 1
    assert "order-1" in mail.outbox[2].body and "(2 times since" in mail.outbox[2].body


def test_a_configured_list_gets_it_and_the_digest_signal_fires(extension, settings):
    settings.OMNIUM_INTEGRATION = {
        **settings.OMNIUM_INTEGRATION,
        "ALERT_EMAILS": ["oncall@example.com"],
    }
    received = []

    def listener(sender, alerts, **kwargs):
        received.extend(alerts)

    signals.alert_digest.connect(listener)
    try:
        fail(extension, "order-1")
        alerts.send_due()
    finally:
        signals.alert_digest.disconnect(listener)
    assert mail.outbox[0].to == ["oncall@example.com"]
    assert [a.kind for a in received] == [AlertKind.FAILED_JOB]


def test_a_queue_going_down_is_told_by_the_alert_schedule(extension):
    job_id, _ = manager.enqueue(RECORD, extension_id=extension.pk, object_id="stuck")
    ExternalSyncJob.objects.filter(pk=job_id).update(
        next_attempt_at=timezone.now() - timedelta(minutes=20)
    )
    downs = []

    def listener(sender, queue, reasons, **kwargs):
        downs.append(queue)

    signals.queue_down.connect(listener)
    try:
        assert tasks.send_alerts() == 1
        assert tasks.send_alerts() == 0  # still down: told once per interval
    finally:
        signals.queue_down.disconnect(listener)
    assert downs == [ORDER_Q]
    (message,) = mail.outbox
    assert "1 x Queue down" in message.subject
    assert f"{ORDER_Q} is down: a due job has waited" in message.body


def test_a_digest_that_cannot_be_sent_stays_due(extension):
    from flow_stub_project.devstack import free_port

    fail(extension, "order-1")
    with override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=free_port(),  # nothing listens: the SMTP connection is refused
        EMAIL_TIMEOUT=2,
    ):
        assert alerts.send_due() == 0
    assert Alert.objects.get().notified_at is None
    assert alerts.send_due() == 1 and len(mail.outbox) == 1
