"""A small desk week built through the services, with every KPI computed by hand (see EXPECTED).

SLA: a 7×24 calendar, P4 standard tickets get 60 min to respond and 240 min to resolve, so business time is wall
time. The week is Monday 2 to Sunday 8 March 2026 (Asia/Shanghai); the report is read on Friday 20 March, 12:00.

    T1  alice logs (phone, Hardware) 09:00, resolves it on first contact 09:10       resp 600 met, res 600 met
        follow-up done 3 Mar 10:00, satisfaction 5 (ticket closes)
    T2  alice logs (phone, Hardware) 09:00, tom (Desktop) accepts 09:30, resolves 15:00
                                                                               resp 1800 met, res 21600 breached
        follow-up done 3 Mar 10:00, satisfaction 2 → reopened; tom resolves again 11:00 (res 25200 breached);
        its second follow-up is still due (late by the 20th)
    T3  alice logs (email) 10:00, nick (Network) accepts 12:00, still in progress    resp 7200 breached,
                                                                                     res running past due: breached
    T4  bob files on the portal 11:00, nobody touches it                 both running past due: breached (live)
    T5  alice logs (phone) 11:00, cancels it 11:30                          clocks void: in no SLA figure
    T6  alice logs (phone, Hardware) 13:00, tom accepts 13:10, resolves 14:00    resp 600 met, res 3600 met
        follow-up still due (late)
    T7  alice logs (email, Hardware) Tue 09:00, tom accepts 09:20, resolves 10:00; bob reopens 11:00 (the open
        follow-up is withdrawn), tom resolves 12:00                     resp 1200 met, res 3600 + 3600 = 7200 met
        second follow-up still due (late)
    T0  Sunday 1 March and T8 Monday 9 March: outside the week, both still new.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from servicedesk.models import Role
from sla import services as sla
from tests.conftest import make_user
from tickets import followups, services
from tickets.models import FollowUp, Ticket
from tickets.reports import Period

SH = ZoneInfo("Asia/Shanghai")
WEEK = Period(date(2026, 3, 2), date(2026, 3, 8))


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SH)


NOW = sh(2026, 3, 20, 12, 0)


@contextmanager
def at(*args: int):
    with time_machine.travel(sh(*args), tick=False):
        yield


EXPECTED = {
    "tickets": 7,
    "resolved": 4,
    "first_contact": 1,
    "reopened": 2,
    "fcr_rate": 0.25,
    "reopen_rate": 0.5,
    "response_met": 4,
    "response_breached": 2,
    "response_sla_rate": 4 / 6,
    "resolution_met": 3,
    "resolution_breached": 3,
    "resolution_sla_rate": 0.5,
    "response_mean": 2280.0,  # (600 + 1800 + 7200 + 600 + 1200) / 5
    "response_p90": 5040.0,  # 1800 + 0.6 × (7200 − 1800)
    "resolution_mean": 9150.0,  # (600 + 25200 + 3600 + 7200) / 4
    "resolution_p90": 19800.0,  # 7200 + 0.7 × (25200 − 7200)
    "followups": 5,  # T1, T2 ×2, T6, T7's second (its first was withdrawn by the reopen)
    "followups_done": 2,
    "followup_completion_rate": 0.4,
    "followups_on_time": 2,
    "followups_late": 3,
    "followup_on_time_rate": 0.4,
    "rated": 2,
    "avg_satisfaction": 3.5,
    "satisfied_rate": 0.5,
    "complaints": 0,
    "complaint_rate": 0.0,
}


@dataclass
class Week:
    t0: Ticket
    t1: Ticket
    t2: Ticket
    t3: Ticket
    t4: Ticket
    t5: Ticket
    t6: Ticket
    t7: Ticket
    t8: Ticket


@pytest.fixture
def always_policy(db, sam):
    """7×24 in Shanghai; P4 standard: 60 min response, 240 min resolution (a tier-specific policy beats the
    migration's defaults whatever their creation dates)."""
    calendar = sla.calendar_create(
        actor=sam,
        name="Reports 7x24",
        time_zone="Asia/Shanghai",
        working_hours=[{"weekday": d, "start": "00:00", "end": "24:00"} for d in range(7)],
    )
    return sla.policy_create(
        actor=sam,
        name="Reports P4",
        calendar=calendar,
        priority=4,
        customer_tier="standard",
        response_minutes=60,
        resolution_minutes=240,
    )


@pytest.fixture
def quinn(db):
    return make_user("quinn", Role.QUALITY_ANALYST, display_name="Quinn Quality")


@pytest.fixture
def hw(hardware):
    return hardware


def _followup(ticket: Ticket) -> FollowUp:
    return FollowUp.objects.get(ticket=ticket, state=FollowUp.State.DUE)


@pytest.fixture
def week(always_policy, alice, bob, tom, nick, desktop, network, hardware) -> Week:
    def log(title: str, channel: str = "phone", category=hardware, actor=alice) -> Ticket:
        data = services.TicketInput(
            requester=bob, type="incident", title=title, channel=channel, impact=3, urgency=3, category=category
        )
        return services.ticket_create(actor=actor, data=data)

    with at(2026, 3, 1, 9, 0):
        t0 = log("Before the week")
    with at(2026, 3, 2, 9, 0):
        t1 = log("Password reset")
        t2 = log("Printer jams")
    with at(2026, 3, 2, 9, 5):
        t2 = services.ticket_assign(ticket=t2, actor=alice, group=desktop, assignee=tom)
    with at(2026, 3, 2, 9, 10):
        t1 = services.ticket_resolve(ticket=t1, actor=alice, resolution="Reset it", first_contact=True)
    with at(2026, 3, 2, 9, 30):
        t2 = services.ticket_accept(ticket=t2, actor=tom)
    with at(2026, 3, 2, 10, 0):
        t3 = log("VPN drops", channel="email", category=None)
    with at(2026, 3, 2, 10, 5):
        t3 = services.ticket_assign(ticket=t3, actor=alice, group=network, assignee=nick)
    with at(2026, 3, 2, 11, 0):
        t4 = services.ticket_create(
            actor=bob, data=services.TicketInput(type="incident", title="Screen flickers", channel="portal")
        )
        t5 = log("Filed twice", category=None)
    with at(2026, 3, 2, 11, 30):
        t5 = services.ticket_cancel(ticket=t5, actor=alice, reason="Filed twice")
    with at(2026, 3, 2, 12, 0):
        t3 = services.ticket_accept(ticket=t3, actor=nick)
    with at(2026, 3, 2, 13, 0):
        t6 = log("Mouse broken")
    with at(2026, 3, 2, 13, 5):
        t6 = services.ticket_assign(ticket=t6, actor=alice, group=desktop, assignee=tom)
    with at(2026, 3, 2, 13, 10):
        t6 = services.ticket_accept(ticket=t6, actor=tom)
    with at(2026, 3, 2, 14, 0):
        t6 = services.ticket_resolve(ticket=t6, actor=tom, resolution="New mouse")
    with at(2026, 3, 2, 15, 0):
        t2 = services.ticket_resolve(ticket=t2, actor=tom, resolution="Replaced the drum unit")
    with at(2026, 3, 3, 9, 0):
        t7 = log("Outlook crashes", channel="email")
        t7 = services.ticket_assign(ticket=t7, actor=alice, group=desktop, assignee=tom)
    with at(2026, 3, 3, 9, 20):
        t7 = services.ticket_accept(ticket=t7, actor=tom)
    with at(2026, 3, 3, 10, 0):
        followups.followup_record(followup=_followup(t1), actor=alice, reached=True, satisfaction=5, fix_confirmed=True)
        followups.followup_record(
            followup=_followup(t2), actor=alice, reached=True, satisfaction=2, fix_confirmed=False, comment="Still"
        )
        t7 = services.ticket_resolve(ticket=t7, actor=tom, resolution="Repaired the profile")
    with at(2026, 3, 3, 11, 0):
        t2.refresh_from_db()
        t2 = services.ticket_resolve(ticket=t2, actor=tom, resolution="New drum and fuser")
        t7 = services.ticket_reopen(ticket=t7, actor=bob, reason="Crashes again")
    with at(2026, 3, 3, 12, 0):
        t7 = services.ticket_resolve(ticket=t7, actor=tom, resolution="Reinstalled Office")
    with at(2026, 3, 9, 9, 0):
        t8 = log("After the week")
    for t in (t1, t2, t3, t4, t5, t6, t7):
        t.refresh_from_db()
    return Week(t0, t1, t2, t3, t4, t5, t6, t7, t8)
