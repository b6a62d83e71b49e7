from __future__ import annotations

import sys
from pathlib import Path

import pytest
from django.conf import settings

from flow_stub_project.flow.models import Store, Tenant
from omnium_integration.models import TenantExtension

ROOT = Path(__file__).resolve().parent.parent
ON_POSTGRES = settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


def pytest_collection_modifyitems(config, items):
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL (set DATABASE_URL)")
    for item in items:
        if "postgres" in item.keywords and not ON_POSTGRES:
            item.add_marker(skip_pg)


@pytest.fixture
def tenant(db) -> Tenant:
    return Tenant.objects.create(
        uid="tenant_no", name="Nordic Retail", country_code="NO", currency="NOK"
    )


@pytest.fixture
def store(tenant) -> Store:
    return Store.objects.create(tenant=tenant, uid="oslo_city", name="Oslo City", country_code="NO")


@pytest.fixture
def extension(tenant) -> TenantExtension:
    return TenantExtension.objects.create(
        tenant=tenant,
        is_active=True,
        client_id="flow-client",
        client_secret="s3cr3t-value",
        default_shipping_method_id="in-store",  # POS sales that name none are refused
    )


@pytest.fixture
def runs_file(tmp_path) -> Path:
    path = tmp_path / "runs.txt"
    path.touch()
    return path


def read_runs(path: Path) -> list[int]:
    """Job ids in the order the recording handler ran them."""
    return [int(line.split()[0]) for line in path.read_text().splitlines() if line]


@pytest.fixture
def child_env(transactional_db) -> dict[str, str]:
    """Environment for a subprocess that must use the test database (committed data only)."""
    from flow_stub_project.devstack import child_env

    return child_env(DJANGO_SETTINGS_MODULE="tests.settings")


PYTHON = sys.executable


# --- the Omnium sandbox ------------------------------------------------------------------


@pytest.fixture(scope="session")
def _sandbox_server():
    from omnium_sandbox import OmniumSandbox

    # Omnium retries webhooks after 1, 5 and 15 s; tests need the same policy, faster.
    server = OmniumSandbox(webhook_retry_delays=(0.05, 0.1, 0.2), webhook_timeout=5.0)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def sandbox(_sandbox_server):
    """The session's Omnium sandbox, reset: no data, users, faults, subscriptions, counts."""
    from omnium_integration.client import clear_clients

    _sandbox_server.reset()
    clear_clients()  # a client from an earlier test would hold a token the reset revoked
    yield _sandbox_server
    clear_clients()


def call(session, method: str, path: str, **kwargs):
    """One request of a sandbox ``api`` session to ``path``."""
    return session.request(method, session.base + path, timeout=10, **kwargs)


@pytest.fixture
def api(sandbox):
    """A requests session authenticated as an API user of the sandbox (every role); its
    ``base`` is the sandbox's URL, for :func:`call`."""
    import requests

    sandbox.add_credentials("cid", "secret")
    session = requests.Session()
    session.base = sandbox.url
    token = call(
        session,
        "POST",
        "/api/token",
        params={"clientId": "cid", "clientSecret": "secret", "returnAsJson": "true"},
    ).json()["accessToken"]
    session.headers["Authorization"] = f"Bearer {token}"
    yield session
    session.close()


@pytest.fixture
def omnium(extension, sandbox) -> TenantExtension:
    """The ``extension`` pointed at the sandbox, its credentials registered there."""
    extension.api_base_url = sandbox.url
    extension.save(update_fields=["api_base_url"])
    sandbox.add_credentials(extension.client_id, extension.client_secret)
    return extension


@pytest.fixture
def api_client(tenant):
    """A DRF APIClient calling Flow's API with an API token of the ``tenant`` fixture."""
    from rest_framework.test import APIClient

    from flow_stub_project.flow.api.authentication import new_api_token

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {new_api_token(tenant, 'pos-1').key}")
    return client


# Omnium's order types the import takes (the sandbox's subscription filters on them).
IMPORTED_TYPES = ["ClickAndCollect", "Online", "OnlineOrder"]


def subscribe_live_flow(omnium, sandbox, live_server) -> TenantExtension:
    """Give ``omnium`` its handling tasks and subscribe Flow's live webhook in Omnium."""
    from django.urls import reverse

    omnium.click_collect_orderhandling_uid = "cc_pickup"
    omnium.online_order_handling_uid = "web_shipping"
    omnium.save()
    url = live_server.url + reverse("omnium_integration:events", args=[omnium.tenant.uid])
    sandbox.subscribe(
        url,
        headers={"Authorization": f"Bearer {omnium.webhook_secret}"},
        order_types=IMPORTED_TYPES,
    )
    return omnium


def subscribe_customer_events(omnium, sandbox, live_server) -> TenantExtension:
    """Subscribe Flow's live webhook to Omnium's private and business customer events."""
    from django.urls import reverse

    url = live_server.url + reverse("omnium_integration:events", args=[omnium.tenant.uid])
    sandbox.subscribe(
        url,
        headers={"Authorization": f"Bearer {omnium.webhook_secret}"},
        class_names=["PrivateCustomer", "BusinessCustomer"],
    )
    return omnium
