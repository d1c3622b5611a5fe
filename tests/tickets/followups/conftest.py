"""Follow-up personas and helpers: cora and cody call users back; the desk calendar is pinned so due dates do
not depend on which holidays the migration imported (and survive the flush of transactional tests)."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from servicedesk.models import Role
from sla import services as sla
from tests.conftest import make_user
from tickets import services
from tickets.models import FollowUp, Ticket

SH = ZoneInfo("Asia/Shanghai")

# mainland China's 2025 National Day week: 1–8 October off, Sunday 28 September and Saturday 11 October worked.
NATIONAL_DAY_2025 = [date(2025, 10, d) for d in range(1, 9)]
MAKE_UP_2025 = [date(2025, 9, 28), date(2025, 10, 11)]


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SH)


@pytest.fixture(autouse=True)
def desk_calendar(db):
    """The desk's default calendar: weekdays 09:00–12:00 and 13:30–18:00 in Shanghai, with 2025's National Day."""
    hours = [
        {"weekday": d, "start": s, "end": e} for d in range(5) for s, e in (("09:00", "12:00"), ("13:30", "18:00"))
    ]
    return sla.calendar_create(
        actor=None,
        name="Follow-up test desk hours",
        working_hours=hours,
        holidays=NATIONAL_DAY_2025,
        extra_workdays=MAKE_UP_2025,
        is_default=True,
    )


@pytest.fixture
def cora(db):
    return make_user("cora", Role.CALLBACK_AGENT, display_name="Cora Callback", phone="13900000010")


@pytest.fixture
def cody(db):
    return make_user("cody", Role.CALLBACK_AGENT, display_name="Cody Callback")


@pytest.fixture
def resolve(alice, tom, desktop):
    """`resolve(ticket)`: dispatched to tom in Desktop support, accepted, resolved by tom."""

    def _resolve(ticket: Ticket, resolution: str = "Replaced the drum unit", **kwargs) -> Ticket:
        ticket = services.ticket_assign(ticket=ticket, actor=alice, group=desktop, assignee=tom)
        ticket = services.ticket_accept(ticket=ticket, actor=tom)
        return services.ticket_resolve(ticket=ticket, actor=tom, resolution=resolution, **kwargs)

    return _resolve


@pytest.fixture
def bob_followup(bob_ticket, resolve, cora) -> FollowUp:
    """Bob's laptop ticket, resolved by tom; its callback is due with cora."""
    resolve(bob_ticket)
    return FollowUp.objects.get(ticket=bob_ticket)


@pytest.fixture
def make_followups(make_ticket, resolve, bob, cora):
    def _make(n: int) -> list[FollowUp]:
        tickets = [resolve(make_ticket(bob, title=f"Callback {i}")) for i in range(n)]
        return list(FollowUp.objects.filter(ticket__in=tickets).order_by("pk"))

    return _make
