"""The public notices API (API.md): list, create, and the review workflow with its 400 / 403 / 409 answers."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from notices import services
from notices.models import Notice, NoticeEvent

URL = "/api/v1/notices/"


def iso(delta: timedelta) -> str:
    return (timezone.now() + delta).isoformat()


@pytest.fixture
def payload(desktop):
    return {
        "type": "maintenance",
        "title": "ERP upgrade",
        "body": "ERP is **unavailable** on Saturday night.",
        "owner_group": desktop.pk,
        "window_start": iso(timedelta(days=3)),
        "window_end": iso(timedelta(days=3, hours=4)),
        "publish_at": iso(timedelta(hours=1)),
        "expire_at": iso(timedelta(days=4)),
        "audience_departments": [],
        "audience_roles": [],
    }


def test_a_team_member_drafts_a_notice(as_user, tom, payload, dept):
    response = as_user(tom).post(URL, {**payload, "audience_departments": [dept.pk], "audience_roles": ["agent"]})
    assert response.status_code == 201, response.json()
    data = response.json()
    assert data["status"] == "draft" and isinstance(data["id"], int)
    assert data["audience_departments"] == [dept.pk] and data["audience_roles"] == ["agent"]
    assert data["owner_group"] == payload["owner_group"] and data["author"]["username"] == "tom"
    assert "<strong>unavailable</strong>" in data["body_html"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"expire_at": iso(timedelta(minutes=30))}, "expire_at"),  # before publish_at
        ({"window_end": iso(timedelta(days=2))}, "window_end"),  # before window_start
        ({"audience_roles": ["wizard"]}, "audience_roles"),
        ({"type": "party"}, "type"),
        ({"owner_group": 999999}, "owner_group"),
        ({"title": ""}, "title"),
    ],
)
def test_bad_input_is_a_400_with_field_errors_and_nothing_saved(as_user, tom, payload, change, field):
    response = as_user(tom).post(URL, {**payload, **change})
    assert response.status_code == 400
    assert field in response.json()
    assert isinstance(response.json()[field][0], str)
    assert Notice.objects.count() == 0


def test_people_outside_the_workflow_cannot_draft(as_user, bob, nick, payload, api):
    assert as_user(bob).post(URL, payload).status_code == 403
    assert as_user(nick).post(URL, payload).status_code == 403  # not in the owner team
    api.force_authenticate(None)
    assert api.post(URL, payload).status_code == 401


def step(client, notice_id: int, name: str, **data):
    return client.post(f"{URL}{notice_id}/{name}/", data)


def test_the_whole_review_workflow_through_the_api(api, tom, lena, alice, payload, bob):
    api.force_authenticate(tom)
    notice_id = api.post(URL, {**payload, "publish_at": None}).json()["id"]
    assert step(api, notice_id, "submit").json()["status"] == "submitted"
    api.force_authenticate(lena)
    approved = step(api, notice_id, "approve").json()
    assert approved["status"] == "approved" and approved["reviewer"]["username"] == "lena"
    assert len(approved["approved_hash"]) == 64
    api.force_authenticate(alice)
    published = step(api, notice_id, "publish").json()
    assert published["status"] == "published" and published["published_on_behalf"] is True
    assert published["publisher"]["username"] == "alice" and published["published_at"]
    api.force_authenticate(bob)
    listed = api.get(URL).json()
    assert [n["id"] for n in listed["results"]] == [notice_id] and listed["count"] == 1
    assert api.get(f"{URL}{notice_id}/").status_code == 200
    api.force_authenticate(alice)
    assert step(api, notice_id, "withdraw", reason="Postponed").json()["status"] == "withdrawn"
    api.force_authenticate(bob)
    assert api.get(URL).json()["results"] == []


@pytest.fixture
def in_state(make_notice, tom, lena, alice):
    """A notice in the given status, reached through the services."""

    def _make(status: str) -> Notice:
        notice = make_notice()
        if status == "draft":
            return notice
        services.notice_submit(notice=notice, actor=tom)
        if status == "submitted":
            return notice
        if status == "rejected":
            return services.notice_reject(notice=notice, actor=lena, reason="Unclear")
        services.notice_approve(notice=notice, actor=lena)
        if status == "approved":
            return notice
        services.notice_publish(notice=notice, actor=alice)
        if status == "published":
            return notice
        if status == "withdrawn":
            return services.notice_withdraw(notice=notice, actor=alice)
        Notice.objects.filter(pk=notice.pk).update(status="expired")
        return notice

    return _make


# step -> (who may take it, statuses it is legal from)
LEGAL = {
    "submit": ("tom", {"draft", "rejected"}),
    "approve": ("lena", {"submitted"}),
    "reject": ("lena", {"submitted"}),
    "return": ("alice", {"approved"}),
    "publish": ("alice", {"approved"}),
    "withdraw": ("alice", {"draft", "submitted", "approved", "rejected", "published"}),
}
STATUSES = ["draft", "submitted", "approved", "rejected", "published", "expired", "withdrawn"]


@pytest.mark.parametrize("status", STATUSES)
@pytest.mark.parametrize("name", list(LEGAL))
def test_each_step_is_legal_only_from_its_statuses(api, in_state, request, name, status):
    notice = in_state(status)
    who, legal_from = LEGAL[name]
    api.force_authenticate(request.getfixturevalue(who))
    response = step(api, notice.pk, name, reason="Needs the building names")
    if status in legal_from:
        assert response.status_code == 200, response.json()
    else:
        assert response.status_code == 409, response.json()
        assert response.json()["detail"]
        assert Notice.objects.get(pk=notice.pk).status == status  # nothing changed


# step -> people who may not take it from its legal status
REFUSED = {
    "submit": ("alice", "nick"),
    "approve": ("tom", "tina", "alice", "nick"),
    "reject": ("tom", "alice", "nick"),
    "return": ("tom", "nick"),
    "publish": ("nick",),
    "withdraw": ("nick",),
}


@pytest.mark.parametrize("name", list(REFUSED))
def test_each_step_is_refused_with_403_to_people_who_may_not_take_it(api, in_state, request, bob, name):
    status = sorted(LEGAL[name][1])[0] if name != "withdraw" else "published"
    notice = in_state("submitted" if name in ("approve", "reject") else status)
    events_before = NoticeEvent.objects.filter(notice=notice).count()
    status_before = Notice.objects.get(pk=notice.pk).status
    for who in REFUSED[name]:
        api.force_authenticate(request.getfixturevalue(who))
        response = step(api, notice.pk, name, reason="x")
        assert response.status_code == 403, (who, response.json())
        assert response.json()["detail"]
    api.force_authenticate(bob)  # an end user: refused before the notice is even looked up
    assert step(api, notice.pk, name, reason="x").status_code == 403
    assert step(api, 999999, name, reason="x").status_code == 403
    assert NoticeEvent.objects.filter(notice=notice).count() == events_before  # nothing happened
    assert Notice.objects.get(pk=notice.pk).status == status_before


def test_an_unknown_notice_is_a_404_for_staff(as_user, alice):
    assert step(as_user(alice), 999999, "publish").status_code == 404


def test_reject_and_return_need_a_reason(api, in_state, lena, alice):
    submitted = in_state("submitted")
    api.force_authenticate(lena)
    response = api.post(f"{URL}{submitted.pk}/reject/", {})
    assert response.status_code == 400 and "reason" in response.json()
    approved = in_state("approved")
    api.force_authenticate(alice)
    response = api.post(f"{URL}{approved.pk}/return/", {"reason": " "})
    assert response.status_code == 400 and "reason" in response.json()
    assert Notice.objects.get(pk=approved.pk).status == "approved"


def test_the_desk_cannot_edit_approved_content_nor_publish_changes(api, in_state, alice, tom):
    notice = in_state("approved")
    api.force_authenticate(alice)
    response = api.patch(f"{URL}{notice.pk}/", {"title": "A better title"})
    assert response.status_code == 403
    assert "must not change its content" in response.json()["detail"]
    response = api.post(f"{URL}{notice.pk}/publish/", {"title": "A better title"})
    assert response.status_code == 400 and "title" in response.json()
    fresh = Notice.objects.get(pk=notice.pk)
    assert fresh.status == "approved" and fresh.title == "Mail server upgrade"
    api.force_authenticate(tom)
    response = api.patch(f"{URL}{notice.pk}/", {"title": "Mail server upgrade, part 2"})
    assert response.status_code == 200
    assert response.json()["status"] == "draft" and response.json()["approved_hash"] == ""


def test_patch_validates_the_merged_notice(as_user, in_state, tom):
    notice = in_state("draft")
    response = as_user(tom).patch(f"{URL}{notice.pk}/", {"window_end": iso(timedelta(days=1))})
    assert response.status_code == 400 and "window_end" in response.json()


def test_events_and_deliveries_are_for_the_people_who_manage_the_notice(api, in_state, alice, bob, carol):
    notice = in_state("published")
    api.force_authenticate(alice)
    events = api.get(f"{URL}{notice.pk}/events/").json()
    assert [e["kind"] for e in events] == ["created", "submitted", "approved", "published"]
    assert events[-1]["actor"]["username"] == "alice"
    report = api.get(f"{URL}{notice.pk}/deliveries/").json()
    assert set(report["progress"]) >= {"total", "sent", "failed", "pending"}
    api.force_authenticate(bob)
    assert api.get(f"{URL}{notice.pk}/events/").status_code == 404


def test_resend_through_the_api(api, in_state, alice, bob):
    notice = in_state("published")
    api.force_authenticate(alice)
    assert api.post(f"{URL}{notice.pk}/resend/").json() == {"queued": 0}
    api.force_authenticate(bob)
    assert api.post(f"{URL}{notice.pk}/resend/").status_code == 403


def test_the_manage_scope_lists_the_teams_notices_in_any_state(api, in_state, make_notice, tom, nick, bob, network):
    draft = in_state("draft")
    submitted = in_state("submitted")
    other = make_notice(actor=nick, owner_group=network, title="Core switch firmware")
    api.force_authenticate(tom)
    ids = {n["id"] for n in api.get(URL, {"scope": "manage"}).json()["results"]}
    assert {draft.pk, submitted.pk} <= ids and other.pk not in ids
    only = api.get(URL, {"scope": "manage", "status": "submitted"}).json()["results"]
    assert [n["id"] for n in only] == [submitted.pk]
    assert api.get(URL).json()["results"] == []  # the default list shows only current notices
    api.force_authenticate(bob)
    assert api.get(URL, {"scope": "manage"}).status_code == 403


def test_the_list_costs_the_same_number_of_queries_for_any_number_of_notices(
    as_user, published, bob, django_assert_num_queries
):
    client = as_user(bob)
    published()
    client.get(URL)
    # count, page of notices with team/author/reviewer/publisher joined, then one prefetch each for categories,
    # departments and audience roles (bob's roles are cached on the force-authenticated user)
    with django_assert_num_queries(5):
        assert client.get(URL).json()["count"] == 1
    for i in range(6):
        published(title=f"Notice {i}")
    with django_assert_num_queries(5):
        assert client.get(URL).json()["count"] == 7
