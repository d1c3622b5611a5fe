"""The ticket pages render for each role, refuse the wrong ones, and keep the queue to a fixed number of queries."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tickets import services
from tickets.models import Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def everyone(alice, bob, carol, vera, tom, tina, lena, nick, sam, ada, desktop, network):
    return {
        "alice": alice,
        "bob": bob,
        "carol": carol,
        "tom": tom,
        "lena": lena,
        "nick": nick,
        "sam": sam,
        "ada": ada,
    }


def _get(client, user, url):
    client.force_login(user)
    return client.get(url)


@pytest.mark.parametrize(
    ("who", "url_name", "status"),
    [
        ("alice", "tickets:queue", 200),
        ("sam", "tickets:queue", 200),
        ("ada", "tickets:queue", 200),
        ("tom", "tickets:queue", 200),
        ("bob", "tickets:queue", 403),
        ("alice", "tickets:intake", 200),
        ("sam", "tickets:intake", 200),
        ("tom", "tickets:intake", 403),
        ("bob", "tickets:intake", 403),
        ("tom", "tickets:my_work", 200),
        ("lena", "tickets:my_work", 200),
        ("alice", "tickets:my_work", 200),
        ("bob", "tickets:my_work", 403),
        ("bob", "tickets:portal", 200),
        ("alice", "tickets:portal", 200),
        ("tom", "tickets:portal", 200),
        ("bob", "tickets:portal_new", 200),
        ("bob", "tickets:status_lookup", 200),
    ],
)
def test_pages_render_for_each_role(client, everyone, bob_ticket, who, url_name, status):
    response = _get(client, everyone[who], reverse(url_name))
    assert response.status_code == status
    if status == 200:
        assert b"<main" in response.content


def test_anonymous_is_sent_to_sign_in(client):
    for name in ("tickets:queue", "tickets:intake", "tickets:my_work", "tickets:portal", "tickets:portal_new"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))


def test_home_sends_each_role_to_its_workspace(client, alice, tom, bob):
    assert _get(client, alice, "/")["Location"] == reverse("tickets:queue")
    assert _get(client, tom, "/")["Location"] == reverse("tickets:my_work")
    assert _get(client, bob, "/")["Location"] == reverse("tickets:portal")
    client.logout()
    assert client.get("/")["Location"] == reverse("login")


def test_sign_in_page_and_language_switcher(client, bob):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'name="language"' in html
    assert reverse("tickets:status_lookup") in html
    response = client.post(reverse("login"), {"username": "bob", "password": "correct-horse-battery-9"})
    assert response.status_code == 302
    response = client.post(reverse("set_language"), {"language": "zh-hans", "next": "/portal/"})
    assert response.status_code == 302
    html = client.get("/portal/").content.decode()
    assert 'lang="zh-hans"' in html


def test_pages_send_no_inline_script_or_style(client, alice, bob_ticket):
    client.force_login(alice)
    for url in ("/desk/", "/desk/new/", f"/tickets/{bob_ticket.number}/", "/portal/", "/status/"):
        html = client.get(url).content.decode()
        assert "<script>" not in html
        assert "style=" not in html
        assert " onclick=" not in html
        assert " onchange=" not in html


# --- the agent queue ----------------------------------------------------------------------------------


def test_queue_lists_rows_with_badges_and_counts(client, alice, bob, vera, make_ticket):
    make_ticket(bob, title="Printer on fire")
    make_ticket(vera, title="VIP cannot log in", impact=1, urgency=1)
    response = _get(client, alice, "/desk/?queue=unassigned")
    html = response.content.decode()
    assert "Printer on fire" in html
    assert "VIP cannot log in" in html
    assert 'class="badge vip"' in html
    assert 'class="badge status-new"' in html
    assert 'class="badge prio-1"' in html
    counts = {tab["key"]: tab["count"] for tab in response.context["tabs"]}
    assert counts["unassigned"] == 2
    assert counts["open"] == 2
    assert counts["mine"] == 0


def test_queue_filters_search_and_sort(client, alice, bob, carol, make_ticket, desktop):
    a = make_ticket(bob, title="Mouse broken", impact=3, urgency=3)
    b = make_ticket(carol, title="Network down everywhere", impact=1, urgency=1, type="request")
    services.ticket_assign(ticket=b, actor=alice, group=desktop)
    client.force_login(alice)

    def numbers(qs):
        return [t.number for t in client.get("/desk/" + qs).context["page"].object_list]

    assert numbers("?queue=open&q=network") == [b.number]
    assert numbers("?queue=open&q=" + a.number) == [a.number]
    assert numbers("?queue=open&q=Carol") == [b.number]
    assert numbers("?queue=open&type=request") == [b.number]
    assert numbers("?queue=open&status=new") == [a.number]
    assert numbers(f"?queue=open&group={desktop.pk}") == [b.number]
    assert numbers("?queue=open&priority=1") == [b.number]
    assert numbers("?queue=open&ordering=priority") == [b.number, a.number]
    assert numbers("?queue=open&ordering=created_at") == [a.number, b.number]
    # A stale or hand-made value is dropped, not a server error.
    assert set(numbers("?queue=bogus&status=nope&priority=x&ordering=drop")) == {a.number, b.number}


def test_queue_empty_states(client, alice, bob, make_ticket):
    client.force_login(alice)
    assert "Nothing is assigned to you" in client.get("/desk/?queue=mine").content.decode()
    make_ticket(bob)
    assert "No tickets match these filters" in client.get("/desk/?queue=open&q=zzzz").content.decode()


def test_queue_paginates_25_a_page(client, alice, bob, make_ticket):
    for i in range(27):
        make_ticket(bob, title=f"Report {i}")
    client.force_login(alice)
    first = client.get("/desk/?queue=open")
    assert len(first.context["page"].object_list) == 25
    assert 'rel="next"' in first.content.decode()
    second = client.get("/desk/?queue=open&page=2")
    assert len(second.context["page"].object_list) == 2


def test_queue_htmx_request_gets_only_the_results(client, alice, bob, make_ticket):
    make_ticket(bob, title="Only the table")
    client.force_login(alice)
    response = client.get("/desk/?queue=open&q=table", headers={"HX-Request": "true"})
    html = response.content.decode()
    assert "Only the table" in html
    assert "<html" not in html
    assert 'class="tabs"' in html
    assert "HX-Request" in response["Vary"]


def test_technician_queue_shows_only_their_groups_tickets(
    client, alice, tom, bob, carol, make_ticket, desktop, network
):
    ours = make_ticket(bob, title="Desktop thing")
    theirs = make_ticket(carol, title="Network thing")
    services.ticket_assign(ticket=ours, actor=alice, group=desktop)
    services.ticket_assign(ticket=theirs, actor=alice, group=network)
    html = _get(client, tom, "/desk/?queue=all").content.decode()
    assert "Desktop thing" in html
    assert "Network thing" not in html


@pytest.fixture
def many_tickets(alice, bob, vera, make_ticket, desktop, tom):
    def _make(n: int) -> None:
        for i in range(n):
            t = make_ticket(vera if i % 3 == 0 else bob, title=f"Report {i}")
            if i % 2:
                services.ticket_assign(ticket=t, actor=alice, group=desktop, assignee=tom)

    return _make


@pytest.mark.parametrize("n", [5, 30])
def test_queue_page_uses_a_fixed_number_of_queries(client, alice, many_tickets, django_assert_num_queries, n):
    many_tickets(n)
    client.force_login(alice)
    client.get("/desk/")  # warm up: first-request work (e.g. translations) is not the page's
    # session, user, user's roles, active groups for the filter, queue counts (one aggregate),
    # paginator count, one page of tickets with requester/group/assignee/category joined, the page's SLA clocks
    # with their calendars, the calendars' working hours, holidays and make-up days, unread notifications
    with django_assert_num_queries(12):
        response = client.get("/desk/?queue=all&ordering=priority")
    assert response.status_code == 200
    assert len(response.context["page"].object_list) == min(n, 25)


# --- technician work list ----------------------------------------------------------------------------


def test_my_work_lists_mine_and_my_groups_unclaimed_ordered_by_priority(
    client, alice, tom, tina, bob, make_ticket, desktop
):
    low = make_ticket(bob, title="Low one", impact=3, urgency=3)
    high = make_ticket(bob, title="High one", impact=1, urgency=1)
    mine = make_ticket(bob, title="Mine already")
    other = make_ticket(bob, title="Tina's")
    for t in (low, high):
        services.ticket_assign(ticket=t, actor=alice, group=desktop)
    services.ticket_assign(ticket=mine, actor=alice, group=desktop, assignee=tom)
    services.ticket_assign(ticket=other, actor=alice, group=desktop, assignee=tina)
    response = _get(client, tom, "/work/")
    assert [t.number for t in response.context["mine"]] == [mine.number]
    assert [t.number for t in response.context["pool"]] == [high.number, low.number]
    assert "Tina's" not in response.content.decode()


def test_one_tap_accept_from_my_work(client, alice, tom, bob, make_ticket, desktop):
    t = make_ticket(bob)
    t = services.ticket_assign(ticket=t, actor=alice, group=desktop)
    client.force_login(tom)
    html = client.get("/work/").content.decode()
    assert f'action="/tickets/{t.number}/accept/"' in html
    response = client.post(f"/tickets/{t.number}/accept/", {"expected_version": t.version, "next": "/work/"})
    assert response.status_code == 302
    assert response["Location"] == "/work/"
    t.refresh_from_db()
    assert t.status == Ticket.Status.IN_PROGRESS
    assert t.assignee == tom


# --- portal ----------------------------------------------------------------------------------------


def test_portal_lists_only_my_tickets(client, bob, bob_ticket, carol_ticket):
    html = _get(client, bob, "/portal/").content.decode()
    assert bob_ticket.number in html
    assert carol_ticket.number not in html


def test_portal_empty_state_invites_a_report(client, carol):
    html = _get(client, carol, "/portal/").content.decode()
    assert "No tickets yet" in html
    assert reverse("tickets:portal_new") in html


def test_portal_report_is_filed_for_the_requester_by_portal(client, bob, hardware):
    client.force_login(bob)
    response = client.post(
        "/portal/new/",
        {
            "type": "request",
            "title": "Need a monitor",
            "description": "Second screen",
            "category": hardware.pk,
            "urgency": 2,
        },
    )
    assert response.status_code == 302
    t = Ticket.objects.get(title="Need a monitor")
    assert response["Location"] == f"/tickets/{t.number}/"
    assert t.requester == bob
    assert t.channel == Ticket.Channel.PORTAL
    assert t.urgency == 2
    assert t.category == hardware


def test_portal_report_with_errors_saves_nothing(client, bob):
    client.force_login(bob)
    response = client.post("/portal/new/", {"type": "complaint", "title": "", "urgency": 9})
    assert response.status_code == 400
    html = response.content.decode()
    assert "This field is required." in html
    assert 'aria-invalid="true"' in html
    assert not Ticket.objects.exists()


def test_portal_error_messages_are_translated(client, bob):
    client.force_login(bob)
    client.post(reverse("set_language"), {"language": "zh-hans", "next": "/portal/new/"})
    response = client.post("/portal/new/", {"type": "incident", "title": "", "urgency": 3})
    assert response.status_code == 400
    assert "必填项" in response.content.decode()  # Django's own zh_Hans catalogue
