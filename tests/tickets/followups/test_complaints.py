"""Complaints: registered by the desk, routed to the responsible person of the team complained about, answered
with a result the complainant hears about, their satisfaction recorded, counted per team."""

from __future__ import annotations

import pytest

from servicedesk.errors import InvalidTransition, NotAllowed, ValidationFailed
from servicedesk.models import Notification
from tickets import complaints, followups, services
from tickets.models import Complaint, FollowUp, Ticket

S = Ticket.Status
URL = "/api/v1/complaints/"


def _new(bob, title="Nobody turned up") -> services.TicketInput:
    return services.TicketInput(type="complaint", title=title, requester=bob, channel="phone")


def test_a_complaint_about_a_team_goes_to_its_lead(alice, bob, desktop, lena):
    complaint = complaints.complaint_register(actor=alice, about="group", group=desktop, data=_new(bob))
    ticket = complaint.ticket
    assert ticket.type == "complaint" and ticket.requester == bob
    assert (complaint.group, complaint.responsible) == (desktop, lena)
    assert (ticket.status, ticket.group, ticket.assignee) == (S.ASSIGNED, desktop, lena)
    linked = ticket.events.get(kind="linked")
    assert linked.data["complaint"] == complaint.pk and linked.data["responsible"] == lena.pk


def test_a_complaint_about_a_person_goes_to_the_lead_of_their_group(alice, bob, desktop, tom, lena):
    complaint = complaints.complaint_register(actor=alice, about="person", person=tom, data=_new(bob))
    assert (complaint.about_person, complaint.group, complaint.responsible) == (tom, desktop, lena)
    assert complaint.ticket.assignee == lena


def test_a_complaint_about_the_lead_goes_to_a_supervisor(
    alice, bob, desktop, lena, sam, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        complaint = complaints.complaint_register(actor=alice, about="person", person=lena, data=_new(bob))
    assert (complaint.group, complaint.responsible) == (desktop, sam)
    ticket = Ticket.objects.get(pk=complaint.ticket_id)
    assert ticket.group == desktop and ticket.assignee is None  # lena must not handle a complaint about herself
    assert Notification.objects.filter(recipient=sam, key=f"complaint:{complaint.pk}").exists()
    assert not Notification.objects.filter(recipient=lena, verb="assigned").exists()


def test_a_complaint_about_an_earlier_ticket_goes_to_the_lead_of_the_team_that_worked_it(
    alice, bob, bob_ticket, desktop, tom, lena, network, nick
):
    services.ticket_assign(ticket=bob_ticket, actor=alice, group=network, assignee=nick)
    complaint = complaints.complaint_register(actor=alice, about="ticket", about_ticket=bob_ticket, data=_new(bob))
    assert (complaint.about_ticket, complaint.group, complaint.responsible) == (bob_ticket, network, nick)


def test_a_complaint_about_someone_in_no_team_goes_to_a_supervisor_and_waits_for_the_desk(
    alice, bob, sam, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        complaint = complaints.complaint_register(actor=alice, about="person", person=alice, data=_new(bob))
    assert (complaint.group, complaint.responsible) == (None, sam)
    assert Ticket.objects.get(pk=complaint.ticket_id).status == S.NEW
    assert Notification.objects.filter(recipient=sam, verb="complaint_assigned").exists()


def test_the_lead_is_told_it_is_theirs(alice, bob, desktop, lena, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        complaint = complaints.complaint_register(actor=alice, about="group", group=desktop, data=_new(bob))
    assert Notification.objects.filter(recipient=lena, verb="assigned").exists()
    assert Notification.objects.filter(recipient=bob, verb="acknowledged").exists()
    assert complaint.ticket.number.startswith("CMP-")


def test_a_complaint_ticket_the_user_filed_on_the_portal_gets_its_complaint(alice, bob, desktop, lena):
    filed = services.ticket_create(actor=bob, data=services.TicketInput(type="complaint", title="Rude technician"))
    complaint = complaints.complaint_register(actor=alice, about="group", group=desktop, ticket=filed)
    assert complaint.ticket == filed and Ticket.objects.get(pk=filed.pk).assignee == lena
    with pytest.raises(InvalidTransition):
        complaints.complaint_register(actor=alice, about="group", group=desktop, ticket=filed)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"about": "group"}, "group"),
        ({"about": "person"}, "person"),
        ({"about": "ticket"}, "about_ticket"),
        ({"about": "weather"}, "about"),
    ],
)
def test_a_complaint_must_name_its_subject(alice, bob, kwargs, field):
    with pytest.raises(ValidationFailed) as exc:
        complaints.complaint_register(actor=alice, data=_new(bob), **kwargs)
    assert field in exc.value.errors
    assert not Ticket.objects.filter(type="complaint").exists()


def test_only_a_complaint_ticket_carries_a_complaint(alice, bob_ticket, desktop):
    with pytest.raises(ValidationFailed):
        complaints.complaint_register(actor=alice, about="group", group=desktop, ticket=bob_ticket)


@pytest.mark.parametrize("who", ["bob", "tom", "cora"])
def test_only_the_desk_registers_complaints(request, bob, desktop, who):
    with pytest.raises(NotAllowed):
        complaints.complaint_register(actor=request.getfixturevalue(who), about="group", group=desktop, data=_new(bob))


def test_the_result_reaches_the_complainant_and_their_satisfaction_is_recorded(
    alice, bob, desktop, lena, cora, django_capture_on_commit_callbacks
):
    complaint = complaints.complaint_register(actor=alice, about="group", group=desktop, data=_new(bob))
    services.comment_create(ticket=complaint.ticket, actor=lena, body="Checked the rota: tina was ill.", internal=True)
    with django_capture_on_commit_callbacks(execute=True):
        complaints.complaint_record_result(
            complaint=complaint, actor=lena, result="We are sorry. A standby technician covers sick days now."
        )
    complaint.refresh_from_db()
    ticket = Ticket.objects.get(pk=complaint.ticket_id)
    assert complaint.result.startswith("We are sorry") and complaint.result_by == lena
    public = ticket.comments.filter(internal=False).get()
    assert public.body == complaint.result and public.author == lena
    assert Notification.objects.filter(recipient=bob, verb="commented").exists()
    assert ticket.status == S.RESOLVED and ticket.resolution == complaint.result
    with pytest.raises(InvalidTransition):
        complaints.complaint_record_result(complaint=complaint, actor=lena, result="Again")
    # The complaint's callback asks bob what he thinks of the result.
    followup = FollowUp.objects.get(ticket=ticket)
    followups.followup_record(followup=followup, actor=cora, reached=True, satisfaction=4, fix_confirmed=True)
    assert Complaint.objects.get(pk=complaint.pk).satisfaction == 4


def test_satisfaction_can_be_recorded_directly_but_only_after_a_result(alice, bob, carol, desktop, lena):
    complaint = complaints.complaint_register(actor=alice, about="group", group=desktop, data=_new(bob))
    with pytest.raises(InvalidTransition):
        complaints.complaint_record_satisfaction(complaint=complaint, actor=bob, satisfaction=3)
    complaints.complaint_record_result(complaint=complaint, actor=lena, result="Refunded the repair")
    with pytest.raises(ValidationFailed):
        complaints.complaint_record_satisfaction(complaint=complaint, actor=bob, satisfaction=6)
    with pytest.raises(NotAllowed):
        complaints.complaint_record_satisfaction(complaint=complaint, actor=carol, satisfaction=3)
    complaints.complaint_record_satisfaction(complaint=complaint, actor=bob, satisfaction=2)
    assert Complaint.objects.get(pk=complaint.pk).satisfaction == 2


def test_only_the_responsible_person_or_the_desk_answers(alice, bob, desktop, tom):
    complaint = complaints.complaint_register(actor=alice, about="group", group=desktop, data=_new(bob))
    with pytest.raises(NotAllowed):
        complaints.complaint_record_result(complaint=complaint, actor=tom, result="Not my fault")
    with pytest.raises(NotAllowed):
        complaints.complaint_record_result(complaint=complaint, actor=bob, result="Fine")
    complaints.complaint_record_result(complaint=complaint, actor=alice, result="Handled by the desk")


def test_complaint_counts_per_team(alice, bob, carol, desktop, network, lena, tom):
    from tickets.followup_selectors import complaint_counts_by_group

    first = complaints.complaint_register(actor=alice, about="group", group=desktop, data=_new(bob))
    complaints.complaint_register(actor=alice, about="person", person=tom, data=_new(carol, "Slow"))
    complaints.complaint_register(actor=alice, about="group", group=network, data=_new(bob, "Wi-Fi"))
    complaints.complaint_record_result(complaint=first, actor=lena, result="Apologised")
    complaints.complaint_record_satisfaction(complaint=first, actor=bob, satisfaction=5)
    rows = {r.group_name: r for r in complaint_counts_by_group()}
    assert (rows["Desktop support"].total, rows["Desktop support"].open, rows["Desktop support"].answered) == (2, 1, 1)
    assert rows["Desktop support"].avg_satisfaction == 5.0
    assert (rows["Network"].total, rows["Network"].answered, rows["Network"].avg_satisfaction) == (1, 0, None)


# --- API -----------------------------------------------------------------------------------------------


def test_register_and_answer_through_the_api(as_user, alice, bob, desktop, lena, api):
    response = as_user(alice).post(
        URL,
        {"about": "group", "group": desktop.pk, "title": "Waited all day", "requester": bob.pk, "channel": "phone"},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["about"] == "group" and body["group"] == desktop.pk and body["responsible"] == lena.pk
    assert body["ticket"].startswith("CMP-") and body["complainant"] == bob.pk
    result = as_user(lena).post(f"{URL}{body['id']}/result/", {"result": "Sorry, fixed the rota"}, format="json")
    assert result.status_code == 200 and result.json()["result"] == "Sorry, fixed the rota"
    assert as_user(lena).post(f"{URL}{body['id']}/result/", {"result": "Twice"}, format="json").status_code == 409
    rated = as_user(bob).post(f"{URL}{body['id']}/satisfaction/", {"satisfaction": 4}, format="json")
    assert rated.status_code == 200 and rated.json()["satisfaction"] == 4
    assert as_user(bob).post(f"{URL}{body['id']}/satisfaction/", {"satisfaction": 0}, format="json").status_code == 400


def test_register_on_an_existing_complaint_ticket_about_an_earlier_ticket(as_user, alice, bob, bob_ticket, desktop):
    services.ticket_assign(ticket=bob_ticket, actor=alice, group=desktop)
    filed = services.ticket_create(actor=bob, data=services.TicketInput(type="complaint", title="Took a week"))
    response = as_user(alice).post(
        URL, {"about": "ticket", "about_ticket": bob_ticket.number, "ticket": filed.number}, format="json"
    )
    assert response.status_code == 201, response.content
    assert response.json()["ticket"] == filed.number and response.json()["about_ticket"] == bob_ticket.number
    missing = as_user(alice).post(URL, {"about": "ticket", "about_ticket": "INC-1999-000001"}, format="json")
    assert missing.status_code == 400 and "about_ticket" in missing.json()


@pytest.mark.parametrize("who", ["bob", "tom", "cora"])
def test_others_cannot_register_through_the_api(as_user, request, desktop, who):
    response = as_user(request.getfixturevalue(who)).post(
        URL, {"about": "group", "group": desktop.pk, "title": "x"}, format="json"
    )
    assert response.status_code == 403
    assert not Complaint.objects.exists()


def test_each_sees_the_complaints_that_concern_them(as_user, alice, bob, carol, desktop, lena, tom, nick, sam):
    complaint = complaints.complaint_register(actor=alice, about="group", group=desktop, data=_new(bob))

    def ids(user):
        response = as_user(user).get(URL)
        assert response.status_code == 200
        return [r["id"] for r in response.json()["results"]]

    for user in (alice, sam, bob, lena):
        assert ids(user) == [complaint.pk]
    for user in (carol, nick):
        assert ids(user) == []
    assert as_user(carol).get(f"{URL}{complaint.pk}/").status_code == 404


def test_managers_read_the_counts_per_team(as_user, alice, bob, desktop, sam, cora):
    complaints.complaint_register(actor=alice, about="group", group=desktop, data=_new(bob))
    response = as_user(sam).get(URL + "by-team/?from=2000-01-01&to=2999-12-31")
    assert response.status_code == 200
    assert response.json() == [
        {"group": desktop.pk, "group_name": "Desktop support", "total": 1, "open": 1, "answered": 0,
         "avg_satisfaction": None}
    ]  # fmt: skip
    assert as_user(sam).get(URL + "by-team/?from=2999-01-01").json() == []
    assert as_user(sam).get(URL + "by-team/?from=yesterday").status_code == 400
    assert as_user(cora).get(URL + "by-team/").status_code == 403
    assert as_user(bob).get(URL + "by-team/").status_code == 403
