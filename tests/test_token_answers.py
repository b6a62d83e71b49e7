"""What comes back from the token endpoint is checked before it is stored: a page that is
not a token (a wrong base URL, a proxy) is refused as retryable with the reason; a stored
token that cannot be sent is dropped and renewed; errors carry no credential."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from omnium_integration.client import get_client
from omnium_integration.client.tokens import _parse_token
from omnium_integration.exceptions import PermanentError, RetryableError
from omnium_integration.models import TenantExtension

HTML = "<!DOCTYPE html>\n<html><body><h1>Welcome to nginx!</h1></body></html>"


class WrongServer(ThreadingHTTPServer):
    """Something on loopback that is not Omnium: answers every request with one page."""

    status = 200
    content_type = "text/html; charset=utf-8"
    body = HTML
    echo_path = False  # like servers whose 404 page quotes the URL asked for

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.requests: list[str] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    def do_POST(self):
        self.do_GET()

    def do_GET(self):
        server: WrongServer = self.server
        server.requests.append(self.path)
        body = server.body + (f"<p>{self.path} was not found</p>" if server.echo_path else "")
        data = body.encode()
        self.send_response(server.status)
        self.send_header("Content-Type", server.content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def wrong_server():
    server = WrongServer()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def stored(extension) -> TenantExtension:
    return TenantExtension.objects.get(pk=extension.pk)


def test_an_html_page_is_not_stored_as_a_token_and_fixing_the_url_is_enough(
    omnium, sandbox, wrong_server
):
    good_url = omnium.api_base_url
    omnium.api_base_url = wrong_server.url
    omnium.save()
    with pytest.raises(RetryableError) as caught:
        get_client(omnium).get_order("a")
    message = str(caught.value)
    assert "not a token (text/html" in message and "base URL" in message
    assert stored(omnium).token == "" and stored(omnium).token_expires_at is None
    assert len(wrong_server.requests) == 1  # refused at the token: no API call was made
    omnium.api_base_url = good_url  # the operator fixes the URL
    omnium.save()
    assert get_client(omnium).get_order("a") is None
    assert stored(omnium).token.startswith("eyJ") and sandbox.token_requests() == 1


@pytest.mark.parametrize(
    "answer",
    [
        "OK",  # plain text that is no JWT
        "[]",
        json.dumps({"accessToken": "<html>not a token</html>", "tokenType": "Bearer"}),
        json.dumps({"accessToken": "a" * 9000, "tokenType": "Bearer"}),
        json.dumps("e30.e30.sig with spaces"),
    ],
)
def test_answers_that_are_not_tokens_are_refused_as_retryable(answer):
    with pytest.raises(RetryableError, match="not a token"):
        _parse_token(answer, timezone.now())


def test_an_invalid_stored_token_is_dropped_and_renewed(omnium, sandbox, caplog):
    # What an earlier version stored from an HTML answer: unexpired, unusable.
    TenantExtension.objects.filter(pk=omnium.pk).update(
        token=HTML, token_expires_at=timezone.now() + timezone.timedelta(hours=16)
    )
    assert not stored(omnium).token_is_fresh()
    assert get_client(omnium).get_order("a") is None
    assert sandbox.token_requests() == 1
    assert stored(omnium).token.startswith("eyJ")
    assert "cannot be sent (it has characters no token may have)" in caplog.text
    assert "<html" not in caplog.text


def test_an_error_page_quoting_the_token_url_is_kept_without_the_credentials(omnium, wrong_server):
    wrong_server.status, wrong_server.echo_path = 404, True
    TenantExtension.objects.filter(pk=omnium.pk).update(api_base_url=wrong_server.url)
    with pytest.raises(PermanentError) as caught:
        get_client(stored(omnium)).get_order("a")
    assert "clientSecret=" in wrong_server.requests[0]  # the page did quote it...
    assert "s3cr3t-value" not in caught.value.body  # ...and it is not kept
    assert "flow-client" not in caught.value.body and "***" in caught.value.body
    assert caught.value.__cause__ is None and caught.value.__context__ is None
