"""Major-incident API: declare, link, update, resolve, subscribe — with 403 / 404 / 409 where they belong."""

from __future__ import annotations

import pytest

from servicedesk.models import Role
from tests.conftest import make_user
from tickets import major_incidents as mi
from tickets.models import MajorIncident, Ticket

URL = "/api/v1/major-incidents/"


@pytest.fixture
def ian(db):
    return make_user("ian", Role.INCIDENT_MANAGER, display_name="Ian Incident")


@pytest.fixture
def vpn_down(make_ticket, bob):
    return make_ticket(bob, title="VPN is down for everyone")


def test_declare_link_update_resolve(
    as_user, ian, vpn_down, make_ticket, carol, vera, django_capture_on_commit_callbacks
):
    api = as_user(ian)
    response = api.post(URL, {"ticket": vpn_down.number, "summary": "Gateway failed"})
    assert response.status_code == 201, response.json()
    incident = response.json()
    assert incident["status"] == "open" and incident["ticket"] == vpn_down.number and incident["manager"] == "ian"
    assert [u["kind"] for u in incident["updates"]] == ["declared"]

    first, second = make_ticket(carol, title="No VPN"), make_ticket(vera, title="VPN?")
    response = api.post(f"{URL}{incident['id']}/link/", {"tickets": [first.number, second.number.lower()]})
    assert response.status_code == 200, response.json()
    assert sorted(response.json()["linked_tickets"]) == sorted([first.number, second.number])

    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"{URL}{incident['id']}/updates/", {"body": "Failover started."})
    assert response.status_code == 201 and response.json()["kind"] == "update"
    assert response.json()["recipients"] == 0  # counted by the broadcast, after the answer
    updates = api.get(f"{URL}{incident['id']}/updates/").json()
    assert [u["kind"] for u in updates] == ["declared", "update"] and updates[-1]["recipients"] == 3

    response = api.post(f"{URL}{incident['id']}/resolve/", {"resolution": "Gateway replaced."})
    assert response.status_code == 200 and response.json()["status"] == "resolved"
    statuses = set(
        Ticket.objects.filter(number__in=[vpn_down.number, first.number, second.number]).values_list(
            "status", flat=True
        )
    )
    assert statuses == {"resolved"}
    assert api.post(f"{URL}{incident['id']}/resolve/", {"resolution": "Again"}).status_code == 409
    assert api.post(f"{URL}{incident['id']}/updates/", {"body": "More"}).status_code == 409


def test_only_the_incident_manager_declares_updates_and_resolves(as_user, ian, alice, bob, vpn_down):
    for person in (alice, bob):
        assert as_user(person).post(URL, {"ticket": vpn_down.number}).status_code == 403
    incident = mi.major_incident_declare(ticket=vpn_down, actor=ian)
    api = as_user(alice)
    assert api.post(f"{URL}{incident.pk}/updates/", {"body": "x"}).status_code == 403
    assert api.post(f"{URL}{incident.pk}/resolve/", {"resolution": "x"}).status_code == 403
    assert MajorIncident.objects.get().status == "open"


def test_bad_input(as_user, ian, vpn_down):
    api = as_user(ian)
    assert api.post(URL, {"ticket": "INC-1999-000001"}).status_code == 400
    incident = api.post(URL, {"ticket": vpn_down.number}).json()
    assert api.post(URL, {"ticket": vpn_down.number}).status_code == 409  # declared already
    response = api.post(f"{URL}{incident['id']}/link/", {"tickets": [vpn_down.number]})
    assert response.status_code == 400 and "ticket" in response.json()
    assert api.post(f"{URL}{incident['id']}/link/", {}).status_code == 400
    assert api.post(f"{URL}{incident['id']}/updates/", {"body": ""}).status_code == 400
    response = api.post(f"{URL}{incident['id']}/updates/", {"body": "Down", "notice": True})
    assert response.status_code == 400 and "owner_group" in response.json()


def test_who_sees_an_incident(as_user, ian, vpn_down, make_ticket, carol, bob, tom):
    incident = mi.major_incident_declare(ticket=vpn_down, actor=ian)
    mi.major_incident_link(incident=incident, ticket=make_ticket(carol, title="No VPN"), actor=ian)
    outsider = make_user("olga")
    for person in (bob, carol, tom):
        assert as_user(person).get(f"{URL}{incident.pk}/").status_code == 200, person
    assert as_user(outsider).get(f"{URL}{incident.pk}/").status_code == 404
    assert as_user(outsider).get(URL).json()["results"] == []
    carol_view = as_user(carol).get(f"{URL}{incident.pk}/").json()
    assert carol_view["linked_tickets"] == []  # requesters see the incident, not everyone's reports
    assert as_user(outsider).post(f"{URL}{incident.pk}/subscribe/").status_code == 404


def test_requesters_cannot_link_tickets(as_user, ian, vpn_down, make_ticket, carol, bob):
    incident = mi.major_incident_declare(ticket=vpn_down, actor=ian)
    report = make_ticket(carol)
    assert as_user(bob).post(f"{URL}{incident.pk}/link/", {"ticket": report.number}).status_code == 403
    assert Ticket.objects.get(pk=report.pk).parent_id is None


def test_subscribe_and_unsubscribe(as_user, ian, vpn_down, tom, bob):
    incident = mi.major_incident_declare(ticket=vpn_down, actor=ian)
    api = as_user(tom)
    assert api.post(f"{URL}{incident.pk}/subscribe/").status_code == 200
    assert incident.subscribers.filter(user=tom).exists()
    assert api.post(f"{URL}{incident.pk}/subscribe/", {"user": bob.pk}).status_code == 403
    assert api.post(f"{URL}{incident.pk}/unsubscribe/").status_code == 200
    assert not incident.subscribers.filter(user=tom).exists()


def test_the_list_costs_a_fixed_number_of_queries(as_user, ian, make_ticket, bob, django_assert_num_queries):
    api = as_user(ian)
    incident = mi.major_incident_declare(ticket=make_ticket(bob, title="First"), actor=ian)
    mi.major_incident_link(incident=incident, ticket=make_ticket(bob, title="Linked"), actor=ian)
    api.get(URL)
    # count, page of incidents with ticket/manager/resolver joined, their updates with authors, their linked tickets
    with django_assert_num_queries(4):
        assert api.get(URL).json()["count"] == 1
    for i in range(4):
        other = mi.major_incident_declare(ticket=make_ticket(bob, title=f"Outage {i}"), actor=ian)
        mi.major_incident_update(incident=other, actor=ian, body="Working on it")
        mi.major_incident_link(incident=other, ticket=make_ticket(bob, title=f"Report {i}"), actor=ian)
    with django_assert_num_queries(4):
        assert api.get(URL).json()["count"] == 5
