"""The ticket state machine as services: each legal step changes the status and writes exactly its events;
each illegal step raises InvalidTransition and changes nothing, records nothing."""

from __future__ import annotations

import pytest
from django.utils import timezone

from knowledge.models import Article
from servicedesk import services as people
from servicedesk.errors import InvalidTransition, NotAllowed, ValidationFailed
from tests.tickets.ticket_flows import event_kinds, to_status, workflow_events
from tickets import services
from tickets.models import Ticket, TicketEvent

S = Ticket.Status
E = TicketEvent.Kind
STATUSES = [s.value for s in S]

# action -> {from status: to status}: the API.md transition table.
TABLE = {
    "assign": {S.NEW: S.ASSIGNED, S.ASSIGNED: S.ASSIGNED, S.IN_PROGRESS: S.ASSIGNED},
    "accept": {S.ASSIGNED: S.IN_PROGRESS},
    "pend": {S.IN_PROGRESS: S.PENDING},
    "resume": {S.PENDING: S.IN_PROGRESS},
    "resolve": {S.NEW: S.RESOLVED, S.ASSIGNED: S.RESOLVED, S.IN_PROGRESS: S.RESOLVED, S.PENDING: S.RESOLVED},
    "reopen": {S.RESOLVED: S.IN_PROGRESS},
    "close": {S.RESOLVED: S.CLOSED},
    "cancel": {S.NEW: S.CANCELLED, S.ASSIGNED: S.CANCELLED},
}
ILLEGAL = [(a, s) for a in TABLE for s in STATUSES if s not in TABLE[a]]
LEGAL = [(a, s) for a in TABLE for s in TABLE[a]]


@pytest.fixture
def ticket_in(make_ticket, bob, alice, tom, desktop):
    def _in(status: str) -> Ticket:
        ticket = make_ticket(bob, title="Monitor flickers")
        return to_status(ticket, status, desk=alice, assignee=tom, group=desktop)

    return _in


def _act(action: str, ticket: Ticket, actor, *, tina=None, desktop=None, **extra) -> Ticket:
    if action == "assign":
        return services.ticket_assign(ticket=ticket, actor=actor, group=desktop, assignee=tina, **extra)
    if action == "accept":
        return services.ticket_accept(ticket=ticket, actor=actor, **extra)
    if action == "pend":
        return services.ticket_pend(ticket=ticket, actor=actor, reason="Need the serial number", **extra)
    if action == "resume":
        return services.ticket_resume(ticket=ticket, actor=actor, **extra)
    if action == "resolve":
        return services.ticket_resolve(ticket=ticket, actor=actor, resolution="Cable replaced", **extra)
    if action == "reopen":
        return services.ticket_reopen(ticket=ticket, actor=actor, reason="It flickers again", **extra)
    if action == "close":
        return services.ticket_close(ticket=ticket, actor=actor, **extra)
    if action == "cancel":
        return services.ticket_cancel(ticket=ticket, actor=actor, reason="Reported twice", **extra)
    raise AssertionError(action)


def _snapshot(ticket: Ticket) -> dict:
    ticket.refresh_from_db()
    fields = ["status", "group_id", "assignee_id", "version", "updated_at", "resolved_at", "closed_at"]
    return {f: getattr(ticket, f) for f in fields} | {"events": ticket.events.count()}


def _last_event(ticket: Ticket) -> TicketEvent:
    return workflow_events(ticket).last()


@pytest.mark.parametrize(("action", "status"), ILLEGAL)
def test_an_illegal_step_raises_and_changes_nothing(ticket_in, alice, tina, desktop, action, status):
    ticket = ticket_in(status)
    before = _snapshot(ticket)

    with pytest.raises(InvalidTransition):
        # The desk agent may take every step the table allows somebody; here only the state forbids it.
        _act(action, ticket, alice, tina=tina, desktop=desktop)

    assert _snapshot(ticket) == before


@pytest.mark.parametrize(("action", "status"), LEGAL)
def test_a_legal_step_moves_to_the_table_status_and_records_a_status_event(
    ticket_in, alice, bob, tom, tina, desktop, action, status
):
    ticket = ticket_in(status)
    # The assignee accepts; the requester reopens; otherwise the desk acts.
    actor = {"accept": tom, "reopen": bob}.get(action, alice)
    events_before = workflow_events(ticket).count()
    version = ticket.version

    ticket = _act(action, ticket, actor, tina=tina, desktop=desktop)

    ticket.refresh_from_db()
    assert ticket.status == TABLE[action][status]
    assert ticket.version > version
    new_events = list(workflow_events(ticket)[events_before:])
    status_events = [e for e in new_events if e.kind == E.STATUS_CHANGED]
    if status == TABLE[action][status]:
        assert status_events == []  # reassignment within ASSIGNED is not a status change
    else:
        assert len(status_events) == 1
        assert status_events[0].data["from"] == status
        assert status_events[0].data["to"] == TABLE[action][status]
        assert status_events[0].actor == actor


# --- the exact trail of each step --------------------------------------------------------------------


def test_the_whole_life_of_a_ticket_leaves_exactly_one_event_per_change(make_ticket, alice, bob, tom, desktop):
    ticket = make_ticket(bob)
    services.ticket_assign(ticket=ticket, actor=alice, group=desktop, assignee=tom)
    services.ticket_accept(ticket=ticket, actor=tom)
    services.ticket_pend(ticket=ticket, actor=tom, reason="Which floor?")
    services.ticket_resume(ticket=ticket, actor=tom)
    services.comment_create(ticket=ticket, actor=tom, body="On my way")
    services.ticket_resolve(ticket=ticket, actor=tom, resolution="Paper path cleaned")
    services.ticket_reopen(ticket=ticket, actor=bob, reason="Jammed again")
    services.ticket_resolve(ticket=ticket, actor=tom, resolution="Roller replaced")
    services.ticket_close(ticket=ticket, actor=alice)

    events = list(workflow_events(ticket).select_related("actor"))
    assert [(e.kind, e.actor.username, e.data.get("from"), e.data.get("to")) for e in events] == [
        (E.CREATED, "alice", None, None),
        (E.ASSIGNED, "alice", None, None),
        (E.STATUS_CHANGED, "alice", "new", "assigned"),
        (E.STATUS_CHANGED, "tom", "assigned", "in_progress"),
        (E.STATUS_CHANGED, "tom", "in_progress", "pending"),
        (E.STATUS_CHANGED, "tom", "pending", "in_progress"),
        (E.COMMENTED, "tom", None, None),
        (E.STATUS_CHANGED, "tom", "in_progress", "resolved"),
        (E.STATUS_CHANGED, "bob", "resolved", "in_progress"),
        (E.STATUS_CHANGED, "tom", "in_progress", "resolved"),
        (E.STATUS_CHANGED, "alice", "resolved", "closed"),
    ]
    assert events[1].data["group"]["to"] == desktop.pk
    assert events[1].data["assignee"] == {"from": None, "to": tom.pk}
    assert events[4].data["reason"] == "Which floor?"
    assert events[8].data["reason"] == "Jammed again"


def test_repeating_an_identical_assignment_records_nothing(make_ticket, bob, alice, tom, desktop):
    ticket = make_ticket(bob)
    ticket = services.ticket_assign(ticket=ticket, actor=alice, group=desktop, assignee=tom)
    before = _snapshot(ticket)

    again = services.ticket_assign(ticket=ticket, actor=alice, group=desktop, assignee=tom)

    assert again.assignee == tom
    assert _snapshot(ticket) == before


def test_reassigning_within_the_group_records_only_the_assignment(make_ticket, bob, alice, tom, tina, desktop):
    ticket = make_ticket(bob)
    services.ticket_assign(ticket=ticket, actor=alice, group=desktop, assignee=tom)

    services.ticket_assign(ticket=ticket, actor=alice, group=desktop, assignee=tina)

    assert event_kinds(ticket)[-2:] == [E.STATUS_CHANGED, E.ASSIGNED]
    last = _last_event(ticket)
    assert last.data["assignee"] == {"from": tom.pk, "to": tina.pk}
    ticket.refresh_from_db()
    assert ticket.assignee == tina


def test_dispatching_to_a_group_only_leaves_the_ticket_unowned(make_ticket, bob, alice, desktop):
    ticket = services.ticket_assign(ticket=make_ticket(bob), actor=alice, group=desktop)

    assert ticket.status == S.ASSIGNED
    assert ticket.group == desktop
    assert ticket.assignee is None


def test_a_member_accepting_a_group_ticket_becomes_its_assignee(make_ticket, bob, alice, tina, desktop):
    ticket = services.ticket_assign(ticket=make_ticket(bob), actor=alice, group=desktop)

    ticket = services.ticket_accept(ticket=ticket, actor=tina)

    assert ticket.status == S.IN_PROGRESS
    assert ticket.assignee == tina
    assert ticket.first_response_at is not None
    assert event_kinds(ticket)[-2:] == [E.ASSIGNED, E.STATUS_CHANGED]
    assigned = ticket.events.get(kind=E.ASSIGNED, actor=tina)
    assert assigned.data["assignee"] == {"from": None, "to": tina.pk}


def test_accepting_keeps_an_earlier_first_response(make_ticket, bob, alice, tom, desktop):
    ticket = make_ticket(bob)
    services.comment_create(ticket=ticket, actor=alice, body="We are looking into it")
    ticket.refresh_from_db()
    answered_at = ticket.first_response_at
    services.ticket_assign(ticket=ticket, actor=alice, group=desktop, assignee=tom)

    ticket = services.ticket_accept(ticket=ticket, actor=tom)

    assert answered_at is not None
    assert ticket.first_response_at == answered_at


def test_the_assignee_must_belong_to_the_group(make_ticket, bob, alice, nick, desktop):
    ticket = make_ticket(bob)

    with pytest.raises(ValidationFailed) as exc:
        services.ticket_assign(ticket=ticket, actor=alice, group=desktop, assignee=nick)

    assert set(exc.value.errors) == {"assignee"}
    assert event_kinds(ticket) == [E.CREATED]


def test_an_inactive_group_takes_no_tickets(make_ticket, bob, alice, desktop):
    desktop.is_active = False
    desktop.save(update_fields=["is_active"])

    with pytest.raises(ValidationFailed) as exc:
        services.ticket_assign(ticket=make_ticket(bob), actor=alice, group=desktop)

    assert set(exc.value.errors) == {"group"}


def test_without_a_group_the_category_routes_the_ticket(make_ticket, bob, alice, hardware, desktop):
    printers = people.category_create(actor=None, name="Printers", parent=hardware)
    ticket = make_ticket(bob, category=printers)

    ticket = services.ticket_assign(ticket=ticket, actor=alice)

    assert ticket.group == desktop


def test_without_a_group_or_a_routed_category_assignment_is_refused(make_ticket, bob, alice):
    with pytest.raises(ValidationFailed) as exc:
        services.ticket_assign(ticket=make_ticket(bob), actor=alice)

    assert set(exc.value.errors) == {"group"}


def test_automatic_assignment_picks_the_least_loaded_member(make_ticket, bob, alice, tom, tina, desktop):
    services.ticket_assign(ticket=make_ticket(bob), actor=alice, group=desktop, assignee=tom)

    ticket = services.ticket_assign(ticket=make_ticket(bob), actor=alice, group=desktop, auto=True)

    assert ticket.assignee in {tina, desktop.lead}
    assert ticket.assignee != tom
    assert ticket.events.get(kind=E.ASSIGNED).data["auto"] is True


# --- pend, resume, resolve, reopen, close, cancel ---------------------------------------------------


def test_pending_needs_a_reason_and_resuming_clears_it(ticket_in, tom):
    ticket = ticket_in(S.IN_PROGRESS)
    with pytest.raises(ValidationFailed) as exc:
        services.ticket_pend(ticket=ticket, actor=tom, reason="  ")
    assert set(exc.value.errors) == {"reason"}

    ticket = services.ticket_pend(ticket=ticket, actor=tom, reason="Waiting for the asset tag")
    assert ticket.pending_reason == "Waiting for the asset tag"
    ticket = services.ticket_resume(ticket=ticket, actor=tom)
    assert ticket.pending_reason == ""
    assert ticket.status == S.IN_PROGRESS


def test_resolving_needs_a_resolution(ticket_in, tom):
    ticket = ticket_in(S.IN_PROGRESS)

    with pytest.raises(ValidationFailed) as exc:
        services.ticket_resolve(ticket=ticket, actor=tom, resolution="")

    assert set(exc.value.errors) == {"resolution"}
    ticket.refresh_from_db()
    assert ticket.status == S.IN_PROGRESS


def test_the_desk_resolving_a_new_ticket_on_first_contact_with_an_article(make_ticket, alice, bob):
    article = Article.objects.create(title="Clear a paper jam", body="Open tray 2.", author=alice, status="published")
    ticket = make_ticket(bob)

    ticket = services.ticket_resolve(
        ticket=ticket, actor=alice, resolution="Talked the user through it", first_contact=True, article=article
    )

    ticket.refresh_from_db()
    assert ticket.status == S.RESOLVED
    assert ticket.first_contact_resolution is True
    assert ticket.resolution_article == article
    assert ticket.resolution == "Talked the user through it"
    assert ticket.resolved_at is not None
    # Solving it is the first response too.
    assert ticket.first_response_at == ticket.resolved_at
    event = ticket.events.get(kind=E.STATUS_CHANGED)
    assert event.data["first_contact"] is True
    assert event.data["article"] == article.pk


def test_a_dispatched_ticket_is_not_a_first_contact_resolution(ticket_in, tom):
    ticket = ticket_in(S.IN_PROGRESS)

    ticket = services.ticket_resolve(ticket=ticket, actor=tom, resolution="Swapped the cable", first_contact=True)

    assert ticket.first_contact_resolution is False


def test_reopening_returns_an_owned_ticket_to_its_assignee(ticket_in, bob, tom):
    ticket = ticket_in(S.RESOLVED)

    ticket = services.ticket_reopen(ticket=ticket, actor=bob, reason="Still broken")

    assert ticket.status == S.IN_PROGRESS
    assert ticket.assignee == tom
    assert ticket.reopen_count == 1
    assert ticket.resolved_at is None


def test_reopening_an_unowned_ticket_sends_it_back_to_triage(make_ticket, alice, bob):
    ticket = services.ticket_resolve(
        ticket=make_ticket(bob), actor=alice, resolution="Restarted the spooler", first_contact=True
    )

    ticket = services.ticket_reopen(ticket=ticket, actor=bob, reason="Still broken")

    assert ticket.status == S.NEW
    assert ticket.first_contact_resolution is False
    assert _last_event(ticket).data == {
        "from": "resolved",
        "to": "new",
        "reason": "Still broken",
        "reopened": True,
    }
    # A reopened ticket solved later is no longer a first-contact resolution.
    ticket = services.ticket_resolve(ticket=ticket, actor=alice, resolution="Driver updated", first_contact=True)
    assert ticket.first_contact_resolution is False


def test_closing_is_final_and_timestamped(ticket_in, alice, bob):
    ticket = services.ticket_close(ticket=ticket_in(S.RESOLVED), actor=alice)

    assert ticket.status == S.CLOSED
    assert ticket.closed_at is not None
    with pytest.raises(InvalidTransition):
        services.ticket_reopen(ticket=ticket, actor=bob, reason="Again")


def test_the_system_may_close_a_resolved_ticket(ticket_in):
    ticket = services.ticket_close(ticket=ticket_in(S.RESOLVED), actor=None)

    assert ticket.status == S.CLOSED
    assert _last_event(ticket).actor is None


def test_the_requester_cancels_their_own_new_ticket(make_ticket, bob):
    ticket = make_ticket(bob)

    ticket = services.ticket_cancel(ticket=ticket, actor=bob, reason="Fixed itself")

    assert ticket.status == S.CANCELLED
    assert ticket.cancelled_at is not None
    assert _last_event(ticket).data["reason"] == "Fixed itself"


def test_the_requester_may_not_cancel_once_dispatched(ticket_in, bob):
    ticket = ticket_in(S.ASSIGNED)

    with pytest.raises(NotAllowed):
        services.ticket_cancel(ticket=ticket, actor=bob, reason="Never mind")

    ticket.refresh_from_db()
    assert ticket.status == S.ASSIGNED


# --- optimistic concurrency -------------------------------------------------------------------------


def test_every_write_bumps_the_version(make_ticket, bob, alice, tom, desktop):
    ticket = make_ticket(bob)
    assert ticket.version == 1
    ticket = services.ticket_assign(ticket=ticket, actor=alice, group=desktop, assignee=tom)
    assert ticket.version == 2
    ticket = services.ticket_accept(ticket=ticket, actor=tom)
    assert ticket.version == 3


def test_a_stale_expected_version_is_refused_and_changes_nothing(make_ticket, bob, alice, tom, desktop):
    ticket = make_ticket(bob)
    seen = ticket.version
    services.ticket_assign(ticket=ticket, actor=alice, group=desktop, assignee=tom)
    before = _snapshot(ticket)

    with pytest.raises(InvalidTransition):
        services.ticket_resolve(ticket=ticket, actor=alice, resolution="Done", expected_version=seen)

    assert _snapshot(ticket) == before
    ticket = services.ticket_resolve(ticket=ticket, actor=alice, resolution="Done", expected_version=before["version"])
    assert ticket.status == S.RESOLVED


def test_timestamps_are_aware(make_ticket, bob, alice):
    ticket = services.ticket_resolve(ticket=make_ticket(bob), actor=alice, resolution="Done")

    assert timezone.is_aware(ticket.created_at)
    assert timezone.is_aware(ticket.resolved_at)
