"""Forgetting a person: the search terms, finding them in text and JSON, and the scrub of
every text and JSON column of the integration's tables (found, not listed)."""

from __future__ import annotations

import json
import re

import pytest
from django.db import connection
from django.test import override_settings

from flow_stub_project.flow.models import Tenant
from omnium_integration.enums import JobKind
from omnium_integration.fields import EncryptedTextField
from omnium_integration.jobs import manager
from omnium_integration.models import (
    ExternalSyncJob,
    ImportedOrder,
    InboundEvent,
    JobAttempt,
    TenantExtension,
)
from omnium_integration.privacy.scrub import is_scrubbed, scrub, scrubbed_columns
from omnium_integration.privacy.terms import Matcher, search_terms
from tests.personal_data import app_text_columns, find_in_app_tables

PLACEHOLDER = re.compile(r"\[erased:[0-9a-f]{8}\]")


# ---------------------------------------------------------------------------------- terms


def test_search_terms_are_distinct_long_enough_and_longest_first():
    terms = search_terms(["Kari", " kari ", "", None, "Li", "Kari  Nordmann", "kari@x.no"])
    assert terms == ["Kari Nordmann", "kari@x.no", "Kari"]


def test_a_name_is_found_whole_and_in_any_case_but_not_inside_another_word():
    matcher = Matcher(["Kari", "Nordmann"])
    out = matcher.text("KARI nordmann met Karin and Nordmannsen")
    assert "Karin" in out and "Nordmannsen" in out
    assert "KARI" not in out and "nordmann " not in out
    assert len(PLACEHOLDER.findall(out)) == 2


def test_a_phone_number_is_found_however_it_is_spaced_and_without_its_country_code():
    matcher = Matcher(["+47 415 55 123"])
    for written in ("+4741555123", "0047 41555123", "415 55 123", "(415) 55-123", "41555123"):
        out = matcher.text(f"call {written} now")
        assert PLACEHOLDER.search(out) and not re.search(r"\d", PLACEHOLDER.sub("", out)), out
    assert matcher.text("order 941555123") == "order 941555123"  # a longer number is not it


def test_each_term_has_its_own_placeholder_so_unique_values_stay_unique():
    matcher = Matcher(["kari@x.no", "ola@x.no"])
    kari, ola = matcher.text("kari@x.no"), matcher.text("ola@x.no")
    assert kari != ola and matcher.text("KARI@X.NO") == kari
    assert Matcher(["kari@x.no"]).text("kari@x.no") != kari  # and a new one each run


def test_json_strings_and_keys_are_scrubbed_and_the_rest_kept():
    matcher = Matcher(["Bjørn Ødegård", "bjorn@example.no"])
    data = {
        "message": "Customer Bjørn Ødegård changed",
        "bjorn@example.no": [1, True, None, {"email": "BJORN@example.no"}],
    }
    out = matcher.data(data)
    assert "Bjørn" not in json.dumps(out, ensure_ascii=False)
    assert "bjorn@" not in json.dumps(out).lower()
    (key,) = [k for k in out if k != "message"]
    assert out[key][:3] == [1, True, None]
    # What a database can look for: JSON as SQLite stores it escapes non-ASCII letters.
    assert "Bj\\u00f8rn \\u00d8deg\\u00e5rd" in matcher.fragments()


# ---------------------------------------------------------------------------------- scrub


@pytest.fixture
def other_extension(db) -> TenantExtension:
    other = Tenant.objects.create(uid="tenant_se", name="Svensk", country_code="SE", currency="SEK")
    return TenantExtension.objects.create(tenant=other, is_active=True)


def plant(extension: TenantExtension, text: str) -> ExternalSyncJob:
    """Rows of the kinds that can hold a person: an event, a job, its attempt, an import."""
    InboundEvent.objects.create(
        extension=extension,
        class_name="PrivateCustomer",
        object_id="C1",
        body={"message": f"Updated {text}", "tags": [text]},
        outcome="ignored",
    )
    job_id, _ = manager.enqueue(JobKind.ORDER_IMPORT, extension_id=extension.pk, object_id="W-1")
    ExternalSyncJob.objects.filter(pk=job_id).update(
        payload={"note": text}, result={"reason": f"for {text}"}, last_error=f"Omnium: {text}"
    )
    job = ExternalSyncJob.objects.get(pk=job_id)
    JobAttempt.objects.create(
        job=job,
        number=1,
        started_at=job.created_at,
        finished_at=job.created_at,
        outcome="failed",
        error=f"400: {text} exists",
    )
    ImportedOrder.objects.create(
        extension=extension, omnium_order_id="W-1", outcome="ignored", reason=f"x {text}"
    )
    return job


def test_the_scrub_reaches_every_kind_of_row_of_the_tenant_and_no_other(extension, other_extension):
    person = "Bjørn Ødegård <bjorn@example.no>"
    plant(extension, person)
    plant(other_extension, person)
    report = scrub(["Bjørn Ødegård", "bjorn@example.no"], extension_id=extension.pk)
    assert report.as_dict() == {
        "omnium_integration.ExternalSyncJob": 1,
        "omnium_integration.ImportedOrder": 1,
        "omnium_integration.InboundEvent": 1,
        "omnium_integration.JobAttempt": 1,
    }
    mine = ExternalSyncJob.objects.get(extension=extension)
    assert PLACEHOLDER.search(mine.last_error) and "Omnium: " in mine.last_error
    assert "Bjørn" not in json.dumps(InboundEvent.objects.get(extension=extension).body)
    # The other tenant's rows (someone else, perhaps, with the same name) are untouched.
    theirs = ExternalSyncJob.objects.get(extension=other_extension)
    assert theirs.last_error == f"Omnium: {person}"
    assert JobAttempt.objects.get(job=theirs).error == f"400: {person} exists"


def test_a_scrub_without_a_tenant_reaches_every_tenant(extension, other_extension):
    plant(extension, "kari@example.no")
    plant(other_extension, "kari@example.no")
    assert scrub(["kari@example.no"]).rows == 8
    assert find_in_app_tables(["kari@example.no"]) == []


def test_a_dry_run_counts_and_writes_nothing(extension):
    plant(extension, "kari@example.no")
    assert scrub(["kari@example.no"], dry_run=True).rows == 4
    assert len(find_in_app_tables(["kari@example.no"])) == 6


def test_a_placeholder_never_overflows_a_short_column(extension):
    manager.enqueue(
        JobKind.CUSTOMER_IMPORT, extension_id=extension.pk, object_id="x" * 190 + "@k.no"
    )
    scrub(["x" * 190 + "@k.no"])
    (object_id,) = ExternalSyncJob.objects.values_list("object_id", flat=True)
    assert len(object_id) <= 200 and object_id.startswith("[erased:")


@override_settings(OMNIUM_INTEGRATION={"SCRUB_MIN_TERM_LENGTH": 5, "SCRUB_PLACEHOLDER": "gone"})
def test_the_shortest_term_and_the_placeholder_are_settings(extension):
    plant(extension, "Ola Li")
    scrub(["Ola", "Li", "Ola Li"], extension_id=extension.pk)
    assert re.fullmatch(r"Omnium: \[gone:[0-9a-f]{8}\]", ExternalSyncJob.objects.get().last_error)
    assert scrub(["Ola", "Li"]).rows == 0


@pytest.mark.django_db
def test_every_text_and_json_column_of_the_apps_tables_is_scrubbed_or_holds_fixed_values():
    """The scrub finds its columns in the models; the catalogue must agree, table by table,
    so no column another change adds (a new model too) escapes the scrub unnoticed."""
    scrubbed = {
        (model._meta.db_table, f.column) for model, fields in scrubbed_columns() for f in fields
    }
    fixed = set()
    for model, _ in scrubbed_columns():
        fixed |= {
            (model._meta.db_table, f.column)
            for f in model._meta.concrete_fields
            if not is_scrubbed(f)
        }
    catalogue = set(app_text_columns())
    assert catalogue - scrubbed - fixed == set()
    # What the scrub leaves out is fixed values only: choices and keys, never free text.
    models_by_table = {m._meta.db_table: m for m, _ in scrubbed_columns()}
    for table, column in catalogue - scrubbed:
        model = models_by_table[table]
        (field,) = [f for f in model._meta.concrete_fields if f.column == column]
        assert (
            field.choices
            or field.primary_key
            or isinstance(field, EncryptedTextField)  # credentials' ciphertext, no person's
            or not field.get_internal_type().endswith(("TextField", "JSONField"))
        ), (table, column)
    assert {t for t, _ in catalogue} <= set(models_by_table)
    assert connection.introspection.table_names()  # the catalogue was read
