"""The drift check: Omnium's levels of a Flow-master store (read with the inventory search
over real HTTP, scrolled beyond 1,000 items) against Flow's, the last check per store, and
healing exactly the SKUs changed behind Flow's back."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import User
from django.core import checks
from django.core.management import CommandError, call_command
from django.urls import reverse
from django_q.models import Schedule

from flow_stub_project.flow.models import InventoryLevel, Store
from omnium_integration.models import PendingStockChange, StockCheck, StoreExtension
from omnium_integration.schedules import STOCK_CHECK_NAME, ensure_schedules
from omnium_integration.sync.stock_check import last_slot, scheduled_check
from tests.stock_helpers import UPDATE_INVENTORY, drain, flow_stock, omnium_stock, pushed, sell

SKUS = 1200  # more than one page of the inventory search
SCROLL = "GET /api/Inventory/Scroll/{id}"
OSLO = ZoneInfo("Europe/Oslo")


@pytest.fixture
def in_step(omnium, sandbox, store):
    """A Flow-master store of 1,200 SKUs, and Omnium holding the same levels."""
    StoreExtension.objects.create(store=store, flow_stock_master=True)
    InventoryLevel.objects.bulk_create(
        InventoryLevel(tenant=store.tenant, store=store, sku=f"SKU-{n:04d}", quantity=n * 10)
        for n in range(SKUS)
    )
    sandbox.add_inventory(
        [
            {"sku": f"SKU-{n:04d}", "warehouseCode": "oslo_city", "inventory": Decimal(n) / 10}
            for n in range(SKUS)
            if n != 0  # Flow's 0 of SKU-0000 is no item in Omnium: the same thing
        ]
    )
    return store


def behind_flows_back(sandbox) -> dict[str, tuple[str, str]]:
    """Change Omnium's stock the way no Flow movement did; the differences, by SKU."""
    sandbox.add_inventory(
        [
            {"sku": "SKU-0005", "warehouseCode": "oslo_city", "inventory": 3},  # Flow: 0.5
            {"sku": "SKU-1100", "warehouseCode": "oslo_city", "inventory": 0},  # Flow: 110
            {"sku": "STRAY", "warehouseCode": "oslo_city", "inventory": 4},  # not Flow's
            {"sku": "SKU-0005", "warehouseCode": "bergen", "inventory": 8},  # another store
        ]
    )
    with sandbox.lock:
        del sandbox.state.inventory[("SKU-0700", "oslo_city")]  # Flow: 70
    return {
        "SKU-0005": ("0.5", "3"),
        "SKU-0700": ("70", "0"),
        "SKU-1100": ("110", "0"),
        "STRAY": ("0", "4"),
    }


def check(*args: str) -> tuple[str, str | None]:
    """``omnium_stock_check`` output, and its error (exit 1) if it raised one."""
    out = StringIO()
    try:
        call_command("omnium_stock_check", *args, stdout=out)
    except CommandError as exc:
        return out.getvalue(), str(exc)
    return out.getvalue(), None


def found(output: str) -> dict[str, tuple[str, str]]:
    rows = [line.split() for line in output.splitlines() if line.startswith("  ")]
    return {sku: (flow, omnium) for sku, flow, omnium in rows if sku != "SKU"}


def test_stores_in_step_have_no_differences(in_step, sandbox):
    output, error = check()
    assert error is None
    assert output.startswith(f"oslo_city (warehouse oslo_city): {SKUS} SKUs compared, 0 differ")
    assert sandbox.call_count("POST /api/Inventory/Search") == 1
    # 1,199 items: the search gives 1,000, one scroll call the rest (all of totalHits).
    assert sandbox.call_count(SCROLL) == 1
    last = StockCheck.objects.get(store=in_step)
    assert (last.skus_compared, last.differences_found, last.error) == (SKUS, 0, "")


def test_the_check_finds_exactly_the_skus_changed_behind_flows_back(in_step, sandbox):
    changed = behind_flows_back(sandbox)
    output, error = check("--store", "oslo_city")
    assert found(output) == changed
    assert error == ("Stock differs at oslo_city; run again with --heal to push Flow's levels.")
    last = StockCheck.objects.get(store=in_step)
    assert (last.skus_compared, last.differences_found, last.healed) == (SKUS + 1, 4, 0)
    assert {d["sku"]: (d["flow"], d["omnium"]) for d in last.differences} == changed
    assert not PendingStockChange.objects.exists()  # without --heal nothing is sent
    assert sandbox.call_count(UPDATE_INVENTORY) == 0


def test_heal_pushes_flows_levels_of_exactly_the_differing_skus(in_step, sandbox):
    changed = behind_flows_back(sandbox)
    output, error = check("--heal")
    assert error is None
    assert "4 differ, 4 queued to be healed" in output
    assert sorted(PendingStockChange.objects.values_list("sku", flat=True)) == sorted(changed)
    drain()
    assert pushed(sandbox) == [
        [
            ("oslo_city", "SKU-0005", Decimal("0.5")),
            ("oslo_city", "SKU-0700", 70),
            ("oslo_city", "SKU-1100", 110),
            ("oslo_city", "STRAY", 0),
        ]
    ]
    assert omnium_stock(sandbox, "bergen") == {"SKU-0005": 8}  # not ours to touch
    output, error = check()
    assert (error, found(output)) == (None, {})
    assert StockCheck.objects.get(store=in_step).healed == 0


def test_skus_with_a_push_on_its_way_are_left_out(in_step, sandbox, api_client):
    sell(api_client, in_step, [("SKU-0010", "1")])  # noted, not pushed yet
    output, error = check()
    assert error is None
    assert f"{SKUS - 1} SKUs compared, 0 differ, 1 with a push on its way" in output
    drain()
    assert omnium_stock(sandbox)["SKU-0010"] == flow_stock(in_step)["SKU-0010"] == 0


def test_json_output_lists_every_difference(in_step, sandbox):
    changed = behind_flows_back(sandbox)
    output, error = check("--json")
    (result,) = json.loads(output)
    assert result["store"] == "oslo_city" and result["compared"] == SKUS + 1
    assert {d["sku"]: (d["flow"], d["omnium"]) for d in result["differences"]} == changed
    assert error is not None


def test_a_check_that_cannot_read_omnium_fails_and_says_why(in_step, sandbox):
    sandbox.faults.fail_next(503, path="Inventory/Search")
    output, error = check()
    assert "check failed:" in output and "503" in output
    assert error == "Could not check: oslo_city."
    assert "503" in StockCheck.objects.get(store=in_step).error
    assert not PendingStockChange.objects.exists()


def test_only_flow_master_stores_of_active_tenants_are_checked(in_step, omnium, sandbox):
    Store.objects.create(tenant=in_step.tenant, uid="bergen", name="Bergen", country_code="NO")
    output, error = check("--store", "bergen")
    assert error == "Not a Flow-master store of an active tenant: bergen."
    omnium.is_active = False
    omnium.save()
    output, error = check()
    assert (output, error) == (
        "No Flow-master store of an active tenant: nothing to check.\n",
        None,
    )
    assert sandbox.call_count("POST /api/Inventory/Search") == 0


# ------------------------------------------------------------------------ schedule


def test_the_daily_schedule_exists_only_while_set(db, settings):
    ensure_schedules()
    assert not Schedule.objects.filter(name=STOCK_CHECK_NAME).exists()
    settings.OMNIUM_INTEGRATION = {**settings.OMNIUM_INTEGRATION, "STOCK_CHECK_TIME": "03:30"}
    ensure_schedules()
    schedule = Schedule.objects.get(name=STOCK_CHECK_NAME)
    assert (schedule.func, schedule.cluster) == (
        "omnium_integration.tasks.check_stock",
        "external_receivement_sync",
    )
    assert ensure_schedules() == 0
    settings.OMNIUM_INTEGRATION = {**settings.OMNIUM_INTEGRATION, "STOCK_CHECK_TIME": None}
    assert ensure_schedules() == 1
    assert not Schedule.objects.filter(name=STOCK_CHECK_NAME).exists()


def test_the_daily_check_runs_once_a_day_per_store_and_heals_if_told(in_step, sandbox, settings):
    assert scheduled_check() == {"checked": 0, "reason": "STOCK_CHECK_TIME is not set"}
    settings.OMNIUM_INTEGRATION = {
        **settings.OMNIUM_INTEGRATION,
        "STOCK_CHECK_TIME": "03:30",
        "STOCK_CHECK_HEAL": True,
    }
    behind_flows_back(sandbox)
    assert scheduled_check() == {
        "checked": 1,
        "left": 0,
        "differences": 4,
        "healed": 4,
        "failed": 0,
    }
    assert scheduled_check()["checked"] == 0  # done for today
    assert PendingStockChange.objects.count() == 4


def test_a_daily_run_out_of_time_leaves_the_other_stores_to_the_next(in_step, settings):
    bergen = Store.objects.create(tenant=in_step.tenant, uid="bergen", country_code="NO")
    StoreExtension.objects.create(store=bergen, flow_stock_master=True)
    settings.OMNIUM_INTEGRATION = {
        **settings.OMNIUM_INTEGRATION,
        "STOCK_CHECK_TIME": "03:30",
        "DRAIN_TIME_BUDGET": 0,
    }
    runs = [scheduled_check() for _ in range(3)]
    assert [(run["checked"], run["left"]) for run in runs] == [(1, 1), (1, 0), (0, 0)]
    assert StockCheck.objects.count() == 2


def test_the_days_slot_is_the_last_time_of_day_passed():
    at_night = datetime(2026, 11, 27, 2, 0, tzinfo=OSLO)
    assert last_slot(at_night, "03:30") == datetime(2026, 11, 26, 3, 30, tzinfo=OSLO)
    after = datetime(2026, 11, 27, 3, 30, tzinfo=OSLO)
    assert last_slot(after, "03:30") == after


def test_a_bad_check_time_fails_the_system_check(settings):
    settings.OMNIUM_INTEGRATION = {**settings.OMNIUM_INTEGRATION, "STOCK_CHECK_TIME": "25:00"}
    errors = [e for e in checks.run_checks() if e.id == "omnium_integration.E030"]
    assert len(errors) == 1 and "'25:00'" in errors[0].msg


# --------------------------------------------------------------------------- admin


def test_the_admin_shows_the_last_check_and_checks_again(in_step, sandbox, client):
    behind_flows_back(sandbox)
    check()
    client.force_login(User.objects.create_superuser("ops", "ops@example.com", "pw"))
    listing = client.get(reverse("admin:omnium_integration_stockcheck_changelist"))
    assert listing.status_code == 200
    assert "differs" in listing.content.decode()
    last = StockCheck.objects.get(store=in_step)
    page = client.get(reverse("admin:omnium_integration_stockcheck_change", args=[last.pk]))
    html = page.content.decode()
    assert "<td>SKU-0700</td><td>70</td><td>0</td>" in html
    assert "<td>STRAY</td><td>0</td><td>4</td>" in html

    response = client.post(
        reverse("admin:omnium_integration_stockcheck_changelist"),
        {"action": "check_again_and_heal", "_selected_action": [last.pk]},
        follow=True,
    )
    html = response.content.decode()
    assert "Store oslo_city: 4 of 1201 SKUs differ, 4 queued to be healed" in html
    drain()
    check()
    assert StockCheck.objects.get(store=in_step).differences_found == 0
