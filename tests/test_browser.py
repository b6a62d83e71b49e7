"""The admin in a real browser: Playwright driving the distribution's Chromium (installed by
``.ci/run``; Playwright's own browser downloads are never used) against the demo's server
(``devstack.FlowServer``, static files included) and a real order engine."""

from __future__ import annotations

import shutil
import time

import pytest
from django.contrib.auth.models import User
from django.db import transaction
from django_q.models import Schedule

from flow_stub_project.devstack import FlowServer, start_engine, stop
from omnium_integration.enums import JobStatus, Queue
from omnium_integration.jobs import worker
from omnium_integration.models import TenantExtension
from tests.flow_factories import make_order
from tests.jobs import job_of

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-headless-shell")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture
def browser_page(monkeypatch):
    if CHROMIUM is None:
        pytest.fail("Chromium is not installed: apt-get install chromium (.ci/run does)")
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls between its
    # steps are plain synchronous code.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.set_default_timeout(20_000)
            yield page
        finally:
            browser.close()


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_an_operator_finds_a_failed_sale_retries_it_and_sees_no_secret(
    browser_page, omnium, sandbox, store, child_env, tmp_path, settings
):
    page = browser_page
    Schedule.objects.filter(name__startswith="omnium_integration").delete()
    User.objects.create_superuser("ops", "ops@example.com", "pw")
    with transaction.atomic():
        sale = make_order(store, "POS-DE-0001")
    sandbox.faults.fail_next(400, path="/api/Orders$")
    worker.drain(Queue.ORDER.value)
    job = job_of(sale)
    assert job.status == JobStatus.FAILED
    secrets = [omnium.client_id, omnium.client_secret, omnium.webhook_secret]
    secrets.append(TenantExtension.objects.get(pk=omnium.pk).token)

    server = FlowServer().start()
    settings.OMNIUM_INTEGRATION = {**settings.OMNIUM_INTEGRATION, "PUBLIC_BASE_URL": server.url}
    log = (tmp_path / "engine.log").open("w")
    engine = start_engine(Queue.ORDER.value, env=child_env, workers=1, log=log)
    try:
        # Log in.
        page.goto(f"{server.url}/admin/")
        page.fill("#id_username", "ops")
        page.fill("#id_password", "pw")
        page.click("input[type=submit]")
        page.wait_for_selector("#site-name")
        # The admin is styled: its stylesheet arrived (the header is not left unstyled).
        header_colour = page.eval_on_selector(
            "#header", "el => getComputedStyle(el).backgroundColor"
        )
        assert header_colour not in ("rgba(0, 0, 0, 0)", "transparent")

        # Find the failed sale's job by its UID.
        page.goto(f"{server.url}/admin/omnium_integration/externalsyncjob/")
        page.fill("#searchbar", "POS-DE-0001")
        page.press("#searchbar", "Enter")
        page.wait_for_selector("text=sale POS-DE-0001")
        rows = page.locator("#result_list tbody tr")
        assert rows.count() == 1
        assert "Failed" in rows.first.inner_text()

        # Retry it with the bulk action: "select all" is JavaScript (actions.js).
        page.check("#action-toggle")
        assert page.is_checked("input.action-select")
        page.select_option("select[name=action]", "retry_now")
        page.click("button[name=index]")
        page.wait_for_selector("text=1 job(s) will run now.")

        # The engine runs it: the job page shows it succeeded.
        page.goto(f"{server.url}/admin/omnium_integration/externalsyncjob/{job.pk}/change/")
        deadline = time.monotonic() + 60
        while "omnium-status-succeeded" not in page.content():
            assert time.monotonic() < deadline, "the retried job did not succeed"
            time.sleep(0.5)
            page.reload()
        assert "POSDE0001" in sandbox.state.orders

        # No secret anywhere on the tenant's page, nor in its list.
        page.goto(f"{server.url}/admin/omnium_integration/tenantextension/{omnium.pk}/change/")
        page.wait_for_selector("text=Omnium event subscription")
        html = page.content()
        assert f"{server.url}/omnium/events/tenant_no/" in html
        page.goto(f"{server.url}/admin/omnium_integration/tenantextension/")
        html += page.content()
        for secret in secrets:
            assert secret and secret not in html
    finally:
        stop(engine)
        log.close()
        server.stop()
