"""Test connection and ``omnium_check``: a new token and one authenticated call, over real
HTTP to the sandbox, naming what is wrong; and what a refusal does to health and alerts."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings
from django.urls import reverse

from flow_stub_project.devstack import free_port
from omnium_integration.client import get_client
from omnium_integration.models import Alert, AlertKind, TenantExtension


def check(extension):
    return get_client(extension).check()


def test_a_revoked_token_with_good_credentials_is_replaced_and_ok(omnium, sandbox):
    assert check(omnium).ok
    old_token = TenantExtension.objects.get(pk=omnium.pk).token
    sandbox.revoke_tokens()
    result = check(omnium)
    assert result.ok and result.token_renewal_due is not None
    new_token = TenantExtension.objects.get(pk=omnium.pk).token
    assert new_token and new_token != old_token  # every worker now has a working token
    assert sandbox.token_requests() == 2


def test_a_deactivated_api_user_is_told_apart_from_wrong_credentials(omnium, sandbox):
    assert check(omnium).ok  # these credentials obtained a token
    sandbox.revoke_tokens()
    sandbox.deactivate(omnium.client_id)
    result = check(omnium)
    assert (result.ok, result.problem) == (False, "inactive_user")
    assert "worked before" in result.message and "Is active" in result.message
    assert omnium.client_secret not in result.message

    TenantExtension.objects.filter(pk=omnium.pk).update(client_secret="typo", token="")
    result = check(omnium)
    assert (result.ok, result.problem) == (False, "wrong_credentials")
    assert "refused the client id and secret (401)" in result.message


def test_a_token_refused_right_after_it_was_issued_means_an_inactive_user(omnium, sandbox):
    sandbox.faults.fail_next(401, path="/api/Orders/Search")
    result = check(omnium)
    assert (result.ok, result.problem) == (False, "inactive_user")
    assert "issued a token but refuses it" in result.message


def test_a_missing_role_is_forbidden(extension, sandbox):
    extension.api_base_url = sandbox.url
    extension.save()
    sandbox.add_credentials(extension.client_id, extension.client_secret, roles=["CustomerAdmin"])
    result = check(extension)
    assert (result.ok, result.problem) == (False, "forbidden")
    assert "lacks a role" in result.message and "stores" in result.message


def test_an_unreachable_omnium(extension):
    extension.api_base_url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    extension.save()
    result = check(extension)
    assert (result.ok, result.problem) == (False, "unreachable")


def test_omnium_check_names_the_problem_in_one_line_and_exits_1(omnium, sandbox):
    check(omnium)
    sandbox.deactivate(omnium.client_id)
    out = StringIO()
    with pytest.raises(CommandError, match="1 tenant\\(s\\) failed the check"):
        call_command("omnium_check", stdout=out)
    text = out.getvalue()
    line = next(line for line in text.splitlines() if "connection" in line)
    assert line.startswith("  connection    FAILED (inactive_user): Omnium refused credentials")
    assert omnium.client_secret not in text and omnium.client_id not in text


def test_omnium_check_warns_when_the_webhook_url_is_relative(omnium, sandbox, settings):
    settings.OMNIUM_INTEGRATION = {**settings.OMNIUM_INTEGRATION, "PUBLIC_BASE_URL": ""}
    out = StringIO()
    call_command("omnium_check", stdout=out)
    text = out.getvalue()
    assert "webhook URL   /omnium/events/tenant_no/" in text
    assert "WARNING       PUBLIC_BASE_URL is not set" in text
    public = {**settings.OMNIUM_INTEGRATION, "PUBLIC_BASE_URL": "https://flow.example.com"}
    with override_settings(OMNIUM_INTEGRATION=public):
        out = StringIO()
        call_command("omnium_check", stdout=out)
    assert "webhook URL   https://flow.example.com/omnium/events/tenant_no/" in out.getvalue()
    assert "WARNING" not in out.getvalue()


@override_settings(ADMINS=[("Ops", "ops@example.com")])
def test_refused_credentials_degrade_health_and_alert_once(omnium, sandbox, client):
    check(omnium)
    sandbox.revoke_tokens()
    sandbox.deactivate(omnium.client_id)
    # A worker's call: the stored token is refused, the renewal too.
    from omnium_integration.exceptions import PermanentError

    with pytest.raises(PermanentError):
        get_client(omnium).get_order("A-1")
    body = client.get(reverse("omnium_integration:health")).json()
    assert body["status"] == "degraded"
    (tenant,) = body["tenants"]
    assert tenant["status"] == "degraded"
    assert tenant["reasons"][0].startswith("Omnium refused its credentials at ")
    alert = Alert.objects.get(kind=AlertKind.CREDENTIALS)
    assert alert.notified_at is not None  # the health probe sent the digest
    (message,) = mail.outbox
    assert "tenant tenant_no: Omnium refuses its credentials" in message.body
    assert omnium.client_secret not in message.body + message.subject

    # A second refusal within the interval mails nothing more.
    with pytest.raises(PermanentError):
        get_client(omnium).get_order("A-2")
    client.get(reverse("omnium_integration:health"))
    assert len(mail.outbox) == 1

    # A good token clears the tenant's state.
    sandbox.add_credentials(omnium.client_id, omnium.client_secret)  # reactivated
    assert check(omnium).ok
    body = client.get(reverse("omnium_integration:health")).json()
    assert body["status"] == "ok" and body["tenants"][0]["reasons"] == []
