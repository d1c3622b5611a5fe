from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from sla import services as sla

SH = ZoneInfo("Asia/Shanghai")


def sh(*args: int) -> datetime:
    return datetime(*args, tzinfo=SH)


@pytest.fixture
def business(db, sam):
    """Weekdays 09:00–12:00 and 13:30–18:00 in Shanghai, with 2026's National Day break and its make-up day."""
    hours = [
        {"weekday": d, "start": s, "end": e} for d in range(5) for s, e in (("09:00", "12:00"), ("13:30", "18:00"))
    ]
    return sla.calendar_create(
        actor=sam,
        name="Test business hours",
        time_zone="Asia/Shanghai",
        working_hours=hours,
        holidays=[datetime(2026, 10, d).date() for d in range(1, 8)],
        extra_workdays=[datetime(2026, 10, 10).date()],
    )


@pytest.fixture
def policies(business, sam):
    """P3 standard: response 60 business minutes, resolution 8 hours; P2: 30 / 240. Newest wins over defaults."""
    return {
        3: sla.policy_create(
            actor=sam, name="Test P3", calendar=business, priority=3, response_minutes=60, resolution_minutes=480
        ),
        2: sla.policy_create(
            actor=sam, name="Test P2", calendar=business, priority=2, response_minutes=30, resolution_minutes=240
        ),
    }
