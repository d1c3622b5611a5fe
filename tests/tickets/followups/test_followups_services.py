"""The follow-up services: scheduling on the desk calendar, round-robin, exemptions, and every recording path."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connections

from servicedesk.errors import InvalidTransition, NotAllowed, ValidationFailed
from servicedesk.models import Notification
from tickets import followups, services
from tickets.models import Complaint, FollowUp, FollowUpAttempt, FollowUpRule, Ticket, TicketEvent

from .conftest import sh

S = Ticket.Status
State = FollowUp.State


def _followup_events(ticket: Ticket) -> list[dict]:
    return list(ticket.events.filter(kind=TicketEvent.Kind.FOLLOWUP_RECORDED).values_list("data", flat=True))


# --- scheduling ----------------------------------------------------------------------------------------


def test_resolving_a_ticket_schedules_one_callback_with_a_callback_agent(bob_ticket, resolve, cora):
    resolve(bob_ticket)
    followup = FollowUp.objects.get(ticket=bob_ticket)
    assert followup.state == State.DUE
    assert followup.assignee == cora
    assert followup.attempts.count() == 0


@pytest.mark.parametrize(
    ("resolved_at", "due_at"),
    [
        # Friday before the National Day week: Sun 28 Sep (make-up), Mon 29, Tue 30, Thu 9 Oct, Fri 10 Oct.
        (sh(2025, 9, 26, 10, 0), sh(2025, 10, 10, 18, 0)),
        # An ordinary Monday: the resolution day does not count; due the next Monday, end of the day.
        (sh(2025, 11, 3, 16, 30), sh(2025, 11, 10, 18, 0)),
        # Resolved late on a Saturday (7×24 emergency work): counting starts on Monday.
        (sh(2025, 11, 8, 22, 0), sh(2025, 11, 14, 18, 0)),
        # Resolved in the last minutes of Friday in Shanghai (still Friday morning UTC): Friday is the day.
        (sh(2025, 11, 7, 23, 50), sh(2025, 11, 14, 18, 0)),
    ],
)
def test_the_callback_is_due_at_the_end_of_the_fifth_working_day(bob_ticket, resolve, cora, resolved_at, due_at):
    with time_machine.travel(resolved_at, tick=False):
        resolve(bob_ticket)
    assert FollowUp.objects.get(ticket=bob_ticket).due_at == due_at


def test_the_number_of_working_days_is_configurable(bob_ticket, resolve, cora, settings):
    settings.FOLLOWUP_DUE_WORKING_DAYS = 1
    with time_machine.travel(sh(2025, 9, 30, 9, 0), tick=False):  # Tuesday before the holiday week
        resolve(bob_ticket)
    assert FollowUp.objects.get(ticket=bob_ticket).due_at == sh(2025, 10, 9, 18, 0)


def test_callbacks_go_round_robin_to_the_least_loaded_active_agent(make_ticket, resolve, bob, cora, cody):
    tickets = [resolve(make_ticket(bob, title=f"T{i}")) for i in range(4)]
    assignees = [FollowUp.objects.get(ticket=t).assignee for t in tickets]
    assert assignees == [cora, cody, cora, cody]  # ties go to the lower id (cora)
    # cora finishes one: she is now the least loaded and gets the next one.
    followups.followup_record(
        followup=FollowUp.objects.get(ticket=tickets[0]), actor=cora, reached=True, satisfaction=5, fix_confirmed=True
    )
    nxt = resolve(make_ticket(bob, title="T4"))
    assert FollowUp.objects.get(ticket=nxt).assignee == cora
    cody.is_active = False
    cody.save()
    again = resolve(make_ticket(bob, title="T5"))
    assert FollowUp.objects.get(ticket=again).assignee == cora


def test_without_callback_agents_the_followup_waits_unassigned_until_the_sweep_finds_one(bob_ticket, resolve):
    from tests.conftest import make_user

    resolve(bob_ticket)
    followup = FollowUp.objects.get(ticket=bob_ticket)
    assert followup.assignee is None
    assert followups.followup_sweep()["assigned"] == 0
    cora = make_user("cora", "callback_agent")
    assert followups.followup_sweep()["assigned"] == 1
    followup.refresh_from_db()
    assert followup.assignee == cora


def test_an_exemption_rule_spares_inquiries_answered_on_first_contact(make_ticket, alice, bob, cora, resolve):
    FollowUpRule.objects.create(name="Inquiries on the spot", ticket_type="inquiry", first_contact_only=True)
    on_the_spot = make_ticket(bob, type="inquiry", title="How do I map a drive?")
    services.ticket_resolve(ticket=on_the_spot, actor=alice, resolution="Explained", first_contact=True)
    dispatched = resolve(make_ticket(bob, type="inquiry", title="Which VPN client?"))
    incident = make_ticket(bob, title="Screen flickers")
    services.ticket_resolve(ticket=incident, actor=alice, resolution="Cable", first_contact=True)
    assert not FollowUp.objects.filter(ticket=on_the_spot).exists()
    assert FollowUp.objects.filter(ticket=dispatched).exists()
    assert FollowUp.objects.filter(ticket=incident).exists()


def test_a_category_rule_beats_a_type_rule_and_sampling_is_stable(make_ticket, alice, bob, cora, hardware):
    FollowUpRule.objects.create(name="No inquiries", ticket_type="inquiry", sample_percent=0)
    FollowUpRule.objects.create(name="All hardware", category=hardware, sample_percent=100)
    hw = make_ticket(bob, type="inquiry", title="Which monitor?", category=hardware)
    other = make_ticket(bob, type="inquiry", title="Where is the wiki?")
    for t in (hw, other):
        services.ticket_resolve(ticket=t, actor=alice, resolution="Answered", first_contact=True)
    assert FollowUp.objects.filter(ticket=hw).exists()
    assert not FollowUp.objects.filter(ticket=other).exists()
    rule = FollowUpRule.objects.create(name="Half the hardware", category=hardware, ticket_type="inquiry")
    for percent in (0, 100):
        rule.sample_percent = percent
        rule.save()
        assert followups.wants_callback(hw) is bool(percent)
    rule.sample_percent = 50
    rule.save()
    sampled = [followups.wants_callback(make_ticket(bob, category=hardware, type="inquiry")) for _ in range(40)]
    assert 0 < sum(sampled) < 40
    assert followups.wants_callback(hw) == followups.wants_callback(hw)


def test_reopening_cancels_the_open_callback_and_the_next_resolution_schedules_a_new_one(
    bob_followup, alice, tom, cora
):
    ticket = bob_followup.ticket
    services.ticket_reopen(ticket=ticket, actor=alice, reason="Still broken")
    bob_followup.refresh_from_db()
    assert bob_followup.state == State.CANCELLED
    assert bob_followup.outcome == FollowUp.Outcome.CANCELLED
    services.ticket_resolve(ticket=ticket, actor=tom, resolution="Replaced the board")
    assert ticket.followups.filter(state=State.DUE).count() == 1
    assert ticket.followups.count() == 2


# --- recording -----------------------------------------------------------------------------------------


def test_a_confirmed_fix_completes_the_followup_and_the_system_closes_the_ticket(bob_followup, cora):
    followups.followup_record(
        followup=bob_followup, actor=cora, reached=True, satisfaction=4, fix_confirmed=True, comment="All good"
    )
    bob_followup.refresh_from_db()
    ticket = bob_followup.ticket
    ticket.refresh_from_db()
    assert bob_followup.state == State.DONE
    assert (bob_followup.satisfaction, bob_followup.fix_confirmed, bob_followup.outcome) == (4, True, "closed")
    assert bob_followup.completed_at is not None
    assert ticket.status == S.CLOSED
    close = ticket.events.filter(kind="status_changed").last()
    assert close.data == {"from": "resolved", "to": "closed"} and close.actor is None  # the system closed it
    assert _followup_events(ticket) == [
        {
            "followup": bob_followup.pk,
            "reached": True,
            "satisfaction": 4,
            "fix_confirmed": True,
            "outcome": "closed",
            "channel": "phone",
        }
    ]
    (attempt,) = bob_followup.attempts.all()
    assert (attempt.agent, attempt.reached, attempt.satisfaction, attempt.comment) == (cora, True, 4, "All good")


@pytest.mark.parametrize(("satisfaction", "fix_confirmed"), [(2, True), (1, True), (5, False)])
def test_a_dissatisfied_user_reopens_the_ticket_to_the_technician_and_the_supervisors_are_told(
    bob_followup, cora, tom, sam, lena, satisfaction, fix_confirmed, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        followups.followup_record(
            followup=bob_followup,
            actor=cora,
            reached=True,
            satisfaction=satisfaction,
            fix_confirmed=fix_confirmed,
            comment="Printer jams again every morning",
        )
    bob_followup.refresh_from_db()
    ticket = Ticket.objects.get(pk=bob_followup.ticket_id)
    assert bob_followup.state == State.DONE and bob_followup.outcome == "reopened"
    assert ticket.status == S.IN_PROGRESS and ticket.assignee == tom and ticket.reopen_count == 1
    reopen = ticket.events.filter(kind="status_changed").last()
    assert reopen.data["reopened"] is True and "Printer jams again every morning" in reopen.data["reason"]
    assert _followup_events(ticket)[-1]["outcome"] == "reopened"
    key = f"followup-dissatisfied:{bob_followup.pk}"
    assert set(Notification.objects.filter(key=key).values_list("recipient__username", flat=True)) == {"sam", "lena"}
    assert Notification.objects.filter(recipient=tom, verb="reopened").exists()


def test_not_reached_keeps_the_callback_due_and_records_the_attempt(bob_followup, cora):
    followups.followup_record(followup=bob_followup, actor=cora, reached=False, comment="No answer")
    bob_followup.refresh_from_db()
    assert bob_followup.state == State.DUE and bob_followup.outcome == "not_reached"
    assert bob_followup.ticket.status == S.RESOLVED
    assert bob_followup.attempts.filter(reached=False).count() == 1
    assert _followup_events(bob_followup.ticket)[-1] == {
        "followup": bob_followup.pk,
        "reached": False,
        "satisfaction": None,
        "fix_confirmed": None,
        "outcome": "not_reached",
        "channel": "phone",
    }


def test_three_failed_calls_on_three_days_make_the_user_unreachable_and_close_the_ticket(bob_followup, cora):
    start = sh(2025, 11, 3, 10, 0)
    with time_machine.travel(start, tick=False):
        for _ in range(3):  # three tries on one day do not count as three days
            followups.followup_record(followup=bob_followup, actor=cora, reached=False)
    bob_followup.refresh_from_db()
    assert bob_followup.state == State.DUE
    with time_machine.travel(start + timedelta(days=1), tick=False):
        followups.followup_record(followup=bob_followup, actor=cora, reached=False)
    assert FollowUp.objects.get(pk=bob_followup.pk).state == State.DUE
    with time_machine.travel(start + timedelta(days=2), tick=False):
        followups.followup_record(followup=bob_followup, actor=cora, reached=False, comment="Voicemail again")
    bob_followup.refresh_from_db()
    assert bob_followup.state == State.UNREACHABLE and bob_followup.outcome == "unreachable"
    assert bob_followup.ticket.status == S.CLOSED
    assert bob_followup.attempts.count() == 5
    assert _followup_events(bob_followup.ticket)[-1]["outcome"] == "unreachable"


def test_k_and_m_are_configurable(bob_followup, cora, settings):
    settings.FOLLOWUP_UNREACHABLE_ATTEMPTS = 2
    settings.FOLLOWUP_UNREACHABLE_DAYS = 1
    followups.followup_record(followup=bob_followup, actor=cora, reached=False)
    followups.followup_record(followup=bob_followup, actor=cora, reached=False)
    bob_followup.refresh_from_db()
    assert bob_followup.state == State.UNREACHABLE and bob_followup.ticket.status == S.CLOSED


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"reached": True, "satisfaction": 0, "fix_confirmed": True}, "satisfaction"),
        ({"reached": True, "satisfaction": 6, "fix_confirmed": True}, "satisfaction"),
        ({"reached": True, "satisfaction": None, "fix_confirmed": True}, "satisfaction"),
        ({"reached": False, "satisfaction": 3}, "satisfaction"),
        ({"reached": True, "satisfaction": 4, "comment": "x" * 2001}, "comment"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_recorded(bob_followup, cora, kwargs, field):
    with pytest.raises(ValidationFailed) as exc:
        followups.followup_record(followup=bob_followup, actor=cora, **kwargs)
    assert field in exc.value.errors
    bob_followup.refresh_from_db()
    assert bob_followup.state == State.DUE and bob_followup.attempts.count() == 0
    assert _followup_events(bob_followup.ticket) == []


def test_recording_a_finished_followup_is_a_conflict_and_changes_nothing(bob_followup, cora, alice):
    followups.followup_record(followup=bob_followup, actor=cora, reached=True, satisfaction=5, fix_confirmed=True)
    with pytest.raises(InvalidTransition):
        followups.followup_record(followup=bob_followup, actor=alice, reached=True, satisfaction=1)
    assert bob_followup.attempts.count() == 1
    assert FollowUp.objects.get(pk=bob_followup.pk).satisfaction == 5


def test_a_stale_version_is_a_conflict(bob_followup, cora, cody):
    version = bob_followup.version
    followups.followup_record(followup=bob_followup, actor=cora, reached=False, expected_version=version)
    with pytest.raises(InvalidTransition):
        followups.followup_record(followup=bob_followup, actor=cody, reached=False, expected_version=version)
    assert bob_followup.attempts.count() == 1


@pytest.mark.parametrize("who", ["tom", "bob", "lena"])
def test_only_callback_and_desk_staff_record(bob_followup, request, who):
    with pytest.raises(NotAllowed):
        followups.followup_record(
            followup=bob_followup, actor=request.getfixturevalue(who), reached=True, satisfaction=5
        )
    assert bob_followup.attempts.count() == 0


@pytest.mark.parametrize("who", ["alice", "sam", "ada"])
def test_desk_agents_supervisors_and_admins_record_too(bob_followup, request, who):
    followups.followup_record(followup=bob_followup, actor=request.getfixturevalue(who), reached=True, satisfaction=3)
    assert FollowUp.objects.get(pk=bob_followup.pk).state == State.DONE


def test_a_ticket_the_desk_already_closed_still_gets_its_callback_recorded(bob_followup, cora, alice):
    services.ticket_close(ticket=bob_followup.ticket, actor=alice)
    followups.followup_record(followup=bob_followup, actor=cora, reached=True, satisfaction=2, fix_confirmed=False)
    bob_followup.refresh_from_db()
    assert bob_followup.state == State.DONE and bob_followup.outcome == "reopened"
    assert bob_followup.ticket.status == S.CLOSED  # closed is final: the supervisors hear about it instead


def test_the_callback_of_a_complaint_records_the_complainants_satisfaction_with_the_result(
    make_ticket, bob, alice, desktop, lena, cora
):
    from tickets import complaints

    complaint = complaints.complaint_register(
        actor=alice,
        about="group",
        group=desktop,
        data=services.TicketInput(type="complaint", title="Nobody came", requester=bob),
    )
    complaints.complaint_record_result(complaint=complaint, actor=lena, result="We apologise; retrained the team.")
    followup = FollowUp.objects.get(ticket=complaint.ticket)
    followups.followup_record(followup=followup, actor=cora, reached=True, satisfaction=4, fix_confirmed=True)
    complaint = Complaint.objects.get(pk=complaint.pk)
    assert complaint.satisfaction == 4 and complaint.satisfaction_at is not None


# --- races -----------------------------------------------------------------------------------------------


def _race(fn, n: int = 2) -> tuple[list, list[BaseException]]:
    results: list = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(n)

    def run(i: int) -> None:
        try:
            barrier.wait()
            results.append(fn(i))
        except BaseException as exc:  # collected for the assertions
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return results, errors


@pytest.mark.django_db(transaction=True)
def test_two_agents_recording_the_same_call_at_once_one_wins(bob_followup, cora, cody):
    agents = [cora, cody]

    def record(i):
        return followups.followup_record(
            followup=bob_followup, actor=agents[i], reached=True, satisfaction=5, fix_confirmed=True
        )

    results, errors = _race(record)
    assert len(results) == 1 and len(errors) == 1
    assert isinstance(errors[0], InvalidTransition)
    assert FollowUpAttempt.objects.filter(followup=bob_followup).count() == 1
    assert TicketEvent.objects.filter(ticket=bob_followup.ticket, kind="followup_recorded").count() == 1
    assert Ticket.objects.get(pk=bob_followup.ticket_id).status == S.CLOSED


@pytest.mark.django_db(transaction=True)
def test_two_agents_logging_a_missed_call_at_once_leave_one_attempt(bob_followup, cora, cody):
    agents = [cora, cody]
    version = bob_followup.version

    def record(i):
        return followups.followup_record(
            followup=bob_followup, actor=agents[i], reached=False, expected_version=version
        )

    results, errors = _race(record)
    assert len(results) == 1 and [type(e) for e in errors] == [InvalidTransition]
    assert FollowUpAttempt.objects.filter(followup=bob_followup).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_callback_and_a_desk_reopen_at_once_do_not_deadlock(bob_followup, cora, alice):
    def act(i):
        if i == 0:
            return followups.followup_record(followup=bob_followup, actor=cora, reached=True, satisfaction=5)
        return services.ticket_reopen(ticket=bob_followup.ticket, actor=alice, reason="User called: broken")

    results, errors = _race(act)
    assert all(isinstance(e, InvalidTransition) for e in errors), errors
    assert len(results) == 1
