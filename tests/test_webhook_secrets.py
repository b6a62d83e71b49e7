"""Webhook secrets rotated without refusing an event: a new one is added while the old one
keeps working for the overlap, then the old one is retired (admin and command); both are
compared in constant time, and each event names the secret it came with."""

from __future__ import annotations

import hmac
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from omnium_integration import credentials
from omnium_integration.enums import CredentialChangeKind
from omnium_integration.exceptions import ConfigurationError
from omnium_integration.models import CredentialChange, InboundEvent, WebhookSecret
from tests.conftest import IMPORTED_TYPES
from tests.omnium_orders import omnium_order
from tests.test_webhook import order_event, post


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def secret_used(response) -> str:
    return str(InboundEvent.objects.get(pk=response.json()["event"]).webhook_secret)


# ----------------------------------------------------------------- add and overlap


def test_a_new_secret_works_at_once_and_the_old_one_until_the_overlap_ends(client, extension):
    old = extension.webhook_secret
    added, new = credentials.add_webhook_secret(extension, by="ops")
    assert (added.number, extension.webhook_secret) == (2, new)
    assert new != old and len(new) >= 40
    first = post(client, order_event("A"), secret=old)
    second = post(client, order_event("B"), secret=new)
    assert (first.status_code, second.status_code) == (202, 202)
    assert (secret_used(first), secret_used(second)) == ("#1", "#2")
    one = WebhookSecret.objects.get(extension=extension, number=1)
    overlap = one.expires_at - added.created_at
    assert overlap == timedelta(hours=72)  # WEBHOOK_SECRET_OVERLAP's default
    WebhookSecret.objects.filter(pk=one.pk).update(expires_at=timezone.now())  # time passes
    assert post(client, order_event("C"), secret=old).status_code == 401
    assert post(client, order_event("D"), secret=new).status_code == 202


def test_the_overlap_is_a_setting_and_adding_again_never_lengthens_it(extension, settings):
    settings.OMNIUM_INTEGRATION = {**settings.OMNIUM_INTEGRATION, "WEBHOOK_SECRET_OVERLAP": 600}
    second, _ = credentials.add_webhook_secret(extension, by="ops")
    first_end = WebhookSecret.objects.get(extension=extension, number=1).expires_at
    assert first_end == second.created_at + timedelta(seconds=600)
    third, _ = credentials.add_webhook_secret(extension, by="ops", overlap=timedelta(hours=5))
    secrets = {s.number: s for s in extension.webhook_secrets.all()}
    assert secrets[1].expires_at == first_end  # an earlier end is kept
    assert secrets[2].expires_at == third.created_at + timedelta(hours=5)
    assert secrets[3].expires_at is None


def test_an_ended_secret_loses_its_value_at_the_next_change(extension):
    credentials.add_webhook_secret(extension, by="ops", overlap=timedelta(0))
    credentials.add_webhook_secret(extension, by="ops")
    first = WebhookSecret.objects.get(extension=extension, number=1)
    assert first.secret == "" and first.state().startswith("ended")


def test_every_offered_value_is_compared_with_every_secret_whichever_matches(
    extension, monkeypatch
):
    _, new = credentials.add_webhook_secret(extension, by="ops")
    old = WebhookSecret.objects.get(extension=extension, number=1).secret
    calls = []
    real = hmac.compare_digest

    def counting(a, b):
        calls.append((len(a), len(b)))
        return real(a, b)

    monkeypatch.setattr(credentials.hmac, "compare_digest", counting)
    for offered in ([old, "x"], [new, "x"], ["wrong", "x"]):
        calls.clear()
        found = credentials.matching_webhook_secret(extension, offered)
        assert len(calls) == 4  # 2 offered x 2 usable, whether and wherever one matched
        assert {pair for pair in calls} == {(32, 32)}  # digests: lengths say nothing
        assert (found.number if found else None) == {old: 1, new: 2}.get(offered[0])


def test_the_api_key_header_and_the_bearer_are_checked_against_every_secret(client, extension):
    _, new = credentials.add_webhook_secret(extension, by="ops")
    response = post(client, order_event("A"), HTTP_X_OMNIUM_API_KEY=new)
    assert response.status_code == 202 and secret_used(response) == "#2"
    both = post(
        client, order_event("B"), secret="wrong", HTTP_X_OMNIUM_API_KEY=extension.webhook_secret
    )
    assert both.status_code == 202


# ------------------------------------------------------------------------ retire


def test_retiring_refuses_the_secret_erases_it_and_is_recorded(client, extension):
    old = extension.webhook_secret
    credentials.add_webhook_secret(extension, by="alice")
    retired = credentials.retire_webhook_secret(extension, 1, by="bob")
    assert retired.state().startswith("retired") and retired.retired_by == "bob"
    assert WebhookSecret.objects.get(pk=retired.pk).secret == ""
    assert post(client, order_event("A"), secret=old).status_code == 401
    changes = list(CredentialChange.objects.order_by("pk"))
    assert [(c.kind, c.changed_by, c.tenant_key) for c in changes] == [
        (CredentialChangeKind.WEBHOOK_SECRET_ADDED, "alice", "tenant_no"),
        (CredentialChangeKind.WEBHOOK_SECRET_RETIRED, "bob", "tenant_no"),
    ]
    assert changes[1].detail == "#1"
    for change in changes:
        assert old not in change.detail and extension.webhook_secret not in change.detail


def test_the_last_usable_secret_cannot_be_retired(extension):
    with pytest.raises(ConfigurationError, match="only one Omnium can use"):
        credentials.retire_webhook_secret(extension, 1, by="ops")
    with pytest.raises(ConfigurationError, match="no webhook secret #7"):
        credentials.retire_webhook_secret(extension, 7, by="ops")
    assert extension.webhook_secrets.usable().count() == 1
    assert not CredentialChange.objects.exists()


def test_events_keep_the_secret_they_came_with_after_it_is_retired(client, extension):
    response = post(client, order_event("A"), secret=extension.webhook_secret)
    credentials.add_webhook_secret(extension, by="ops")
    credentials.retire_webhook_secret(extension, 1, by="ops")
    assert secret_used(response) == "#1"


# ---------------------------------------------------------------------- commands


def test_the_command_adds_prints_once_lists_and_retires(client, extension):
    old = extension.webhook_secret
    out = run("omnium_webhook_secret", "add", "--tenant", "tenant_no", "--overlap-hours", "2")
    new = extension.webhook_secret
    assert "Webhook secret #2 added. It is shown this once:" in out
    assert f"Authorization: Bearer {new}" in out and f"X-Omnium-Api-Key: {new}" in out
    assert "#1 is accepted until" in out
    end = WebhookSecret.objects.get(extension=extension, number=1).expires_at
    assert abs((end - timezone.now()) - timedelta(hours=2)) < timedelta(minutes=1)
    post(client, order_event("A"), secret=new)
    listing = run("omnium_webhook_secret", "list", "--tenant", "tenant_no")
    assert listing.splitlines()[0].startswith("#2  accepted; added ")
    assert "last event never" in listing.splitlines()[1] and "(manage.py)" in listing
    assert new not in listing and old not in listing
    assert "#1 retired" in run("omnium_webhook_secret", "retire", "1", "--tenant", "tenant_no")
    change = CredentialChange.objects.latest("pk")
    assert change.kind == CredentialChangeKind.WEBHOOK_SECRET_RETIRED
    assert change.changed_by.endswith("(manage.py)")


def test_the_command_says_what_is_wrong_in_one_line(extension):
    with pytest.raises(CommandError, match="only one Omnium can use"):
        run("omnium_webhook_secret", "retire", "1", "--tenant", "tenant_no")
    with pytest.raises(CommandError, match="No Omnium extension for tenant 'nope'"):
        run("omnium_webhook_secret", "list", "--tenant", "nope")
    with pytest.raises(CommandError, match="cannot be negative"):
        run("omnium_webhook_secret", "add", "--tenant", "tenant_no", "--overlap-hours", "-1")


def test_omnium_check_names_the_secret_in_use_and_the_ones_still_accepted(omnium, sandbox):
    credentials.add_webhook_secret(omnium, by="ops")
    out = run("omnium_check", "--show-webhook-secret")
    assert f"Authorization: Bearer {omnium.webhook_secret}' " in out and "(secret #2)" in out
    assert "secret #1 also accepted until" in out
    hidden = run("omnium_check")
    assert omnium.webhook_secret not in hidden


# ------------------------------------------------------ rotation over real HTTP


@pytest.mark.django_db(transaction=True)
def test_rotating_while_omnium_sends_events_refuses_none(omnium, store, sandbox, live_server):
    """The whole procedure, with Omnium delivering throughout: add, switch the
    subscription, retire; every event is accepted and names the secret it came with."""
    from django.urls import reverse

    url = live_server.url + reverse("omnium_integration:events", args=[omnium.tenant.uid])
    old = omnium.webhook_secret
    subscription = sandbox.subscribe(
        url, headers={"Authorization": f"Bearer {old}"}, order_types=IMPORTED_TYPES
    )

    def order_placed(order_id: str) -> None:
        sandbox.seed_order(omnium_order(order_id))
        assert sandbox.events.wait_idle(timeout=30)

    order_placed("CC-1")
    out = run("omnium_webhook_secret", "add", "--tenant", omnium.tenant.uid)
    new = out.split("Bearer ", 1)[1].split()[0]
    order_placed("CC-2")  # Omnium still sends the old secret
    sandbox.edit_subscription(subscription, headers={"X-Omnium-Api-Key": new})
    order_placed("CC-3")
    run("omnium_webhook_secret", "retire", "1", "--tenant", omnium.tenant.uid)
    order_placed("CC-4")
    statuses = {d["status"] for d in sandbox.events.deliveries}
    assert statuses == {202}, sandbox.events.deliveries
    used = dict(InboundEvent.objects.values_list("object_id", "webhook_secret__number"))
    assert used == {"CC-1": 1, "CC-2": 1, "CC-3": 2, "CC-4": 2}
