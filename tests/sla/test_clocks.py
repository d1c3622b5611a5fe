"""Clocks per ticket: started at creation, paused while pending, re-targeted, met or breached."""

from __future__ import annotations

from datetime import timedelta

import time_machine

from servicedesk.models import Notification
from sla.models import Clock, Escalation
from sla.selectors import sla_targets, with_sla
from sla.services import sla_sweep
from tickets import services
from tickets.models import Ticket, TicketEvent

from .conftest import sh


def targets(ticket: Ticket) -> dict[str, dict]:
    fresh = with_sla(Ticket.objects.all()).get(pk=ticket.pk)
    return {t["metric"]: t for t in sla_targets(fresh)}


def test_new_ticket_runs_response_and_resolution_on_business_hours(policies, make_ticket, bob):
    with time_machine.travel(sh(2026, 11, 23, 11, 30), tick=False):  # Monday
        ticket = make_ticket(bob, impact=2, urgency=2)  # P3
        t = targets(ticket)
    assert ticket.priority == 3
    # 60 business minutes from 11:30: 30 min before lunch, 30 after 13:30.
    assert t["response"]["due_at"] == sh(2026, 11, 23, 14, 0)
    assert t["response"]["state"] == "running"
    assert t["response"]["remaining_seconds"] == 3600
    # 8 h: 0.5 h Monday morning + 4.5 h Monday afternoon + 3 h Tuesday morning.
    assert t["resolution"]["due_at"] == sh(2026, 11, 24, 12, 0)


def test_clock_does_not_count_nights_weekends_or_holidays(policies, make_ticket, bob):
    with time_machine.travel(sh(2026, 9, 30, 17, 45), tick=False):  # the eve of National Day
        ticket = make_ticket(bob, impact=2, urgency=2)
        t = targets(ticket)
    # 15 min on 30 Sep, then 1–7 Oct are holidays, 8 Oct (Thursday) resumes at 09:00.
    assert t["response"]["due_at"] == sh(2026, 10, 8, 9, 45)
    with time_machine.travel(sh(2026, 10, 5, 12, 0), tick=False):
        assert targets(ticket)["response"]["remaining_seconds"] == 45 * 60


def test_make_up_workday_counts_like_a_monday(policies, make_ticket, bob):
    with time_machine.travel(sh(2026, 10, 9, 17, 30), tick=False):  # Friday
        ticket = make_ticket(bob, impact=2, urgency=2)
        # 30 min Friday, then Saturday 10 Oct is a make-up working day from 09:00.
        assert targets(ticket)["response"]["due_at"] == sh(2026, 10, 10, 9, 30)


def test_pending_pauses_the_clock_and_resume_moves_the_deadline(policies, make_ticket, bob, alice, desktop, tom):
    with time_machine.travel(sh(2026, 11, 23, 9, 0), tick=False) as tm:
        ticket = make_ticket(bob, impact=2, urgency=2)
        services.ticket_assign(ticket=ticket, actor=alice, group=desktop, assignee=tom)
        tm.move_to(sh(2026, 11, 23, 9, 20))
        services.ticket_accept(ticket=ticket, actor=tom)
        tm.move_to(sh(2026, 11, 23, 10, 0))
        services.ticket_pend(ticket=ticket, actor=tom, reason="Waiting for the user's laptop")
        paused = targets(ticket)["resolution"]
        assert paused == {**paused, "state": "paused", "due_at": None, "remaining_seconds": 7 * 3600}
        tm.move_to(sh(2026, 11, 24, 10, 0))  # a whole working day later
        assert targets(ticket)["resolution"]["remaining_seconds"] == 7 * 3600  # stood still
        services.ticket_resume(ticket=ticket, actor=tom)
        t = targets(ticket)
    assert t["resolution"]["state"] == "running"
    # 7 h left from Tuesday 10:00: 2 h + 4.5 h Tuesday, 0.5 h Wednesday.
    assert t["resolution"]["due_at"] == sh(2026, 11, 25, 9, 30)
    assert t["response"]["state"] == "met"
    kinds = list(ticket.events.values_list("kind", flat=True))
    assert kinds.count("sla_paused") == 1 and "sla_met" in kinds


def test_accept_after_the_target_is_a_breach_recorded_once(policies, make_ticket, bob, alice, desktop, tom):
    with time_machine.travel(sh(2026, 11, 23, 9, 0), tick=False) as tm:
        ticket = make_ticket(bob, impact=2, urgency=2)
        services.ticket_assign(ticket=ticket, actor=alice, group=desktop, assignee=tom)
        tm.move_to(sh(2026, 11, 23, 10, 30))
        services.ticket_accept(ticket=ticket, actor=tom)
        t = targets(ticket)
    assert t["response"]["state"] == "breached"
    assert t["response"]["remaining_seconds"] == -30 * 60
    assert Escalation.objects.filter(clock__ticket=ticket, level="breach").count() == 1
    assert not ticket.events.filter(kind="sla_met", data__metric="response").exists()


def test_vip_ticket_gets_stricter_targets(policies, make_ticket, bob, vera):
    with time_machine.travel(sh(2026, 11, 23, 9, 0), tick=False):
        standard = make_ticket(bob, impact=2, urgency=2)
        vip = make_ticket(vera, impact=2, urgency=2)
        assert (standard.priority, vip.priority) == (3, 2)
        assert targets(standard)["response"]["due_at"] == sh(2026, 11, 23, 10, 0)
        assert targets(vip)["response"]["due_at"] == sh(2026, 11, 23, 9, 30)


def test_reprioritising_retargets_and_keeps_elapsed_time(policies, make_ticket, bob, alice):
    with time_machine.travel(sh(2026, 11, 23, 9, 0), tick=False) as tm:
        ticket = make_ticket(bob, impact=2, urgency=2)  # P3: response 60 min
        tm.move_to(sh(2026, 11, 23, 9, 20))
        services.ticket_classify(ticket=ticket, actor=alice, urgency=1)  # P2: response 30 min
        t = targets(ticket)
    assert t["response"]["remaining_seconds"] == 10 * 60
    assert t["response"]["due_at"] == sh(2026, 11, 23, 9, 30)
    assert Clock.objects.get(ticket=ticket, metric="response").policy == policies[2]


def test_reopen_resumes_the_resolution_clock_with_its_elapsed_time(policies, make_ticket, bob, alice):
    with time_machine.travel(sh(2026, 11, 23, 9, 0), tick=False) as tm:
        ticket = make_ticket(bob, impact=2, urgency=2)
        tm.move_to(sh(2026, 11, 23, 10, 0))
        services.ticket_resolve(ticket=ticket, actor=alice, resolution="Restarted the spooler")
        assert targets(ticket)["resolution"]["state"] == "met"
        tm.move_to(sh(2026, 11, 23, 15, 0))
        services.ticket_reopen(ticket=ticket, actor=bob, reason="Still jams")
        t = targets(ticket)
    assert t["resolution"]["state"] == "running"
    assert t["resolution"]["remaining_seconds"] == 7 * 3600


def test_ticket_without_a_matching_policy_has_no_clocks_and_no_crash(db, make_ticket, bob):
    from sla.models import Policy

    Policy.objects.update(is_active=False)
    ticket = make_ticket(bob)
    assert targets(ticket) == {}


def test_sweep_warns_then_breaches_each_once(
    policies, make_ticket, bob, alice, desktop, tom, lena, sam, django_capture_on_commit_callbacks
):
    with (
        time_machine.travel(sh(2026, 11, 23, 9, 0), tick=False) as tm,
        django_capture_on_commit_callbacks(execute=True),
    ):
        ticket = make_ticket(bob, impact=2, urgency=2)
        services.ticket_assign(ticket=ticket, actor=alice, group=desktop, assignee=tom)
        tm.move_to(sh(2026, 11, 23, 9, 46))  # past 75 % of 60 minutes
        first = sla_sweep()
        again = sla_sweep()
        assert targets(ticket)["response"]["state"] == "warning"
        tm.move_to(sh(2026, 11, 23, 10, 1))
        breach = sla_sweep()
        sla_sweep()
    assert (first["warnings"], again["warnings"], breach["breaches"]) == (1, 0, 1)
    events = TicketEvent.objects.filter(ticket=ticket, kind__in=["sla_warning", "sla_breached"])
    assert sorted(events.values_list("kind", "data__metric")) == [
        ("sla_breached", "response"),
        ("sla_warning", "response"),
    ]
    # Warned: assignee and group lead. Breached: they and the supervisor.
    warned = set(
        Notification.objects.filter(key__startswith="sla-warning").values_list("recipient__username", flat=True)
    )
    breached = set(
        Notification.objects.filter(key__startswith="sla-breach").values_list("recipient__username", flat=True)
    )
    assert warned == {"tom", "lena"}
    assert breached == {"tom", "lena", "sam"}


def test_paused_clock_is_not_swept(policies, make_ticket, bob, alice, desktop, tom):
    with time_machine.travel(sh(2026, 11, 23, 9, 0), tick=False) as tm:
        ticket = make_ticket(bob, impact=2, urgency=2)
        services.ticket_assign(ticket=ticket, actor=alice, group=desktop, assignee=tom)
        services.ticket_accept(ticket=ticket, actor=tom)
        services.ticket_pend(ticket=ticket, actor=tom, reason="Waiting")
        tm.move_to(sh(2026, 11, 30, 9, 0) + timedelta(days=30))
        assert sla_sweep()["breaches"] == 0


def test_breach_rules_raise_priority_and_reassign_once(
    policies, make_ticket, bob, alice, desktop, network, tom, django_capture_on_commit_callbacks
):
    from sla.services import apply_escalation_rules

    policies[3].breach_raise_priority = True
    policies[3].breach_escalate_to = network
    policies[3].save()
    with time_machine.travel(sh(2026, 11, 23, 9, 0), tick=False) as tm:
        ticket = make_ticket(bob, impact=2, urgency=2)
        services.ticket_assign(ticket=ticket, actor=alice, group=desktop, assignee=tom)
        tm.move_to(sh(2026, 11, 23, 10, 1))
        with django_capture_on_commit_callbacks(execute=True):
            sla_sweep()
        # A redelivered task changes nothing more.
        apply_escalation_rules(clock_id=Clock.objects.get(ticket=ticket, metric="response").pk)
    ticket.refresh_from_db()
    assert (ticket.priority, ticket.group, ticket.assignee, ticket.status) == (2, network, None, "assigned")
    assert ticket.events.filter(kind="priority_changed", data__reason="sla_breach").count() == 1
