"""`manage.py load_demo` fills a believable desk once: every state, every role, a history in the past, written
through the services; a second run changes nothing; `--print-logins` only prints."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.db.models import F
from django.utils import timezone

from servicedesk.management.commands.load_demo import DEMO_PASSWORD, USERS
from servicedesk.models import AuditEvent, Category, Department, Notification, Role, SupportGroup, User
from tickets.models import Comment, PriorityRule, Ticket, TicketEvent


def load(tickets: int = 40) -> str:
    out = io.StringIO()
    call_command("load_demo", tickets=tickets, stdout=out)
    return out.getvalue()


def snapshot() -> dict[str, int]:
    models = (User, Department, SupportGroup, Category, PriorityRule, Ticket, TicketEvent, Comment, AuditEvent)
    return {model.__name__: model.objects.count() for model in models}


@pytest.mark.django_db
def test_demo_has_every_status_and_a_user_for_every_role():
    load(tickets=40)

    assert Ticket.objects.count() == 40
    assert set(Ticket.objects.values_list("status", flat=True)) == set(Ticket.Status.values)
    for role in Role.values:
        assert User.objects.filter(groups__name=role).exists(), role
    admin = User.objects.get(username="admin")
    assert admin.is_superuser and admin.is_staff
    assert authenticate(username="agent", password=DEMO_PASSWORD) is not None
    assert User.objects.filter(username__startswith="user", customer_tier="vip").exists()
    assert Ticket.objects.filter(is_vip=True).exists()
    # Written through the services: numbered, audited, routed by the catalogue.
    assert not Ticket.objects.filter(events__isnull=True).exists()
    assert Ticket.objects.filter(number__regex=r"^(INC|REQ|INQ|CMP)-\d{4}-\d{6}$").count() == 40
    assert Ticket.objects.filter(first_contact_resolution=True).exists()
    assert Comment.objects.filter(internal=True).exists() and Comment.objects.filter(internal=False).exists()
    for root in Category.objects.filter(parent=None):
        assert root.default_group is not None
        assert all(child.routing_group() == root.default_group for child in root.children.all())


@pytest.mark.django_db
def test_a_second_run_changes_nothing_and_says_so():
    first = load(tickets=40)
    before = snapshot()

    second = load(tickets=40)

    assert "Tickets: 40 created" in first
    assert "nothing changed" in second
    assert snapshot() == before


@pytest.mark.django_db
def test_the_history_lies_in_the_last_60_days_in_order():
    now = timezone.now()
    load(tickets=40)
    done = timezone.now()  # the last SLA sweep runs at the real time, after the replayed history

    tickets = Ticket.objects.all()
    assert not tickets.filter(created_at__lt=now - timedelta(days=61)).exists()
    assert not tickets.filter(created_at__gt=now).exists()
    assert tickets.filter(created_at__lt=now - timedelta(days=14)).exists()  # spread out, not all today
    assert not TicketEvent.objects.filter(at__lt=F("ticket__created_at")).exists()
    assert not TicketEvent.objects.filter(at__gt=done).exists()
    assert not tickets.filter(first_response_at__lt=F("created_at")).exists()
    assert not tickets.filter(resolved_at__lt=F("created_at")).exists()
    assert not tickets.filter(closed_at__lt=F("resolved_at")).exists()
    # Numbers follow the dates.
    numbers = [int(n[-6:]) for n in tickets.order_by("created_at", "id").values_list("number", flat=True)]
    assert numbers == sorted(numbers)


@pytest.mark.django_db(transaction=True)
def test_notifications_are_delivered_after_the_commit_and_dated_like_their_events():
    now = timezone.now()
    load(tickets=12)

    notifications = Notification.objects.all()
    assert notifications.exists()
    assert not notifications.filter(created_at__gt=now).exists()
    assert notifications.filter(read_at__isnull=False).exists()  # the older ones are read
    note = notifications.filter(key__startswith="ticket-event:").first()
    event = TicketEvent.objects.get(pk=int(note.key.split(":")[1]))
    assert note.created_at == event.at


def test_print_logins_lists_every_demo_login_without_touching_the_database():
    # No django_db mark: pytest-django refuses any query here, so this proves the command makes none.
    out = io.StringIO()
    call_command("load_demo", print_logins=True, stdout=out)

    text = out.getvalue()
    for user in USERS:
        assert f" {user.username} " in text
    assert DEMO_PASSWORD in text
