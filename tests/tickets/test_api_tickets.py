"""The ticket API of API.md: intake, the ticket's fields, every transition of the table over HTTP (legal → the
new ticket, illegal → 409 with nothing changed), optimistic concurrency and translated field errors."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import pytest
from django.conf import settings

from knowledge.models import Article
from tests.tickets.ticket_flows import to_status, workflow_events
from tickets import services
from tickets.models import Ticket, TicketEvent

S = Ticket.Status
E = TicketEvent.Kind
TICKETS = "/api/v1/tickets/"
STATUSES = [s.value for s in S]
DOCUMENTED_FIELDS = {
    "number",
    "type",
    "title",
    "description",
    "status",
    "priority",
    "impact",
    "urgency",
    "channel",
    "requester",
    "is_vip",
    "category",
    "group",
    "assignee",
    "created_at",
    "first_response_at",
    "resolved_at",
    "closed_at",
    "first_contact_resolution",
    "sla",
}
ISO_WITH_OFFSET = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?([+-]\d\d:\d\d|Z)$")


def _intake(**fields) -> dict:
    data = {
        "type": "incident",
        "title": "VPN drops every hour",
        "description": "Since Monday, on the office Wi-Fi",
        "channel": "phone",
        "impact": 2,
        "urgency": 2,
    }
    data.update(fields)
    return data


# --- intake -----------------------------------------------------------------------------------------


def test_the_desk_files_a_ticket_and_gets_every_documented_field(as_user, alice, bob, hardware):
    r = as_user(alice).post(TICKETS, _intake(requester=bob.pk, category=hardware.pk))

    assert r.status_code == 201, r.content
    body = r.json()
    assert set(body) >= DOCUMENTED_FIELDS
    assert re.fullmatch(r"INC-\d{4}-\d{6}", body["number"])
    assert body["type"] == "incident"
    assert body["title"] == "VPN drops every hour"
    assert body["description"] == "Since Monday, on the office Wi-Fi"
    assert body["status"] == "new"
    assert (body["impact"], body["urgency"], body["priority"]) == (2, 2, 3)
    assert body["channel"] == "phone"
    assert body["requester"] == bob.pk
    assert body["is_vip"] is False
    assert body["category"] == hardware.pk
    assert body["group"] is None and body["assignee"] is None
    assert ISO_WITH_OFFSET.match(body["created_at"]), body["created_at"]
    assert body["first_response_at"] is None
    assert body["resolved_at"] is None
    assert body["closed_at"] is None
    assert body["first_contact_resolution"] is False
    assert isinstance(body["sla"], list)
    ticket = Ticket.objects.get(number=body["number"])
    assert ticket.requester == bob
    assert ticket.created_by == alice


def test_the_created_ticket_reads_back_the_same(as_user, alice, bob):
    client = as_user(alice)
    created = client.post(TICKETS, _intake(requester=bob.pk)).json()

    fetched = client.get(f"{TICKETS}{created['number']}/")

    assert fetched.status_code == 200
    assert {k: fetched.json()[k] for k in DOCUMENTED_FIELDS - {"sla"}} == {
        k: created[k] for k in DOCUMENTED_FIELDS - {"sla"}
    }


@pytest.mark.parametrize(
    ("ticket_type", "prefix"),
    [("incident", "INC"), ("request", "REQ"), ("inquiry", "INQ"), ("complaint", "CMP")],
)
def test_the_number_prefix_follows_the_type(as_user, alice, bob, ticket_type, prefix):
    r = as_user(alice).post(TICKETS, _intake(type=ticket_type, requester=bob.pk))

    assert r.status_code == 201
    assert re.fullmatch(rf"{prefix}-\d{{4}}-\d{{6}}", r.json()["number"])
    assert r.json()["type"] == ticket_type


@pytest.mark.parametrize("impact", [1, 2, 3])
@pytest.mark.parametrize("urgency", [1, 2, 3])
def test_priority_is_min_4_of_impact_plus_urgency_minus_1(as_user, alice, bob, vera, impact, urgency):
    client = as_user(alice)

    standard = client.post(TICKETS, _intake(requester=bob.pk, impact=impact, urgency=urgency)).json()
    vip = client.post(TICKETS, _intake(requester=vera.pk, impact=impact, urgency=urgency)).json()

    assert standard["priority"] == min(4, impact + urgency - 1)
    assert vip["priority"] == max(1, min(4, impact + urgency - 1) - 1)
    assert vip["is_vip"] is True


def test_an_end_user_always_files_for_themselves(as_user, bob, carol):
    r = as_user(bob).post(TICKETS, _intake(requester=carol.pk, channel="portal"))

    assert r.status_code == 201
    assert r.json()["requester"] == bob.pk
    assert Ticket.objects.get(number=r.json()["number"]).requester == bob


def test_posted_number_status_first_contact_and_timestamps_are_ignored(as_user, alice, bob):
    r = as_user(alice).post(
        TICKETS,
        _intake(
            requester=bob.pk,
            number="INC-1999-000001",
            status="closed",
            priority=1,
            first_contact_resolution=True,
            created_at="2001-01-01T00:00:00+08:00",
            resolved_at="2001-01-01T00:00:00+08:00",
            closed_at="2001-01-01T00:00:00+08:00",
            first_response_at="2001-01-01T00:00:00+08:00",
            group=1,
            assignee=alice.pk,
            is_vip=True,
        ),
    )

    assert r.status_code == 201
    body = r.json()
    assert body["number"] != "INC-1999-000001"
    assert body["status"] == "new"
    assert body["priority"] == 3
    assert body["first_contact_resolution"] is False
    assert body["resolved_at"] is None and body["closed_at"] is None and body["first_response_at"] is None
    assert not body["created_at"].startswith("2001")
    assert body["group"] is None and body["assignee"] is None
    assert body["is_vip"] is False


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        ({"title": ""}, {"title"}),
        ({"title": "x" * 201}, {"title"}),
        ({"type": "praise"}, {"type"}),
        ({"channel": "pigeon"}, {"channel"}),
        ({"impact": 0, "urgency": 4}, {"impact", "urgency"}),
        ({"category": 999999}, {"category"}),
        ({"requester": 999999}, {"requester"}),
    ],
)
def test_bad_intake_is_a_400_with_field_errors(as_user, alice, bob, payload, fields):
    r = as_user(alice).post(TICKETS, _intake(**{"requester": bob.pk, **payload}))

    assert r.status_code == 400
    assert set(r.json()) == fields
    assert all(isinstance(m, str) and m for field in fields for m in r.json()[field])
    assert not Ticket.objects.exists()


def test_missing_required_fields_are_named(as_user, alice):
    r = as_user(alice).post(TICKETS, {})

    assert r.status_code == 400
    assert {"type", "title"} <= set(r.json())


def test_field_errors_follow_the_callers_language(as_user, alice):
    r = as_user(alice).post(TICKETS, {"type": "incident"}, HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert r.status_code == 400
    assert r.json()["title"] == ["该字段是必填项。"]


@pytest.mark.skipif(
    not (Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.mo").exists(),
    reason="the zh_Hans catalogue is not compiled yet",
)
def test_our_own_field_errors_are_translated(as_user, alice, bob):
    english = as_user(alice).post(TICKETS, _intake(requester=bob.pk, title="   "))
    chinese = as_user(alice).post(TICKETS, _intake(requester=bob.pk, title="   "), HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert english.status_code == chinese.status_code == 400
    assert chinese.json()["title"] != english.json()["title"]
    assert re.search(r"[\u4e00-\u9fff]", chinese.json()["title"][0])


def test_anonymous_callers_get_401(api, bob_ticket):
    for r in (api.get(TICKETS), api.get(f"{TICKETS}{bob_ticket.number}/"), api.post(TICKETS, _intake())):
        assert r.status_code == 401
        assert r["WWW-Authenticate"] == "Token"


def test_someone_elses_ticket_is_not_found(as_user, carol, bob_ticket):
    assert as_user(carol).get(f"{TICKETS}{bob_ticket.number}/").status_code == 404


def test_an_unknown_number_is_not_found(as_user, alice, db):
    assert as_user(alice).get(f"{TICKETS}INC-2026-999999/").status_code == 404


# --- the transition table over HTTP -----------------------------------------------------------------

TABLE = {
    "assign": {S.NEW: S.ASSIGNED, S.ASSIGNED: S.ASSIGNED, S.IN_PROGRESS: S.ASSIGNED},
    "accept": {S.ASSIGNED: S.IN_PROGRESS},
    "pend": {S.IN_PROGRESS: S.PENDING},
    "resume": {S.PENDING: S.IN_PROGRESS},
    "resolve": {S.NEW: S.RESOLVED, S.ASSIGNED: S.RESOLVED, S.IN_PROGRESS: S.RESOLVED, S.PENDING: S.RESOLVED},
    "reopen": {S.RESOLVED: S.IN_PROGRESS},
    "close": {S.RESOLVED: S.CLOSED},
    "cancel": {S.NEW: S.CANCELLED, S.ASSIGNED: S.CANCELLED},
}
ILLEGAL = [(a, s) for a in TABLE for s in STATUSES if s not in TABLE[a]]
LEGAL = [(a, s) for a in TABLE for s in TABLE[a]]


@pytest.fixture
def ticket_in(make_ticket, bob, alice, tom, desktop):
    def _in(status: str) -> Ticket:
        return to_status(
            make_ticket(bob, title="Docking station dead"), status, desk=alice, assignee=tom, group=desktop
        )

    return _in


@pytest.fixture
def body_for(desktop, tina):
    def _body(action: str) -> dict:
        return {
            "assign": {"group": desktop.pk, "assignee": tina.pk},
            "pend": {"reason": "Waiting for the user to plug it in"},
            "resolve": {"resolution": "Firmware updated"},
            "reopen": {"reason": "Dead again"},
            "cancel": {"reason": "Duplicate report"},
        }.get(action, {})

    return _body


def _state(ticket: Ticket) -> dict:
    ticket.refresh_from_db()
    fields = ["status", "group_id", "assignee_id", "version", "updated_at", "resolved_at", "closed_at"]
    return {f: getattr(ticket, f) for f in fields} | {"events": ticket.events.count()}


@pytest.mark.parametrize(("action", "status"), ILLEGAL)
def test_an_illegal_transition_is_a_409_and_changes_nothing(as_user, alice, ticket_in, body_for, action, status):
    ticket = ticket_in(status)
    before = _state(ticket)

    r = as_user(alice).post(f"{TICKETS}{ticket.number}/{action}/", body_for(action))

    assert r.status_code == 409, r.content
    assert isinstance(r.json()["detail"], str) and r.json()["detail"]
    assert _state(ticket) == before


@pytest.mark.parametrize(("action", "status"), LEGAL)
def test_a_legal_transition_returns_the_changed_ticket(as_user, alice, bob, tom, ticket_in, body_for, action, status):
    ticket = ticket_in(status)
    actor = {"accept": tom, "reopen": bob}.get(action, alice)

    r = as_user(actor).post(f"{TICKETS}{ticket.number}/{action}/", body_for(action))

    assert r.status_code == 200, r.content
    assert r.json()["number"] == ticket.number
    assert r.json()["status"] == TABLE[action][status]
    ticket.refresh_from_db()
    assert ticket.status == TABLE[action][status]


def test_accept_sets_the_first_response(as_user, tom, ticket_in):
    ticket = ticket_in(S.ASSIGNED)

    body = as_user(tom).post(f"{TICKETS}{ticket.number}/accept/").json()

    assert body["assignee"] == tom.pk
    assert ISO_WITH_OFFSET.match(body["first_response_at"])


def test_pend_and_resume(as_user, tom, ticket_in):
    ticket = ticket_in(S.IN_PROGRESS)
    client = as_user(tom)

    pending = client.post(f"{TICKETS}{ticket.number}/pend/", {"reason": "Need the laptop's asset tag"})
    resumed = client.post(f"{TICKETS}{ticket.number}/resume/")

    assert pending.json()["status"] == "pending"
    assert pending.json()["pending_reason"] == "Need the laptop's asset tag"
    assert resumed.json()["status"] == "in_progress"


def test_pend_without_a_reason_is_a_400(as_user, tom, ticket_in):
    ticket = ticket_in(S.IN_PROGRESS)

    r = as_user(tom).post(f"{TICKETS}{ticket.number}/pend/", {})

    assert r.status_code == 400
    assert "reason" in r.json()


def test_resolve_on_first_contact_with_an_article(as_user, alice, bob_ticket):
    article = Article.objects.create(title="Reset your VPN profile", body="…", author=alice, status="published")

    r = as_user(alice).post(
        f"{TICKETS}{bob_ticket.number}/resolve/",
        {"resolution": "Reset the VPN profile with the user", "first_contact": True, "article": article.pk},
    )

    assert r.status_code == 200, r.content
    body = r.json()
    assert body["status"] == "resolved"
    assert body["first_contact_resolution"] is True
    assert body["resolution_article"] == article.pk
    assert ISO_WITH_OFFSET.match(body["resolved_at"])


def test_resolve_without_a_resolution_is_a_400(as_user, alice, bob_ticket):
    r = as_user(alice).post(f"{TICKETS}{bob_ticket.number}/resolve/", {"first_contact": True})

    assert r.status_code == 400
    assert "resolution" in r.json()


def test_resolve_with_an_unknown_article_is_a_400(as_user, alice, bob_ticket):
    r = as_user(alice).post(f"{TICKETS}{bob_ticket.number}/resolve/", {"resolution": "Done", "article": 999999})

    assert r.status_code == 400
    assert "article" in r.json()


def test_reopen_goes_back_to_the_assignee(as_user, bob, tom, ticket_in):
    ticket = ticket_in(S.RESOLVED)

    body = as_user(bob).post(f"{TICKETS}{ticket.number}/reopen/", {"reason": "Still dead"}).json()

    assert body["status"] == "in_progress"
    assert body["assignee"] == tom.pk
    assert body["resolved_at"] is None


def test_reopen_without_an_assignee_goes_back_to_new(as_user, alice, bob, bob_ticket):
    as_user(alice).post(f"{TICKETS}{bob_ticket.number}/resolve/", {"resolution": "Rebooted", "first_contact": True})

    body = as_user(bob).post(f"{TICKETS}{bob_ticket.number}/reopen/", {"reason": "Still dead"}).json()

    assert body["status"] == "new"
    assert body["first_contact_resolution"] is False


def test_close_is_final(as_user, alice, bob, ticket_in):
    ticket = ticket_in(S.RESOLVED)

    closed = as_user(alice).post(f"{TICKETS}{ticket.number}/close/")

    assert closed.json()["status"] == "closed"
    assert ISO_WITH_OFFSET.match(closed.json()["closed_at"])
    assert as_user(bob).post(f"{TICKETS}{ticket.number}/reopen/", {"reason": "x"}).status_code == 409


def test_the_requester_cancels_their_new_ticket(as_user, bob, bob_ticket):
    r = as_user(bob).post(f"{TICKETS}{bob_ticket.number}/cancel/", {"reason": "It works now"})

    assert r.status_code == 200
    assert r.json()["status"] == "cancelled"


def test_an_assign_to_an_unknown_group_is_a_400(as_user, alice, bob_ticket):
    r = as_user(alice).post(f"{TICKETS}{bob_ticket.number}/assign/", {"group": 999999})

    assert r.status_code == 400
    assert "group" in r.json()


def test_an_assignee_outside_the_group_is_a_400(as_user, alice, nick, desktop, bob_ticket):
    r = as_user(alice).post(f"{TICKETS}{bob_ticket.number}/assign/", {"group": desktop.pk, "assignee": nick.pk})

    assert r.status_code == 400
    assert "assignee" in r.json()


def test_a_lead_may_hand_their_groups_ticket_to_another_group(as_user, lena, network, ticket_in):
    # Lena leads Desktop support; once the ticket is Network's she no longer sees it, but the call succeeded.
    ticket = ticket_in(S.ASSIGNED)

    r = as_user(lena).post(f"{TICKETS}{ticket.number}/assign/", {"group": network.pk})

    assert r.status_code == 200, r.content
    assert r.json()["group"] == network.pk
    assert r.json()["status"] == "assigned"
    ticket.refresh_from_db()
    assert ticket.group == network
    assert as_user(lena).get(f"{TICKETS}{ticket.number}/").status_code == 404


def test_repeating_an_identical_assign_over_http_records_nothing(as_user, alice, tom, desktop, bob_ticket):
    client = as_user(alice)
    body = {"group": desktop.pk, "assignee": tom.pk}
    first = client.post(f"{TICKETS}{bob_ticket.number}/assign/", body)
    events = workflow_events(bob_ticket).count()

    second = client.post(f"{TICKETS}{bob_ticket.number}/assign/", body)

    assert first.status_code == second.status_code == 200
    assert second.json()["version"] == first.json()["version"]
    assert workflow_events(bob_ticket).count() == events
    assert workflow_events(bob_ticket).filter(kind=E.ASSIGNED).count() == 1


# --- optimistic concurrency -------------------------------------------------------------------------


def test_a_stale_expected_version_is_a_409_and_changes_nothing(as_user, alice, tom, desktop, bob_ticket):
    client = as_user(alice)
    seen = client.get(f"{TICKETS}{bob_ticket.number}/").json()["version"]
    services.ticket_assign(ticket=bob_ticket, actor=alice, group=desktop, assignee=tom)  # someone else, meanwhile
    before = _state(bob_ticket)

    r = client.post(f"{TICKETS}{bob_ticket.number}/resolve/", {"resolution": "Done", "expected_version": seen})

    assert r.status_code == 409
    assert "detail" in r.json()
    assert _state(bob_ticket) == before


def test_the_current_expected_version_is_accepted(as_user, alice, bob_ticket):
    client = as_user(alice)
    seen = client.get(f"{TICKETS}{bob_ticket.number}/").json()["version"]

    r = client.post(f"{TICKETS}{bob_ticket.number}/resolve/", {"resolution": "Done", "expected_version": seen})

    assert r.status_code == 200
    assert r.json()["version"] == seen + 1


def test_the_ticket_cannot_be_changed_with_put_patch_or_delete(as_user, alice, bob_ticket):
    client = as_user(alice)
    url = f"{TICKETS}{bob_ticket.number}/"

    assert client.put(url, {"title": "x"}).status_code == 405
    assert client.patch(url, {"status": "closed"}).status_code == 405
    assert client.delete(url).status_code == 405
    bob_ticket.refresh_from_db()
    assert bob_ticket.status == "new"


def test_timestamps_are_iso_8601_with_an_offset(as_user, alice, bob_ticket):
    body = as_user(alice).post(f"{TICKETS}{bob_ticket.number}/resolve/", {"resolution": "Done"}).json()

    for field in ("created_at", "updated_at", "first_response_at", "resolved_at"):
        assert ISO_WITH_OFFSET.match(body[field]), (field, body[field])
        assert datetime.fromisoformat(body[field]).utcoffset() is not None


def test_a_supervisors_priority_rule_applies_to_api_intake(as_user, alice, bob, vera):
    from tickets.models import PriorityRule

    PriorityRule.objects.create(impact=2, urgency=3, priority=1)
    client = as_user(alice)

    standard = client.post(TICKETS, _intake(requester=bob.pk, impact=2, urgency=3)).json()
    vip = client.post(TICKETS, _intake(requester=vera.pk, impact=2, urgency=3)).json()
    default_cell = client.post(TICKETS, _intake(requester=bob.pk, impact=3, urgency=2)).json()

    assert standard["priority"] == 1
    assert vip["priority"] == 1  # never above P1
    assert default_cell["priority"] == 4


def test_a_group_member_accepting_a_group_ticket_over_http_becomes_the_assignee(
    as_user, alice, tina, desktop, bob_ticket
):
    as_user(alice).post(f"{TICKETS}{bob_ticket.number}/assign/", {"group": desktop.pk})

    r = as_user(tina).post(f"{TICKETS}{bob_ticket.number}/accept/")

    assert r.status_code == 200
    assert r.json()["status"] == "in_progress"
    assert r.json()["assignee"] == tina.pk
