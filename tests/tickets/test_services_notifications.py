"""Who hears about what, and when: only after the change commits, once per event and recipient however often
delivery runs, never the person who did it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

from servicedesk.models import Notification
from tests.tickets.ticket_flows import to_status
from tickets import notifications, services
from tickets.models import Ticket, TicketEvent

S = Ticket.Status
E = TicketEvent.Kind


def _mail_to(outbox, user) -> list:
    return [m for m in outbox if m.to == [user.email]]


def test_the_requester_is_acknowledged_after_intake_commits(
    make_ticket, alice, bob, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        ticket = make_ticket(bob, actor=alice)
        assert mailoutbox == []  # nothing leaves before the transaction commits

    mails = _mail_to(mailoutbox, bob)
    assert len(mails) == 1
    assert ticket.number in mails[0].subject
    assert ticket.title in mails[0].body
    note = Notification.objects.get(recipient=bob)
    assert note.verb == "acknowledged"
    assert note.emailed_at is not None
    assert note.url.endswith(f"/tickets/{ticket.number}/")
    assert _mail_to(mailoutbox, alice) == []


def test_a_requester_filing_themselves_is_acknowledged_too(bob, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_create(actor=bob, data=services.TicketInput(type="request", title="New monitor"))

    assert len(_mail_to(mailoutbox, bob)) == 1


def test_a_rolled_back_intake_tells_nobody(alice, bob, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.ticket_create(actor=alice, data=services.TicketInput(type="incident", title="x", requester=bob))

    # The callbacks were scheduled; never run (as if the transaction had rolled back), they sent nothing.
    assert callbacks
    assert mailoutbox == []
    assert not Notification.objects.exists()


def test_the_assignee_is_told_on_assignment(
    bob_ticket, alice, tom, desktop, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_assign(ticket=bob_ticket, actor=alice, group=desktop, assignee=tom)

    mails = _mail_to(mailoutbox, tom)
    assert len(mails) == 1
    assert bob_ticket.number in mails[0].subject
    assert Notification.objects.get(recipient=tom).verb == "assigned"


def test_urgent_work_for_a_group_is_announced_to_its_members(
    make_ticket, alice, bob, tom, tina, lena, desktop, mailoutbox, django_capture_on_commit_callbacks
):
    ticket = make_ticket(bob, impact=1, urgency=1)

    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_assign(ticket=ticket, actor=alice, group=desktop)

    assert {m.to[0] for m in mailoutbox} == {tom.email, tina.email, lena.email}
    assert set(Notification.objects.values_list("verb", flat=True)) == {"group_assigned"}


def test_routine_work_for_a_group_is_not_broadcast(
    bob_ticket, alice, desktop, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_assign(ticket=bob_ticket, actor=alice, group=desktop)

    assert mailoutbox == []


def test_the_requester_is_told_on_resolution(
    bob_ticket, alice, bob, tom, desktop, mailoutbox, django_capture_on_commit_callbacks
):
    to_status(bob_ticket, S.IN_PROGRESS, desk=alice, assignee=tom, group=desktop)
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_resolve(ticket=bob_ticket, actor=tom, resolution="Replaced the power supply")

    mails = _mail_to(mailoutbox, bob)
    assert len(mails) == 1
    assert bob_ticket.number in mails[0].subject
    assert "Replaced the power supply" in mails[0].body
    assert Notification.objects.filter(recipient=bob, verb="status_resolved").count() == 1


def test_nobody_is_told_what_they_just_did(bob_ticket, bob, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_create(ticket=bob_ticket, actor=bob, body="Any news?")
        services.ticket_cancel(ticket=bob_ticket, actor=bob, reason="Fixed itself")

    assert mailoutbox == []


def test_an_internal_note_tells_the_requester_nothing(
    bob_ticket, alice, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_create(ticket=bob_ticket, actor=alice, body="User seems confused", internal=True)

    assert mailoutbox == []


def test_a_public_reply_reaches_the_requester_with_its_text(
    bob_ticket, alice, bob, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.comment_create(ticket=bob_ticket, actor=alice, body="Please restart and tell us")

    assert [m.to for m in mailoutbox] == [[bob.email]]
    assert "Please restart and tell us" in mailoutbox[0].body


def test_running_delivery_twice_sends_once(bob_ticket, bob, mailoutbox):
    event = bob_ticket.events.get(kind=E.CREATED)

    notifications.deliver_event(event_id=event.pk)
    notifications.deliver_event(event_id=event.pk)

    assert len(_mail_to(mailoutbox, bob)) == 1
    assert Notification.objects.filter(recipient=bob).count() == 1


def test_delivering_a_vanished_event_does_nothing(db, mailoutbox):
    assert notifications.deliver_event(event_id=999999) == 0
    assert mailoutbox == []


def test_a_recipient_without_email_gets_the_in_app_notification_only(
    make_ticket, alice, carol, mailoutbox, django_capture_on_commit_callbacks
):
    carol.email = ""
    carol.save(update_fields=["email"])

    with django_capture_on_commit_callbacks(execute=True):
        make_ticket(carol)

    assert mailoutbox == []
    assert Notification.objects.filter(recipient=carol, emailed_at__isnull=True).count() == 1


def test_a_failed_email_is_sent_by_the_retry(bob_ticket, bob, mailoutbox, monkeypatch):
    event = bob_ticket.events.get(kind=E.CREATED)

    def broken(*args, **kwargs):
        raise ConnectionError("mail server down")

    monkeypatch.setattr("servicedesk.notifications.send_mail", broken)
    with pytest.raises(ConnectionError):
        notifications.deliver_event(event_id=event.pk)
    assert Notification.objects.get(recipient=bob).emailed_at is None  # un-claimed for the retry

    monkeypatch.undo()
    notifications.deliver_event(event_id=event.pk)

    assert len(_mail_to(mailoutbox, bob)) == 1
    assert Notification.objects.get(recipient=bob).emailed_at is not None


@pytest.mark.parametrize("step", ["created", "resolved", "pending", "commented"])
def test_every_message_is_worded_in_the_recipients_language(
    make_ticket, alice, bob, tom, desktop, mailoutbox, monkeypatch, django_capture_on_commit_callbacks, step
):
    # Tag each translated string with the language active when it was looked up: it must be bob's.
    monkeypatch.setattr(notifications, "_", lambda message: f"[{translation.get_language()}]{message}")
    bob.language = "zh-hans"
    bob.save(update_fields=["language"])
    ticket = make_ticket(bob) if step != "created" else None
    if step == "pending":
        to_status(ticket, S.IN_PROGRESS, desk=alice, assignee=tom, group=desktop)
    mailoutbox.clear()

    with translation.override("en"), django_capture_on_commit_callbacks(execute=True):
        if step == "created":
            make_ticket(bob)
        elif step == "resolved":
            services.ticket_resolve(ticket=ticket, actor=alice, resolution="Done")
        elif step == "pending":
            services.ticket_pend(ticket=ticket, actor=tom, reason="Which room?")
        else:
            services.comment_create(ticket=ticket, actor=alice, body="Hello")

    mails = _mail_to(mailoutbox, bob)
    assert len(mails) == 1
    assert mails[0].subject.startswith("[zh-hans]"), mails[0].subject


@pytest.mark.skipif(
    not (Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.mo").exists(),
    reason="the zh_Hans catalogue is not compiled yet",
)
def test_emails_are_written_in_the_recipients_language(
    bob_ticket, alice, bob, mailoutbox, django_capture_on_commit_callbacks
):
    bob.language = "zh-hans"
    bob.save(update_fields=["language"])

    with django_capture_on_commit_callbacks(execute=True):
        services.ticket_resolve(ticket=bob_ticket, actor=alice, resolution="已更换电源")

    assert re.search(r"[\u4e00-\u9fff]", mailoutbox[0].subject.replace("已更换电源", ""))
