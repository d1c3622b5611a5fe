"""SLA badges in the queues and on the ticket page; the queue's SLA filter."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from sla.models import Clock, Policy
from sla.services import sla_sweep
from tickets import services


def _breach(ticket) -> None:
    Clock.objects.filter(ticket=ticket, metric="response").update(
        next_check_at=timezone.now() - timedelta(minutes=1),
        warn_at=timezone.now() - timedelta(minutes=2),
        due_at=timezone.now() - timedelta(minutes=1),
    )
    sla_sweep()


def test_queue_shows_each_tickets_most_urgent_target_and_filters_by_sla(client, alice, bob, make_ticket):
    late = make_ticket(bob, title="Late one")
    fine = make_ticket(bob, title="Fine one")
    _breach(late)
    client.force_login(alice)
    page = client.get("/desk/?queue=open").content.decode()
    assert "sla-breached" in page and "sla-running" in page
    breached = client.get("/desk/?queue=open&sla=breached")
    numbers = [t.number for t in breached.context["page"].object_list]
    assert numbers == [late.number]
    assert fine.number not in numbers


def test_my_work_cards_carry_sla_badges(client, alice, bob, tom, desktop, make_ticket):
    ticket = make_ticket(bob)
    services.ticket_assign(ticket=ticket, actor=alice, group=desktop, assignee=tom)
    _breach(ticket)
    client.force_login(tom)
    assert "sla-breached" in client.get("/work/").content.decode()


def test_ticket_page_shows_a_policy_gap_to_staff_only(client, alice, bob, make_ticket):
    Policy.objects.update(is_active=False)
    ticket = make_ticket(bob)
    client.force_login(alice)
    assert "No SLA policy matches this ticket" in client.get(f"/tickets/{ticket.number}/").content.decode()
    client.force_login(bob)
    assert "No SLA policy" not in client.get(f"/tickets/{ticket.number}/").content.decode()


def test_queue_counts_at_most_the_cap_and_says_so(client, alice, bob, make_ticket, monkeypatch):
    from tickets.views import CappedPaginator

    monkeypatch.setattr(CappedPaginator, "cap", 3)
    for i in range(5):
        make_ticket(bob, title=f"Capped {i}")
    client.force_login(alice)
    response = client.get("/desk/?queue=all")
    assert response.context["page"].paginator.count == 3
    assert "More than 3 tickets" in response.content.decode()
