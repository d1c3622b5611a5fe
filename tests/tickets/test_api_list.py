"""The ticket list: filters, search, ordering, pagination, and a fixed number of queries per page."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from servicedesk import services as people
from servicedesk.models import User
from tickets import services
from tickets.models import Ticket

TICKETS = "/api/v1/tickets/"


def _numbers(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [t["number"] for t in response.json()["results"]]


@pytest.fixture
def queue(make_ticket, alice, bob, carol, vera, tom, nick, desktop, network):
    """A small desk: tickets of several types, priorities, owners and states, created in this order."""
    t = {}
    t["bob_printer"] = make_ticket(bob, title="Printer on floor 3 jams", impact=3, urgency=3)
    t["carol_vpn"] = make_ticket(carol, title="VPN refuses login", description="Error 809 since update", impact=1)
    t["vera_laptop"] = make_ticket(vera, title="Laptop battery swollen", impact=2, urgency=2, type="request")
    t["carol_mail"] = make_ticket(carol, title="Mailbox full", type="inquiry", impact=2, urgency=3)
    t["bob_wifi"] = make_ticket(bob, title="Wi-Fi slow in meeting room", impact=1, urgency=1, type="complaint")
    services.ticket_assign(ticket=t["carol_vpn"], actor=alice, group=network, assignee=nick)
    services.ticket_assign(ticket=t["vera_laptop"], actor=alice, group=desktop, assignee=tom)
    services.ticket_accept(ticket=t["vera_laptop"], actor=tom)
    services.ticket_assign(ticket=t["bob_wifi"], actor=alice, group=desktop)
    services.ticket_resolve(ticket=t["carol_mail"], actor=alice, resolution="Archived old mail", first_contact=True)
    for ticket in t.values():
        ticket.refresh_from_db()
    return t


# --- filters ----------------------------------------------------------------------------------------


def test_the_desk_lists_newest_first_by_default(as_user, alice, queue):
    listed = _numbers(as_user(alice).get(TICKETS))

    assert listed == [t.number for t in reversed(queue.values())]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status": "new"}, {"bob_printer"}),
        ({"status": ["assigned", "in_progress"]}, {"carol_vpn", "vera_laptop", "bob_wifi"}),
        ({"status": "resolved"}, {"carol_mail"}),
        ({"type": "request"}, {"vera_laptop"}),
        ({"type": ["inquiry", "complaint"]}, {"carol_mail", "bob_wifi"}),
        ({"priority": 1}, {"bob_wifi"}),
        ({"priority": [2, 3]}, {"vera_laptop", "carol_vpn"}),
        ({"priority": 4}, {"bob_printer", "carol_mail"}),
        ({"requester": "carol"}, {"carol_vpn", "carol_mail"}),
        ({"assignee": "tom"}, {"vera_laptop"}),
        ({"group": "desktop"}, {"vera_laptop", "bob_wifi"}),
        ({"group": "desktop", "status": "assigned"}, {"bob_wifi"}),
        ({"requester": "bob", "priority": 4}, {"bob_printer"}),
    ],
)
def test_filters(request, as_user, alice, queue, params, expected):
    resolved = {}
    for key, value in params.items():
        if key in ("requester", "assignee"):
            value = User.objects.get(username=value).pk
        elif key == "group":
            value = request.getfixturevalue(value).pk
        resolved[key] = value

    listed = _numbers(as_user(alice).get(TICKETS, resolved))

    assert set(listed) == {queue[name].number for name in expected}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"status": "lost"}, "status"),
        ({"type": "praise"}, "type"),
        ({"priority": 9}, "priority"),
        ({"assignee": "tom"}, "assignee"),
        ({"ordering": "title"}, "ordering"),
    ],
)
def test_a_bad_filter_is_a_400_naming_it(as_user, alice, queue, params, field):
    r = as_user(alice).get(TICKETS, params)

    assert r.status_code == 400
    assert field in r.json()


def test_filters_never_widen_visibility(as_user, bob, carol, queue):
    listed = _numbers(as_user(bob).get(TICKETS, {"requester": carol.pk}))

    assert listed == []


# --- search -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("vpn", {"carol_vpn"}),
        ("Error 809", {"carol_vpn"}),
        ("meeting ROOM", {"bob_wifi"}),
        ("chen", {"carol_vpn", "carol_mail"}),
        ("王", {"bob_printer", "bob_wifi"}),
        ("nothing like this", set()),
    ],
)
def test_search_matches_title_description_and_requester_name(as_user, alice, queue, term, expected):
    listed = _numbers(as_user(alice).get(TICKETS, {"search": term}))

    assert set(listed) == {queue[name].number for name in expected}


def test_search_matches_the_number(as_user, alice, queue):
    number = queue["vera_laptop"].number
    client = as_user(alice)

    assert _numbers(client.get(TICKETS, {"search": number})) == [number]
    assert _numbers(client.get(TICKETS, {"search": number.lower()})) == [number]
    assert _numbers(client.get(TICKETS, {"search": number[-6:]})) == [number]


def test_search_stays_within_what_the_caller_sees(as_user, bob, queue):
    assert _numbers(as_user(bob).get(TICKETS, {"search": "vpn"})) == []


# --- ordering ---------------------------------------------------------------------------------------


def _listed(client, ordering: str) -> list[dict]:
    r = client.get(TICKETS, {"ordering": ordering})
    assert r.status_code == 200, r.content
    return r.json()["results"]


def test_ordering_by_created_at_both_ways(as_user, alice, queue):
    client = as_user(alice)
    oldest_first = [t.number for t in queue.values()]

    assert [t["number"] for t in _listed(client, "created_at")] == oldest_first
    assert [t["number"] for t in _listed(client, "-created_at")] == oldest_first[::-1]


def test_ordering_by_updated_at_both_ways(as_user, alice, queue):
    services.comment_create(ticket=queue["bob_printer"], actor=alice, body="Toner ordered")  # now the freshest
    client = as_user(alice)

    newest = _listed(client, "-updated_at")
    oldest = _listed(client, "updated_at")

    assert newest[0]["number"] == queue["bob_printer"].number
    assert oldest[-1]["number"] == queue["bob_printer"].number
    assert [t["updated_at"] for t in newest] == sorted((t["updated_at"] for t in newest), reverse=True)
    assert [t["number"] for t in oldest] == [t["number"] for t in newest][::-1]


@pytest.mark.parametrize("field", ["priority", "status"])
def test_ordering_by_priority_and_status_both_ways(as_user, alice, queue, field):
    client = as_user(alice)

    ascending = [t[field] for t in _listed(client, field)]
    descending = [t[field] for t in _listed(client, f"-{field}")]

    assert ascending == sorted(ascending)
    assert descending == sorted(descending, reverse=True)
    assert len(set(ascending)) > 1


def test_ordering_by_sla_due_puts_the_soonest_first_and_tickets_without_a_deadline_last(as_user, alice, queue):
    now = timezone.now()
    Ticket.objects.update(sla_due=None)
    Ticket.objects.filter(pk=queue["bob_wifi"].pk).update(sla_due=now + timedelta(minutes=30))
    Ticket.objects.filter(pk=queue["carol_vpn"].pk).update(sla_due=now + timedelta(hours=4))
    Ticket.objects.filter(pk=queue["vera_laptop"].pk).update(sla_due=now - timedelta(minutes=5))
    client = as_user(alice)

    soonest = [t["number"] for t in _listed(client, "sla_due")]
    latest = [t["number"] for t in _listed(client, "-sla_due")]

    due = [queue[n].number for n in ("vera_laptop", "bob_wifi", "carol_vpn")]
    assert soonest[:3] == due
    assert latest[:3] == due[::-1]
    assert set(soonest[3:]) == set(latest[3:]) == {queue["bob_printer"].number, queue["carol_mail"].number}


# --- pagination -------------------------------------------------------------------------------------


def test_pages_have_count_next_previous_and_results(as_user, alice, queue):
    client = as_user(alice)

    first = client.get(TICKETS, {"page_size": 2}).json()
    last = client.get(TICKETS, {"page_size": 2, "page": 3}).json()

    assert first["count"] == 5
    assert len(first["results"]) == 2
    assert first["previous"] is None
    assert "page=2" in first["next"]
    assert len(last["results"]) == 1
    assert last["next"] is None
    assert "page=2" in last["previous"]
    seen = [
        t["number"] for page in (1, 2, 3) for t in client.get(TICKETS, {"page_size": 2, "page": page}).json()["results"]
    ]
    assert sorted(seen) == sorted(t.number for t in queue.values())


def test_a_page_beyond_the_last_is_not_found(as_user, alice, queue):
    assert as_user(alice).get(TICKETS, {"page": 99}).status_code == 404


def test_page_size_is_capped_at_100(as_user, alice, make_ticket, bob):
    for i in range(101):
        make_ticket(bob, title=f"Ticket {i}")

    body = as_user(alice).get(TICKETS, {"page_size": 1000}).json()

    assert body["count"] == 101
    assert len(body["results"]) == 100
    assert body["next"] is not None


# --- a fixed number of queries ----------------------------------------------------------------------


@pytest.fixture
def make_busy_tickets(make_ticket, alice, bob, carol, vera, tom, desktop, hardware):
    """Tickets that render every relation: requester, group, assignee, a sub-sub-category, duplicate and parent."""
    printers = people.category_create(actor=None, name="Printers", parent=hardware)
    laser = people.category_create(actor=None, name="Laser", parent=printers)

    def _make(n: int) -> None:
        requesters = [bob, carol, vera]
        parent = make_ticket(bob, title="Floor 3 printers down", category=laser)
        services.ticket_assign(ticket=parent, actor=alice, group=desktop)
        for i in range(n - 1):
            ticket = make_ticket(requesters[i % 3], title=f"Printer {i}", category=laser)
            services.ticket_assign(ticket=ticket, actor=alice, group=desktop, assignee=tom)
            if i % 2:
                services.ticket_link_parent(ticket=ticket, actor=alice, parent=parent)
            else:
                services.ticket_mark_duplicate(ticket=ticket, actor=alice, original=parent)

    return _make


@pytest.mark.parametrize("n", [5, 40])
@pytest.mark.parametrize("persona", ["alice", "tom"])
def test_the_ticket_list_uses_a_fixed_number_of_queries(
    request, api, make_busy_tickets, django_assert_num_queries, n, persona
):
    make_busy_tickets(n)
    user = User.objects.get(username=persona)  # a fresh object: its roles are not cached yet
    api.force_authenticate(user)

    # 1 the caller's roles (auth groups)
    # 2 the count for the page
    # 3 the page of tickets, joined with requester, group, assignee, category and its two ancestors
    # 4-5 the tickets they duplicate and their parents (prefetched, not joined: see selectors.TICKET_LIST_LINKED;
    #   none of the two runs when no ticket on the page has such a link)
    # 6 the page's SLA clocks with their calendars
    # 7-9 those calendars' working hours, holidays and make-up working days
    with django_assert_num_queries(9):
        r = api.get(TICKETS, {"page_size": 100})

    assert r.status_code == 200
    assert len(r.json()["results"]) == n
    sub = [t for t in r.json()["results"] if t["category_name"]]
    assert sub and all(t["category_name"] == "Hardware / Printers / Laser" for t in sub)
    assert any(t["duplicate_of"] for t in r.json()["results"])
    assert any(t["parent"] for t in r.json()["results"])
