"""``omnium_forget``: scrubbing a person from the integration's rows by hand."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from flow_stub_project.flow.models import Tenant
from omnium_integration.enums import JobKind
from omnium_integration.models import CustomerErasure, ExternalSyncJob, TenantExtension
from tests.flow_factories import make_customer
from tests.personal_data import find_in_app_tables

EMAIL = "kari@example.com"


def forget(*args: str) -> str:
    out = StringIO()
    call_command("omnium_forget", *args, stdout=out)
    return out.getvalue()


def traces(extension, text: str) -> None:
    ExternalSyncJob.objects.filter(extension=extension).update(
        last_error=f"Omnium answered 400: {text} exists"
    )


def test_a_refused_erasure_is_scrubbed_by_hand_and_recorded(extension):
    kari = make_customer(extension.tenant, "C-1")
    traces(extension, f"Kari Nordmann <{EMAIL}>")
    kari.erase(by="pos-1")  # Omnium has not confirmed yet: the record keeps the values
    assert EMAIL in CustomerErasure.objects.get().pending_terms
    out = forget("--customer", kari.uid)
    assert "row(s) scrubbed" in out and EMAIL not in out and "Kari" not in out
    assert find_in_app_tables([EMAIL, "Kari Nordmann", "+4740000000"]) == []
    flow_erasure, by_hand = CustomerErasure.objects.order_by("pk")
    assert flow_erasure.pending_terms == []
    assert (by_hand.origin, by_hand.flow_ref) == ("command", str(kari.pk))
    assert by_hand.scrubbed_at is not None and by_hand.scrubbed_rows >= 2


def test_a_customer_flow_still_has_is_searched_for_with_its_own_values(extension):
    kari = make_customer(extension.tenant, "C-1", email="kari.x@example.com")
    traces(extension, "kari.x@example.com")
    forget("--customer", "C-1")
    assert ExternalSyncJob.objects.get(kind=JobKind.CUSTOMER_EXPORT).last_error.startswith(
        "Omnium answered 400: [erased:"
    )
    kari.refresh_from_db()
    assert kari.email == "kari.x@example.com"  # Flow itself is not touched


def test_terms_alone_reach_every_tenant_and_a_dry_run_writes_nothing(extension):
    other = Tenant.objects.create(uid="se", name="SE", country_code="SE", currency="SEK")
    other_extension = TenantExtension.objects.create(tenant=other, is_active=True)
    make_customer(extension.tenant, "C-1")
    make_customer(other, "C-9")
    traces(extension, "ola@example.no")
    traces(other_extension, "ola@example.no")
    assert "2 row(s) would change" in forget("--term", "ola@example.no", "--dry-run")
    assert len(find_in_app_tables(["ola@example.no"])) == 1  # one column, two rows: untouched
    assert "2 row(s) scrubbed" in forget("--term", "ola@example.no")
    assert find_in_app_tables(["ola@example.no"]) == []
    assert not CustomerErasure.objects.exists()  # no customer named, nothing to record


def test_the_customer_must_be_one_customer_of_a_tenant_with_omnium(extension):
    other = Tenant.objects.create(uid="se", name="SE", country_code="SE", currency="SEK")
    TenantExtension.objects.create(tenant=other, is_active=True)
    make_customer(extension.tenant, "C-1")
    make_customer(other, "C-1")
    with pytest.raises(CommandError, match="several tenants"):
        forget("--customer", "C-1")
    assert "row(s) scrubbed" in forget("--customer", "C-1", "--tenant", "se")
    with pytest.raises(CommandError, match="No Flow customer"):
        forget("--customer", "nobody")
    with pytest.raises(CommandError, match="--term"):
        forget()
