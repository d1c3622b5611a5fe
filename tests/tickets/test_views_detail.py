"""The ticket page: visibility, the timeline, actions offered exactly as the rules allow, PRG actions with
translated messages, comments, uploads and downloads."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils.html import escape

from tickets import rules, services
from tickets.models import Attachment, Comment, Ticket

pytestmark = pytest.mark.django_db

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\x9cc\xf8\x0f\x00\x00\x01\x01\x00\x05\x18\xd8N\x00\x00\x00\x00IEND\xaeB`\x82"
)


@pytest.fixture(autouse=True)
def _uploads_in_tmp(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": tmp_path}},
    }


def page(client, user, ticket):
    client.force_login(user)
    return client.get(f"/tickets/{ticket.number}/")


def offered(html: str) -> set[str]:
    return set(re.findall(r'data-action="([a-z_]+)"', html))


def messages_of(response) -> list[str]:
    return [str(m) for m in response.wsgi_request._messages]


# --- visibility -------------------------------------------------------------------------------------


def test_requester_sees_their_ticket(client, bob, bob_ticket):
    response = page(client, bob, bob_ticket)
    assert response.status_code == 200
    assert escape(bob_ticket.title) in response.content.decode()


def test_someone_elses_ticket_is_not_found(client, bob, carol_ticket):
    assert page(client, bob, carol_ticket).status_code == 404
    for action in ("accept", "cancel", "reopen"):
        response = client.post(f"/tickets/{carol_ticket.number}/{action}/", {"expected_version": 1, "reason": "x"})
        assert response.status_code == 404
    assert client.post(f"/tickets/{carol_ticket.number}/comment/", {"body": "hi"}).status_code == 404
    assert not Comment.objects.exists()


def test_someone_elses_attachment_is_not_found(client, bob, carol, carol_ticket, bob_ticket):
    attachment = services.attachment_add(
        ticket=carol_ticket, actor=carol, upload=SimpleUploadedFile("shot.png", PNG, content_type="image/png")
    )
    client.force_login(bob)
    assert client.get(f"/tickets/{carol_ticket.number}/attachments/{attachment.pk}/").status_code == 404
    # Nor through his own ticket's URL.
    assert client.get(f"/tickets/{bob_ticket.number}/attachments/{attachment.pk}/").status_code == 404
    client.force_login(carol)
    response = client.get(f"/tickets/{carol_ticket.number}/attachments/{attachment.pk}/")
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content) == PNG


def test_technician_outside_the_group_gets_404(client, nick, bob_ticket, alice, desktop):
    services.ticket_assign(ticket=bob_ticket, actor=alice, group=desktop)
    assert page(client, nick, bob_ticket).status_code == 404


def test_unknown_action_is_404(client, alice, bob_ticket):
    client.force_login(alice)
    assert client.post(f"/tickets/{bob_ticket.number}/explode/", {"expected_version": 1}).status_code == 404


def test_internal_attachment_cannot_be_downloaded_by_the_requester(client, alice, bob, bob_ticket):
    attachment = services.attachment_add(
        ticket=bob_ticket,
        actor=alice,
        upload=SimpleUploadedFile("notes.png", PNG, content_type="image/png"),
        internal=True,
    )
    client.force_login(bob)
    assert client.get(f"/tickets/{bob_ticket.number}/attachments/{attachment.pk}/").status_code == 404
    client.force_login(alice)
    assert client.get(f"/tickets/{bob_ticket.number}/attachments/{attachment.pk}/").status_code == 200


def test_sla_badges_are_shown_to_staff(client, monkeypatch, alice, bob, bob_ticket):
    targets = [
        {"metric": "response", "due_at": None, "state": "met", "remaining_seconds": 100},
        {"metric": "resolution", "due_at": None, "state": "breached", "remaining_seconds": -5400},
    ]
    monkeypatch.setattr("sla.selectors.sla_targets", lambda ticket: targets)
    html = page(client, alice, bob_ticket).content.decode()
    assert '<span class="badge sla-met"' in html
    assert "Resolution: breached · 1 h 30 min over" in html
    assert "sla-breached" not in page(client, bob, bob_ticket).content.decode()


# --- timeline -----------------------------------------------------------------------------------------


def test_internal_notes_never_reach_the_requester(client, alice, bob, bob_ticket, desktop):
    services.comment_create(ticket=bob_ticket, actor=alice, body="Public: we are on it")
    services.comment_create(ticket=bob_ticket, actor=alice, body="SECRET: user broke it himself", internal=True)
    services.attachment_add(
        ticket=bob_ticket,
        actor=alice,
        upload=SimpleUploadedFile("internal-shot.png", PNG, content_type="image/png"),
        internal=True,
    )
    bob_html = page(client, bob, bob_ticket).content.decode()
    assert "Public: we are on it" in bob_html
    assert "SECRET" not in bob_html
    assert "internal-shot.png" not in bob_html
    assert "Internal note" not in bob_html
    assert 'name="internal"' not in bob_html

    alice_html = page(client, alice, bob_ticket).content.decode()
    assert "SECRET: user broke it himself" in alice_html
    assert "internal-shot.png" in alice_html
    assert re.search(r'class="tl-comment internal"', alice_html)
    assert 'name="internal"' in alice_html


def test_timeline_merges_events_and_comments_in_order(client, alice, bob, bob_ticket, desktop, tom):
    services.ticket_assign(ticket=bob_ticket, actor=alice, group=desktop, assignee=tom)
    services.comment_create(ticket=bob_ticket, actor=bob, body="Any news?")
    services.ticket_accept(ticket=bob_ticket, actor=tom)
    html = page(client, bob, bob_ticket).content.decode()
    reported = html.index("Reported via Phone")
    assigned = html.index("Assigned to Tom Tech (Desktop support)")
    comment = html.index("Any news?")
    accepted = html.index("Status: Assigned → In progress")
    assert reported < assigned < comment < accepted


def test_resolution_is_shown_prominently_with_reopen_for_the_requester(client, alice, bob, bob_ticket):
    services.ticket_resolve(ticket=bob_ticket, actor=alice, resolution="Replaced the power supply")
    html = page(client, bob, bob_ticket).content.decode()
    box = html[html.index('class="resolution-box"') :]
    box = box[: box.index("</article>")]
    assert "Replaced the power supply" in box
    assert 'data-action="reopen"' in box
    assert offered(html) == {"reopen"}  # close is the desk's


# --- actions offered ------------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["alice", "bob", "tom", "tina", "lena", "sam", "carol"])
@pytest.mark.parametrize(
    "state", ["new", "assigned", "assigned_to_tom", "in_progress", "pending", "resolved", "closed"]
)
def test_actions_offered_match_the_rules(client, request, alice, bob, desktop, make_ticket, tom, who, state):
    ticket = make_ticket(bob)
    if state == "assigned":
        ticket = services.ticket_assign(ticket=ticket, actor=alice, group=desktop)
    elif state != "new":
        ticket = services.ticket_assign(ticket=ticket, actor=alice, group=desktop, assignee=tom)
        if state in ("in_progress", "pending", "resolved", "closed"):
            ticket = services.ticket_accept(ticket=ticket, actor=tom)
        if state == "pending":
            ticket = services.ticket_pend(ticket=ticket, actor=tom, reason="Waiting for the user")
        if state in ("resolved", "closed"):
            ticket = services.ticket_resolve(ticket=ticket, actor=tom, resolution="Fixed")
        if state == "closed":
            ticket = services.ticket_close(ticket=ticket, actor=alice)
    user = request.getfixturevalue(who)
    response = page(client, user, ticket)
    if who == "carol":
        assert response.status_code == 404
        return
    ticket = Ticket.objects.select_related("group").get(pk=ticket.pk)
    assert offered(response.content.decode()) == set(rules.available_actions(user, ticket))


def test_each_action_form_posts_the_version(client, alice, bob_ticket):
    html = page(client, alice, bob_ticket).content.decode()
    forms = re.findall(r'<form method="post" action="/tickets/[^"]+/[a-z-]+/" data-action=.*?</form>', html, re.S)
    assert forms
    for form in forms:
        assert f'name="expected_version" value="{bob_ticket.version}"' in form


# --- performing actions -------------------------------------------------------------------------------


def test_assign_then_success_message_and_redirect(client, alice, bob_ticket, desktop, tom):
    client.force_login(alice)
    response = client.post(
        f"/tickets/{bob_ticket.number}/assign/",
        {"expected_version": bob_ticket.version, "group": desktop.pk, "assignee": tom.pk},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == f"/tickets/{bob_ticket.number}/"
    assert "assigned to Tom Tech (Desktop support)" in response.content.decode()
    bob_ticket.refresh_from_db()
    assert (bob_ticket.status, bob_ticket.group, bob_ticket.assignee) == ("assigned", desktop, tom)


def test_assign_by_category_and_automatically(client, alice, bob, make_ticket, hardware, desktop):
    ticket = make_ticket(bob, category=hardware)
    client.force_login(alice)
    client.post(
        f"/tickets/{ticket.number}/assign/", {"expected_version": ticket.version, "group": "", "assignee": "auto"}
    )
    ticket.refresh_from_db()
    assert ticket.group == desktop
    assert ticket.assignee is not None


def test_assign_without_a_group_or_category_shows_the_service_message(client, alice, bob_ticket):
    client.force_login(alice)
    response = client.post(
        f"/tickets/{bob_ticket.number}/assign/", {"expected_version": bob_ticket.version, "group": ""}, follow=True
    )
    assert escape("this ticket's category has no default group") in response.content.decode()
    bob_ticket.refresh_from_db()
    assert bob_ticket.status == "new"


def test_a_stale_page_is_told_someone_else_changed_the_ticket(client, alice, sam, bob_ticket, desktop):
    stale_version = bob_ticket.version
    services.ticket_assign(ticket=bob_ticket, actor=sam, group=desktop)
    client.force_login(alice)
    response = client.post(
        f"/tickets/{bob_ticket.number}/resolve/",
        {"expected_version": stale_version, "resolution": "Done"},
        follow=True,
    )
    assert "was changed by someone else" in response.content.decode()
    bob_ticket.refresh_from_db()
    assert bob_ticket.status == "assigned"


def test_refused_action_shows_a_message_and_changes_nothing(client, bob, bob_ticket):
    client.force_login(bob)
    response = client.post(
        f"/tickets/{bob_ticket.number}/resolve/", {"expected_version": bob_ticket.version, "resolution": "x"}
    )
    assert response.status_code == 302
    assert messages_of(response) == ["You are not allowed to do this."]
    bob_ticket.refresh_from_db()
    assert bob_ticket.status == "new"


def test_missing_reason_is_reported(client, alice, bob_ticket):
    client.force_login(alice)
    response = client.post(f"/tickets/{bob_ticket.number}/cancel/", {"expected_version": bob_ticket.version})
    assert response.status_code == 302
    assert messages_of(response) == ["Reason: This field is required."]
    bob_ticket.refresh_from_db()
    assert bob_ticket.status == "new"


def test_requester_withdraws_their_new_report(client, bob, bob_ticket):
    html = page(client, bob, bob_ticket).content.decode()
    assert offered(html) == {"cancel"}
    assert "data-confirm=" in html[html.index('data-action="cancel"') :]
    client.post(
        f"/tickets/{bob_ticket.number}/cancel/", {"expected_version": bob_ticket.version, "reason": "Works now"}
    )
    bob_ticket.refresh_from_db()
    assert bob_ticket.status == "cancelled"


def test_pend_resume_close(client, alice, tom, bob_ticket, desktop):
    t = services.ticket_assign(ticket=bob_ticket, actor=alice, group=desktop, assignee=tom)
    t = services.ticket_accept(ticket=t, actor=tom)
    client.force_login(tom)
    client.post(f"/tickets/{t.number}/pend/", {"expected_version": t.version, "reason": "Need the asset tag"})
    t.refresh_from_db()
    assert (t.status, t.pending_reason) == ("pending", "Need the asset tag")
    client.post(f"/tickets/{t.number}/resume/", {"expected_version": t.version})
    t.refresh_from_db()
    assert t.status == "in_progress"
    client.post(f"/tickets/{t.number}/resolve/", {"expected_version": t.version, "resolution": "Swapped"})
    t.refresh_from_db()
    assert t.status == "resolved"
    client.force_login(alice)
    client.post(f"/tickets/{t.number}/close/", {"expected_version": t.version})
    t.refresh_from_db()
    assert t.status == "closed"


def test_mark_duplicate(client, alice, bob, carol, make_ticket):
    original = make_ticket(carol, title="Printer broken")
    dup = make_ticket(bob, title="Printer broken again")
    client.force_login(alice)
    response = client.post(
        f"/tickets/{dup.number}/mark-duplicate/",
        {"expected_version": dup.version, "duplicate_of": original.number.lower()},
    )
    assert response.status_code == 302
    dup.refresh_from_db()
    assert (dup.status, dup.duplicate_of) == ("cancelled", original)
    other = make_ticket(bob)
    client.post(
        f"/tickets/{other.number}/mark-duplicate/", {"expected_version": other.version, "duplicate_of": "NOPE-1"}
    )
    other.refresh_from_db()
    assert other.status == "new"


def test_lead_who_dispatches_away_is_not_sent_to_a_404(client, alice, lena, bob_ticket, desktop, network):
    t = services.ticket_assign(ticket=bob_ticket, actor=alice, group=desktop)
    client.force_login(lena)
    response = client.post(f"/tickets/{t.number}/assign/", {"expected_version": t.version, "group": network.pk})
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_next_must_stay_on_this_site(client, alice, tom, bob_ticket, desktop):
    t = services.ticket_assign(ticket=bob_ticket, actor=alice, group=desktop)
    client.force_login(tom)
    response = client.post(
        f"/tickets/{t.number}/accept/", {"expected_version": t.version, "next": "https://evil.example/"}
    )
    assert response["Location"] == f"/tickets/{t.number}/"


# --- comments and uploads -----------------------------------------------------------------------------


def test_requester_comments_publicly(client, bob, bob_ticket):
    client.force_login(bob)
    response = client.post(f"/tickets/{bob_ticket.number}/comment/", {"body": "It beeps three times"})
    assert response.status_code == 302
    comment = Comment.objects.get()
    assert response["Location"] == f"/tickets/{bob_ticket.number}/#comment-{comment.pk}"
    assert (comment.author, comment.internal) == (bob, False)


def test_requester_cannot_post_an_internal_note(client, bob, bob_ticket):
    client.force_login(bob)
    response = client.post(f"/tickets/{bob_ticket.number}/comment/", {"body": "psst", "internal": "on"})
    assert response.status_code == 302
    assert messages_of(response) == ["Only support staff can write internal notes."]
    assert not Comment.objects.exists()


def test_empty_comment_keeps_the_page_and_saves_nothing(client, alice, bob_ticket):
    client.force_login(alice)
    response = client.post(f"/tickets/{bob_ticket.number}/comment/", {"body": "   "})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    assert not Comment.objects.exists()


def test_agent_writes_an_internal_note(client, alice, bob_ticket):
    client.force_login(alice)
    client.post(f"/tickets/{bob_ticket.number}/comment/", {"body": "Call back after 3pm", "internal": "on"})
    assert Comment.objects.get().internal is True


def test_upload_and_download(client, bob, bob_ticket):
    client.force_login(bob)
    response = client.post(
        f"/tickets/{bob_ticket.number}/upload/",
        {"file": SimpleUploadedFile("screen.png", PNG, content_type="image/png")},
        follow=True,
    )
    assert "screen.png attached." in response.content.decode()
    attachment = Attachment.objects.get()
    assert f"/tickets/{bob_ticket.number}/attachments/{attachment.pk}/" in response.content.decode()


@pytest.mark.parametrize(
    ("name", "body"),
    [
        ("page.html", b"<!doctype html><html><script>alert(1)</script></html>"),
        ("logo.svg", b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
        ("notes.txt", b"<html><body>sneaky</body></html>"),
    ],
)
def test_markup_uploads_are_refused_with_a_message(client, bob, bob_ticket, name, body):
    client.force_login(bob)
    response = client.post(
        f"/tickets/{bob_ticket.number}/upload/", {"file": SimpleUploadedFile(name, body, content_type="text/plain")}
    )
    assert response.status_code == 302
    assert messages_of(response) == [
        "This type of file is not accepted. Send images, PDF, Office documents, plain text, logs or zip archives."
    ]
    assert not Attachment.objects.exists()


def test_upload_without_a_file_is_reported(client, bob, bob_ticket):
    client.force_login(bob)
    response = client.post(f"/tickets/{bob_ticket.number}/upload/", {})
    assert messages_of(response) == ["File: This field is required."]


def test_closed_ticket_offers_no_comment_box_to_the_requester(client, alice, bob, bob_ticket):
    services.ticket_cancel(ticket=bob_ticket, actor=alice, reason="Duplicate call")
    html = page(client, bob, bob_ticket).content.decode()
    assert f"/tickets/{bob_ticket.number}/comment/" not in html
    assert "submit a new report" in html
    client.force_login(bob)
    response = client.post(f"/tickets/{bob_ticket.number}/comment/", {"body": "hello?"})
    assert messages_of(response) == ["This ticket is closed. Please submit a new report."]
    assert not Comment.objects.exists()
