"""Settings, host-model lookup and system checks."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from flow_stub_project.flow.models import Order, Tenant
from omnium_integration import checks
from omnium_integration.conf import app_settings, get_order_model, get_tenant_model

STUB = {"TENANT_MODEL": "flow.Tenant", "ORDER_MODEL": "flow.Order"}


def test_defaults_apply_where_the_host_sets_nothing():
    assert app_settings.RETRY_SCHEDULE == (1, 2, 5, 10, 20, 30, 45, 60, 90, 120)
    assert app_settings.MAX_CONCURRENT_CALLS_PER_TENANT == 20
    assert app_settings.TOKEN_MAX_AGE == 16 * 3600


def test_host_settings_override_defaults_and_reload_on_change():
    with override_settings(OMNIUM_INTEGRATION={**STUB, "LEASE_SECONDS": 42}):
        assert app_settings.LEASE_SECONDS == 42
    assert app_settings.LEASE_SECONDS == 300


def test_an_unknown_setting_name_is_an_error():
    with pytest.raises(AttributeError, match="Invalid OMNIUM_INTEGRATION setting"):
        _ = app_settings.NOT_A_SETTING


def test_flow_models_are_found_through_settings():
    assert get_tenant_model() is Tenant
    assert get_order_model() is Order


@pytest.mark.parametrize(
    ("label", "message"),
    [
        ("flow", "must be of the form 'app_label.ModelName'"),
        ("flow.NoSuchModel", "refers to model 'flow.NoSuchModel', which is not installed"),
    ],
)
def test_a_wrong_host_model_says_which_setting_is_wrong(label, message):
    with override_settings(OMNIUM_INTEGRATION={**STUB, "ORDER_MODEL": label}):
        with pytest.raises(ImproperlyConfigured, match=r"\['ORDER_MODEL'\]") as exc:
            get_order_model()
        assert message in str(exc.value)
        ids = [e.id for e in checks.check_settings()]
        assert "omnium_integration.E002" in ids


def test_unknown_keys_are_reported_at_startup():
    with override_settings(OMNIUM_INTEGRATION={**STUB, "RETRY_SCHEDUEL": [1]}):
        errors = checks.check_settings()
    assert [e.id for e in errors] == ["omnium_integration.E001"]
    assert "RETRY_SCHEDUEL" in errors[0].msg


def test_the_stub_settings_pass_every_check():
    assert checks.check_settings() == []
    assert checks.check_django_q() == []


def test_clusters_without_alt_clusters_or_with_timeout_above_retry_are_flagged(settings):
    settings.Q_CLUSTER = {"name": "flow", "orm": "default"}
    assert [w.id for w in checks.check_django_q()] == ["omnium_integration.W011"]
    engine = {"timeout": 120, "retry": 60}
    settings.Q_CLUSTER = {
        "name": "flow",
        "ALT_CLUSTERS": {"external_order_sync": engine, "external_receivement_sync": engine},
    }
    assert {w.id for w in checks.check_django_q()} == {"omnium_integration.W012"}


def test_the_tenant_extension_never_shows_its_credentials(extension):
    extension.token = "eyJhbGciOi.secret-token"
    shown = repr(extension) + str(extension)
    assert "s3cr3t-value" not in shown and "secret-token" not in shown
    assert "flow-client" not in shown
