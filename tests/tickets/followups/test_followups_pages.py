"""The callback worklist, the call page and recording from the page."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from tickets.models import FollowUp, Ticket

S = Ticket.Status
WORKLIST = "/followups/"


def _no_inline_code(html: str) -> None:
    """CSP allows scripts and styles from 'self' only: no inline <script>, style attributes or handlers."""
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert " style=" not in html and "<style" not in html
    assert not re.search(r"\son[a-z]+=", html)


def test_the_worklist_shows_overdue_today_and_upcoming_with_the_story_and_a_script(
    client, make_followups, cora, tom, desktop
):
    later, overdue, today = make_followups(3)
    now = timezone.now()
    FollowUp.objects.filter(pk=overdue.pk).update(due_at=now - timedelta(days=1))
    FollowUp.objects.filter(pk=today.pk).update(due_at=now + timedelta(seconds=1))
    client.force_login(cora)
    response = client.get(WORKLIST)
    assert response.status_code == 200
    work = response.context["work"]
    # (a follow-up due a second from now is "today" unless the test runs at midnight)
    assert [f.pk for f in work.overdue] == [overdue.pk]
    assert today.pk in [f.pk for f in work.today + work.upcoming]
    assert later.pk in [f.pk for f in work.upcoming]
    html = response.content.decode()
    for text in ("Callback 1", "Bob 王", "+86 138 0000 0001", "Replaced the drum unit", "Desktop support", "Tom Tech"):
        assert text in html
    assert "Hello Bob 王, this is Cora Callback from the IT service desk." in html
    assert "how satisfied are you" in html
    assert html.count('name="satisfaction"') == 3
    _no_inline_code(html)


def test_within_a_section_the_least_tried_come_first(client, make_followups, cora):
    from tickets import followups

    tried, fresh = make_followups(2)
    FollowUp.objects.update(due_at=timezone.now() - timedelta(hours=2))
    followups.followup_record(followup=tried, actor=cora, reached=False)
    client.force_login(cora)
    work = client.get(WORKLIST).context["work"]
    assert [f.pk for f in work.overdue] == [fresh.pk, tried.pk]
    assert [f.attempt_count for f in work.overdue] == [0, 1]


def test_a_callback_agent_sees_their_own_list_and_the_desk_sees_everyones(client, make_followups, cora, cody, sam):
    mine, theirs = make_followups(2)
    FollowUp.objects.filter(pk=mine.pk).update(assignee=cora)
    FollowUp.objects.filter(pk=theirs.pk).update(assignee=cody)

    def shown(user, query=""):
        client.force_login(user)
        work = client.get(WORKLIST + query).context["work"]
        return {f.pk for f in work.overdue + work.today + work.upcoming}

    assert shown(cora) == {mine.pk}
    assert shown(sam) == {mine.pk, theirs.pk}
    assert shown(sam, f"?who={cody.pk}") == {theirs.pk}
    client.force_login(sam)
    assert client.get(WORKLIST + "?who=999999").status_code == 404


@pytest.mark.parametrize("who", ["tom", "bob", "lena"])
def test_others_are_refused(client, bob_followup, request, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get(WORKLIST).status_code == 403
    assert client.get(f"/followups/{bob_followup.pk}/").status_code == 403
    assert client.post(f"/followups/{bob_followup.pk}/record/", {"outcome": "reached"}).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client, bob_followup):
    response = client.get(WORKLIST)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_call_page_focuses_the_rating_and_offers_shortcut_keys(client, bob_followup, cora):
    client.force_login(cora)
    response = client.get(f"/followups/{bob_followup.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert re.search(r'name="satisfaction"[^>]*autofocus', html, re.S)
    assert 'accesskey="s"' in html and 'accesskey="x"' in html
    # the default button (Enter) records the call; "not reached" skips the browser's required-field checks
    assert html.index('value="reached"') < html.index('value="not_reached"')
    assert re.search(r'value="not_reached"[^>]*formnovalidate', html)
    _no_inline_code(html)


def test_recording_a_dissatisfied_call_from_the_page_reopens_the_ticket(client, bob_followup, cora, tom):
    client.force_login(cora)
    response = client.post(
        f"/followups/{bob_followup.pk}/record/",
        {
            "outcome": "reached",
            "satisfaction": "1",
            "fix": "no",
            "comment": "It still beeps",
            "expected_version": bob_followup.version,
            "next": "/followups/",
        },
    )
    assert response.status_code == 302 and response["Location"] == "/followups/"
    ticket = Ticket.objects.get(pk=bob_followup.ticket_id)
    assert ticket.status == S.IN_PROGRESS and ticket.assignee == tom
    page = client.get(response["Location"])
    assert "the ticket is reopened" in page.content.decode()
    assert page.context["work"].total == 0


def test_not_reached_from_the_page_needs_no_rating(client, bob_followup, cora):
    client.force_login(cora)
    response = client.post(f"/followups/{bob_followup.pk}/record/", {"outcome": "not_reached", "satisfaction": ""})
    assert response.status_code == 302
    assert bob_followup.attempts.filter(reached=False).count() == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"outcome": "reached", "satisfaction": "", "fix": "yes"}, "Ask the user how satisfied they are"),
        ({"outcome": "reached", "satisfaction": "6", "fix": "yes"}, "Satisfaction is a number from 1"),
        ({"outcome": "reached", "satisfaction": "4"}, "Say whether the fix holds."),
    ],
)
def test_a_bad_recording_is_shown_again_with_the_reason(client, bob_followup, cora, data, message):
    client.force_login(cora)
    response = client.post(f"/followups/{bob_followup.pk}/record/", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert bob_followup.attempts.count() == 0


def test_recording_a_finished_followup_from_the_page_says_so(client, bob_followup, cora):
    from tickets import followups

    followups.followup_record(followup=bob_followup, actor=cora, reached=True, satisfaction=5, fix_confirmed=True)
    client.force_login(cora)
    response = client.post(
        f"/followups/{bob_followup.pk}/record/", {"outcome": "reached", "satisfaction": "1", "fix": "no"}, follow=True
    )
    assert "already done" in response.content.decode()
    assert bob_followup.attempts.count() == 1


def test_the_worklist_costs_the_same_number_of_queries_for_any_number_of_rows(
    client, make_followups, cora, django_assert_num_queries
):
    make_followups(2)
    client.force_login(cora)
    client.get(WORKLIST)

    # session, user, the user's roles, today's and overdue follow-ups, upcoming follow-ups, unread notifications
    with django_assert_num_queries(6):
        assert client.get(WORKLIST).status_code == 200
    make_followups(10)
    with django_assert_num_queries(6):
        response = client.get(WORKLIST)
    assert response.context["work"].total == 12


def test_supervisors_see_complaint_figures_per_team(client, sam, cora, alice, desktop, bob):
    from tickets import complaints, services

    complaints.complaint_register(
        actor=alice,
        about="group",
        group=desktop,
        data=services.TicketInput(type="complaint", title="Rude on the phone", requester=bob),
    )
    client.force_login(sam)
    response = client.get("/followups/complaints/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Desktop support" in html and "Rude on the phone" in html
    assert response.context["teams"][0].total == 1
    _no_inline_code(html)
    client.force_login(cora)
    assert client.get("/followups/complaints/").status_code == 403


def test_a_callback_agent_starts_the_day_on_the_callback_list(client, cora, alice):
    client.force_login(cora)
    assert client.get("/")["Location"] == WORKLIST
    page = client.get(WORKLIST).content.decode()
    assert f'<a href="{WORKLIST}" aria-current="page">Callbacks</a>' in page
    client.force_login(alice)
    assert client.get("/")["Location"] != WORKLIST  # the desk starts on its queue, with the link in the menu
    assert f'href="{WORKLIST}"' in client.get("/desk/").content.decode()
