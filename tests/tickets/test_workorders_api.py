# ruff: noqa: F811 - the shared fixtures are imported from tests/tickets/workorder_helpers.py
"""/api/v1/work-orders/: visibility (404), who may act (403), out-of-order steps (409), bad input (400), resent
requests by key, the whole visit over the API, and a list whose query count does not grow with its rows."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from tests.tickets.workorder_helpers import (  # noqa: F401 (fixtures)
    field_ticket,
    k,
    make_order,
    order,
    png_bytes,
    png_data_url,
    walk_to,
)
from tickets import workorders as wo
from tickets.models import WorkOrder, WorkOrderStep

W = WorkOrder.State
URL = "/api/v1/work-orders/"


def test_desk_creates_an_order(as_user, alice, tom, field_ticket):
    r = as_user(alice).post(
        URL,
        {"ticket": field_ticket.number, "technician": tom.pk, "site_address": "Room 301", "contact_name": "Bob"},
        format="json",
    )
    assert r.status_code == 201, r.content
    assert r.json()["state"] == "dispatched" and r.json()["ticket"] == field_ticket.number


def test_create_for_an_invisible_ticket_is_404(as_user, bob, tom, carol_ticket):
    r = as_user(bob).post(
        URL, {"ticket": carol_ticket.number, "technician": tom.pk, "site_address": "x"}, format="json"
    )
    assert r.status_code == 404


def test_a_technician_cannot_dispatch(as_user, tina, tom, field_ticket):
    r = as_user(tina).post(
        URL, {"ticket": field_ticket.number, "technician": tom.pk, "site_address": "x"}, format="json"
    )
    assert r.status_code == 403


def test_the_whole_visit_over_the_api(as_user, order, tom):
    api = as_user(tom)
    base = f"{URL}{order.pk}/"
    assert api.post(base + "accept/", {"key": k()}, format="json").json()["state"] == "accepted"
    assert api.post(base + "depart/", {"key": k()}, format="json").json()["state"] == "en_route"
    assert api.post(base + "arrive/", {"key": k()}, format="json").json()["state"] == "on_site"
    r = api.post(base + "diagnose/", {"key": k(), "diagnosis": "Fan", "quote_amount": "80.00"}, format="json")
    assert r.json()["quote_amount"] == "80.00"
    assert api.post(base + "approve-quote/", {"key": k()}, format="json").json()["state"] == "quote_approved"
    due = (timezone.now() + timedelta(days=2)).isoformat()
    assert api.post(base + "take-back/", {"key": k(), "promised_return_at": due}, format="json").status_code == 200
    assert api.post(base + "return/", {"key": k()}, format="json").json()["state"] == "returned"
    r = api.post(base + "parts/", {"key": k(), "description": "Fan", "quantity": 1, "unit_cost": "35"}, format="json")
    assert r.json()["parts"][0]["description"] == "Fan"
    r = api.post(base + "complete/", {"key": k(), "signer_name": "Bob", "signature": png_data_url()}, format="json")
    assert r.status_code == 200 and r.json()["state"] == "completed" and r.json()["has_signature"]
    sig = api.get(base + "signature/")
    assert sig.status_code == 200 and sig["Content-Type"] == "image/png" and sig["X-Content-Type-Options"] == "nosniff"
    assert b"".join(sig.streaming_content).startswith(b"\x89PNG")
    r = api.post(base + "notes/", {"key": k(), "text": "Invoice sent"}, format="json")
    assert r.status_code == 200
    assert api.post(base + "cancel/", {"key": k(), "reason": "x"}, format="json").status_code == 409


def test_out_of_order_is_409_with_a_message(as_user, order, tom):
    r = as_user(tom).post(f"{URL}{order.pk}/arrive/", {"key": k()}, format="json")
    assert r.status_code == 409
    assert "Cannot arrive" in r.json()["detail"]


def test_a_resent_request_answers_the_same_and_records_once(as_user, order, tom):
    api = as_user(tom)
    key = k()
    first = api.post(f"{URL}{order.pk}/accept/", {"key": key}, format="json")
    again = api.post(f"{URL}{order.pk}/accept/", {"key": key}, format="json")
    assert first.status_code == again.status_code == 200
    assert first.json()["accepted_at"] == again.json()["accepted_at"]
    assert WorkOrderStep.objects.filter(action="accept").count() == 1


def test_a_step_without_a_key_is_400(as_user, order, tom):
    r = as_user(tom).post(f"{URL}{order.pk}/accept/", {}, format="json")
    assert r.status_code == 400 and "key" in r.json()


@pytest.mark.parametrize(
    ("signature", "field"),
    [
        ("", "signature"),
        ("data:text/html;base64,PGI+aGk8L2I+", "signature"),
        (png_data_url(png_bytes() + b"\x00" * (1024 * 1024 + 10)), "signature"),
    ],
)
def test_a_bad_signature_is_400(as_user, order, tom, signature, field):
    walk_to(order, W.REPAIRED_ONSITE, tom)
    r = as_user(tom).post(
        f"{URL}{order.pk}/complete/", {"key": k(), "signer_name": "Bob", "signature": signature}, format="json"
    )
    assert r.status_code == 400 and field in r.json()


def test_another_technician_gets_403(as_user, order, tina):
    r = as_user(tina).post(f"{URL}{order.pk}/accept/", {"key": k()}, format="json")
    assert r.status_code == 403


def test_carol_cannot_see_the_order(as_user, order, carol):
    api = as_user(carol)
    assert api.get(f"{URL}{order.pk}/").status_code == 404
    assert api.post(f"{URL}{order.pk}/accept/", {"key": k()}, format="json").status_code == 404
    assert api.get(URL).json()["results"] == []


def test_the_requester_sees_but_cannot_act(as_user, order, bob):
    api = as_user(bob)
    assert api.get(f"{URL}{order.pk}/").status_code == 200
    assert api.post(f"{URL}{order.pk}/accept/", {"key": k()}, format="json").status_code == 403


def test_unauthenticated_is_401(api, order):
    assert api.get(URL).status_code == 401


def test_the_list_uses_a_fixed_number_of_queries(as_user, make_order, alice, tom):
    api = as_user(alice)
    order = make_order()
    wo.workorder_accept(order=order, actor=tom, key=k())
    wo.workorder_time_start(order=order, actor=tom, key=k())

    def count() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            assert api.get(URL).status_code == 200
        return len(ctx.captured_queries)

    few = count()
    for _ in range(6):
        o = make_order()
        wo.workorder_accept(order=o, actor=tom, key=k())
        wo.workorder_time_start(order=o, actor=tom, key=k())
    # user roles, count, page of orders with ticket and technician joined, parts, time entries with technicians
    assert count() == few


@pytest.mark.skipif(
    not (Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.mo").exists(),
    reason="the zh_Hans catalogue is not compiled: run `make messages`",
)
def test_the_409_message_comes_in_chinese(as_user, order, tom):
    r = as_user(tom).post(f"{URL}{order.pk}/arrive/", {"key": k()}, format="json", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert r.status_code == 409
    assert "不能到达" in r.json()["detail"]
