"""The notice workflow as services: every step legal and illegal (409), who may take it (403), bad input (400,
nothing changed), the content freeze and the audit trail."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from notices import services
from notices.models import Notice, NoticeEvent
from servicedesk.errors import InvalidTransition, NotAllowed, ValidationFailed
from servicedesk.models import Notification

S = Notice.Status


def kinds(notice: Notice) -> list[str]:
    return list(NoticeEvent.objects.filter(notice=notice).order_by("at", "id").values_list("kind", flat=True))


# --- drafting ------------------------------------------------------------------------------------------------


def test_a_team_member_drafts_a_notice_with_sanitised_markdown(make_notice, tom, desktop):
    notice = make_notice(body="Webmail is **down**.\n\n<script>alert(1)</script><a href='javascript:x()'>x</a>")
    assert notice.status == S.DRAFT
    assert notice.author == tom and notice.owner_group == desktop
    assert "<strong>down</strong>" in notice.body_html
    assert "<script" not in notice.body_html and "javascript:" not in notice.body_html
    assert kinds(notice) == ["created"]


def test_only_the_owner_team_or_a_supervisor_drafts_for_a_team(make_notice, nick, bob, alice, sam, desktop):
    with pytest.raises(NotAllowed):
        make_notice(actor=nick)  # another team's technician
    with pytest.raises(NotAllowed):
        make_notice(actor=bob)  # an end user
    with pytest.raises(NotAllowed):
        make_notice(actor=alice)  # the desk publishes on behalf; it does not write the team's notices
    assert make_notice(actor=sam).owner_group == desktop
    assert Notice.objects.count() == 1


@pytest.mark.parametrize(
    ("fields", "error_field"),
    [
        ({"publish_at": "+2d", "expire_at": "+1d"}, "expire_at"),
        ({"publish_at": "+1d", "expire_at": "+1d"}, "expire_at"),
        ({"window_start": "+2d", "window_end": "+1d"}, "window_end"),
        ({"window_start": None, "window_end": "+1d"}, "window_start"),
        ({"expire_at": "-1h"}, "expire_at"),
        ({"title": "  "}, "title"),
        ({"body": ""}, "body"),
        ({"type": "party"}, "type"),
        ({"severity": "apocalyptic"}, "severity"),
        ({"audience_roles": ["wizard"]}, "audience_roles"),
    ],
)
def test_bad_input_is_refused_with_a_field_error_and_nothing_is_saved(make_notice, fields, error_field):
    now = timezone.now()
    values = {}
    for key, value in fields.items():
        if isinstance(value, str) and len(value) > 1 and value[0] in "+-" and value[-1] in "dh":
            unit = timedelta(days=1) if value[-1] == "d" else timedelta(hours=1)
            value = now + int(value[:-1]) * unit
        values[key] = value
    with pytest.raises(ValidationFailed) as exc:
        make_notice(**values)
    assert error_field in exc.value.errors
    assert all(isinstance(m, str) and m for m in exc.value.errors[error_field])
    assert Notice.objects.count() == 0
    assert NoticeEvent.objects.count() == 0


# --- submit / approve / reject ----------------------------------------------------------------------------------


def test_submit_asks_the_teams_responsible_person_to_review(make_notice, tom, lena, django_capture_on_commit_callbacks):
    notice = make_notice()
    with django_capture_on_commit_callbacks(execute=True):
        notice = services.notice_submit(notice=notice, actor=tom)
    assert notice.status == S.SUBMITTED and notice.submitted_at is not None
    note = Notification.objects.get(recipient=lena)
    assert note.verb == "notice_submitted" and "Mail server upgrade" in note.message
    assert note.url == f"/notices/{notice.pk}/"


def test_only_the_owner_team_submits_and_only_from_draft_or_rejected(make_notice, tom, tina, alice, nick):
    notice = make_notice()
    for outsider in (alice, nick):
        with pytest.raises(NotAllowed):
            services.notice_submit(notice=notice, actor=outsider)
    services.notice_submit(notice=notice, actor=tina)  # any member of the team
    with pytest.raises(InvalidTransition):
        services.notice_submit(notice=notice, actor=tom)


def test_planned_maintenance_cannot_be_submitted_without_its_start(make_notice, tom):
    notice = make_notice(window_start=None, window_end=None)
    with pytest.raises(ValidationFailed) as exc:
        services.notice_submit(notice=notice, actor=tom)
    assert "window_start" in exc.value.errors
    notice.refresh_from_db()
    assert notice.status == S.DRAFT


def test_the_lead_approves_and_the_content_hash_is_frozen(submitted, lena):
    notice = services.notice_approve(notice=submitted(), actor=lena)
    assert notice.status == S.APPROVED
    assert notice.reviewer == lena and notice.reviewed_at is not None
    assert len(notice.approved_hash) == 64
    assert notice.approved_hash == services.content_hash(notice)
    assert kinds(notice) == ["created", "submitted", "approved"]


def test_an_approval_by_someone_who_is_not_the_reviewer_is_refused(submitted, tom, tina, alice, nick):
    notice = submitted()
    for person in (tom, tina, alice, nick):  # the author, a team member, the desk, another team's lead
        with pytest.raises(NotAllowed) as exc:
            services.notice_approve(notice=notice, actor=person)
        assert "responsible person" in exc.value.message
    notice.refresh_from_db()
    assert notice.status == S.SUBMITTED and notice.reviewer is None and notice.approved_hash == ""


def test_a_supervisor_may_stand_in_for_the_lead(submitted, sam):
    assert services.notice_approve(notice=submitted(), actor=sam).status == S.APPROVED


@pytest.mark.parametrize("status", [S.DRAFT, S.APPROVED, S.REJECTED, S.PUBLISHED, S.EXPIRED, S.WITHDRAWN])
def test_approve_and_reject_are_only_legal_from_submitted(make_notice, lena, status):
    notice = make_notice()
    Notice.objects.filter(pk=notice.pk).update(status=status)
    with pytest.raises(InvalidTransition):
        services.notice_approve(notice=notice, actor=lena)
    with pytest.raises(InvalidTransition):
        services.notice_reject(notice=notice, actor=lena, reason="Unclear")


def test_reject_needs_a_reason_and_the_corrected_notice_goes_round_again(submitted, lena, tom, tina):
    notice = submitted()
    with pytest.raises(ValidationFailed) as exc:
        services.notice_reject(notice=notice, actor=lena, reason="  ")
    assert "reason" in exc.value.errors
    with pytest.raises(NotAllowed):
        services.notice_reject(notice=notice, actor=tina, reason="Not the lead")
    notice = services.notice_reject(notice=notice, actor=lena, reason="Say which buildings.")
    assert notice.status == S.REJECTED and notice.rejection_reason == "Say which buildings."
    notice = services.notice_update(notice=notice, actor=tom, body="Buildings A and B lose webmail.")
    assert notice.status == S.DRAFT
    notice = services.notice_submit(notice=notice, actor=tom)
    assert notice.status == S.SUBMITTED and notice.rejection_reason == ""
    notice = services.notice_approve(notice=notice, actor=lena)
    assert notice.status == S.APPROVED


# --- content freeze --------------------------------------------------------------------------------------------


def test_any_change_after_approval_returns_the_notice_to_draft(approved, tom):
    notice = approved()
    unchanged = services.notice_update(notice=notice, actor=tom, title=notice.title)
    assert unchanged.status == S.APPROVED  # saving the same content changes nothing
    notice = services.notice_update(notice=notice, actor=tom, title="Mail server upgrade (postponed)")
    assert notice.status == S.DRAFT and notice.approved_hash == "" and notice.reviewer is None
    assert kinds(notice)[-2:] == ["edited", "reopened"]
    assert NoticeEvent.objects.filter(notice=notice, kind="edited").get().data == {"fields": ["title"]}


def test_a_change_of_audience_after_approval_also_returns_it_to_draft(approved, tom, dept):
    notice = services.notice_update(notice=approved(), actor=tom, audience_departments=[dept])
    assert notice.status == S.DRAFT
    assert list(notice.audience_departments.all()) == [dept]


def test_the_desk_cannot_change_approved_content(approved, alice):
    notice = approved()
    with pytest.raises(NotAllowed) as exc:
        services.notice_update(notice=notice, actor=alice, title="Better title")
    assert "must not change its content" in exc.value.message
    fresh = Notice.objects.get(pk=notice.pk)
    assert fresh.status == S.APPROVED and fresh.title == "Mail server upgrade"
    assert fresh.approved_hash == notice.approved_hash
    assert "edited" not in kinds(fresh)


def test_publishing_refuses_content_that_changed_behind_the_workflows_back(approved, alice):
    notice = approved()
    Notice.objects.filter(pk=notice.pk).update(body="Edited in the database")  # e.g. a script, not a service
    with pytest.raises(InvalidTransition) as exc:
        services.notice_publish(notice=notice, actor=alice)
    assert "changed after it was approved" in exc.value.message
    fresh = Notice.objects.get(pk=notice.pk)
    assert fresh.status == S.DRAFT and fresh.published_at is None and fresh.approved_hash == ""
    assert NoticeEvent.objects.filter(notice=notice, kind="reopened", data__reason="content_changed").exists()
    assert not fresh.deliveries.exists()


def test_a_department_added_behind_the_workflows_back_also_breaks_the_hash(approved, alice, dept):
    notice = approved()
    notice.audience_departments.add(dept)
    with pytest.raises(InvalidTransition):
        services.notice_publish(notice=notice, actor=alice)


def test_a_published_notice_cannot_be_edited(published, tom):
    notice = published()
    with pytest.raises(InvalidTransition):
        services.notice_update(notice=notice, actor=tom, title="Too late")


# --- publish / return / withdraw -------------------------------------------------------------------------------


def test_the_desk_publishes_on_behalf_of_the_team(approved, alice, django_capture_on_commit_callbacks):
    notice = approved()
    with django_capture_on_commit_callbacks(execute=True):
        notice = services.notice_publish(notice=notice, actor=alice)
    assert notice.status == S.PUBLISHED and notice.published_at is not None
    assert notice.publisher == alice and notice.published_on_behalf is True
    event = NoticeEvent.objects.get(notice=notice, kind="published")
    assert event.actor == alice and event.data["on_behalf"] is True


def test_the_team_publishes_its_own_notice(approved, tina):
    notice = services.notice_publish(notice=approved(), actor=tina)
    assert notice.publisher == tina and notice.published_on_behalf is False


def test_publish_is_refused_to_outsiders_and_illegal_before_approval(submitted, approved, bob, nick, alice):
    with pytest.raises(InvalidTransition):
        services.notice_publish(notice=submitted(), actor=alice)
    notice = approved()
    for outsider in (bob, nick):
        with pytest.raises(NotAllowed):
            services.notice_publish(notice=notice, actor=outsider)
    services.notice_publish(notice=notice, actor=alice)
    with pytest.raises(InvalidTransition):
        services.notice_publish(notice=notice, actor=alice)  # twice: once only


def test_an_approved_notice_past_its_expiry_cannot_be_published(approved, alice):
    notice = approved(publish_at=timezone.now() - timedelta(hours=2), expire_at=timezone.now() + timedelta(minutes=5))
    Notice.objects.filter(pk=notice.pk).update(expire_at=timezone.now() - timedelta(minutes=1))
    with pytest.raises(InvalidTransition):
        services.notice_publish(notice=notice, actor=alice)


def test_the_desk_returns_a_doubtful_notice_to_the_team_with_a_comment(
    approved, alice, tom, lena, django_capture_on_commit_callbacks
):
    notice = approved()
    with pytest.raises(NotAllowed):
        services.notice_return(notice=notice, actor=tom, reason="Own team")
    with pytest.raises(ValidationFailed):
        services.notice_return(notice=notice, actor=alice, reason="")
    with django_capture_on_commit_callbacks(execute=True):
        notice = services.notice_return(notice=notice, actor=alice, reason="Which mail server? Say the address.")
    assert notice.status == S.REJECTED and notice.approved_hash == ""
    assert notice.title == "Mail server upgrade"  # the content is the team's: unchanged
    assert set(Notification.objects.filter(verb="notice_returned").values_list("recipient__username", flat=True)) == {
        "tom",
        "lena",
    }
    with pytest.raises(InvalidTransition):
        services.notice_publish(notice=notice, actor=alice)


def test_withdraw_takes_a_notice_down_for_good(published, alice, tom):
    notice = services.notice_withdraw(notice=published(), actor=alice, reason="Maintenance cancelled")
    assert notice.status == S.WITHDRAWN and notice.ended_at is not None
    for step in (services.notice_withdraw, services.notice_submit):
        with pytest.raises(InvalidTransition):
            step(notice=notice, actor=tom)


def test_withdraw_is_refused_to_outsiders(approved, bob, nick):
    notice = approved()
    for outsider in (bob, nick):
        with pytest.raises(NotAllowed):
            services.notice_withdraw(notice=notice, actor=outsider)


def test_every_step_is_recorded_with_who_and_when(make_notice, tom, lena, alice):
    notice = make_notice()
    services.notice_submit(notice=notice, actor=tom)
    services.notice_reject(notice=notice, actor=lena, reason="Add the time zone")
    services.notice_update(notice=notice, actor=tom, body="From 22:00 Beijing time.")
    services.notice_submit(notice=notice, actor=tom)
    services.notice_approve(notice=notice, actor=lena)
    services.notice_publish(notice=notice, actor=alice)
    services.notice_withdraw(notice=notice, actor=alice)
    trail = list(NoticeEvent.objects.filter(notice=notice).order_by("at", "id").values_list("kind", "actor__username"))
    assert trail == [
        ("created", "tom"),
        ("submitted", "tom"),
        ("rejected", "lena"),
        ("edited", "tom"),
        ("reopened", "tom"),
        ("submitted", "tom"),
        ("approved", "lena"),
        ("published", "alice"),
        ("withdrawn", "alice"),
    ]
    assert all(e.at is not None for e in NoticeEvent.objects.filter(notice=notice))


# --- timeliness ------------------------------------------------------------------------------------------------


def test_maintenance_published_less_than_24_hours_ahead_is_late(approved, alice):
    soon = timezone.now() + timedelta(hours=10)
    late = services.notice_publish(
        notice=approved(window_start=soon, window_end=soon + timedelta(hours=1)), actor=alice
    )
    assert late.is_late is True
    on_time = services.notice_publish(notice=approved(), actor=alice)  # three days ahead
    assert on_time.is_late is False
    outage = services.notice_publish(
        notice=approved(type="outage", window_start=timezone.now(), window_end=None), actor=alice
    )
    assert outage.is_late is False  # only planned work can be announced ahead


def test_the_lead_time_is_a_setting(approved, alice, settings):
    settings.NOTICE_MIN_LEAD_HOURS = 96
    assert services.notice_publish(notice=approved(), actor=alice).is_late is True  # three days < 96 h
