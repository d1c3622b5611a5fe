"""GET /api/v1/followups/, GET /api/v1/followups/{id}/, POST /api/v1/followups/{id}/record/ (API.md)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from tickets import followups
from tickets.models import FollowUp, Ticket

S = Ticket.Status
URL = "/api/v1/followups/"


def test_the_list_has_the_contract_fields(as_user, bob_followup, cora):
    response = as_user(cora).get(URL)
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 1 and "next" in body and "previous" in body
    (item,) = body["results"]
    assert item["id"] == bob_followup.pk
    assert item["ticket"] == bob_followup.ticket.number
    assert item["assignee"] == cora.pk
    assert item["state"] == "due"
    assert item["attempts"] == 0
    assert item["satisfaction"] is None and item["fix_confirmed"] is None
    due = timezone.localtime(bob_followup.due_at)
    assert item["due_at"] == due.isoformat()
    assert item["requester_name"] == "Bob 王" and item["requester_phone"] == "+86 138 0000 0001"


def test_state_and_assignee_filters(as_user, make_followups, cora, cody, alice):
    due, overdue, done, other = make_followups(4)
    FollowUp.objects.update(assignee=cora)
    FollowUp.objects.filter(pk=overdue.pk).update(due_at=timezone.now() - timedelta(hours=1))
    FollowUp.objects.filter(pk=other.pk).update(assignee=cody)
    followups.followup_record(followup=done, actor=cora, reached=True, satisfaction=5, fix_confirmed=True)
    api = as_user(alice)

    def ids(query: str) -> set[int]:
        response = api.get(URL + query)
        assert response.status_code == 200, response.content
        return {r["id"] for r in response.json()["results"]}

    assert ids("?state=due") == {due.pk, overdue.pk, other.pk}
    assert ids("?state=overdue") == {overdue.pk}
    assert ids("?state=done") == {done.pk}
    assert ids(f"?assignee={cody.pk}") == {other.pk}
    assert ids(f"?state=due&assignee={cora.pk}") == {due.pk, overdue.pk}
    assert ids("") == {due.pk, overdue.pk, done.pk, other.pk}
    assert api.get(URL + "?state=late").status_code == 400
    assert api.get(URL + "?assignee=cora").status_code == 400


@pytest.mark.parametrize(("who", "code"), [("bob", 403), ("tom", 403), ("lena", 403), ("carol", 403)])
def test_others_may_not_list_or_record(as_user, bob_followup, request, who, code):
    api = as_user(request.getfixturevalue(who))
    assert api.get(URL).status_code == code
    assert api.get(f"{URL}{bob_followup.pk}/").status_code == code
    assert api.post(f"{URL}{bob_followup.pk}/record/", {"reached": True, "satisfaction": 5}).status_code == code
    assert bob_followup.attempts.count() == 0


def test_no_credentials_is_a_401(api, bob_followup):
    assert api.get(URL).status_code == 401


@pytest.mark.parametrize("who", ["cora", "alice", "sam", "ada"])
def test_callback_agents_desk_agents_supervisors_and_admins_may_list(as_user, bob_followup, request, who):
    assert as_user(request.getfixturevalue(who)).get(URL).json()["count"] == 1


def test_one_followup(as_user, bob_followup, alice):
    response = as_user(alice).get(f"{URL}{bob_followup.pk}/")
    assert response.status_code == 200 and response.json()["ticket"] == bob_followup.ticket.number
    assert as_user(alice).get(f"{URL}999999/").status_code == 404


def test_record_a_confirmed_fix(as_user, bob_followup, cora):
    response = as_user(cora).post(
        f"{URL}{bob_followup.pk}/record/",
        {"reached": True, "satisfaction": 5, "fix_confirmed": True, "comment": "Works"},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["state"], body["attempts"], body["satisfaction"], body["fix_confirmed"]) == ("done", 1, 5, True)
    assert body["ticket_status"] == "closed"
    ticket = as_user(cora).get(f"/api/v1/tickets/{bob_followup.ticket.number}/").json()
    assert ticket["status"] == "closed"
    events = as_user(cora).get(f"/api/v1/tickets/{bob_followup.ticket.number}/events/").json()
    (recorded,) = [e for e in events if e["kind"] == "followup_recorded"]
    assert recorded["actor"]["username"] == "cora"
    assert recorded["data"]["outcome"] == "closed" and recorded["data"]["satisfaction"] == 5


def test_record_a_dissatisfied_user_reopens_the_ticket_to_the_technician(as_user, bob_followup, cora, tom):
    response = as_user(cora).post(
        f"{URL}{bob_followup.pk}/record/",
        {"reached": True, "satisfaction": 2, "fix_confirmed": True, "comment": "Slow"},
        format="json",
    )
    assert response.status_code == 200
    assert response.json()["state"] == "done" and response.json()["ticket_status"] == "in_progress"
    ticket = Ticket.objects.get(pk=bob_followup.ticket_id)
    assert ticket.status == S.IN_PROGRESS and ticket.assignee == tom


def test_record_not_reached_then_unreachable(as_user, bob_followup, cora, settings):
    settings.FOLLOWUP_UNREACHABLE_DAYS = 2
    api = as_user(cora)
    now = timezone.now()
    for day, state in ((0, "due"), (0, "due"), (1, "unreachable")):
        with time_machine.travel(now + timedelta(days=day)):
            response = api.post(f"{URL}{bob_followup.pk}/record/", {"reached": False}, format="json")
        assert response.status_code == 200 and response.json()["state"] == state
    assert response.json()["attempts"] == 3 and response.json()["ticket_status"] == "closed"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"reached": True, "satisfaction": 0, "fix_confirmed": True}, "satisfaction"),
        ({"reached": True, "satisfaction": 6, "fix_confirmed": True}, "satisfaction"),
        ({"reached": True, "fix_confirmed": True}, "satisfaction"),
        ({"reached": True, "satisfaction": "five"}, "satisfaction"),
        ({"satisfaction": 4}, "reached"),
    ],
)
def test_bad_input_is_a_400_with_field_errors(as_user, bob_followup, cora, body, field):
    response = as_user(cora).post(f"{URL}{bob_followup.pk}/record/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert FollowUp.objects.get(pk=bob_followup.pk).attempts.count() == 0


def test_recording_a_done_followup_is_a_409(as_user, bob_followup, cora):
    api = as_user(cora)
    ok = {"reached": True, "satisfaction": 4, "fix_confirmed": True}
    assert api.post(f"{URL}{bob_followup.pk}/record/", ok, format="json").status_code == 200
    again = api.post(f"{URL}{bob_followup.pk}/record/", ok, format="json")
    assert again.status_code == 409 and "detail" in again.json()
    assert bob_followup.attempts.count() == 1


def test_a_stale_expected_version_is_a_409(as_user, bob_followup, cora):
    api = as_user(cora)
    body = {"reached": False, "expected_version": bob_followup.version}
    assert api.post(f"{URL}{bob_followup.pk}/record/", body, format="json").status_code == 200
    assert api.post(f"{URL}{bob_followup.pk}/record/", body, format="json").status_code == 409


def test_the_list_costs_the_same_number_of_queries_for_any_number_of_rows(
    as_user, make_followups, cora, django_assert_num_queries
):
    make_followups(2)
    api = as_user(cora)
    api.get(URL)  # the first request loads cora's roles onto the (force-authenticated) user object
    # count; the page of follow-ups with ticket, requester, group, assignees and the attempt figures joined
    with django_assert_num_queries(2):
        assert len(api.get(URL).json()["results"]) == 2
    make_followups(8)
    with django_assert_num_queries(2):
        assert len(api.get(URL).json()["results"]) == 10
