# ruff: noqa: F811 - the shared fixtures are imported from tests/tickets/workorder_helpers.py
"""Work-order pages: the technician's phone screens (today's list, one-tap steps with a key, sign-off), the
printable sheet, the manager's board, dispatch from the ticket page; permissions and constant query counts."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from tests.tickets.workorder_helpers import (  # noqa: F401 (fixtures)
    field_ticket,
    k,
    make_order,
    order,
    png_data_url,
    walk_to,
)
from tickets import workorders as wo
from tickets.models import WorkOrder, WorkOrderStep

W = WorkOrder.State


def step_url(order, action):
    return f"/work-orders/{order.pk}/{action}/"


def test_today_lists_my_orders_by_appointment(client, make_order, tom):
    later = make_order(appointment_at=timezone.now() + timedelta(hours=3), site_address="Later street")
    sooner = make_order(appointment_at=timezone.now() + timedelta(hours=1), site_address="Sooner street")
    client.force_login(tom)
    body = client.get("/work-orders/").content.decode()
    assert body.index("Sooner street") < body.index("Later street")
    assert f"WO-{later.pk}" in body and f"WO-{sooner.pk}" in body


def test_my_work_shows_todays_orders(client, order, tom):
    client.force_login(tom)
    body = client.get("/work/").content.decode()
    assert "Today&#x27;s work orders" in body or "Today's work orders" in body
    assert f"WO-{order.pk}" in body


def test_the_countdown_is_rendered_by_the_server(client, order, tom):
    wo.workorder_accept(order=order, actor=tom, key=k())
    client.force_login(tom)
    body = client.get(f"/work-orders/{order.pk}/").content.decode()
    assert re.search(r"(29|30) min to arrive", body)
    assert "data-wo-countdown" in body


def test_one_tap_accept_and_a_double_tap_is_one_step(client, order, tom):
    client.force_login(tom)
    page = client.get(f"/work-orders/{order.pk}/").content.decode()
    key = re.search(r'action="/work-orders/\d+/accept/".*?name="key" value="([0-9a-f-]{36})"', page, re.S).group(1)
    first = client.post(step_url(order, "accept"), {"key": key})
    second = client.post(step_url(order, "accept"), {"key": key})
    assert first.status_code == second.status_code == 302
    assert WorkOrderStep.objects.filter(action="accept").count() == 1


def test_an_out_of_order_tap_is_409_with_the_message(client, order, tom):
    client.force_login(tom)
    r = client.post(step_url(order, "arrive"), {"key": k()})
    assert r.status_code == 409
    assert "Cannot arrive" in r.content.decode()


def test_another_technician_gets_403_and_carol_404(client, order, tina, carol):
    client.force_login(tina)
    assert client.post(step_url(order, "accept"), {"key": k()}).status_code == 403
    client.force_login(carol)
    assert client.get(f"/work-orders/{order.pk}/").status_code == 404
    assert client.post(step_url(order, "accept"), {"key": k()}).status_code == 404


def test_sign_off_on_the_page(client, order, tom):
    walk_to(order, W.REPAIRED_ONSITE, tom)
    client.force_login(tom)
    r = client.post(step_url(order, "sign"), {"key": k(), "signer_name": "Bob", "signature": png_data_url()})
    assert r.status_code == 302
    order.refresh_from_db()
    assert order.state == W.COMPLETED
    assert client.get(f"/work-orders/{order.pk}/signature.png")["Content-Type"] == "image/png"


@pytest.mark.parametrize("signature", ["", "data:image/png;base64,AAAA", "data:image/svg+xml;base64,PHN2Zz4="])
def test_a_bad_signature_on_the_page_is_400(client, order, tom, signature):
    walk_to(order, W.REPAIRED_ONSITE, tom)
    client.force_login(tom)
    r = client.post(step_url(order, "sign"), {"key": k(), "signer_name": "Bob", "signature": signature})
    assert r.status_code == 400
    order.refresh_from_db()
    assert order.state == W.REPAIRED_ONSITE


def test_the_printable_sheet(client, order, tom):
    order = walk_to(order, W.COMPLETED, tom)
    client.force_login(tom)
    body = client.get(f"/work-orders/{order.pk}/sheet/").content.decode()
    assert "Work order sheet" in body and "Failed SSD" in body and "workorders.css" in body


def test_the_manager_board_is_for_the_desk(client, order, tom, alice):
    order = walk_to(order, W.TAKEN_BACK, tom)
    client.force_login(tom)
    assert client.get("/work-orders/manage/").status_code == 403
    client.force_login(alice)
    body = client.get("/work-orders/manage/").content.decode()
    assert f"WO-{order.pk}" in body and "Devices taken back" in body


def test_dispatch_from_the_ticket_page(client, field_ticket, alice, tom):
    client.force_login(alice)
    assert "Send a technician" in client.get(f"/tickets/{field_ticket.number}/").content.decode()
    r = client.post(
        f"/work-orders/new/{field_ticket.number}/",
        {"technician": tom.pk, "site_address": "Room 301", "contact_name": "Bob", "contact_phone": "1"},
    )
    assert r.status_code == 302
    assert WorkOrder.objects.get().site_address == "Room 301"


def test_a_technician_cannot_open_the_dispatch_form(client, field_ticket, tina):
    client.force_login(tina)
    assert client.get(f"/work-orders/new/{field_ticket.number}/").status_code == 403


def _queries(client, url) -> int:
    client.get(url)  # warm the per-user caches (notices banner, unread count) so both counts measure the same
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_today_and_the_board_use_a_fixed_number_of_queries(client, make_order, tom, alice):
    for _ in range(2):
        o = make_order()
        walk_to(o, W.TAKEN_BACK, tom)
        make_order()
    client.force_login(tom)
    today = _queries(client, "/work-orders/")
    client.force_login(alice)
    board = _queries(client, "/work-orders/manage/")
    for _ in range(5):
        o = make_order()
        walk_to(o, W.TAKEN_BACK, tom)
        make_order()
    client.force_login(tom)
    assert _queries(client, "/work-orders/") == today
    client.force_login(alice)
    assert _queries(client, "/work-orders/manage/") == board
