"""Comments and the audit trail over the API: replies and internal notes, who may write and read them, and the
events with their actor, time and data, oldest first."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.tickets.ticket_flows import to_status
from tickets import services
from tickets.models import Comment, Ticket, TicketEvent

S = Ticket.Status
E = TicketEvent.Kind
TICKETS = "/api/v1/tickets/"


def _url(ticket: Ticket, sub: str) -> str:
    return f"{TICKETS}{ticket.number}/{sub}/"


# --- comments ---------------------------------------------------------------------------------------


def test_a_comment_is_created_with_its_author(as_user, alice, bob_ticket):
    r = as_user(alice).post(_url(bob_ticket, "comments"), {"body": "Could you send a photo of the screen?"})

    assert r.status_code == 201, r.content
    body = r.json()
    assert isinstance(body["id"], int)
    assert body["body"] == "Could you send a photo of the screen?"
    assert body["internal"] is False
    assert body["author"]["id"] == alice.pk
    assert body["author"]["username"] == "alice"
    assert datetime.fromisoformat(body["created_at"]).utcoffset() is not None
    assert Comment.objects.get(pk=body["id"]).ticket == bob_ticket


def test_the_requester_replies_on_their_own_ticket(as_user, bob, bob_ticket):
    r = as_user(bob).post(_url(bob_ticket, "comments"), {"body": "Photo attached"})

    assert r.status_code == 201
    assert r.json()["author"]["username"] == "bob"


def test_an_end_user_cannot_write_an_internal_note(as_user, bob, bob_ticket):
    r = as_user(bob).post(_url(bob_ticket, "comments"), {"body": "psst", "internal": True})

    assert r.status_code == 403
    assert "detail" in r.json()
    assert not bob_ticket.comments.exists()
    assert not bob_ticket.events.filter(kind=E.COMMENTED).exists()


def test_comments_are_listed_oldest_first_and_end_users_never_see_internal_notes(
    as_user, alice, bob, tom, desktop, bob_ticket
):
    services.ticket_assign(ticket=bob_ticket, actor=alice, group=desktop, assignee=tom)
    services.comment_create(ticket=bob_ticket, actor=alice, body="1 public from the desk")
    services.comment_create(ticket=bob_ticket, actor=tom, body="2 internal: user is difficult", internal=True)
    services.comment_create(ticket=bob_ticket, actor=bob, body="3 public from bob")
    services.comment_create(ticket=bob_ticket, actor=alice, body="4 internal: escalate?", internal=True)

    staff = as_user(tom).get(_url(bob_ticket, "comments"))
    requester = as_user(bob).get(_url(bob_ticket, "comments"))

    assert staff.status_code == requester.status_code == 200
    assert [c["body"][0] for c in staff.json()] == ["1", "2", "3", "4"]
    assert [c["body"][0] for c in requester.json()] == ["1", "3"]
    assert all(c["internal"] is False for c in requester.json())


def test_end_users_do_not_see_internal_notes_in_the_events_either(as_user, alice, bob, bob_ticket):
    services.comment_create(ticket=bob_ticket, actor=alice, body="internal", internal=True)
    services.comment_create(ticket=bob_ticket, actor=alice, body="public")

    staff_kinds = [e["kind"] for e in as_user(alice).get(_url(bob_ticket, "events")).json()]
    bob_events = as_user(bob).get(_url(bob_ticket, "events")).json()

    assert staff_kinds.count("commented") == 2
    assert [e["kind"] for e in bob_events].count("commented") == 1
    assert all(e["data"].get("internal") is not True for e in bob_events)


def test_a_technician_filing_their_own_request_is_a_requester_there(as_user, tom):
    ticket = services.ticket_create(
        actor=tom, data=services.TicketInput(type="request", title="New mouse", channel="portal")
    )

    assert as_user(tom).post(_url(ticket, "comments"), {"body": "x", "internal": True}).status_code == 403


def test_an_empty_comment_is_a_400(as_user, alice, bob_ticket):
    r = as_user(alice).post(_url(bob_ticket, "comments"), {"body": "   "})

    assert r.status_code == 400
    assert "body" in r.json()


def test_an_end_user_cannot_comment_on_a_closed_ticket(as_user, alice, bob, tom, desktop, bob_ticket):
    to_status(bob_ticket, S.CLOSED, desk=alice, assignee=tom, group=desktop)

    r = as_user(bob).post(_url(bob_ticket, "comments"), {"body": "Hello?"})

    assert r.status_code == 409
    assert "detail" in r.json()


def test_a_staff_reply_is_the_first_response(as_user, alice, bob_ticket):
    as_user(alice).post(_url(bob_ticket, "comments"), {"body": "We are on it"})

    bob_ticket.refresh_from_db()
    assert bob_ticket.first_response_at is not None


def test_an_internal_note_or_the_requesters_own_reply_is_not_a_first_response(as_user, alice, bob, bob_ticket):
    as_user(alice).post(_url(bob_ticket, "comments"), {"body": "checking", "internal": True})
    as_user(bob).post(_url(bob_ticket, "comments"), {"body": "any news?"})

    bob_ticket.refresh_from_db()
    assert bob_ticket.first_response_at is None


# --- events -----------------------------------------------------------------------------------------


def test_events_are_the_audit_trail_oldest_first(as_user, alice, bob, tom, desktop, bob_ticket):
    services.ticket_assign(ticket=bob_ticket, actor=alice, group=desktop, assignee=tom)
    services.ticket_accept(ticket=bob_ticket, actor=tom)

    r = as_user(bob).get(_url(bob_ticket, "events"))

    assert r.status_code == 200
    events = [e for e in r.json() if not e["kind"].startswith("sla_")]
    assert [e["kind"] for e in events] == ["created", "assigned", "status_changed", "status_changed"]
    for event in r.json():
        assert set(event) >= {"kind", "actor", "at", "data"}
    stamps = [datetime.fromisoformat(e["at"]) for e in r.json()]
    assert stamps == sorted(stamps)
    assert all(s.utcoffset() is not None for s in stamps)
    assert events[0]["actor"] == {"id": alice.pk, "username": "alice"}
    assert events[2]["data"]["from"] == "new" and events[2]["data"]["to"] == "assigned"
    assert events[3]["actor"] == {"id": tom.pk, "username": "tom"}
    assert events[3]["data"]["from"] == "assigned" and events[3]["data"]["to"] == "in_progress"


def test_a_system_step_has_no_actor(as_user, alice, tom, desktop, bob_ticket):
    to_status(bob_ticket, S.RESOLVED, desk=alice, assignee=tom, group=desktop)
    services.ticket_close(ticket=bob_ticket, actor=None)

    events = as_user(alice).get(_url(bob_ticket, "events")).json()

    closing = [e for e in events if e["kind"] == "status_changed" and e["data"]["to"] == "closed"]
    assert len(closing) == 1
    assert closing[0]["actor"] is None


@pytest.mark.parametrize("sub", ["comments", "events", "attachments"])
def test_the_conversation_needs_credentials(api, bob_ticket, sub):
    r = api.get(_url(bob_ticket, sub))

    assert r.status_code == 401
