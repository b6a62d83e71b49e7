"""Every logger on at DEBUG (SQL included) into a handler with no redacting filter, as a
host that forgot it would have it; token fetch, renewal and failures, a drain that meets
Omnium's errors, webhook deliveries, every admin page and the commands: no credential in
any log line, command output, job field, exception chain or page.

The fake Omnium's own log records are left out: it is the other side of the wire, and it
is sent the client secret by design.
"""

from __future__ import annotations

import logging
import traceback
from io import StringIO

import pytest
from django.contrib import admin
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.urls import NoReverseMatch, reverse

from omnium_integration.client import clear_clients, get_client
from omnium_integration.credentials import add_webhook_secret
from omnium_integration.enums import Queue
from omnium_integration.exceptions import OmniumIntegrationError
from omnium_integration.jobs import worker
from omnium_integration.models import (
    ExternalSyncJob,
    InboundEvent,
    JobAttempt,
    TenantExtension,
    WebhookSecret,
)
from omnium_integration.stored_secrets import _ciphertexts, encrypted_fields
from tests.flow_factories import make_order
from tests.test_webhook import order_event, post

CLIENT_SECRET = "s3cr3t-value"


class Everything(logging.Handler):
    def __init__(self):
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        if not record.name.startswith("omnium_sandbox"):
            self.lines.append(self.format(record))


@pytest.fixture
def everything_logged():
    handler = Everything()
    loggers = (
        [logging.getLogger()]
        + [
            logger
            for logger in logging.root.manager.loggerDict.values()
            if isinstance(logger, logging.Logger)
        ]
        + [logging.getLogger(name) for name in ("django.db.backends", "urllib3.connectionpool")]
    )
    saved = [(logger, logger.level, logger.disabled, logger.handlers[:]) for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.DEBUG)
        logger.disabled = False
        # The host's own handlers go (the stub's has the redacting filter, which would
        # clean the records before ours sees them): only what the app does itself counts.
        logger.handlers = [handler] if not logger.propagate else []
    logging.getLogger().handlers = [handler]
    connection.force_debug_cursor = True  # django.db.backends logs every query and its params
    try:
        yield handler
    finally:
        connection.force_debug_cursor = False
        for logger, level, disabled, handlers in saved:
            logger.setLevel(level)
            logger.disabled = disabled
            logger.handlers = handlers


def expect_failure(errors: list, call, exception=OmniumIntegrationError) -> None:
    with pytest.raises(exception) as caught:
        call()
    errors.append(caught.value)


def token_scenarios(omnium, sandbox) -> list[BaseException]:
    """Fetch, renewal, and the ways a token call fails."""
    errors: list[BaseException] = []
    client = get_client(omnium)
    client.get_order("a")  # fetched
    sandbox.revoke_tokens()
    client.get_order("b")  # 401, renewed
    client.check()  # a new token on request
    for fault in (
        lambda: sandbox.faults.fail_next(500, path="/api/token"),
        lambda: sandbox.faults.drop_next(path="/api/token"),
        lambda: sandbox.add_credentials(omnium.client_id, "not-what-flow-has"),
    ):
        TenantExtension.objects.filter(pk=omnium.pk).update(token="")
        clear_clients()
        fault()
        expect_failure(errors, lambda: get_client(omnium).get_order("c"))
    sandbox.add_credentials(omnium.client_id, CLIENT_SECRET)
    sandbox.faults.drop_next(path="/api/Orders/")
    expect_failure(errors, lambda: get_client(omnium).get_order("d"))
    return errors


def drain_with_omnium_errors(sandbox, store) -> None:
    make_order(store, "POS-1")
    make_order(store, "POS-2")
    make_order(store, "POS-3")
    sandbox.faults.fail_next(400, path="/api/Orders")
    sandbox.faults.fail_next(503, path="/api/Orders", retry_after=1)
    sandbox.faults.drop_next(path="/api/Orders")
    worker.drain(Queue.ORDER)


def admin_pages(client, extension) -> list[str]:
    client.force_login(User.objects.create_superuser("root", "root@example.com", "pw"))
    pages = []
    for model in admin.site._registry:
        if model._meta.app_label != "omnium_integration":
            continue
        info = model._meta.app_label, model._meta.model_name
        urls = [reverse("admin:{}_{}_changelist".format(*info))]
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            urls.append(reverse("admin:{}_{}_change".format(*info), args=[first.pk]))
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, url
            pages.append(response.content.decode())
    for page in ("add_webhook_secret", "retire_webhook_secret"):
        try:
            url = reverse(f"admin:omnium_integration_tenantextension_{page}", args=[extension.pk])
        except NoReverseMatch:
            url = reverse(
                f"admin:omnium_integration_tenantextension_{page}", args=[extension.pk, 1]
            )
        pages.append(client.get(url).content.decode())
    return pages


def command_outputs() -> list[str]:
    outputs = []
    for args in (
        ("omnium_check",),
        ("omnium_jobs",),
        ("omnium_jobs", "--failed", "--json"),
        ("omnium_sync", "--drain"),
        ("omnium_secrets", "verify"),
        ("omnium_secrets", "reencrypt", "--dry-run"),
        ("omnium_webhook_secret", "list", "--tenant", "tenant_no"),
    ):
        out, err = StringIO(), StringIO()
        try:
            call_command(*args, stdout=out, stderr=err)
        except CommandError as exc:  # a failing check or drain still says why
            err.write(str(exc))
        outputs += [out.getvalue(), err.getvalue()]
    return outputs


def exception_texts(exc: BaseException) -> list[str]:
    """What anyone holding the exception can print: every exception of its chain, their
    arguments and attributes, and the local variables of the frames it passed through."""
    texts, queue, seen = [], [exc], set()
    while queue:
        current = queue.pop()
        if current is None or id(current) in seen:
            continue
        seen.add(id(current))
        texts += [str(current), repr(current), repr(current.args)]
        texts += [repr(value) for value in vars(current).values()]
        texts += traceback.format_exception(current)
        for frame, _ in traceback.walk_tb(current.__traceback__):
            if "/tests/" not in frame.f_code.co_filename:
                texts += [f"{name}={value!r}" for name, value in frame.f_locals.items()]
        queue += [current.__cause__, current.__context__]
    return texts


def stored_ciphertexts() -> list[str]:
    return [
        value
        for model, field in encrypted_fields()
        for _, value in _ciphertexts(model, field, "default")
    ]


@pytest.mark.django_db(transaction=True)
def test_no_secret_reaches_a_log_an_output_a_job_an_exception_or_a_page(
    omnium, sandbox, store, client, everything_logged
):
    _, second_secret = add_webhook_secret(omnium, by="ops")
    first_secret = WebhookSecret.objects.get(extension=omnium, number=1).secret
    post(client, order_event("W-1"), secret=first_secret)
    post(client, order_event("W-2"), HTTP_X_OMNIUM_API_KEY=second_secret)
    post(client, order_event("W-3"), secret="a-wrong-secret")

    errors = token_scenarios(omnium, sandbox)
    drain_with_omnium_errors(sandbox, store)
    pages = admin_pages(client, omnium)
    outputs = command_outputs()

    tokens = list(sandbox.auth.tokens)
    assert len(tokens) >= 3 and len(errors) == 4
    secrets = {
        "client secret": CLIENT_SECRET,
        "webhook secret #1": first_secret,
        "webhook secret #2": second_secret,
        **{f"token {n}": token for n, token in enumerate(tokens)},
        **{f"ciphertext {n}": value for n, value in enumerate(stored_ciphertexts())},
    }
    jobs = [
        f"{job.last_error} {job.result} {job.payload}" for job in ExternalSyncJob.objects.all()
    ] + list(JobAttempt.objects.values_list("error", flat=True))
    events = [f"{e.headers} {e.body}" for e in InboundEvent.objects.all()]
    places = {
        "log": everything_logged.lines,
        "command output": outputs,
        "job": jobs,
        "event": events,
        "admin page": pages,
        "exception": [text for error in errors for text in exception_texts(error)],
    }
    assert any("SELECT" in line for line in everything_logged.lines)  # SQL was logged
    assert any('"token" = ' in line for line in everything_logged.lines)  # ...its writes too
    assert any("failed" in job or "answered" in job for job in jobs)  # Omnium's errors kept
    for place, texts in places.items():
        for name, secret in secrets.items():
            leaked = [text for text in texts if secret in text]
            assert not leaked, f"{name} in {place}: {leaked[0][:300]}"


def test_token_errors_have_nothing_chained_to_them(omnium, sandbox):
    errors = token_scenarios(omnium, sandbox)
    for error in errors:
        assert error.__cause__ is None and error.__context__ is None, repr(error)
    assert "could not be reached (ConnectionError)" in str(errors[1])
    assert "connection to Omnium failed" in str(errors[3])
