"""A host project's unit tests with ``omnium_sandbox.testing``: Omnium faked in process.

No server, no port, no thread: the app's client sends through the adapter the
``HTTP_ADAPTER`` setting names, and the installed :class:`FakeOmnium` answers. The jobs run
in the test's own thread (``worker.drain``) and inside its transaction.
"""

from __future__ import annotations

import json

import pytest
import requests
from omnium_sandbox.testing import FakeOmnium, adapter, fake_omnium

from flow_stub_project.flow.models import Order
from omnium_integration.client import clear_clients, get_client
from omnium_integration.enums import JobKind, JobStatus, Queue
from omnium_integration.exceptions import PermanentError
from omnium_integration.jobs import worker
from omnium_integration.models import ExternalSyncJob
from tests.flow_factories import make_order
from tests.omnium_orders import omnium_order
from tests.test_webhook import url_for


@pytest.fixture
def in_process(settings):
    """The host's test settings: Omnium calls go to the installed fake."""
    settings.OMNIUM_INTEGRATION = {
        **settings.OMNIUM_INTEGRATION,
        "HTTP_ADAPTER": "omnium_sandbox.testing.adapter",
    }
    clear_clients()  # a client built before holds the default transport
    yield
    clear_clients()


@pytest.fixture
def faked(in_process, extension):
    """The tenant's extension pointed at a fake Omnium holding its API user."""
    with fake_omnium() as omnium:
        # A host no one can resolve: were the adapter missed, the call would fail here.
        extension.api_base_url = omnium.url
        extension.save(update_fields=["api_base_url"])
        omnium.add_credentials(extension.client_id, extension.client_secret)
        yield omnium


def test_a_pos_sale_reaches_the_fake_in_process(faked, store):
    order = make_order(store)  # a completed sale, saved in Flow: its export job waits

    worker.drain(Queue.ORDER)

    job = ExternalSyncJob.objects.get(kind=JobKind.ORDER_EXPORT, object_id=str(order.pk))
    assert (job.status, job.result) == (
        JobStatus.SUCCEEDED,
        {"action": "created", "orderId": "POS1001"},
    )
    sent = faked.state.orders["POS1001"]
    assert (sent["orderType"], sent["status"], sent["storeId"]) == ("Pos", "Completed", "oslo_city")
    assert sent["orderForm"]["total"] * 100 == order.total  # Omnium's totals, to the cent
    assert faked.call_count("POST /api/Orders") == 1
    assert faked.token_requests("flow-client") == 1
    (call,) = faked.last_requests("POST /api/Orders")
    assert json.loads(call["body"])["id"] == "POS1001"


def test_a_fake_with_no_credentials_refuses_the_token(in_process, extension):
    with fake_omnium() as omnium:
        extension.api_base_url = omnium.url
        extension.save(update_fields=["api_base_url"])
        with pytest.raises(PermanentError) as refused:
            get_client(extension).get_order("A")
    assert refused.value.status_code == 401
    assert omnium.token_requests("flow-client") == 1
    assert omnium.call_count("GET /api/Orders/{id}") == 0  # no token, no call


def test_faults_and_validation_are_the_servers(faked, extension):
    client = get_client(extension)
    faked.faults.fail_next(503, path="/api/Orders$")
    faked.faults.drop_next(path="/api/Orders$")
    order = omnium_order("W1", "Online")
    for expected in ("503", "connection"):
        with pytest.raises(Exception, match=expected):  # noqa: PT011 - the app's wording
            client.add_order(order)
    assert client.add_order(order)["id"] == "W1"
    with pytest.raises(PermanentError) as duplicate:
        client.add_order(order)
    assert duplicate.value.status_code == 409
    assert faked.object_calls("POST /api/Orders") == {"W1": 4}


def test_events_are_recorded_and_delivered_through_the_hosts_test_client(
    in_process, omnium_extension_for_webhook, client
):
    extension = omnium_extension_for_webhook
    statuses = []

    def webhook(url, event, headers):
        response = client.post(
            requests.utils.urlparse(url).path,
            json.dumps(event),
            content_type="application/json",
            headers=headers,
        )
        statuses.append(response.status_code)
        return response

    with fake_omnium(webhook=webhook) as omnium:
        extension.api_base_url = omnium.url
        extension.save()
        omnium.add_credentials(extension.client_id, extension.client_secret)
        omnium.subscribe(
            "http://flow.test" + url_for(),
            headers={"Authorization": f"Bearer {extension.webhook_secret}"},
            order_types=["ClickAndCollect"],
        )
        omnium.seed_order(omnium_order("CC-1"))
        omnium.seed_order(omnium_order("POS-9", "Pos"))  # not subscribed: not posted

        assert [p["event"]["objectId"] for p in omnium.posted] == ["CC-1"]
        assert statuses and all(200 <= s < 300 for s in statuses)
        assert [d["status"] for d in omnium.events.deliveries] == statuses

        worker.drain(Queue.ORDER)  # the import fetches the order from the fake

    imported = Order.objects.get(external_id="CC-1")
    assert (imported.state, imported.external_order_type) == ("PARKED", "ClickAndCollect")
    assert omnium.call_count("GET /api/Orders/{id}") == 1


def test_without_an_installed_fake_nothing_is_sent():
    session = requests.Session()
    session.mount("https://", adapter())
    with pytest.raises(requests.ConnectionError, match="No FakeOmnium is installed"):
        session.get(FakeOmnium.url + "/api/Health")
    with FakeOmnium() as omnium:
        assert session.get(omnium.url + "/api/Health").json() == {"status": "Healthy"}
    with pytest.raises(requests.ConnectionError):
        session.get(FakeOmnium.url + "/api/Health")


@pytest.fixture
def omnium_extension_for_webhook(extension, store):
    """The extension with the handling tasks the Click & Collect import needs."""
    extension.click_collect_orderhandling_uid = "cc_pickup"
    extension.online_order_handling_uid = "web_shipping"
    extension.save()
    return extension
