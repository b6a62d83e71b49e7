"""Bad input gets a clear answer and loses nothing: a Content-Length that is not a number,
a POS sale with no shipping method to send."""

from __future__ import annotations

import json
import socket
from urllib.parse import urlsplit

import pytest
from django.urls import reverse

from omnium_integration.enums import JobKind, JobStatus, Queue
from omnium_integration.jobs import manager, worker
from omnium_integration.models import ExternalSyncJob, InboundEvent, TenantExtension
from tests.flow_factories import make_order
from tests.test_webhook import order_event, post

# ---------------------------------------------------------------- Content-Length


def raw_post(base_url: str, path: str, headers: dict[str, str], body: bytes) -> tuple[int, bytes]:
    """One HTTP/1.1 request written by hand: the headers exactly as given."""
    url = urlsplit(base_url)
    lines = [f"POST {path} HTTP/1.1", f"Host: {url.netloc}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    request = ("\r\n".join(lines) + "\r\n\r\n").encode() + body
    with socket.create_connection((url.hostname, url.port), timeout=10) as conn:
        conn.sendall(request)
        answer = b""
        while chunk := conn.recv(65536):
            answer += chunk
    head, _, payload = answer.partition(b"\r\n\r\n")
    return int(head.split()[1]), payload


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("length", ["abc", "-5", "1e3", "12 34"])
def test_a_raw_request_with_a_non_numeric_content_length_is_a_400(extension, live_server, length):
    path = reverse("omnium_integration:events", args=["tenant_no"])
    status, payload = raw_post(
        live_server.url,
        path,
        {
            "Authorization": f"Bearer {extension.webhook_secret}",
            "Content-Type": "application/json",
            "Content-Length": length,
        },
        json.dumps(order_event()).encode(),
    )
    assert status == 400, payload
    assert json.loads(payload)["error"] == "bad_content_length"
    assert b"Traceback" not in payload
    assert not InboundEvent.objects.exists() and not ExternalSyncJob.objects.exists()


def test_the_length_is_checked_after_the_secret(client, extension):
    wrong = post(client, order_event(), secret="wrong", CONTENT_LENGTH="abc")
    assert wrong.status_code == 401
    right = post(client, order_event(), secret=extension.webhook_secret, CONTENT_LENGTH="abc")
    assert right.status_code == 400 and right.json()["error"] == "bad_content_length"
    ok = post(client, order_event(), secret=extension.webhook_secret)
    assert ok.status_code == 202  # a well-formed delivery still goes through


# ----------------------------------------------------------------- shipping method


def test_a_sale_without_a_shipping_method_goes_with_the_documented_default(omnium, sandbox, store):
    TenantExtension.objects.filter(pk=omnium.pk).update(default_shipping_method_id="")
    make_order(store, "POS-1")
    worker.drain(Queue.ORDER)
    assert ExternalSyncJob.objects.get().status == JobStatus.SUCCEEDED
    shipment = sandbox.state.orders["POS1"]["orderForm"]["shipments"][0]
    assert (shipment["shippingMethodId"], shipment["shippingMethodName"]) == (
        "InStore",
        "InStore",
    )  # POS_SHIPPING_METHOD, never a shipment without a method


def test_without_any_shipping_method_a_sale_fails_with_the_reason_and_sends_nothing(
    omnium, sandbox, store, settings
):
    settings.OMNIUM_INTEGRATION = {**settings.OMNIUM_INTEGRATION, "POS_SHIPPING_METHOD": ""}
    TenantExtension.objects.filter(pk=omnium.pk).update(default_shipping_method_id="")
    order = make_order(store, "POS-1")
    worker.drain(Queue.ORDER)
    job = ExternalSyncJob.objects.get(kind=JobKind.ORDER_EXPORT)
    assert job.status == JobStatus.FAILED
    assert "OMNIUM_DEFAULT_SHIPPING_METHOD_ID" in job.last_error
    assert "names no shipping method" in job.last_error
    assert sandbox.call_count("POST /api/Orders") == 0 and not sandbox.state.orders
    # The operator sets the parameter and retries: the sale goes, with that method.
    TenantExtension.objects.filter(pk=omnium.pk).update(default_shipping_method_id="pickup")
    manager.retry_now(ExternalSyncJob.objects.filter(pk=job.pk))
    worker.drain(Queue.ORDER)
    shipment = sandbox.state.orders["POS1"]["orderForm"]["shipments"][0]
    assert shipment["shippingMethodId"] == "pickup" and order.uid == "POS-1"


def test_a_sale_that_names_its_shipping_method_needs_no_default(omnium, sandbox, store):
    TenantExtension.objects.filter(pk=omnium.pk).update(default_shipping_method_id="")
    make_order(store, "POS-2", shipping_method_id="home-delivery")
    worker.drain(Queue.ORDER)
    assert ExternalSyncJob.objects.get().status == JobStatus.SUCCEEDED
    shipment = sandbox.state.orders["POS2"]["orderForm"]["shipments"][0]
    assert shipment["shippingMethodId"] == "home-delivery"


def test_omnium_check_reports_the_missing_parameter(omnium, sandbox, settings):
    from io import StringIO

    from django.core.management import call_command
    from django.core.management.base import CommandError

    TenantExtension.objects.filter(pk=omnium.pk).update(default_shipping_method_id="")
    out = StringIO()
    call_command("omnium_check", stdout=out)  # the documented default covers it
    assert "not set: POS sales that name no shipping method go with 'InStore'" in out.getvalue()
    settings.OMNIUM_INTEGRATION = {**settings.OMNIUM_INTEGRATION, "POS_SHIPPING_METHOD": ""}
    out = StringIO()
    with pytest.raises(CommandError, match="1 tenant"):
        call_command("omnium_check", stdout=out)
    assert "MISSING: OMNIUM_DEFAULT_SHIPPING_METHOD_ID" in out.getvalue()
