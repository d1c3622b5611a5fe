"""Quality inspection: random samples of closed tickets per person, checklist scores, who sees which scores, and the
scores per person over time — through the services, the pages and the API."""

# The shared fixtures come from reports_data (imported by name, so pytest finds them): not redefinitions.
# ruff: noqa: F811

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group

from servicedesk.errors import NotAllowed, ValidationFailed
from servicedesk.models import AuditEvent, Role, User
from tickets import inspection as qa
from tickets import services
from tickets.models import Inspection, InspectionItem, Ticket
from tickets.reports import Period

from .reports_data import always_policy, at, quinn  # noqa: F401

pytestmark = pytest.mark.django_db

FEBRUARY = Period(date(2026, 2, 1), date(2026, 2, 28))
SCORES = {"courtesy": 5, "classification": 4, "record": 3, "knowledge": 5, "timeliness": 4}


@pytest.fixture
def closed(alice, bob, tom, desktop, always_policy):
    """Closed in February: alice resolved 4 on first contact, tom resolved 3; one more of tom's closed in March,
    and one of alice's still only resolved."""

    def close(day: int, by, month: int = 2, close_it: bool = True) -> Ticket:
        with at(2026, month, day, 9, 0):
            t = services.ticket_create(
                actor=alice, data=services.TicketInput(requester=bob, type="incident", title=f"T{day}", channel="phone")
            )
            if by == tom:
                t = services.ticket_assign(ticket=t, actor=alice, group=desktop, assignee=tom)
                t = services.ticket_accept(ticket=t, actor=tom)
            t = services.ticket_resolve(ticket=t, actor=by, resolution="Fixed", first_contact=by == alice)
        if close_it:
            with at(2026, month, day, 17, 0):
                t = services.ticket_close(ticket=t, actor=alice)
        return t

    return {
        "alice": [close(d, alice) for d in (2, 3, 4, 5)],
        "tom": [close(d, tom) for d in (9, 10, 11)],
        "march": close(2, tom, month=3),
        "open": close(12, alice, close_it=False),
    }


def draw(actor, per_agent=2, **kwargs) -> Inspection:
    with at(2026, 3, 5, 10, 0):
        return qa.inspection_create(actor=actor, period=FEBRUARY, per_agent=per_agent, **kwargs)


def test_a_sample_takes_n_closed_tickets_per_person_who_resolved_them(quinn, closed, alice, tom):
    inspection = draw(quinn)
    items = list(inspection.items.all())
    assert sorted(i.agent_id for i in items) == sorted([alice.pk, alice.pk, tom.pk, tom.pk])
    for item in items:
        assert item.ticket.pk in {t.pk for t in closed[item.agent.username]}
        assert item.ticket.status == Ticket.Status.CLOSED
        assert item.ticket_closed_at == item.ticket.closed_at
        assert item.state == InspectionItem.State.PENDING
    assert AuditEvent.objects.filter(kind="inspection_created", object_id=str(inspection.pk)).exists()


def test_a_person_with_fewer_tickets_gives_what_they_have_and_a_ticket_is_never_drawn_twice(quinn, closed, tom):
    first = draw(quinn, per_agent=2)
    second = draw(quinn, per_agent=5)
    firsts = set(first.items.values_list("ticket_id", flat=True))
    seconds = set(second.items.values_list("ticket_id", flat=True))
    assert not firsts & seconds
    assert firsts | seconds == {t.pk for t in closed["alice"] + closed["tom"]}
    assert second.items.filter(agent=tom).count() == 1
    with pytest.raises(ValidationFailed):
        draw(quinn)  # everything in February is inspected now


def test_a_sample_can_be_limited_to_some_people(quinn, closed, tom):
    inspection = draw(quinn, per_agent=3, agents=[tom])
    assert set(inspection.items.values_list("agent_id", flat=True)) == {tom.pk}
    assert inspection.items.count() == 3


def test_nobody_inspects_their_own_work(closed, alice, tom):
    alice.groups.add(Group.objects.get(name=Role.QUALITY_ANALYST))
    alice = User.objects.get(pk=alice.pk)
    inspection = draw(alice, per_agent=5)
    assert set(inspection.items.values_list("agent_id", flat=True)) == {tom.pk}
    item = inspection.items.first()
    with pytest.raises(NotAllowed):
        qa.inspection_item_score(actor=tom, item=item, scores=SCORES)


@pytest.mark.parametrize("who", ["alice", "sam", "tom", "bob"])
def test_only_quality_analysts_and_admins_draw_samples(request, closed, who):
    with pytest.raises(NotAllowed):
        draw(request.getfixturevalue(who))


def test_sample_input_is_checked(quinn, closed):
    with pytest.raises(ValidationFailed) as caught, at(2026, 3, 5, 10, 0):
        qa.inspection_create(actor=quinn, period=FEBRUARY, per_agent=0, scale="stars")
    assert set(caught.value.errors) == {"per_agent", "scale"}


def test_scoring_on_points_keeps_a_percent(quinn, closed):
    item = draw(quinn).items.first()
    item = qa.inspection_item_score(actor=quinn, item=item, scores=SCORES, comment="Good record, slow updates")
    assert item.state == InspectionItem.State.SCORED
    assert item.score == Decimal("84.0")  # 21 of 25 points
    assert (item.courtesy, item.timeliness) == (5, 4)
    assert item.scored_by == quinn and item.comment == "Good record, slow updates"
    assert AuditEvent.objects.filter(kind="inspection_item_scored", object_id=str(item.pk)).exists()
    item = qa.inspection_item_score(actor=quinn, item=item, scores={**SCORES, "record": 5})
    assert item.score == Decimal("92.0")
    assert AuditEvent.objects.filter(kind="inspection_item_rescored").exists()


def test_scoring_pass_or_fail(quinn, closed):
    item = draw(quinn, scale=Inspection.Scale.PASS_FAIL).items.first()
    item = qa.inspection_item_score(
        actor=quinn,
        item=item,
        scores={"courtesy": 1, "classification": 1, "record": 0, "knowledge": 1, "timeliness": 1},
    )
    assert item.score == Decimal("80.0")


@pytest.mark.parametrize("bad", [{"courtesy": 6}, {"record": -1}, {"knowledge": None}, {"timeliness": "five"}])
def test_scores_out_of_range_are_refused(quinn, closed, bad):
    item = draw(quinn).items.first()
    with pytest.raises(ValidationFailed) as caught:
        qa.inspection_item_score(actor=quinn, item=item, scores={**SCORES, **bad})
    assert set(caught.value.errors) == set(bad)
    item.refresh_from_db()
    assert item.state == InspectionItem.State.PENDING


def test_people_see_only_their_own_scored_items(quinn, closed, alice, tom, sam, bob):
    inspection = draw(quinn)
    mine = inspection.items.filter(agent=alice)
    scored = qa.inspection_item_score(actor=quinn, item=mine[0], scores=SCORES)
    qa.inspection_item_score(actor=quinn, item=inspection.items.filter(agent=tom)[0], scores=SCORES)
    assert list(qa.inspection_items_visible_to(alice)) == [scored]  # not the pending one, not tom's
    assert qa.inspection_items_visible_to(tom).count() == 1
    assert qa.inspection_items_visible_to(bob).count() == 0
    assert qa.inspection_items_visible_to(sam).count() == 4
    assert qa.inspection_items_visible_to(quinn).count() == 4
    assert not qa.inspections_visible_to(alice).exists()


def test_scores_per_person_over_time(quinn, closed, alice, tom):
    inspection = draw(quinn)
    points = iter([SCORES, {**SCORES, "record": 5}, dict.fromkeys(SCORES, 5), dict.fromkeys(SCORES, 0)])
    for item in inspection.items.order_by("agent_id", "id"):
        qa.inspection_item_score(actor=quinn, item=item, scores=next(points))
    buckets, people = qa.inspection_scores(Period(date(2026, 1, 1), date(2026, 3, 31)))
    assert buckets == [date(2026, 2, 1)]
    by_name = {p.name: p for p in people}
    assert by_name["Alice Agent"].mean == pytest.approx((84 + 92) / 2)
    assert by_name["Alice Agent"].buckets[date(2026, 2, 1)] == (pytest.approx(88.0), 2)
    assert by_name["Tom Tech"].mean == pytest.approx(50.0)
    assert by_name["Alice Agent"].criteria["record"] == pytest.approx((60 + 100) / 2)
    _b, only_tom = qa.inspection_scores(Period(date(2026, 1, 1), date(2026, 3, 31)), agent=tom)
    assert [p.agent_id for p in only_tom] == [tom.pk]


# --- pages -----------------------------------------------------------------------------------------------


def test_an_inspector_draws_and_scores_on_the_pages(client, quinn, closed, alice):
    client.force_login(quinn)
    assert client.get("/reports/quality/").status_code == 200
    with at(2026, 3, 5, 10, 0):
        response = client.post("/reports/quality/", {"from": "2026-02-01", "to": "2026-02-28", "per_agent": "1"})
    assert response.status_code == 302
    inspection = Inspection.objects.get()
    assert response["Location"] == f"/reports/quality/{inspection.pk}/"
    assert client.get(response["Location"]).status_code == 200
    item = inspection.items.order_by("agent_id", "id").first()
    assert client.get(f"/reports/quality/items/{item.pk}/").status_code == 200
    response = client.post(f"/reports/quality/items/{item.pk}/", {**SCORES, "comment": "ok"})
    assert response.status_code == 302  # to the next one to score
    item.refresh_from_db()
    assert item.score == Decimal("84.0")
    bad = client.post(f"/reports/quality/items/{item.pk}/", {**SCORES, "courtesy": "9"})
    assert bad.status_code == 400
    assert client.get("/reports/quality/scores/").status_code == 200


def test_a_bad_sample_form_shows_its_errors(client, quinn, closed):
    client.force_login(quinn)
    response = client.post("/reports/quality/", {"from": "2026-02-28", "to": "2026-02-01", "per_agent": "0"})
    assert response.status_code == 400
    assert {"to"} <= set(response.context["errors"])


def test_agents_see_their_own_scores_page_only(client, quinn, closed, alice, tom, bob):
    inspection = draw(quinn)
    qa.inspection_item_score(actor=quinn, item=inspection.items.filter(agent=alice).first(), scores=SCORES)
    tom_item = inspection.items.filter(agent=tom).first()
    qa.inspection_item_score(actor=quinn, item=tom_item, scores=dict.fromkeys(SCORES, 1))
    client.force_login(alice)
    assert client.get("/reports/quality/").status_code == 302  # to her own scores
    mine = client.get("/reports/quality/mine/", {"from": "2026-02-01", "to": "2026-02-28"})
    assert mine.status_code == 200
    assert [i.agent_id for i in mine.context["items"]] == [alice.pk]
    assert "84.0" in mine.content.decode()
    assert client.get(f"/reports/quality/items/{tom_item.pk}/").status_code == 404
    assert client.get(f"/reports/quality/{inspection.pk}/").status_code == 403
    assert (
        client.post("/reports/quality/", {"from": "2026-02-01", "to": "2026-02-28", "per_agent": "1"}).status_code
        == 302
    )
    assert Inspection.objects.count() == 1
    client.force_login(bob)
    assert client.get("/reports/quality/mine/").status_code == 403


# --- API -------------------------------------------------------------------------------------------------


def test_the_inspection_api(as_user, quinn, closed, alice, tom, sam):
    api = as_user(quinn)
    with at(2026, 3, 5, 10, 0):
        created = api.post(
            "/api/v1/inspections/", {"period_from": "2026-02-01", "period_to": "2026-02-28", "per_agent": 1}
        )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["item_count"] == 2 and body["scored_count"] == 0
    items = api.get(f"/api/v1/inspections/{body['id']}/items/").json()
    assert len(items) == 2
    alice_item = next(i for i in items if i["agent"] == alice.pk)
    scored = api.post(f"/api/v1/inspection-items/{alice_item['id']}/score/", {**SCORES, "comment": "fine"})
    assert scored.status_code == 200
    assert scored.json()["score"] == "84.0" and scored.json()["state"] == "scored"
    bad = api.post(f"/api/v1/inspection-items/{alice_item['id']}/score/", {**SCORES, "courtesy": 7})
    assert bad.status_code == 400 and "courtesy" in bad.json()
    scores = api.get("/api/v1/reports/inspection-scores/", {"from": "2026-02-01", "to": "2026-02-28"}).json()
    assert [(r["agent"], r["items"], r["mean_score"]) for r in scores["results"]] == [(alice.pk, 1, 84.0)]

    # alice sees her own scored item, not tom's pending one; she can neither draw nor score.
    mine = as_user(alice).get("/api/v1/inspection-items/").json()
    assert [i["id"] for i in mine["results"]] == [alice_item["id"]]
    tom_item = next(i for i in items if i["agent"] == tom.pk)
    assert as_user(alice).get(f"/api/v1/inspection-items/{tom_item['id']}/").status_code == 404
    assert as_user(alice).post(f"/api/v1/inspection-items/{alice_item['id']}/score/", SCORES).status_code == 403
    assert as_user(alice).get("/api/v1/inspections/").status_code == 403
    assert (
        as_user(tom)
        .get("/api/v1/reports/inspection-scores/", {"from": "2026-02-01", "to": "2026-02-28"})
        .json()["results"]
        == []
    )
    # Supervisors read everything but do not draw.
    assert as_user(sam).get("/api/v1/inspections/").json()["count"] == 1
    with at(2026, 3, 5, 10, 0):
        refused = as_user(sam).post(
            "/api/v1/inspections/", {"period_from": "2026-02-01", "period_to": "2026-02-28", "per_agent": 1}
        )
    assert refused.status_code == 403


def test_the_inspection_api_refuses_anonymous_callers(api):
    assert api.get("/api/v1/inspections/").status_code == 401
    assert api.get("/api/v1/inspection-items/").status_code == 401
