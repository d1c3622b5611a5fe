# ruff: noqa: F811 - the shared fixtures are imported from tests/tickets/workorder_helpers.py
"""The arrival target: due 30 minutes after acceptance (or at the appointment); the sweep records its warning
and its breach once each, however often it runs; arriving stops it."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.utils import timezone

from tests.tickets.workorder_helpers import field_ticket, k, make_order, order  # noqa: F401 (fixtures)
from tickets import workorder_selectors as ws
from tickets import workorders as wo
from tickets.models import TicketEvent, WorkOrder


def arrival_events(ticket):
    return [
        e.data["action"]
        for e in TicketEvent.objects.filter(ticket=ticket, kind=TicketEvent.Kind.WORK_ORDER).order_by("id")
        if e.data["action"].startswith("arrival_")
    ]


def test_warning_then_breach_recorded_once(order, tom):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        order = wo.workorder_accept(order=order, actor=tom, key=k())
        assert ws.remaining_minutes(order) == 30
        assert wo.workorder_arrival_sweep() == {"warnings": 0, "breaches": 0}
    with time_machine.travel(start + timedelta(minutes=21), tick=False):
        assert wo.workorder_arrival_sweep() == {"warnings": 1, "breaches": 0}
        assert wo.workorder_arrival_sweep() == {"warnings": 0, "breaches": 0}
        assert ws.remaining_minutes(WorkOrder.objects.get()) == 9
    with time_machine.travel(start + timedelta(minutes=31), tick=False):
        assert wo.workorder_arrival_sweep() == {"warnings": 0, "breaches": 1}
        assert wo.workorder_arrival_sweep() == {"warnings": 0, "breaches": 0}
        assert ws.remaining_minutes(WorkOrder.objects.get()) == -1
    assert arrival_events(order.ticket) == ["arrival_warning", "arrival_breached"]
    order.refresh_from_db()
    assert order.arrival_breached_at == start + timedelta(minutes=31)


def test_a_late_sweep_records_both_once(order, tom):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        wo.workorder_accept(order=order, actor=tom, key=k())
    with time_machine.travel(start + timedelta(hours=2), tick=False):
        assert wo.workorder_arrival_sweep() == {"warnings": 1, "breaches": 1}
        assert wo.workorder_arrival_sweep() == {"warnings": 0, "breaches": 0}


def test_arriving_in_time_stops_the_clock(order, tom):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        wo.workorder_accept(order=order, actor=tom, key=k())
    with time_machine.travel(start + timedelta(minutes=25), tick=False):
        order = wo.workorder_arrive(order=order, actor=tom, key=k())
        assert ws.remaining_minutes(order) is None
    with time_machine.travel(start + timedelta(hours=1), tick=False):
        assert wo.workorder_arrival_sweep() == {"warnings": 0, "breaches": 0}
    assert arrival_events(order.ticket) == []


def test_the_appointment_is_the_target(make_order, tom):
    start = timezone.now()
    order = make_order(appointment_at=start + timedelta(hours=2))
    with time_machine.travel(start, tick=False):
        wo.workorder_accept(order=order, actor=tom, key=k())
    with time_machine.travel(start + timedelta(minutes=45), tick=False):
        assert wo.workorder_arrival_sweep() == {"warnings": 0, "breaches": 0}
    with time_machine.travel(start + timedelta(hours=2, minutes=1), tick=False):
        assert wo.workorder_arrival_sweep() == {"warnings": 1, "breaches": 1}


def test_a_late_arrival_is_marked_late_and_shows_on_the_manager_board(order, tom):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        wo.workorder_accept(order=order, actor=tom, key=k())
    with time_machine.travel(start + timedelta(minutes=40), tick=False):
        wo.workorder_arrival_sweep()
        assert [o.pk for o in ws.manager_board().late_arrivals] == [order.pk]
        wo.workorder_arrive(order=order, actor=tom, key=k())
        assert [o.pk for o in ws.manager_board().late_arrivals] == [order.pk]
    last = TicketEvent.objects.filter(kind=TicketEvent.Kind.WORK_ORDER).order_by("id").last()
    assert last.data == {**last.data, "action": "arrive", "late": True}


def test_the_beat_task_runs_the_sweep(order, tom):
    from tickets.tasks import workorder_arrival_sweep_task

    start = timezone.now()
    with time_machine.travel(start, tick=False):
        wo.workorder_accept(order=order, actor=tom, key=k())
    with time_machine.travel(start + timedelta(minutes=31), tick=False):
        assert workorder_arrival_sweep_task.delay().get() == {"warnings": 1, "breaches": 1}


def test_the_technician_is_warned_and_the_lead_and_dispatcher_hear_of_a_breach(
    order, tom, lena, alice, django_capture_on_commit_callbacks
):
    from servicedesk.models import Notification

    start = timezone.now()
    with time_machine.travel(start, tick=False):
        wo.workorder_accept(order=order, actor=tom, key=k())
    with (
        time_machine.travel(start + timedelta(minutes=25), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        wo.workorder_arrival_sweep()
    assert set(Notification.objects.filter(key__startswith="workorder-arrival").values_list("recipient", "key")) == {
        (tom.pk, f"workorder-arrival_warning:{order.pk}")
    }
    with (
        time_machine.travel(start + timedelta(minutes=35), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        wo.workorder_arrival_sweep()
        wo.workorder_arrival_sweep()
    breach = set(
        Notification.objects.filter(key=f"workorder-arrival_breached:{order.pk}").values_list("recipient", flat=True)
    )
    assert breach == {tom.pk, lena.pk, alice.pk}
