"""Major-incident pages: declared from the ticket page, linked, updated and resolved from the incident page;
requesters of linked reports follow it; others never see it."""

from __future__ import annotations

import pytest

from servicedesk.models import Notification, Role
from tests.conftest import make_user
from tickets import major_incidents as mi
from tickets.models import MajorIncident, Ticket


@pytest.fixture
def ian(db):
    return make_user("ian", Role.INCIDENT_MANAGER, display_name="Ian Incident")


@pytest.fixture
def vpn_down(make_ticket, bob):
    return make_ticket(bob, title="VPN is down for everyone")


def test_the_incident_manager_declares_from_the_ticket_page(client, ian, vpn_down):
    client.force_login(ian)
    page = client.get(f"/tickets/{vpn_down.number}/").content.decode()
    assert 'data-action="declare-major"' in page
    response = client.post(f"/major-incidents/declare/{vpn_down.number}/", {"summary": "Gateway failed"})
    incident = MajorIncident.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/major-incidents/{incident.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert "Gateway failed" in page and 'data-action="broadcast"' in page
    ticket_page = client.get(f"/tickets/{vpn_down.number}/").content.decode()
    assert "This ticket is a major incident." in ticket_page


def test_others_do_not_get_the_declare_button_and_cannot_post_it(client, alice, vpn_down):
    client.force_login(alice)
    assert 'data-action="declare-major"' not in client.get(f"/tickets/{vpn_down.number}/").content.decode()
    response = client.post(f"/major-incidents/declare/{vpn_down.number}/", {"summary": "x"}, follow=True)
    assert "Only the major-incident manager" in response.content.decode()
    assert not MajorIncident.objects.exists()


def test_the_desk_links_a_report_from_its_ticket_page(client, ian, alice, vpn_down, make_ticket, carol):
    incident = mi.major_incident_declare(ticket=vpn_down, actor=ian)
    report = make_ticket(carol, title="No VPN at home")
    client.force_login(alice)
    page = client.get(f"/tickets/{report.number}/").content.decode()
    assert 'data-action="link-major"' in page
    response = client.post(
        "/major-incidents/link/",
        {"incident": incident.pk, "tickets": report.number, "next": f"/tickets/{report.number}/"},
    )
    assert response.status_code == 302 and response["Location"] == f"/tickets/{report.number}/"
    assert Ticket.objects.get(pk=report.pk).parent_id == vpn_down.pk
    assert f"part of major incident {vpn_down.number}" in client.get(f"/tickets/{report.number}/").content.decode()


def test_update_link_and_resolve_on_the_incident_page(
    client, ian, vpn_down, make_ticket, carol, desktop, django_capture_on_commit_callbacks
):
    incident = mi.major_incident_declare(ticket=vpn_down, actor=ian)
    first, second = make_ticket(carol, title="VPN 1"), make_ticket(carol, title="VPN 2")
    client.force_login(ian)
    response = client.post(f"/major-incidents/{incident.pk}/link/", {"tickets": f"{first.number}, {second.number}"})
    assert response.status_code == 302
    assert Ticket.objects.filter(parent=vpn_down).count() == 2
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/major-incidents/{incident.pk}/update/",
            {"body": "Failover at 10:30.", "notice": "on", "owner_group": desktop.pk},
            follow=True,
        )
    assert "published as an outage notice" in response.content.decode()
    assert Notification.objects.filter(recipient=carol, verb="major_incident_update").exists()
    response = client.post(f"/major-incidents/{incident.pk}/resolve/", {"resolution": "Gateway replaced."}, follow=True)
    assert "Major incident resolved" in response.content.decode()
    assert set(Ticket.objects.filter(parent=vpn_down).values_list("status", flat=True)) == {"resolved"}
    bad = client.post(f"/major-incidents/{incident.pk}/resolve/", {"resolution": "Again"}, follow=True)
    assert "already resolved" in bad.content.decode()


def test_requesters_follow_the_incident_and_outsiders_never_see_it(client, ian, vpn_down, make_ticket, carol):
    incident = mi.major_incident_declare(ticket=vpn_down, actor=ian, summary="Gateway failed")
    mi.major_incident_link(incident=incident, ticket=make_ticket(carol, title="No VPN"), actor=ian)
    mi.major_incident_update(incident=incident, actor=ian, body="ETA 30 minutes")
    client.force_login(carol)
    page = client.get(f"/major-incidents/{incident.pk}/").content.decode()
    assert "ETA 30 minutes" in page and 'data-action="broadcast"' not in page
    assert "No VPN" not in page  # the list of linked reports is for staff
    client.force_login(make_user("olga"))
    assert client.get(f"/major-incidents/{incident.pk}/").status_code == 404
    assert client.post(f"/major-incidents/{incident.pk}/subscribe/").status_code == 404


def test_subscribe_from_the_page(client, ian, vpn_down, tom):
    incident = mi.major_incident_declare(ticket=vpn_down, actor=ian)
    client.force_login(tom)
    client.post(f"/major-incidents/{incident.pk}/subscribe/")
    assert incident.subscribers.filter(user=tom).exists()
    client.post(f"/major-incidents/{incident.pk}/subscribe/", {"unsubscribe": "1"})
    assert not incident.subscribers.filter(user=tom).exists()


def test_the_list_page(client, ian, vpn_down, alice):
    mi.major_incident_declare(ticket=vpn_down, actor=ian)
    client.force_login(alice)
    page = client.get("/major-incidents/?status=open").content.decode()
    assert vpn_down.number in page
    assert vpn_down.number not in client.get("/major-incidents/?status=resolved").content.decode()


@pytest.mark.parametrize("n", [1, 6])
def test_the_list_page_costs_a_fixed_number_of_queries(client, ian, make_ticket, bob, n, django_assert_num_queries):
    for i in range(n):
        incident = mi.major_incident_declare(ticket=make_ticket(bob, title=f"Outage {i}"), actor=ian)
        mi.major_incident_link(incident=incident, ticket=make_ticket(bob, title=f"Report {i}"), actor=ian)
    client.force_login(ian)
    client.get("/major-incidents/")
    # session, user, user's roles, incidents with ticket and manager joined and linked reports counted, unread
    # notifications
    with django_assert_num_queries(5):
        response = client.get("/major-incidents/")
    assert len(response.context["incidents"]) == n


def test_intake_links_a_new_report_to_an_open_major_incident(client, alice, carol, vpn_down, ian):
    incident = mi.major_incident_declare(ticket=vpn_down, actor=ian, summary="VPN concentrator down")
    client.force_login(alice)
    page = client.get("/desk/new/").content.decode()
    assert incident.ticket.number in page  # offered in the intake form
    response = client.post(
        "/desk/new/",
        {
            "requester_query": "carol",
            "type": "incident",
            "channel": "phone",
            "title": "VPN down for me too",
            "impact": "2",
            "urgency": "2",
            "major_incident": str(incident.pk),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    from tickets.models import Ticket

    report = Ticket.objects.get(title="VPN down for me too")
    assert report.parent_id == incident.ticket_id
