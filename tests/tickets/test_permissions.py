"""Who may see a ticket and who may take each step. Someone who cannot see the ticket gets 404 (its existence
never leaks); someone who sees it but may not take a step that its status allows gets 403."""

from __future__ import annotations

import pytest

from servicedesk import services as people
from servicedesk.models import Role
from tests.tickets.ticket_flows import to_status
from tickets import rules, selectors, services
from tickets.models import Ticket

S = Ticket.Status
TICKETS = "/api/v1/tickets/"
BODIES = {
    "pend": {"reason": "Waiting for the user"},
    "resolve": {"resolution": "Fixed"},
    "reopen": {"reason": "Broken again"},
    "cancel": {"reason": "Not needed"},
}


@pytest.fixture
def quinn(db):
    return people.user_create(actor=None, username="quinn", password=None, roles=[Role.QUALITY_ANALYST])


@pytest.fixture
def cody(db):
    return people.user_create(actor=None, username="cody", password=None, roles=[Role.CALLBACK_AGENT])


@pytest.fixture
def bobs_ticket_in(make_ticket, bob, alice, tom, desktop):
    """Bob's ticket, dispatched to tom in Desktop support when past `new`."""

    def _in(status: str) -> Ticket:
        return to_status(
            make_ticket(bob, title="Keyboard missing keys"), status, desk=alice, assignee=tom, group=desktop
        )

    return _in


# (action, ticket status, persona, expected HTTP status)
WHO = [
    # assign: desk roles, the group's lead
    ("assign", S.NEW, "alice", 200),
    ("assign", S.NEW, "sam", 200),
    ("assign", S.NEW, "ada", 200),
    ("assign", S.NEW, "bob", 403),
    ("assign", S.NEW, "carol", 404),
    ("assign", S.NEW, "tom", 404),
    ("assign", S.ASSIGNED, "lena", 200),
    ("assign", S.ASSIGNED, "tina", 403),
    ("assign", S.ASSIGNED, "tom", 403),
    ("assign", S.ASSIGNED, "nick", 404),
    ("assign", S.IN_PROGRESS, "quinn", 403),
    # accept: the assignee, or a member of the group
    ("accept", S.ASSIGNED, "tom", 200),
    ("accept", S.ASSIGNED, "tina", 200),
    ("accept", S.ASSIGNED, "alice", 403),
    ("accept", S.ASSIGNED, "bob", 403),
    ("accept", S.ASSIGNED, "nick", 404),
    ("accept", S.ASSIGNED, "carol", 404),
    # pend / resume / resolve: desk roles, the assignee
    ("pend", S.IN_PROGRESS, "tom", 200),
    ("pend", S.IN_PROGRESS, "alice", 200),
    ("pend", S.IN_PROGRESS, "tina", 403),
    ("pend", S.IN_PROGRESS, "lena", 403),
    ("pend", S.IN_PROGRESS, "bob", 403),
    ("pend", S.IN_PROGRESS, "carol", 404),
    ("resume", S.PENDING, "tom", 200),
    ("resume", S.PENDING, "sam", 200),
    ("resume", S.PENDING, "tina", 403),
    ("resume", S.PENDING, "bob", 403),
    ("resume", S.PENDING, "nick", 404),
    ("resolve", S.IN_PROGRESS, "tom", 200),
    ("resolve", S.IN_PROGRESS, "alice", 200),
    ("resolve", S.IN_PROGRESS, "tina", 403),
    ("resolve", S.IN_PROGRESS, "cody", 403),
    ("resolve", S.IN_PROGRESS, "bob", 403),
    ("resolve", S.IN_PROGRESS, "carol", 404),
    ("resolve", S.NEW, "tom", 404),
    # reopen: desk roles, the requester
    ("reopen", S.RESOLVED, "bob", 200),
    ("reopen", S.RESOLVED, "alice", 200),
    ("reopen", S.RESOLVED, "tom", 403),
    ("reopen", S.RESOLVED, "quinn", 403),
    ("reopen", S.RESOLVED, "carol", 404),
    # close: desk roles (the follow-up closes as the system)
    ("close", S.RESOLVED, "alice", 200),
    ("close", S.RESOLVED, "sam", 200),
    ("close", S.RESOLVED, "tom", 403),
    ("close", S.RESOLVED, "bob", 403),
    ("close", S.RESOLVED, "carol", 404),
    # cancel: desk roles, the requester while the ticket is new
    ("cancel", S.NEW, "bob", 200),
    ("cancel", S.NEW, "alice", 200),
    ("cancel", S.NEW, "carol", 404),
    ("cancel", S.ASSIGNED, "alice", 200),
    ("cancel", S.ASSIGNED, "bob", 403),
    ("cancel", S.ASSIGNED, "tom", 403),
]


@pytest.mark.parametrize(("action", "status", "persona", "expected"), WHO)
def test_who_may_take_each_step(request, as_user, bobs_ticket_in, desktop, tina, action, status, persona, expected):
    ticket = bobs_ticket_in(status)
    actor = request.getfixturevalue(persona)
    body = {"group": desktop.pk, "assignee": tina.pk} if action == "assign" else BODIES.get(action, {})
    events = ticket.events.count()

    r = as_user(actor).post(f"{TICKETS}{ticket.number}/{action}/", body)

    assert r.status_code == expected, r.content
    ticket.refresh_from_db()
    if expected == 200:
        assert ticket.status != status or action == "assign"
    else:
        assert "detail" in r.json()
        assert ticket.status == status
        assert ticket.events.count() == events
    if expected == 404:
        # The same answer as for a ticket that does not exist.
        assert r.json() == as_user(actor).post(f"{TICKETS}INC-2000-000000/{action}/", body).json()


def test_rules_offer_only_the_steps_that_will_work(bobs_ticket_in, tom, tina, bob, alice):
    ticket = bobs_ticket_in(S.IN_PROGRESS)

    assert set(rules.available_actions(tom, ticket)) == {"pend", "resolve"}
    assert set(rules.available_actions(tina, ticket)) == set()
    assert set(rules.available_actions(bob, ticket)) == set()
    assert set(rules.available_actions(alice, ticket)) == {"assign", "pend", "resolve", "mark_duplicate"}


# --- visibility -------------------------------------------------------------------------------------


@pytest.fixture
def desk_of_tickets(make_ticket, alice, bob, carol, tom, nick, desktop, network):
    """bob's new ticket; carol's ticket in Desktop support; carol's ticket in Network; tom's own request."""
    bob_new = make_ticket(bob, title="Bob new")
    carol_desktop = services.ticket_assign(ticket=make_ticket(carol, title="Carol desktop"), actor=alice, group=desktop)
    carol_network = services.ticket_assign(
        ticket=make_ticket(carol, title="Carol network"), actor=alice, group=network, assignee=nick
    )
    tom_own = make_ticket(tom, actor=tom, title="Tom's own request", type="request")
    return {"bob_new": bob_new, "carol_desktop": carol_desktop, "carol_network": carol_network, "tom_own": tom_own}


VISIBLE = {
    "bob": {"bob_new"},
    "carol": {"carol_desktop", "carol_network"},
    "tom": {"carol_desktop", "tom_own"},
    "tina": {"carol_desktop"},
    "lena": {"carol_desktop"},
    "nick": {"carol_network"},
    "alice": {"bob_new", "carol_desktop", "carol_network", "tom_own"},
    "sam": {"bob_new", "carol_desktop", "carol_network", "tom_own"},
    "ada": {"bob_new", "carol_desktop", "carol_network", "tom_own"},
    "quinn": {"bob_new", "carol_desktop", "carol_network", "tom_own"},
    "cody": {"bob_new", "carol_desktop", "carol_network", "tom_own"},
}


@pytest.mark.parametrize("persona", sorted(VISIBLE))
def test_each_role_sees_exactly_its_tickets(request, as_user, desk_of_tickets, persona):
    user = request.getfixturevalue(persona)
    expected = {desk_of_tickets[name].number for name in VISIBLE[persona]}
    client = as_user(user)

    listed = {t["number"] for t in client.get(TICKETS, {"page_size": 100}).json()["results"]}

    assert listed == expected
    assert {t.number for t in selectors.tickets_visible_to(user)} == expected
    for ticket in desk_of_tickets.values():
        code = client.get(f"{TICKETS}{ticket.number}/").status_code
        assert code == (200 if ticket.number in expected else 404), (persona, ticket.title)


def test_a_technician_keeps_seeing_a_ticket_assigned_to_them(make_ticket, alice, carol, tom, desktop, as_user):
    ticket = services.ticket_assign(ticket=make_ticket(carol), actor=alice, group=desktop, assignee=tom)

    assert as_user(tom).get(f"{TICKETS}{ticket.number}/").status_code == 200


def test_a_technician_leaving_the_group_stops_seeing_its_unowned_tickets(make_ticket, alice, carol, tina, desktop):
    ticket = services.ticket_assign(ticket=make_ticket(carol), actor=alice, group=desktop)
    desktop.members.remove(tina)

    assert not selectors.tickets_visible_to(tina).filter(pk=ticket.pk).exists()


def test_an_anonymous_user_sees_nothing(carol_ticket):
    from django.contrib.auth.models import AnonymousUser

    assert not selectors.tickets_visible_to(AnonymousUser()).exists()


@pytest.mark.parametrize("sub", ["comments", "attachments", "events"])
def test_carol_cannot_read_the_conversation_of_bobs_ticket(as_user, carol, bob_ticket, sub):
    r = as_user(carol).get(f"{TICKETS}{bob_ticket.number}/{sub}/")

    assert r.status_code == 404


def test_carol_cannot_comment_on_bobs_ticket(as_user, carol, bob_ticket):
    r = as_user(carol).post(f"{TICKETS}{bob_ticket.number}/comments/", {"body": "me too"})

    assert r.status_code == 404
    assert not bob_ticket.comments.exists()
