"""Migration 0006 on a database written by 0005: secrets encrypted in place, each webhook
secret becomes #1, job operators keep retry and cancel; and back again."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission, User
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from flow_stub_project.flow.models import Tenant
from omnium_integration.models import TenantExtension, WebhookSecret

APP = "omnium_integration"
BEFORE = (APP, "0005_identity_map")
AFTER = (APP, "0006_secrets")
TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJleHAiOjF9.c2ln"


def migrate(target):
    executor = MigrationExecutor(connection)
    executor.migrate([target])
    return executor.loader.project_state([target]).apps


def latest():
    return MigrationExecutor(connection).loader.graph.leaf_nodes(APP)[0]


def raw_row(pk: int) -> dict:
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM omnium_integration_tenantextension WHERE id = %s", [pk])
        names = [column[0] for column in cursor.description]
        return dict(zip(names, cursor.fetchone(), strict=True))


@pytest.fixture
def at_0005(transactional_db):
    old = migrate(BEFORE)
    try:
        yield old
    finally:
        migrate(latest())


def test_0006_encrypts_what_0005_stored_and_going_back_restores_it(at_0005):
    tenant = Tenant.objects.create(uid="t1", name="T", country_code="NO", currency="NOK")
    bare = Tenant.objects.create(uid="t2", name="U", country_code="NO", currency="NOK")
    old_extension = at_0005.get_model(APP, "TenantExtension")
    full = old_extension.objects.create(
        tenant_id=tenant.pk,
        client_id="c1",
        client_secret="plain-secret",
        token=TOKEN,
        webhook_secret="hook-secret",
    )
    empty = old_extension.objects.create(tenant_id=bare.pk, webhook_secret="other-hook")
    operator = User.objects.create_user("ops", is_staff=True)
    operator.user_permissions.add(Permission.objects.get(codename="change_externalsyncjob"))
    operator.user_permissions.remove(Permission.objects.get(codename="operate_externalsyncjob"))

    migrate(AFTER)
    row = raw_row(full.pk)
    assert row["client_secret"].startswith("gAAAAA") and "plain-secret" not in row["client_secret"]
    assert row["token"].startswith("gAAAAA") and TOKEN not in row["token"]
    assert "webhook_secret" not in row
    assert raw_row(empty.pk)["client_secret"] == "" and raw_row(empty.pk)["token"] == ""
    # Only what 0006 knows: later migrations add columns this schema does not have yet.
    at_0006 = TenantExtension.objects.only("client_secret", "token")
    migrated = at_0006.get(pk=full.pk)
    assert (migrated.client_secret, migrated.token) == ("plain-secret", TOKEN)
    assert migrated.webhook_secret == "hook-secret"
    first = WebhookSecret.objects.get(extension=migrated)
    assert (first.number, first.expires_at, first.created_by) == (1, None, "migration 0006")
    assert at_0006.get(pk=empty.pk).webhook_secret == "other-hook"
    assert User.objects.get(pk=operator.pk).has_perm(f"{APP}.operate_externalsyncjob")

    # A rotation after the upgrade: going back keeps the secret Omnium sends now.
    WebhookSecret.objects.create(extension=migrated, number=2, secret="newer-hook")
    migrate(BEFORE)
    row = raw_row(full.pk)
    assert (row["client_secret"], row["token"], row["webhook_secret"]) == (
        "plain-secret",
        TOKEN,
        "newer-hook",
    )
    assert raw_row(empty.pk)["webhook_secret"] == "other-hook"
