"""GET /api/v1/reports/summary/ — the public contract of API.md — and the other report endpoints."""

# The shared fixtures come from reports_data (imported by name, so pytest finds them): not redefinitions.
# ruff: noqa: F811

from __future__ import annotations

import pytest
import time_machine
from django.contrib.auth.models import Group

from servicedesk.models import Role, User
from tests.conftest import make_user

from .reports_data import EXPECTED, NOW, always_policy, hw, quinn, week  # noqa: F401

pytestmark = pytest.mark.django_db

URL = "/api/v1/reports/summary/"
WEEK = {"from": "2026-03-02", "to": "2026-03-08"}
CONTRACT = (
    "tickets",
    "fcr_rate",
    "response_sla_rate",
    "resolution_sla_rate",
    "avg_satisfaction",
    "followup_completion_rate",
    "reopen_rate",
)


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield NOW


@pytest.mark.parametrize("who", ["sam", "quinn", "ada"])
def test_readers_get_the_contract_fields_with_exact_values(request, as_user, week, frozen, who):
    response = as_user(request.getfixturevalue(who)).get(URL, WEEK)
    assert response.status_code == 200, response.content
    body = response.json()
    for name in CONTRACT:
        assert body[name] == pytest.approx(EXPECTED[name]), name
    assert body["from"] == "2026-03-02" and body["to"] == "2026-03-08"
    # More than the contract: the counts behind the rates and the business times.
    assert body["resolved"] == 4 and body["response_breached"] == 2
    assert body["response_p90_seconds"] == pytest.approx(5040)
    assert body["resolution_mean_seconds"] == pytest.approx(9150)
    assert body["followup_on_time_rate"] == pytest.approx(0.4)


def test_rates_are_null_when_nothing_is_there_to_divide(as_user, sam, week, frozen):
    body = as_user(sam).get(URL, {"from": "2026-01-01", "to": "2026-01-31"}).json()
    assert body["tickets"] == 0
    for name in CONTRACT[1:]:
        assert body[name] is None, name


def test_filters_narrow_the_summary(as_user, sam, week, frozen, desktop):
    body = as_user(sam).get(URL, {**WEEK, "group": desktop.pk}).json()
    assert body["tickets"] == 3
    assert body["reopen_rate"] == pytest.approx(2 / 3)
    assert as_user(sam).get(URL, {**WEEK, "channel": "email"}).json()["tickets"] == 2


def test_anonymous_callers_get_401_with_a_challenge(api):
    response = api.get(URL, WEEK)
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Token")


@pytest.mark.parametrize("who", ["alice", "bob", "tom"])
def test_agents_requesters_and_technicians_get_403(request, as_user, who):
    assert as_user(request.getfixturevalue(who)).get(URL, WEEK).status_code == 403


def test_any_span_is_allowed_for_the_summary(as_user, sam, week, frozen):
    body = as_user(sam).get(URL, {"from": "2000-01-01", "to": "2099-12-31"}).json()
    assert body["tickets"] == 9  # the week's 7, T0 and T8
    assert as_user(sam).get(URL, {"from": "0001-01-01", "to": "9999-12-31"}).status_code == 400


def test_a_token_works(api, sam):
    token = api.post("/api/v1/auth/token/", {"username": "sam", "password": "correct-horse-battery-9"}).json()["token"]
    api.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert api.get(URL, WEEK).status_code == 200


@pytest.mark.parametrize(
    ("params", "fields"),
    [
        ({}, {"from", "to"}),
        ({"from": "2026-03-01"}, {"to"}),
        ({"to": "2026-03-01"}, {"from"}),
        ({"from": "01/03/2026", "to": "2026-03-08"}, {"from"}),
        ({"from": "2026-03-01", "to": "2026-13-01"}, {"to"}),
        ({"from": "2026-03-09", "to": "2026-03-08"}, {"to"}),
        ({"from": "", "to": ""}, {"from", "to"}),
        ({**WEEK, "channel": "fax"}, {"channel"}),
        ({**WEEK, "group": "desktop"}, {"group"}),
        ({**WEEK, "priority": "9"}, {"priority"}),
    ],
)
def test_bad_or_missing_input_is_a_400_naming_the_fields(as_user, sam, params, fields):
    response = as_user(sam).get(URL, params)
    assert response.status_code == 400
    body = response.json()
    assert set(body) == fields
    assert all(isinstance(v, list) and v and isinstance(v[0], str) for v in body.values())


def test_a_user_made_through_the_api_with_the_role_may_read(as_user, ada, week, frozen):
    made = as_user(ada).post(
        "/api/v1/users/",
        {"username": "mia", "password": "another-horse-battery-7", "email": "mia@example.com", "roles": ["supervisor"]},
    )
    assert made.status_code == 201
    assert as_user(User.objects.get(username="mia")).get(URL, WEEK).status_code == 200


def test_breakdown_per_group(as_user, sam, week, frozen, desktop):
    response = as_user(sam).get("/api/v1/reports/breakdown/", {**WEEK, "by": "group"})
    assert response.status_code == 200
    rows = {row["key"]: row for row in response.json()["results"]}
    assert rows[str(desktop.pk)]["kpis"]["tickets"] == 3
    assert rows[str(desktop.pk)]["label"] == "Desktop support"
    assert rows[None]["kpis"]["tickets"] == 3


def test_breakdown_per_day_has_every_day(as_user, sam, week, frozen):
    body = as_user(sam).get("/api/v1/reports/breakdown/", {**WEEK, "by": "day"}).json()
    assert [row["key"] for row in body["results"]] == [f"2026-03-0{d}" for d in range(2, 9)]
    assert [row["kpis"]["tickets"] for row in body["results"]] == [6, 1, 0, 0, 0, 0, 0]


def test_breakdown_needs_a_known_dimension(as_user, sam):
    response = as_user(sam).get("/api/v1/reports/breakdown/", {**WEEK, "by": "colour"})
    assert response.status_code == 400 and "by" in response.json()


def test_breakdown_and_export_are_for_readers_only(as_user, alice, api):
    assert api.get("/api/v1/reports/breakdown/", {**WEEK, "by": "group"}).status_code == 401
    assert as_user(alice).get("/api/v1/reports/breakdown/", {**WEEK, "by": "group"}).status_code == 403
    assert as_user(alice).get("/api/v1/reports/export/", {**WEEK, "report": "summary"}).status_code == 403


def test_export_over_the_api(as_user, sam, week, frozen):
    response = as_user(sam).get("/api/v1/reports/export/", {**WEEK, "report": "group", "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    assert "Desktop support" in text
    bad = as_user(sam).get("/api/v1/reports/export/", {**WEEK, "report": "everything"})
    assert bad.status_code == 400


def test_a_role_granted_later_is_honoured(as_user, week, frozen):
    carl = make_user("carl", Role.AGENT)
    assert as_user(carl).get(URL, WEEK).status_code == 403
    carl.groups.add(Group.objects.get(name=Role.SUPERVISOR))
    carl = User.objects.get(pk=carl.pk)
    assert as_user(carl).get(URL, WEEK).status_code == 200
