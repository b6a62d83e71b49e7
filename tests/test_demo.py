"""The README's first command runs ``manage.py omnium_demo``; its quick mode runs here."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from flow_stub_project.flow.models import Order
from omnium_integration.enums import JobStatus
from omnium_integration.models import ExternalSyncJob


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_demo_plays_every_scenario_end_to_end():
    out = StringIO()
    call_command("omnium_demo", "--quick", "--timeout", "60", stdout=out)
    text = out.getvalue()
    # 1. Omnium -> Flow: the Click & Collect order is parked for pickup in Flow.
    assert "PARKED, handling CC_PICKUP" in text and "(3 working days)" in text
    assert "fetched from Omnium: kari." in text
    web = Order.objects.get(external_id__startswith="WEB-")
    assert web.state == Order.State.PARKED and web.valid_until is not None
    # 2. Flow -> Omnium: the POS sale, its new customer and the receipt as an invoice.
    assert "type Pos, Completed, total 399.29 NOK, market NOR" in text
    assert "(Flow's externalId set)" in text and ".pdf" in text
    # 3. Goods in: confirmation and stock.
    assert "delivered: JACKET-M 10, SOCKS-3P 20" in text
    assert "stock at oslo_city: JACKET-M 10, SOCKS-3P 20" in text
    # Every job succeeded, on both engines.
    assert set(ExternalSyncJob.objects.values_list("status", flat=True)) == {JobStatus.SUCCEEDED}
    assert set(ExternalSyncJob.objects.values_list("queue", flat=True)) == {
        "external_order_sync",
        "external_receivement_sync",
    }
    assert "1 x            POST /api/token" in text  # one token for both engines
