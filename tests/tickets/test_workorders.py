# ruff: noqa: F811 - the shared fixtures are imported from tests/tickets/workorder_helpers.py
"""Work-order services: every step legal and illegal (409, nothing recorded), permissions (403), audit on the
ticket timeline, idempotent replays by key, time log and parts, notes on a completed order."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from servicedesk.errors import InvalidTransition, NotAllowed, ValidationFailed
from tests.tickets.workorder_helpers import (  # noqa: F401 (fixtures)
    SERVICES,
    args_for,
    field_ticket,
    k,
    make_order,
    order,
    png_data_url,
    walk_to,
)
from tickets import workorders as wo
from tickets.models import TicketEvent, WorkOrder, WorkOrderStep, WorkOrderTime

W = WorkOrder.State
STATES = [s.value for s in W]
LEGAL = [(a, s) for a, froms in wo.TRANSITIONS.items() if a in SERVICES for s in froms]
ILLEGAL = [(a, s) for a in SERVICES for s in STATES if s not in wo.TRANSITIONS[a]]


def wo_events(ticket):
    return list(TicketEvent.objects.filter(ticket=ticket, kind=TicketEvent.Kind.WORK_ORDER).order_by("id"))


def test_create_records_a_dispatch_event_on_the_ticket(order, field_ticket, tom):
    assert order.state == W.DISPATCHED and order.technician == tom
    [event] = wo_events(field_ticket)
    assert event.data["action"] == "create" and event.data["work_order"] == order.pk


def test_create_refuses_a_non_technician_and_an_empty_address(field_ticket, alice, bob):
    with pytest.raises(ValidationFailed) as exc:
        wo.workorder_create(ticket=field_ticket, actor=alice, technician=bob, site_address=" ")
    assert set(exc.value.errors) == {"technician", "site_address"}


def test_only_the_desk_or_the_group_lead_dispatches(field_ticket, tom, tina, lena, alice):
    with pytest.raises(NotAllowed):
        wo.workorder_create(ticket=field_ticket, actor=tina, technician=tom, site_address="A")
    assert wo.workorder_create(ticket=field_ticket, actor=lena, technician=tom, site_address="A").pk


@pytest.mark.parametrize(("action", "state"), LEGAL)
def test_each_legal_step(order, tom, action, state):
    order = walk_to(order, state, tom)
    before = TicketEvent.objects.filter(ticket=order.ticket).count()
    order = SERVICES[action](order=order, actor=tom, key=k(), **args_for(action))
    assert order.state == wo.ACTION_TARGET[action]
    order.refresh_from_db()
    assert order.state == wo.ACTION_TARGET[action]
    assert TicketEvent.objects.filter(ticket=order.ticket).count() == before + 1
    last = wo_events(order.ticket)[-1]
    assert last.actor == tom and last.data["action"] == action and last.data["state"] == order.state


@pytest.mark.parametrize(("action", "state"), ILLEGAL)
def test_each_illegal_step_is_409_and_changes_nothing(order, tom, action, state):
    order = walk_to(order, state, tom)
    steps = WorkOrderStep.objects.count()
    events = TicketEvent.objects.count()
    with pytest.raises(InvalidTransition) as exc:
        SERVICES[action](order=order, actor=tom, key=k(), **args_for(action))
    assert exc.value.status_code == 409
    assert "WO-" in exc.value.message
    order.refresh_from_db()
    assert order.state == state
    assert (WorkOrderStep.objects.count(), TicketEvent.objects.count()) == (steps, events)


def test_steps_are_timestamped(order, tom):
    order = walk_to(order, W.QUOTE_APPROVED, tom)
    order.refresh_from_db()
    assert order.accepted_at <= order.departed_at <= order.arrived_at <= order.diagnosed_at <= order.quote_decided_at
    assert order.quote_amount == Decimal("450.00") and order.diagnosis == "Failed SSD"


def test_accept_sets_the_arrival_target_30_minutes_on(order, tom):
    order = wo.workorder_accept(order=order, actor=tom, key=k())
    assert order.arrival_due_at == order.accepted_at + timedelta(minutes=30)


def test_an_appointment_is_the_arrival_target(make_order, tom):
    at = timezone.now() + timedelta(hours=3)
    order = wo.workorder_accept(order=make_order(appointment_at=at), actor=tom, key=k())
    assert order.arrival_due_at == at


@pytest.mark.parametrize("who", ["tina", "bob", "lena", "nick"])
def test_only_the_assigned_technician_and_the_desk_act(order, who, request):
    user = request.getfixturevalue(who)
    with pytest.raises(NotAllowed):
        wo.workorder_accept(order=order, actor=user, key=k())
    assert WorkOrderStep.objects.count() == 0


@pytest.mark.parametrize("who", ["alice", "sam"])
def test_desk_roles_act_on_any_order(order, who, request):
    assert wo.workorder_accept(order=order, actor=request.getfixturevalue(who), key=k()).state == W.ACCEPTED


def test_the_same_key_replays_without_doubling(order, tom):
    key = k()
    first = wo.workorder_accept(order=order, actor=tom, key=key)
    again = wo.workorder_accept(order=order, actor=tom, key=key)
    assert again.state == W.ACCEPTED and again.accepted_at == first.accepted_at
    assert WorkOrderStep.objects.filter(work_order=order, action="accept").count() == 1
    assert len([e for e in wo_events(order.ticket) if e.data["action"] == "accept"]) == 1


def test_a_replay_after_the_order_moved_on_answers_without_a_409(order, tom):
    key = k()
    wo.workorder_accept(order=order, actor=tom, key=key)
    wo.workorder_arrive(order=order, actor=tom, key=k())
    assert wo.workorder_accept(order=order, actor=tom, key=key).state == W.ON_SITE


def test_a_key_reused_for_another_step_is_refused(order, tom):
    key = k()
    wo.workorder_accept(order=order, actor=tom, key=key)
    with pytest.raises(InvalidTransition):
        wo.workorder_depart(order=order, actor=tom, key=key)


def test_a_missing_or_bad_key_is_400(order, tom):
    for key in ("", None, "not-a-uuid"):
        with pytest.raises(ValidationFailed) as exc:
            wo.workorder_accept(order=order, actor=tom, key=key)
        assert "key" in exc.value.errors


def test_diagnose_needs_a_cause_and_a_valid_price(order, tom):
    order = walk_to(order, W.ON_SITE, tom)
    with pytest.raises(ValidationFailed):
        wo.workorder_diagnose(order=order, actor=tom, key=k(), diagnosis="", quote_amount="10")
    with pytest.raises(ValidationFailed):
        wo.workorder_diagnose(order=order, actor=tom, key=k(), diagnosis="x", quote_amount="-1")
    with pytest.raises(ValidationFailed):
        wo.workorder_diagnose(order=order, actor=tom, key=k(), diagnosis="x", quote_amount="abc")


def test_take_back_needs_a_future_return_date(order, tom):
    order = walk_to(order, W.QUOTE_APPROVED, tom)
    with pytest.raises(ValidationFailed):
        wo.workorder_take_back(order=order, actor=tom, key=k(), promised_return_at=None)
    with pytest.raises(ValidationFailed):
        wo.workorder_take_back(order=order, actor=tom, key=k(), promised_return_at=timezone.now() - timedelta(1))


def test_cancel_needs_a_reason_and_stops_a_running_timer(order, tom):
    order = walk_to(order, W.ACCEPTED, tom)
    wo.workorder_time_start(order=order, actor=tom, key=k())
    with pytest.raises(ValidationFailed):
        wo.workorder_cancel(order=order, actor=tom, key=k(), reason=" ")
    order = wo.workorder_cancel(order=order, actor=tom, key=k(), reason="Customer called it off")
    assert order.cancel_reason == "Customer called it off"
    assert WorkOrderTime.objects.get().ended_at == order.cancelled_at


def test_time_log_and_parts(order, tom):
    order = walk_to(order, W.ON_SITE, tom)
    wo.workorder_time_start(order=order, actor=tom, key=k())
    with pytest.raises(InvalidTransition):
        wo.workorder_time_start(order=order, actor=tom, key=k())
    wo.workorder_time_stop(order=order, actor=tom, key=k())
    with pytest.raises(InvalidTransition):
        wo.workorder_time_stop(order=order, actor=tom, key=k())
    entry = WorkOrderTime.objects.get()
    assert entry.technician == tom and entry.ended_at >= entry.started_at
    wo.workorder_add_part(order=order, actor=tom, key=k(), description="SSD 512 GB", quantity=2, unit_cost="200")
    part = order.parts.get()
    assert part.total == Decimal("400.00")
    with pytest.raises(ValidationFailed):
        wo.workorder_add_part(order=order, actor=tom, key=k(), description="x", quantity=0, unit_cost="1")


def test_the_timer_cannot_start_before_acceptance(order, tom):
    with pytest.raises(InvalidTransition):
        wo.workorder_time_start(order=order, actor=tom, key=k())


def test_a_completed_order_only_takes_notes(order, tom):
    order = walk_to(order, W.COMPLETED, tom)
    for service, extra in [
        (wo.workorder_add_part, {"description": "x", "quantity": 1, "unit_cost": "1"}),
        (wo.workorder_time_start, {}),
        (wo.workorder_cancel, {"reason": "x"}),
        (wo.workorder_diagnose, {"diagnosis": "x", "quote_amount": "1"}),
    ]:
        with pytest.raises(InvalidTransition):
            service(order=order, actor=tom, key=k(), **extra)
    wo.workorder_annotate(order=order, actor=tom, key=k(), text="Customer asked for an invoice")
    assert wo_events(order.ticket)[-1].data["note"] == "Customer asked for an invoice"


def test_the_requester_hears_of_acceptance_after_commit(order, tom, bob, django_capture_on_commit_callbacks):
    from servicedesk.models import Notification

    with django_capture_on_commit_callbacks(execute=True):
        wo.workorder_accept(order=order, actor=tom, key=k())
    assert Notification.objects.filter(recipient=bob, key=f"workorder:{order.pk}:accept").count() == 1


def test_the_ticket_timeline_shows_the_steps(client, order, tom, alice):
    walk_to(order, W.ON_SITE, tom)
    client.force_login(alice)
    body = client.get(f"/tickets/{order.ticket.number}/").content.decode()
    assert f"Work order WO-{order.pk}" in body and "arrive" in body
