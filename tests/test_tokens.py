"""The shared Omnium token: fetched once, stored on the tenant, reused by every worker,
renewed before it expires and once on a 401; single-flight across processes."""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta

import pytest
from django.db import connection
from django.test import override_settings
from django.utils import timezone

from omnium_integration.client import OmniumClient, clear_clients, get_client
from omnium_integration.client.tokens import Token, _parse_token, jwt_expiry
from omnium_integration.conf import app_settings
from omnium_integration.exceptions import ConfigurationError, PermanentError, RetryableError
from omnium_integration.models import TenantExtension
from omnium_integration.models.tenants import token_renewal_time
from tests.omnium_worker import run_workers

GET_ORDER = "GET /api/Orders/{id}"


def settings_with(**values):
    from django.conf import settings

    return override_settings(OMNIUM_INTEGRATION={**settings.OMNIUM_INTEGRATION, **values})


def stored(extension: TenantExtension) -> TenantExtension:
    return TenantExtension.objects.get(pk=extension.pk)


def test_one_token_serves_many_calls_and_is_stored_on_the_tenant(omnium, sandbox):
    client = get_client(omnium)
    for i in range(5):
        assert client.get_order(f"o-{i}") is None
    assert sandbox.token_requests(omnium.client_id) == 1
    assert sandbox.call_count(GET_ORDER) == 5
    row = stored(omnium)
    assert row.token and row.token_is_fresh()
    # Omnium's 10-day expiry (expiresIn and the JWT's exp agree) is stored as is...
    assert row.token_expires_at - row.token_obtained_at == pytest.approx(
        timedelta(days=10), abs=timedelta(seconds=2)
    )
    # ...and the token is renewed a margin before the configured maximum age.
    renew_at = Token.stored_on(row).renew_at
    assert renew_at == row.token_obtained_at + timedelta(
        seconds=app_settings.TOKEN_MAX_AGE - app_settings.TOKEN_RENEW_MARGIN
    )


def test_a_new_client_reuses_the_stored_token(omnium, sandbox):
    get_client(omnium).get_order("a")
    clear_clients()  # as a worker that starts later: nothing in memory
    get_client(omnium).get_order("b")
    OmniumClient(omnium).get_order("c")
    assert sandbox.token_requests(omnium.client_id) == 1
    assert sandbox.call_count(GET_ORDER) == 3


@pytest.mark.django_db(transaction=True)  # the threads have their own connections
def test_concurrent_threads_of_a_cold_process_fetch_one_token(omnium, sandbox):
    sandbox.faults.configure(latency=0.05)  # let the threads pile up on the first fetch
    client = get_client(omnium)
    errors = []

    def call(i):
        try:
            client.get_order(f"o-{i}")
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=call, args=(i,)) for i in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sandbox.token_requests(omnium.client_id) == 1
    assert sandbox.call_count(GET_ORDER) == 10


def test_a_token_is_renewed_a_margin_before_it_expires(omnium, sandbox):
    # A 2-second token: the 300 s margin is capped at half its life, so it is renewed
    # after one second (a token shorter than the margin is still used for a while).
    sandbox.configure(token_lifetime=2)
    client = get_client(omnium)
    client.get_order("a")
    client.get_order("b")
    assert sandbox.token_requests(omnium.client_id) == 1
    first = stored(omnium).token
    time.sleep(1.1)
    client.get_order("c")
    assert sandbox.token_requests(omnium.client_id) == 2
    assert stored(omnium).token != first
    assert sandbox.call_count(GET_ORDER) == 3


def test_the_jwt_exp_wins_when_it_is_earlier_than_expires_in(omnium, sandbox):
    sandbox.configure(token_lifetime=3600, jwt_lifetime=600)
    get_client(omnium).get_order("a")
    row = stored(omnium)
    assert (row.token_expires_at - row.token_obtained_at).total_seconds() == pytest.approx(
        600, abs=2
    )
    assert abs((jwt_expiry(row.token) - row.token_expires_at).total_seconds()) < 1.5


def test_a_token_older_than_the_maximum_age_is_renewed(omnium, sandbox):
    get_client(omnium).get_order("a")
    TenantExtension.objects.filter(pk=omnium.pk).update(
        token_obtained_at=timezone.now() - timedelta(hours=17)
    )
    assert not stored(omnium).token_is_fresh()  # 10-day token, but older than 16 h
    clear_clients()
    get_client(omnium).get_order("b")
    assert sandbox.token_requests(omnium.client_id) == 2
    assert stored(omnium).token_is_fresh()


def test_a_revoked_token_is_renewed_once_and_the_call_repeated(omnium, sandbox):
    client = get_client(omnium)
    client.get_order("a")
    assert sandbox.revoke_tokens(omnium.client_id) == 1
    assert client.get_order("b") is None
    assert sandbox.token_requests(omnium.client_id) == 2
    # the refused call and its repetition, plus the first call
    assert sandbox.call_count(GET_ORDER) == 3


def test_a_worker_that_meets_a_401_takes_the_token_another_worker_renewed(omnium, sandbox):
    first, second = OmniumClient(omnium), OmniumClient(omnium)  # two workers' clients
    first.get_order("a")
    second.get_order("a")
    assert sandbox.token_requests(omnium.client_id) == 1
    sandbox.revoke_tokens()
    first.get_order("b")  # 401 -> renews
    second.get_order("b")  # 401 -> finds the renewed token on the row: no token request
    assert sandbox.token_requests(omnium.client_id) == 2
    assert first.tokens.get().access_token == second.tokens.get().access_token


def test_a_worker_idle_across_two_revocations_renews_again_instead_of_failing(omnium, sandbox):
    # Found while building the chaos test. `second` holds T1; `first` replaced it with T2
    # on the row; T2 is revoked before `second` ever used it. The token `second` takes from
    # the row is refused too, which says nothing about the API user: ask Omnium for one.
    first, second = OmniumClient(omnium), OmniumClient(omnium)
    first.get_order("a")
    second.get_order("a")
    sandbox.revoke_tokens()
    first.get_order("b")  # 401 -> renews: T2 on the row
    sandbox.revoke_tokens()  # T2 revoked too
    assert second.get_order("b") is None  # T1 refused, T2 refused, T3 fetched and used
    assert sandbox.token_requests(omnium.client_id) == 3
    first.get_order("c")  # and `first` takes T3 from the row
    assert sandbox.token_requests(omnium.client_id) == 3


def test_a_second_401_is_permanent_and_says_the_user_may_be_deactivated(omnium, sandbox):
    client = get_client(omnium)
    client.get_order("a")
    sandbox.faults.fail_next(401, count=2, path="/api/Orders/")
    with pytest.raises(PermanentError) as caught:
        client.get_order("b")
    assert caught.value.status_code == 401
    assert "deactivated" in str(caught.value)
    assert sandbox.token_requests(omnium.client_id) == 2


def test_a_deactivated_api_user_fails_permanently_with_the_reason(omnium, sandbox):
    client = get_client(omnium)
    client.get_order("a")
    sandbox.deactivate(omnium.client_id)
    with pytest.raises(PermanentError) as caught:
        client.get_order("b")
    assert caught.value.status_code == 401
    assert "refused the tenant's client credentials" in str(caught.value)
    assert "active" in str(caught.value)


def test_bad_credentials_are_permanent(extension, sandbox):
    extension.api_base_url = sandbox.url
    extension.save()
    sandbox.add_credentials(extension.client_id, "another-secret")
    with pytest.raises(PermanentError) as caught:
        get_client(extension).get_order("a")
    assert caught.value.status_code == 401
    assert stored(extension).token == ""


def test_missing_credentials_are_a_configuration_error(omnium, sandbox):
    TenantExtension.objects.filter(pk=omnium.pk).update(client_secret="")
    with pytest.raises(ConfigurationError, match="OMNIUM_CLIENT_SECRET"):
        get_client(omnium).get_order("a")
    assert sandbox.token_requests() == 0


@pytest.mark.parametrize("status", [500, 503, 429])
def test_token_endpoint_trouble_is_retryable(omnium, sandbox, status):
    sandbox.faults.fail_next(status, path="/api/token")
    with pytest.raises(RetryableError) as caught:
        get_client(omnium).get_order("a")
    assert caught.value.status_code == status
    assert get_client(omnium).get_order("a") is None  # the next attempt works


def test_an_unreachable_token_endpoint_is_retryable(omnium, sandbox):
    sandbox.faults.drop_next(path="/api/token")
    with pytest.raises(RetryableError, match="token endpoint"):
        get_client(omnium).get_order("a")


def test_changed_credentials_give_a_new_client_and_token(omnium, sandbox):
    client = get_client(omnium)
    client.get_order("a")
    sandbox.add_credentials(omnium.client_id, "rotated-secret")
    omnium.client_secret = "rotated-secret"
    omnium.token = ""  # what the admin does when credentials change
    omnium.save()
    assert get_client(omnium) is not client
    get_client(omnium).get_order("b")
    assert sandbox.token_requests(omnium.client_id) == 2


# ----------------------------------------------------------------- the token model


def test_the_renewal_margin_is_capped_at_half_a_short_tokens_life():
    now = timezone.now()
    assert token_renewal_time(now + timedelta(seconds=60), now) == now + timedelta(seconds=30)
    ten_days = now + timedelta(days=10)
    with settings_with(TOKEN_MAX_AGE=3600, TOKEN_RENEW_MARGIN=300):
        assert token_renewal_time(ten_days, now) == now + timedelta(seconds=3300)
    # A row without obtained_at (written before it existed) still expires by its expiry.
    assert token_renewal_time(ten_days, None) == ten_days - timedelta(seconds=300)


def test_the_token_answer_is_read_with_oauthlib_and_the_jwt_exp():
    now = timezone.now()
    body = json.dumps({"accessToken": "abc", "tokenType": "Bearer", "expiresIn": 120})
    token = _parse_token(body, now)
    assert token.access_token == "abc"
    assert abs((token.expires_at - now).total_seconds() - 120) < 2
    assert token.bearer_headers() == {"Authorization": "Bearer abc"}
    assert "abc" not in repr(token)
    # Without returnAsJson Omnium answers the bare JWT: its exp gives the expiry.
    import base64

    claims = base64.urlsafe_b64encode(json.dumps({"exp": int(now.timestamp()) + 90}).encode())
    jwt = f"e30.{claims.decode().rstrip('=')}.sig"
    assert abs((_parse_token(jwt, now).expires_at - now).total_seconds() - 90) < 2
    with pytest.raises(PermanentError, match="without a usable token"):
        _parse_token(json.dumps({"tokenType": "Bearer"}), now)
    with pytest.raises(PermanentError, match="other than Bearer"):
        _parse_token(json.dumps({"accessToken": "x", "tokenType": "MAC"}), now)


# ------------------------------------------------------------------ across processes


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_worker_processes_reuse_the_token_of_the_tenant(omnium, sandbox, child_env, tmp_path):
    get_client(omnium).get_order("warm-up")
    reports = run_workers(child_env, omnium.pk, 3, tmp_path, calls=2)
    assert [r["ok"] for r in reports] == [2, 2, 2]
    assert sandbox.token_requests(omnium.client_id) == 1
    assert sandbox.call_count(GET_ORDER) == 7


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_eight_cold_workers_make_exactly_one_token_request(omnium, sandbox, child_env, tmp_path):
    sandbox.faults.configure(latency=0.05)  # a token call slow enough for all to collide
    reports = run_workers(child_env, omnium.pk, 8, tmp_path, calls=1, threads=2)
    assert sum(r["ok"] for r in reports) == 16
    assert len({r["pid"] for r in reports}) == 8
    assert sandbox.token_requests(omnium.client_id) == 1
    assert sandbox.call_count(GET_ORDER) == 16
    assert stored(omnium).token_is_fresh()
