"""Fuzzing the Omnium Event API: whatever arrives, never a 5xx, never a job from a refusal."""

from __future__ import annotations

import json

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from omnium_integration.models import ExternalSyncJob, InboundEvent
from tests.test_webhook import url_for

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats()  # NaN and infinities included: json.dumps writes them as bare words
    | st.text(max_size=40)
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=16,
)
field_values = json_values | st.sampled_from(["Order", "order", "ORD-1", "ClickAndCollect", ""])
envelopes = st.fixed_dictionaries(
    {},
    optional={
        "id": field_values,
        "operationId": field_values,
        "className": st.sampled_from(["Order", "order", "PrivateCustomer"]) | field_values,
        "subClassName": st.sampled_from(["ClickAndCollect", "Online", "Pos"]) | field_values,
        "objectId": st.text(max_size=220) | field_values,
        "status": field_values,
        "isError": field_values,
        "extra": json_values,
    },
)
# Envelopes that are mostly right, so the fuzz reaches the storing path too.
near_valid = st.fixed_dictionaries(
    {
        "className": st.sampled_from(["Order", "order", "PrivateCustomer", "Product"]),
        "objectId": st.text(min_size=1, max_size=40),
    },
    optional={
        "id": st.text(max_size=30) | st.integers() | st.none(),
        "operationId": st.integers(min_value=0, max_value=999_999) | st.none(),
        "subClassName": st.sampled_from(["ClickAndCollect", "ClickAndcollect", "Online", "Pos"]),
        "status": st.text(max_size=20),
        "isError": st.booleans(),
        "extra": json_values,
    },
)
bodies = (
    near_valid.map(lambda v: json.dumps(v).encode())
    | st.binary(max_size=600)
    | json_values.map(lambda v: json.dumps(v).encode())
    | envelopes.map(lambda v: json.dumps(v).encode())
    | envelopes.map(lambda v: json.dumps(v, ensure_ascii=False).encode("utf-8", "surrogatepass"))
)
header_names = st.from_regex(r"[A-Za-z][A-Za-z0-9-]{0,24}", fullmatch=True)
headers = st.dictionaries(header_names, st.text(max_size=60), max_size=6)
credentials = st.sampled_from(["bearer", "api-key", "none", "wrong-bearer", "wrong-api-key"])
tenants = st.sampled_from(["tenant_no", "tenant_no", "nobody"])


FUZZ = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def deliver_and_check(client, extension, body, extra_headers, credential, tenant_key):
    """Post one request and check the endpoint's promises hold for it."""
    meta = {
        f"HTTP_{name.upper().replace('-', '_')}": value for name, value in extra_headers.items()
    }
    secret = extension.webhook_secret
    authorised = credential in ("bearer", "api-key")
    # Random headers must not smuggle a credential in (or out) by chance.
    meta.pop("HTTP_AUTHORIZATION", None)
    meta.pop("HTTP_X_OMNIUM_API_KEY", None)
    if credential == "bearer":
        meta["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
    elif credential == "wrong-bearer":
        meta["HTTP_AUTHORIZATION"] = f"Bearer {secret[::-1]}"
    elif credential == "api-key":
        meta["HTTP_X_OMNIUM_API_KEY"] = secret
    elif credential == "wrong-api-key":
        meta["HTTP_X_OMNIUM_API_KEY"] = "x" + secret
    events, jobs = InboundEvent.objects.count(), ExternalSyncJob.objects.count()

    response = client.post(url_for(tenant_key), data=body, content_type="application/json", **meta)

    event(f"HTTP {response.status_code}")  # shown by --hypothesis-show-statistics
    assert response.status_code < 500, response.content
    assert set(response.json()) >= ({"status"} if response.status_code < 400 else {"error"})
    if response.status_code >= 400:
        assert InboundEvent.objects.count() == events
        assert ExternalSyncJob.objects.count() == jobs
    else:
        assert authorised and tenant_key == "tenant_no"
        assert ExternalSyncJob.objects.count() - jobs <= 1
        assert InboundEvent.objects.count() - events <= 1
    if tenant_key != "tenant_no":
        assert response.status_code == 404
    elif not authorised:
        assert response.status_code == 401
    return response


@FUZZ
@given(body=bodies, extra_headers=headers, credential=credentials, tenant_key=tenants)
def test_random_requests_never_fail_and_refusals_create_nothing(
    client, extension, body, extra_headers, credential, tenant_key
):
    deliver_and_check(client, extension, body, extra_headers, credential, tenant_key)


@FUZZ
@given(
    body=near_valid.map(lambda v: json.dumps(v).encode()) | bodies,
    extra_headers=headers,
    credential=st.sampled_from(["bearer", "api-key"]),
)
def test_authenticated_random_events_are_stored_or_refused_whole(
    client, extension, body, extra_headers, credential
):
    response = deliver_and_check(client, extension, body, extra_headers, credential, "tenant_no")
    assert response.status_code in (200, 202, 400)
