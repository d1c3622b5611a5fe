"""Major incidents as services: declared by the incident manager, reports linked, updates broadcast once to
everyone affected (in-app and email), optionally as an outage notice, and the cascade at resolution."""

from __future__ import annotations

import pytest
from django.core import mail

from notices import selectors as notice_selectors
from notices.models import Notice, NoticeDelivery
from servicedesk.errors import InvalidTransition, NotAllowed, ValidationFailed
from servicedesk.models import Notification, Role
from tests.conftest import make_user
from tickets import major_incidents as mi
from tickets import services
from tickets.models import FollowUp, MajorIncident, MajorIncidentSubscriber, MajorIncidentUpdate, Ticket, TicketEvent

S = Ticket.Status


@pytest.fixture
def ian(db):
    return make_user("ian", Role.INCIDENT_MANAGER, display_name="Ian Incident")


@pytest.fixture
def vpn_down(make_ticket, bob):
    return make_ticket(bob, title="VPN is down for everyone")


@pytest.fixture
def incident(vpn_down, ian):
    return mi.major_incident_declare(ticket=vpn_down, actor=ian, summary="VPN gateway failed; engineers on site.")


def told(user, update: MajorIncidentUpdate) -> bool:
    return Notification.objects.filter(recipient=user, key=f"major-incident-update:{update.pk}").exists()


# --- declare ---------------------------------------------------------------------------------------------------


def test_the_incident_manager_declares_a_major_incident_from_a_ticket(
    vpn_down, ian, bob, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        incident = mi.major_incident_declare(ticket=vpn_down, actor=ian, summary="VPN gateway failed.")
    assert incident.status == "open" and incident.manager == ian and incident.ticket == vpn_down
    assert MajorIncidentSubscriber.objects.filter(incident=incident, user=ian).exists()
    update = incident.updates.get()
    assert update.kind == "declared" and update.body == "VPN gateway failed."
    assert told(bob, update) and not told(ian, update)  # the manager wrote it
    assert any(m.to == ["bob@example.com"] and "Major incident" in m.subject for m in mail.outbox)
    assert TicketEvent.objects.filter(ticket=vpn_down, kind="linked", data__major_incident="declared").exists()


def test_only_the_incident_manager_declares(vpn_down, alice, sam, tom):
    for person in (alice, sam, tom):
        with pytest.raises(NotAllowed):
            mi.major_incident_declare(ticket=vpn_down, actor=person)
    assert not MajorIncident.objects.exists()


def test_a_ticket_is_declared_once_and_only_while_open(incident, vpn_down, ian, make_ticket, carol, alice):
    with pytest.raises(InvalidTransition):
        mi.major_incident_declare(ticket=vpn_down, actor=ian)
    done = make_ticket(carol, title="Fixed already")
    services.ticket_resolve(ticket=done, actor=alice, resolution="Restarted")
    with pytest.raises(InvalidTransition):
        mi.major_incident_declare(ticket=done, actor=ian)


# --- link --------------------------------------------------------------------------------------------------------


def test_related_reports_are_linked_and_their_requesters_told_at_once(
    incident, ian, make_ticket, carol, django_capture_on_commit_callbacks
):
    report = make_ticket(carol, title="Cannot connect from home")
    with django_capture_on_commit_callbacks(execute=True):
        linked = mi.major_incident_link(incident=incident, ticket=report, actor=ian)
    assert linked.parent_id == incident.ticket_id
    note = Notification.objects.get(recipient=carol, verb="major_incident_linked")
    assert incident.ticket.number in note.message or "major incident" in note.message
    assert note.url == f"/major-incidents/{incident.pk}/"
    # Linking again changes nothing and tells nobody twice.
    with django_capture_on_commit_callbacks(execute=True):
        mi.major_incident_link(incident=incident, ticket=report, actor=ian)
    assert Notification.objects.filter(recipient=carol, verb="major_incident_linked").count() == 1
    assert TicketEvent.objects.filter(ticket=report, kind="linked").count() == 1


def test_the_desk_links_too_but_not_technicians_or_requesters(incident, alice, tom, bob, make_ticket, carol):
    report = make_ticket(carol, title="VPN?")
    for person in (tom, bob):
        with pytest.raises(NotAllowed):
            mi.major_incident_link(incident=incident, ticket=report, actor=person)
    assert mi.major_incident_link(incident=incident, ticket=report, actor=alice).parent_id == incident.ticket_id


def test_links_that_make_no_sense_are_refused(incident, ian, vpn_down, make_ticket, carol, alice):
    with pytest.raises(ValidationFailed):
        mi.major_incident_link(incident=incident, ticket=vpn_down, actor=ian)  # its own ticket
    other = mi.major_incident_declare(ticket=make_ticket(carol, title="Email down"), actor=ian)
    with pytest.raises(ValidationFailed):
        mi.major_incident_link(incident=incident, ticket=other.ticket, actor=ian)  # another incident
    elsewhere = make_ticket(carol, title="Mail bounce")
    mi.major_incident_link(incident=other, ticket=elsewhere, actor=ian)
    with pytest.raises(InvalidTransition):
        mi.major_incident_link(incident=incident, ticket=elsewhere, actor=ian)  # already linked elsewhere
    cancelled = make_ticket(carol, title="Never mind")
    services.ticket_cancel(ticket=cancelled, actor=alice, reason="Duplicate call")
    with pytest.raises(InvalidTransition):
        mi.major_incident_link(incident=incident, ticket=cancelled, actor=ian)


def test_unlink(incident, ian, make_ticket, carol):
    report = mi.major_incident_link(incident=incident, ticket=make_ticket(carol), actor=ian)
    assert mi.major_incident_unlink(incident=incident, ticket=report, actor=ian).parent_id is None
    with pytest.raises(ValidationFailed):
        mi.major_incident_unlink(incident=incident, ticket=report, actor=ian)


# --- updates and broadcast ---------------------------------------------------------------------------------------


def test_each_update_is_broadcast_once_to_requesters_and_subscribers(
    incident, ian, bob, carol, vera, sam, make_ticket, django_capture_on_commit_callbacks
):
    mi.major_incident_link(incident=incident, ticket=make_ticket(carol, title="VPN timeout"), actor=ian)
    mi.major_incident_subscribe(incident=incident, actor=sam)  # the supervisor wants to follow it
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        update = mi.major_incident_update(incident=incident, actor=ian, body="Failover in progress, ETA 30 min.")
    for person in (bob, carol, sam):
        assert told(person, update), person
    assert not told(vera, update) and not told(ian, update)
    update.refresh_from_db()
    assert update.recipients == 3
    emailed = sorted(m.to[0] for m in mail.outbox)
    assert emailed == ["bob@example.com", "carol@example.com", "sam@example.com"]
    assert all("Failover in progress" in m.body for m in mail.outbox)
    # The broadcast task redelivered (a worker crash): nobody hears it twice.
    mi.major_incident_broadcast(update_id=update.pk)
    assert len(mail.outbox) == 3
    assert Notification.objects.filter(key=f"major-incident-update:{update.pk}").count() == 3


def test_an_update_needs_text_and_the_manager(incident, ian, alice):
    with pytest.raises(ValidationFailed):
        mi.major_incident_update(incident=incident, actor=ian, body="  ")
    with pytest.raises(NotAllowed):
        mi.major_incident_update(incident=incident, actor=alice, body="Update")
    assert incident.updates.count() == 1


def test_an_update_can_go_out_as_an_outage_notice_for_everyone(
    incident, ian, desktop, carol, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        mi.major_incident_update(
            incident=incident, actor=ian, body="VPN down, use the office network.", as_notice=True, owner_group=desktop
        )
    notice = Notice.objects.get(incident_ticket=incident.ticket)
    assert notice.status == "published" and notice.type == "outage" and notice.severity == "critical"
    assert notice.owner_group == desktop and notice.publisher == ian and notice.reviewer == ian
    assert "VPN down, use the office network." in notice.body
    assert notice.approved_hash  # its content is recorded like any approved notice
    assert [n["id"] for n in notice_selectors.banner_for(carol)] == [notice.pk]
    emailed = NoticeDelivery.objects.filter(notice=notice).count()
    assert emailed > 0
    # A later update refreshes the same notice, without emailing everyone again.
    with django_capture_on_commit_callbacks(execute=True):
        mi.major_incident_update(incident=incident, actor=ian, body="Failover done, testing.", as_notice=True)
    assert Notice.objects.filter(incident_ticket=incident.ticket).count() == 1
    notice.refresh_from_db()
    assert "Failover done, testing." in notice.body and "VPN down" not in notice.body.split("---")[0]
    assert NoticeDelivery.objects.filter(notice=notice).count() == emailed


def test_an_outage_notice_needs_a_team(incident, ian):
    with pytest.raises(ValidationFailed) as exc:
        mi.major_incident_update(incident=incident, actor=ian, body="Down", as_notice=True)  # the ticket has no group
    assert "owner_group" in exc.value.errors
    assert incident.updates.count() == 1  # nothing saved


# --- resolution cascade --------------------------------------------------------------------------------------


def test_resolving_the_incident_resolves_its_open_reports_and_starts_their_follow_ups(
    incident, ian, alice, bob, carol, vera, sam, make_ticket, desktop, django_capture_on_commit_callbacks
):
    open_one = make_ticket(carol, title="VPN drops")
    assigned = make_ticket(vera, title="VPN slow")
    services.ticket_assign(ticket=assigned, actor=alice, group=desktop)
    already = make_ticket(carol, title="VPN error 809")
    for report in (open_one, assigned, already):
        mi.major_incident_link(incident=incident, ticket=report, actor=ian)
    services.ticket_resolve(ticket=already, actor=alice, resolution="Worked around")
    mi.major_incident_subscribe(incident=incident, actor=sam)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        resolved = mi.major_incident_resolve(incident=incident, actor=ian, resolution="Gateway replaced.")
    assert resolved.status == "resolved" and resolved.resolved_by == ian and resolved.resolution == "Gateway replaced."
    for report in (open_one, assigned, incident.ticket):
        report.refresh_from_db()
        assert report.status == S.RESOLVED, report.number
        assert "Gateway replaced." in report.resolution
        assert FollowUp.objects.filter(ticket=report, state="due").exists(), report.number
    open_one.refresh_from_db()
    assert incident.ticket.number in open_one.resolution  # the public note says why
    already.refresh_from_db()
    assert already.resolution == "Worked around"  # a ticket already resolved keeps its own resolution
    event = TicketEvent.objects.filter(ticket=open_one, kind="status_changed").latest("at")
    assert event.actor == ian and event.data["to"] == "resolved"
    # The requesters hear it from their own ticket's resolution; the subscriber from the broadcast.
    final = incident.updates.get(kind="resolved")
    assert told(sam, final)
    assert not told(carol, final) and not told(vera, final) and not told(bob, final)
    assert Notification.objects.filter(recipient=carol, verb="status_resolved").exists()


def test_a_resolved_incident_takes_no_more_steps(incident, ian, make_ticket, carol):
    mi.major_incident_resolve(incident=incident, actor=ian, resolution="Fixed")
    with pytest.raises(InvalidTransition):
        mi.major_incident_resolve(incident=incident, actor=ian, resolution="Again")
    with pytest.raises(InvalidTransition):
        mi.major_incident_update(incident=incident, actor=ian, body="More")
    with pytest.raises(InvalidTransition):
        mi.major_incident_link(incident=incident, ticket=make_ticket(carol), actor=ian)


def test_only_the_manager_resolves_and_a_resolution_is_required(incident, ian, alice):
    with pytest.raises(NotAllowed):
        mi.major_incident_resolve(incident=incident, actor=alice, resolution="Fixed")
    with pytest.raises(ValidationFailed):
        mi.major_incident_resolve(incident=incident, actor=ian, resolution="")
    incident.refresh_from_db()
    assert incident.status == "open"


def test_the_resolution_closes_the_outage_notice_after_an_hour(incident, ian, desktop):
    mi.major_incident_update(incident=incident, actor=ian, body="Down", as_notice=True, owner_group=desktop)
    mi.major_incident_resolve(incident=incident, actor=ian, resolution="Back up.")
    notice = Notice.objects.get(incident_ticket=incident.ticket)
    assert notice.status == "published" and notice.severity == "info"
    assert notice.body.startswith("**Resolved") and "Back up." in notice.body
    assert notice.expire_at is not None and notice.window_end is not None


def test_the_incident_manager_resolves_only_tickets_of_a_major_incident(ian, make_ticket, carol):
    unrelated = make_ticket(carol, title="Mouse broken")
    with pytest.raises(NotAllowed):
        services.ticket_resolve(ticket=unrelated, actor=ian, resolution="Not mine")


def test_subscriptions(incident, ian, bob, tom):
    assert mi.major_incident_subscribe(incident=incident, actor=tom) is True
    assert mi.major_incident_subscribe(incident=incident, actor=tom) is False
    with pytest.raises(NotAllowed):
        mi.major_incident_subscribe(incident=incident, actor=tom, user=bob)  # only the manager adds others
    assert mi.major_incident_subscribe(incident=incident, actor=ian, user=bob) is True
    assert mi.major_incident_unsubscribe(incident=incident, actor=tom) is True


def test_visibility(incident, ian, bob, carol, tom, make_ticket):
    report = mi.major_incident_link(incident=incident, ticket=make_ticket(carol), actor=ian)
    assert report.parent_id
    assert list(mi.major_incidents_visible_to(carol)) == [incident]  # her report is linked
    assert list(mi.major_incidents_visible_to(bob)) == [incident]  # he reported it
    assert list(mi.major_incidents_visible_to(tom)) == [incident]  # staff
    outsider = make_user("olga")
    assert list(mi.major_incidents_visible_to(outsider)) == []
