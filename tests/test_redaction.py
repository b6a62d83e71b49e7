"""The redacting filter: credentials by where they stand (query strings, JSON, dict reprs,
SQL, ``name: value``, Bearer headers) and by their shape (JWTs, Fernet tokens)."""

from __future__ import annotations

import logging

import pytest

from omnium_integration.redaction import RedactingFilter, redact

JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJmbG93In0.c2lnbmF0dXJl"
FERNET = "gAAAAABnXyz0123456789abcdefghijklmnopqrstuvwxyz_-ABCDEFG=="


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("POST /api/token?clientId=flow&clientSecret=s3cr3t&returnAsJson=true", "s3cr3t"),
        ('{"accessToken": "abc.def", "tokenType": "Bearer"}', "abc.def"),
        ("{'accessToken': 'plain-value', 'expiresIn': 10}", "plain-value"),
        ("{'client_secret': \"it's\", 'x': 1}", "it's"),  # repr quotes it with "
        ('UPDATE "t" SET "token" = \'opaque-token\', "n" = 1', "opaque-token"),
        ("WHERE `client_secret` = 'quoted''secret'", "quoted''secret"),
        ("token: bare-value, next", "bare-value"),
        ("webhook_secret=hook123 other=1", "hook123"),
        ("Authorization: Bearer abc.def-ghi", "abc.def-ghi"),
        (f"args=('{JWT}', 5)", JWT),  # a positional SQL parameter: only its shape tells
        (f"stored {FERNET} as is", FERNET),
        (f"a JWT in prose {JWT}.", JWT),
    ],
)
def test_credentials_are_masked_wherever_they_stand(text, secret):
    cleaned = redact(text)
    assert secret not in cleaned and "***" in cleaned


@pytest.mark.parametrize(
    "text",
    [
        "Obtained a new Omnium token for tenant extension 5 (renewal due 2026-12-01T10:00).",
        "UPDATE \"j\" SET \"lease_token\" = 'a1b2' WHERE lease_token = 'a1b2'",
        "  token         OK, renewal due 2026-12-01T10:00:00+00:00",
        "Webhook secret #2 added.",
    ],
)
def test_ordinary_text_is_left_alone(text):
    assert redact(text) == text


def test_the_quotes_of_json_stay_so_it_still_reads_as_json():
    assert redact('{"accessToken": "x"}') == '{"accessToken": "***"}'


def test_the_filter_cleans_the_message_its_arguments_and_the_traceback():
    record_filter = RedactingFilter()
    try:
        raise ValueError(f"refused clientSecret=s3cr3t with {JWT}")
    except ValueError:
        import sys

        record = logging.LogRecord(
            "x", logging.ERROR, __file__, 1, "call %s", ("token=abc123",), sys.exc_info()
        )
    assert record_filter.filter(record)
    text = logging.Formatter().format(record)
    for secret in ("s3cr3t", JWT, "abc123"):
        assert secret not in text
    assert "ValueError" in text and "call token=***" in text
