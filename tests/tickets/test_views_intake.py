"""The desk's fast intake, the requester lookup, the anonymous status lookup, and a whole journey through the pages."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tickets.models import Ticket

pytestmark = pytest.mark.django_db


def intake_data(**overrides) -> dict:
    data = {
        "requester": "",
        "requester_query": "",
        "type": "incident",
        "channel": "phone",
        "title": "Outlook crashes on start",
        "description": "Since this morning",
        "category": "",
        "impact": "2",
        "urgency": "2",
        "contact_phone": "",
        "contact_email": "",
        "started_at": "",
        "scope": "",
        "group": "",
        "assignee": "",
    }
    data.update(overrides)
    return data


# --- requester lookup -----------------------------------------------------------------------------


def test_requester_lookup_finds_by_name_username_email_and_phone(client, alice, bob, carol, vera):
    client.force_login(alice)
    url = reverse("tickets:requester_lookup")

    def found(term):
        return [p.username for p in client.get(url, {"requester_query": term}).context["people"]]

    assert found("Bob 王") == ["bob"]
    assert found("carol") == ["carol"]
    assert found("vera@example") == ["vera"]
    assert found("13800000001") == ["bob"]  # stored as "+86 138 0000 0001"
    assert found("0000 0002") == ["carol"]
    assert found("x") == []  # too short to search
    assert found("王") == ["bob"]  # one Chinese character is a surname
    response = client.get(url, {"requester_query": "VIP"})
    assert f'data-pick-requester="{vera.pk}"' in response.content.decode()
    assert "<html" not in response.content.decode()


def test_requester_lookup_is_for_the_desk(client, bob, tom):
    for user in (bob, tom):
        client.force_login(user)
        assert client.get(reverse("tickets:requester_lookup"), {"q": "bob"}).status_code == 403


# --- intake -----------------------------------------------------------------------------------------


def test_intake_records_a_phone_report_for_the_requester(client, alice, bob, hardware):
    client.force_login(alice)
    response = client.post(
        "/desk/new/",
        intake_data(
            requester=bob.pk,
            category=hardware.pk,
            contact_phone="555-0101",
            started_at="2026-03-02T09:15",
            scope="Just me",
        ),
    )
    ticket = Ticket.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/tickets/{ticket.number}/"
    assert ticket.requester == bob
    assert ticket.created_by == alice
    assert ticket.channel == "phone"
    assert ticket.status == "new"
    assert ticket.priority == 3
    assert ticket.contact_phone == "555-0101"
    assert ticket.contact_email == bob.email  # from the profile
    assert ticket.scope == "Just me"
    assert ticket.started_at.isoformat().startswith("2026-03-02T01:15")  # Asia/Shanghai → UTC


def test_intake_without_javascript_resolves_an_exact_username(client, alice, carol):
    client.force_login(alice)
    client.post("/desk/new/", intake_data(requester_query="carol"))
    assert Ticket.objects.get().requester == carol


def test_intake_resolve_on_first_contact(client, alice, bob):
    client.force_login(alice)
    client.post(
        "/desk/new/",
        intake_data(requester=bob.pk, type="inquiry", resolve_now="on", resolution="Explained the VPN setting"),
    )
    ticket = Ticket.objects.get()
    assert ticket.status == "resolved"
    assert ticket.first_contact_resolution is True
    assert ticket.resolution == "Explained the VPN setting"


def test_intake_dispatch_now_defaults_to_the_categorys_group(client, alice, bob, hardware, desktop):
    client.force_login(alice)
    client.post("/desk/new/", intake_data(requester=bob.pk, category=hardware.pk, dispatch_now="on"))
    ticket = Ticket.objects.get()
    assert (ticket.status, ticket.group, ticket.assignee) == ("assigned", desktop, None)


def test_intake_dispatch_now_to_a_chosen_technician(client, alice, bob, desktop, network, nick):
    client.force_login(alice)
    client.post("/desk/new/", intake_data(requester=bob.pk, dispatch_now="on", group=network.pk, assignee=nick.pk))
    ticket = Ticket.objects.get()
    assert (ticket.status, ticket.group, ticket.assignee) == ("assigned", network, nick)


@pytest.mark.parametrize(
    ("overrides", "field_error"),
    [
        ({"title": ""}, "This field is required."),
        ({"impact": "7"}, "Select a valid choice."),
        ({"contact_email": "not-an-email"}, "Enter a valid email address."),
        ({"resolve_now": "on", "resolution": ""}, "Describe how the issue was resolved."),
        ({"resolve_now": "on", "resolution": "x", "dispatch_now": "on"}, "Either resolve it now or dispatch it"),
        ({"requester_query": "nobody-like-this"}, "Nobody matches"),
        ({"started_at": "yesterday-ish"}, "Enter a valid date/time."),
    ],
)
def test_intake_errors_are_shown_per_field_and_nothing_is_saved(client, alice, bob, overrides, field_error):
    client.force_login(alice)
    data = intake_data(requester=bob.pk) if "requester_query" not in overrides else intake_data()
    data.update(overrides)
    response = client.post("/desk/new/", data)
    assert response.status_code == 400
    html = response.content.decode()
    assert field_error in html
    assert 'class="field-error"' in html
    assert "Nothing was saved." in html
    assert not Ticket.objects.exists()


def test_intake_unknown_caller_needs_a_contact(client, alice):
    client.force_login(alice)
    response = client.post("/desk/new/", intake_data())
    assert response.status_code == 400
    assert "record a phone number or an email address" in response.content.decode()
    client.post("/desk/new/", intake_data(contact_phone="13912345678"))
    ticket = Ticket.objects.get()
    assert ticket.requester == alice  # logged under the agent, reachable by the phone given
    assert ticket.contact_phone == "13912345678"


def test_intake_dispatch_failure_rolls_back_the_ticket(client, alice, bob, desktop, network, nick):
    client.force_login(alice)
    # No category → no default group; and nick is not in desktop: both refused by the service.
    response = client.post("/desk/new/", intake_data(requester=bob.pk, dispatch_now="on"))
    assert response.status_code == 400
    assert "has no default group" in response.content.decode()
    response = client.post(
        "/desk/new/", intake_data(requester=bob.pk, dispatch_now="on", group=desktop.pk, assignee=nick.pk)
    )
    assert response.status_code == 400
    assert "is not an active member of Desktop support" in response.content.decode()
    assert not Ticket.objects.exists()


def test_intake_keeps_the_picked_requester_on_error(client, alice, vera):
    client.force_login(alice)
    response = client.post("/desk/new/", intake_data(requester=vera.pk, title=""))
    html = response.content.decode()
    assert f'name="requester" id="id_requester" value="{vera.pk}"' in html
    assert "Vera VIP" in html


# --- anonymous status lookup -----------------------------------------------------------------------


def test_status_lookup_by_email_or_phone(client, bob_ticket, bob):
    response = client.post("/status/", {"number": bob_ticket.number, "contact": "BOB@example.com"})
    assert response.status_code == 200
    html = response.content.decode()
    assert bob_ticket.number in html
    assert 'class="badge status-new"' in html
    response = client.post("/status/", {"number": bob_ticket.number.lower(), "contact": "+86 138-0000-0001"})
    assert bob_ticket.number in response.content.decode()


def test_status_lookup_wrong_number_and_wrong_contact_read_the_same(client, bob_ticket, carol_ticket):
    wrong_number = client.post("/status/", {"number": "INC-1999-000001", "contact": "bob@example.com"})
    wrong_contact = client.post("/status/", {"number": bob_ticket.number, "contact": "carol@example.com"})
    assert wrong_number.status_code == wrong_contact.status_code == 200
    assert "No ticket matches this number and contact." in wrong_number.content.decode()

    def strip(response):  # the CSRF token differs per response; nothing else may
        import re

        html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", response.content.decode())
        return (
            re.sub(r'"X-CSRFToken": "[^"]+"', "", html)
            .replace("INC-1999-000001", "X")
            .replace(bob_ticket.number, "X")
            .replace("bob@example.com", "Y")
            .replace("carol@example.com", "Y")
        )

    assert strip(wrong_number) == strip(wrong_contact)
    assert bob_ticket.title not in wrong_contact.content.decode()


def test_status_lookup_is_throttled_after_ten_tries(client, bob_ticket):
    for _ in range(10):
        assert client.post("/status/", {"number": "INC-0-0", "contact": "x@example.com"}).status_code == 200
    response = client.post("/status/", {"number": bob_ticket.number, "contact": "bob@example.com"})
    assert response.status_code == 429
    assert "Too many tries" in response.content.decode()
    assert bob_ticket.title not in response.content.decode()
    # Another address is not affected.
    other = client.post("/status/", {"number": bob_ticket.number, "contact": "bob@example.com"}, REMOTE_ADDR="10.0.0.9")
    assert other.status_code == 200


def test_status_lookup_page_works_signed_out(client):
    response = client.get("/status/")
    assert response.status_code == 200
    assert 'name="contact"' in response.content.decode()


# --- a journey through the pages ------------------------------------------------------------------------


def test_journey_intake_dispatch_accept_resolve_and_the_requester_sees_it(client, alice, bob, tom, desktop, hardware):
    # The desk records a phone call for bob...
    client.force_login(alice)
    client.post("/desk/new/", intake_data(requester=bob.pk, category=hardware.pk, title="Screen flickers"))
    ticket = Ticket.objects.get()
    assert ticket.number in client.get("/desk/?queue=unassigned").content.decode()
    # ...and dispatches it to tom from the ticket page.
    page = client.get(f"/tickets/{ticket.number}/")
    assert 'data-action="assign"' in page.content.decode()
    client.post(
        f"/tickets/{ticket.number}/assign/",
        {"expected_version": page.context["version"], "group": desktop.pk, "assignee": tom.pk},
    )
    # Tom sees it on his work list and accepts it with one tap.
    client.force_login(tom)
    work = client.get("/work/")
    assert [t.number for t in work.context["mine"]] == [ticket.number]
    client.post(
        f"/tickets/{ticket.number}/accept/", {"expected_version": work.context["mine"][0].version, "next": "/work/"}
    )
    # He resolves it from the ticket page.
    page = client.get(f"/tickets/{ticket.number}/")
    assert 'data-action="resolve"' in page.content.decode()
    response = client.post(
        f"/tickets/{ticket.number}/resolve/",
        {"expected_version": page.context["version"], "resolution": "Replaced the cable"},
        follow=True,
    )
    assert "resolved." in response.content.decode()
    # Bob sees it resolved on the portal, with the resolution up front.
    client.force_login(bob)
    portal = client.get("/portal/").content.decode()
    assert ticket.number in portal
    assert 'class="badge status-resolved"' in portal
    detail = client.get(f"/tickets/{ticket.number}/").content.decode()
    assert "Replaced the cable" in detail
    assert 'data-action="reopen"' in detail
