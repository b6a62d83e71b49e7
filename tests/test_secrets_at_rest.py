"""Credentials are encrypted in the database under ENCRYPTION_KEYS; keys can be rotated;
a missing or wrong key fails loudly, never by sending something to Omnium."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core import checks
from django.core.exceptions import FieldError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.test import override_settings

from omnium_integration import crypto, stored_secrets
from omnium_integration.checks import check_encryption_keys, check_stored_secrets
from omnium_integration.client import get_client
from omnium_integration.enums import JobStatus, Queue
from omnium_integration.jobs import worker
from omnium_integration.models import ExternalSyncJob, TenantExtension, WebhookSecret
from tests.flow_factories import make_order

CLIENT_SECRET = "s3cr3t-value"  # the conftest extension's


def keys_setting(*keys: str):
    from django.conf import settings

    return override_settings(
        OMNIUM_INTEGRATION={**settings.OMNIUM_INTEGRATION, "ENCRYPTION_KEYS": list(keys)}
    )


def current_key() -> str:
    from omnium_integration.conf import app_settings

    return app_settings.ENCRYPTION_KEYS[0]


def raw(model, pk, column: str) -> str:
    """The column as stored, read past the ORM."""
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        column = connection.ops.quote_name(column)
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])  # noqa: S608
        return cursor.fetchone()[0]


def run(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


# --------------------------------------------------------------------- at rest


def test_client_secret_token_and_webhook_secret_are_ciphertext_in_the_database(omnium, sandbox):
    get_client(omnium).get_order("a")  # fetches and stores a token
    row = TenantExtension.objects.get(pk=omnium.pk)
    hook = WebhookSecret.objects.get(extension=omnium)
    stored = {
        "client_secret": raw(TenantExtension, omnium.pk, "client_secret"),
        "token": raw(TenantExtension, omnium.pk, "token"),
        "webhook secret": raw(WebhookSecret, hook.pk, "secret"),
    }
    clear = {"client_secret": CLIENT_SECRET, "token": row.token, "webhook secret": hook.secret}
    for name, value in stored.items():
        assert value.startswith("gAAAAA"), name
        assert clear[name] not in value, name
        assert Fernet(current_key()).decrypt(value.encode()).decode() == clear[name], name
    assert row.client_secret == CLIENT_SECRET and row.token.startswith("eyJ")
    # The same text encrypts differently every time: nothing to compare across rows.
    other = TenantExtension(client_secret=CLIENT_SECRET)
    field = TenantExtension._meta.get_field("client_secret")
    assert field.get_prep_value(CLIENT_SECRET) != field.get_prep_value(other.client_secret)


def test_an_empty_value_stays_empty_and_only_emptiness_can_be_queried(extension):
    TenantExtension.objects.filter(pk=extension.pk).update(client_secret="")
    assert raw(TenantExtension, extension.pk, "client_secret") == ""
    assert TenantExtension.objects.filter(client_secret="").count() == 1
    assert TenantExtension.objects.exclude(token="").count() == 0
    with pytest.raises(FieldError, match="is encrypted"):
        TenantExtension.objects.filter(client_secret=CLIENT_SECRET).count()
    with pytest.raises(FieldError, match="Unsupported lookup"):
        TenantExtension.objects.filter(client_secret__contains="s3").count()


def test_dumpdata_keeps_values_encrypted_and_loaddata_reads_them_back(extension, tmp_path):
    out = StringIO()
    call_command("dumpdata", "omnium_integration.tenantextension", stdout=out)
    dump = out.getvalue()
    assert CLIENT_SECRET not in dump and extension.webhook_secret not in dump
    fields = json.loads(dump)[0]["fields"]
    assert fields["client_secret"].startswith("gAAAAA")
    TenantExtension.objects.filter(pk=extension.pk).update(client_secret="")
    path = tmp_path / "dump.json"
    path.write_text(dump)
    call_command("loaddata", str(path), verbosity=0)
    assert TenantExtension.objects.get(pk=extension.pk).client_secret == CLIENT_SECRET


# ------------------------------------------------------------------ wrong keys


def test_a_key_that_did_not_encrypt_the_rows_fails_loudly_and_nothing_reaches_omnium(
    omnium, sandbox, store
):
    make_order(store, "POS-1")  # writes an order.export job
    with keys_setting(Fernet.generate_key().decode()):
        with pytest.raises(crypto.UnreadableSecret) as caught:
            TenantExtension.objects.get(pk=omnium.pk)
        message = str(caught.value)
        assert "omnium_integration.TenantExtension.client_secret" in message
        assert CLIENT_SECRET not in message and "gAAAAA" not in message
        assert caught.value.__cause__ is None and caught.value.__context__ is None
        worker.drain(Queue.ORDER)
    job = ExternalSyncJob.objects.get()
    assert job.status == JobStatus.FAILED
    assert "could not be decrypted" in job.last_error
    assert sandbox.token_requests() == 0 and sandbox.call_count("POST /api/Orders") == 0


def test_the_system_checks_name_missing_malformed_and_wrong_keys(extension):
    with keys_setting():
        assert [e.id for e in check_encryption_keys(databases=None)] == ["omnium_integration.W020"]
        assert [e.id for e in check_encryption_keys(databases=["default"])] == [
            "omnium_integration.E020"
        ]
        assert [e.level for e in check_encryption_keys(databases=["default"])] == [checks.ERROR]
    with keys_setting("not-a-key"):
        errors = check_encryption_keys(databases=None)
        assert [e.id for e in errors] == ["omnium_integration.E020"]
        assert "not-a-key" not in errors[0].msg  # a key is never quoted
    key = current_key()
    with keys_setting(key, key):
        assert "twice" in check_encryption_keys()[0].msg
    assert check_encryption_keys(databases=["default"]) == []
    assert check_stored_secrets(databases=["default"]) == []
    with keys_setting(Fernet.generate_key().decode()):
        errors = check_stored_secrets(databases=["default"])
        assert {e.id for e in errors} == {"omnium_integration.E021"}
        assert any("TenantExtension.client_secret" in e.msg for e in errors)
        assert any("WebhookSecret.secret" in e.msg for e in errors)


def test_without_a_key_nothing_is_saved_and_the_error_says_what_to_do(tenant):
    refused = pytest.raises(crypto.EncryptionKeyError, match="generate-key")
    with keys_setting(), refused, transaction.atomic():
        TenantExtension.objects.create(tenant=tenant, client_secret="x")
    assert not TenantExtension.objects.exists()


def test_migrate_refuses_to_run_with_a_key_that_opens_nothing(extension):
    with keys_setting(Fernet.generate_key().decode()), pytest.raises(Exception) as caught:
        call_command("check", "--database", "default", stdout=StringIO(), stderr=StringIO())
    assert "omnium_integration.E021" in str(caught.value)


# ---------------------------------------------------------------------- rotation


def test_a_key_is_rotated_without_losing_a_value(omnium, sandbox):
    get_client(omnium).get_order("a")
    old, new = current_key(), Fernet.generate_key().decode()
    token = TenantExtension.objects.get(pk=omnium.pk).token
    hook = omnium.webhook_secret
    with keys_setting(new, old):  # the new key first, the old one still there
        assert TenantExtension.objects.get(pk=omnium.pk).client_secret == CLIENT_SECRET
        assert "would move 1" in run("omnium_secrets", "reencrypt", "--dry-run")
        assert not crypto.is_under_newest_key(raw(TenantExtension, omnium.pk, "client_secret"))
        out = run("omnium_secrets", "reencrypt")
        assert "3 value(s) re-encrypted" in out  # client secret, token, webhook secret
        assert "moved 0" in run("omnium_secrets", "reencrypt")  # nothing left to do
    with keys_setting(new):  # the old key removed
        row = TenantExtension.objects.get(pk=omnium.pk)
        assert (row.client_secret, row.token, row.webhook_secret) == (CLIENT_SECRET, token, hook)
        assert "Every stored value opens" in run("omnium_secrets", "verify")
        clear_and_call = get_client(row).get_order("b")
        assert clear_and_call is None and sandbox.token_requests() == 1  # the token still works


def test_reencryption_never_overwrites_a_value_written_meanwhile(extension):
    old, new = current_key(), Fernet.generate_key().decode()
    before = raw(TenantExtension, extension.pk, "client_secret")
    with keys_setting(new, old):
        TenantExtension.objects.filter(pk=extension.pk).update(client_secret="renewed")
        field = TenantExtension._meta.get_field("client_secret")
        stored_secrets._swap(TenantExtension, field, "default", extension.pk, before, "x")
        assert TenantExtension.objects.get(pk=extension.pk).client_secret == "renewed"


def test_verify_and_reencrypt_fail_on_values_no_key_opens(extension):
    with keys_setting(Fernet.generate_key().decode()):
        with pytest.raises(CommandError, match="cannot be decrypted"):
            run("omnium_secrets", "verify")
        with pytest.raises(CommandError, match="left as they are"):
            run("omnium_secrets", "reencrypt")
    assert TenantExtension.objects.get(pk=extension.pk).client_secret == CLIENT_SECRET


def test_generate_key_prints_a_usable_key_and_runs_without_keys(db):
    with keys_setting():
        key = run("omnium_secrets", "generate-key").strip()
    assert Fernet(key).decrypt(Fernet(key).encrypt(b"x")) == b"x"
    with keys_setting(), pytest.raises(CommandError, match="ENCRYPTION_KEYS"):
        run("omnium_secrets", "verify")


def test_one_tenant_no_key_opens_fails_alone(omnium, sandbox, store):
    """A row restored from another installation: its jobs fail with the reason, its
    check says so in one line, the poll goes on; the other tenant syncs as usual."""
    from flow_stub_project.flow.models import Store, Tenant
    from omnium_integration.sync.order_poll import poll_all

    other = Tenant.objects.create(uid="tenant_se", name="SE", country_code="SE", currency="SEK")
    other_store = Store.objects.create(tenant=other, uid="sto", name="S", country_code="SE")
    broken = TenantExtension.objects.create(
        tenant=other,
        is_active=True,
        client_id="se",
        client_secret="se-secret",
        default_shipping_method_id="in-store",
        api_base_url=sandbox.url,
    )
    foreign = Fernet(Fernet.generate_key()).encrypt(b"se-secret").decode()
    table = connection.ops.quote_name(TenantExtension._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET client_secret = %s WHERE id = %s", [foreign, broken.pk])  # noqa: S608
    make_order(store, "POS-1")
    make_order(other_store, "POS-2")
    worker.drain(Queue.ORDER)
    jobs = {job.extension_id: job for job in ExternalSyncJob.objects.all()}
    assert jobs[omnium.pk].status == JobStatus.SUCCEEDED
    assert jobs[broken.pk].status == JobStatus.FAILED
    assert "TenantExtension.client_secret could not be decrypted" in jobs[broken.pk].last_error
    assert list(sandbox.state.orders) == ["POS1"] and sandbox.token_requests("se") == 0
    out = StringIO()
    with pytest.raises(CommandError, match="1 tenant"):
        call_command("omnium_check", stdout=out)
    assert "credentials   UNREADABLE: omnium_integration.TenantExtension.client_secret" in (
        out.getvalue()
    )
    assert "connection    OK" in out.getvalue()
    results = poll_all()
    assert "error" not in results[str(omnium.pk)]
    assert results[str(broken.pk)] == {"error": "UnreadableSecret"}
