"""Email delivery of a published notice: to its audience only, in batches, each recipient with its own status;
one failing address does not stop the others, and "resend" sends only the failures. Publishing twice at once
publishes once and sends once."""

from __future__ import annotations

import threading

import pytest
from django.core import mail
from django.db import connection

from notices import selectors, services
from notices.models import Notice, NoticeDelivery, NoticeEvent
from servicedesk.errors import InvalidTransition, NotAllowed
from tests.conftest import make_user

D = NoticeDelivery.Status


@pytest.fixture
def readers(db, dept, bob, carol, vera):
    """bob (Finance), carol and vera (no department), and three more Finance people."""
    return [bob, carol, vera] + [make_user(f"fin{i}", department=dept) for i in range(3)]


def notice_mails() -> list:
    """The notice emails in the outbox (the workflow's own notifications to the team are emails too)."""
    return [m for m in mail.outbox if "X-Service-Desk-Notice" in m.extra_headers]


def recipients_of(notice: Notice) -> set[str]:
    return set(NoticeDelivery.objects.filter(notice=notice).values_list("recipient__username", flat=True))


def test_a_notice_for_everyone_is_emailed_to_every_active_person_with_an_address(
    approved, alice, readers, tom, django_capture_on_commit_callbacks
):
    make_user("nomail", email="")
    gone = make_user("gone")
    gone.is_active = False
    gone.save(update_fields=["is_active"])
    notice = approved()
    with django_capture_on_commit_callbacks(execute=True):
        services.notice_publish(notice=notice, actor=alice)
    names = recipients_of(notice)
    assert {"bob", "carol", "vera", "fin0", "tom", "tina", "lena", "alice"} <= names
    assert "nomail" not in names and "gone" not in names
    assert NoticeDelivery.objects.filter(notice=notice).exclude(status=D.SENT).count() == 0
    assert len(notice_mails()) == len(names)
    message = next(m for m in notice_mails() if m.to == ["bob@example.com"])
    assert "Mail server upgrade" in message.subject
    assert f"/notices/{notice.pk}/" in message.body
    assert "<strong>mail server</strong>" in message.alternatives[0][0]
    assert NoticeEvent.objects.get(notice=notice, kind="delivery_started").data == {"recipients": len(names)}


def test_a_department_notice_goes_only_to_that_department(
    approved, alice, readers, dept, django_capture_on_commit_callbacks
):
    notice = approved(audience_departments=[dept])
    with django_capture_on_commit_callbacks(execute=True):
        services.notice_publish(notice=notice, actor=alice)
    assert recipients_of(notice) == {"bob", "fin0", "fin1", "fin2"}
    assert sorted(m.to[0] for m in notice_mails()) == [
        "bob@example.com",
        "fin0@example.com",
        "fin1@example.com",
        "fin2@example.com",
    ]


def test_a_role_notice_goes_to_holders_of_the_role_or_the_department(
    approved, alice, readers, dept, django_capture_on_commit_callbacks
):
    notice = approved(audience_roles=["technician"], audience_departments=[dept])
    with django_capture_on_commit_callbacks(execute=True):
        services.notice_publish(notice=notice, actor=alice)
    assert recipients_of(notice) == {"tom", "tina", "lena", "bob", "fin0", "fin1", "fin2"}


def test_batches_with_a_failing_recipient_then_resend_only_the_failures(
    approved, alice, readers, dept, settings, monkeypatch, django_capture_on_commit_callbacks
):
    settings.NOTICE_EMAIL_BATCH_SIZE = 2
    real_send = services.send_notice_email
    broken = {"fin1@example.com"}
    batches: list[list[int]] = []

    def flaky_send(notice, recipient, email, connection=None):
        if email in broken:
            raise ConnectionRefusedError("550 mailbox unavailable")
        return real_send(notice, recipient, email, connection)

    real_batch = services.notice_send_batch

    def counting_batch(*, notice_id, delivery_ids):
        batches.append(list(delivery_ids))
        return real_batch(notice_id=notice_id, delivery_ids=delivery_ids)

    monkeypatch.setattr(services, "send_notice_email", flaky_send)
    monkeypatch.setattr(services, "notice_send_batch", counting_batch)
    notice = approved(audience_departments=[dept])
    with django_capture_on_commit_callbacks(execute=True):
        services.notice_publish(notice=notice, actor=alice)

    assert [len(b) for b in batches] == [2, 2]  # four recipients, two per task
    rows = {d.email: d for d in NoticeDelivery.objects.filter(notice=notice)}
    assert rows["fin1@example.com"].status == D.FAILED
    assert "550 mailbox unavailable" in rows["fin1@example.com"].last_error
    assert {e for e, d in rows.items() if d.status == D.SENT} == {
        "bob@example.com",
        "fin0@example.com",
        "fin2@example.com",
    }
    progress = selectors.delivery_progress(notice)
    assert progress == {
        "total": 4,
        "pending": 0,
        "sending": 0,
        "sent": 3,
        "failed": 1,
        "done_percent": 100,
    }
    assert len(notice_mails()) == 3

    broken.clear()  # the mailbox is back
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        queued = services.notice_resend_failures(notice=notice, actor=alice)
    assert queued == 1
    assert [m.to for m in notice_mails()] == [["fin1@example.com"]]  # only the failure, nobody twice
    fin1 = NoticeDelivery.objects.get(notice=notice, email="fin1@example.com")
    assert fin1.status == D.SENT and fin1.attempts == 2 and fin1.last_error == ""
    assert NoticeEvent.objects.get(notice=notice, kind="resent").data == {"count": 1}
    assert services.notice_resend_failures(notice=notice, actor=alice) == 0


def test_resend_is_for_the_team_and_the_desk_only(published, bob, nick):
    notice = published()
    for outsider in (bob, nick):
        with pytest.raises(NotAllowed):
            services.notice_resend_failures(notice=notice, actor=outsider)


def test_a_rerun_of_the_delivery_sends_nothing_twice(published, readers, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        notice = published()
    sent = len(notice_mails())
    assert sent > 0
    services.notice_delivery_start(notice_id=notice.pk)  # e.g. the task redelivered after a worker crash
    ids = list(NoticeDelivery.objects.filter(notice=notice).values_list("pk", flat=True))
    services.notice_send_batch(notice_id=notice.pk, delivery_ids=ids)
    assert len(notice_mails()) == sent
    assert NoticeDelivery.objects.filter(notice=notice).count() == sent
    assert NoticeEvent.objects.filter(notice=notice, kind="delivery_started").count() == 1


def test_emails_not_yet_sent_are_not_sent_once_the_notice_is_withdrawn(published, alice, readers):
    notice = published()  # published, but its delivery task has not run (on_commit not executed)
    services.notice_withdraw(notice=notice, actor=alice)
    assert services.notice_delivery_start(notice_id=notice.pk) == 0
    assert notice_mails() == []


@pytest.mark.django_db(transaction=True)
def test_publishing_twice_at_once_publishes_once_and_sends_once(desktop, tom, lena, alice, sam, bob, carol, dept):
    """Two publishers press the button at the same moment: the row lock lets one through; the other gets a 409."""
    notice = services.notice_create(
        actor=tom,
        data=services.NoticeInput(
            type="general", title="New VPN client", body="Install it by Friday.", owner_group=desktop
        ),
    )
    services.notice_submit(notice=notice, actor=tom)
    services.notice_approve(notice=notice, actor=lena)
    barrier = threading.Barrier(2)
    results: list[str] = []

    def publish(actor):
        try:
            barrier.wait(timeout=10)
            services.notice_publish(notice=notice, actor=actor)
            results.append("published")
        except InvalidTransition:
            results.append("409")
        finally:
            connection.close()

    threads = [threading.Thread(target=publish, args=(who,)) for who in (alice, sam)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(results) == ["409", "published"]
    assert NoticeEvent.objects.filter(notice=notice, kind="published").count() == 1
    # Both publishers' after-commit work would plan the emails: unique rows make the second plan a no-op.
    services.notice_delivery_start(notice_id=notice.pk)
    total = NoticeDelivery.objects.filter(notice=notice).count()
    assert total == NoticeDelivery.objects.filter(notice=notice).values("recipient").distinct().count()
    assert len({tuple(m.to) for m in notice_mails()}) == len(notice_mails()) == total
