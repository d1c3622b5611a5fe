"""Reads of SLA state for tickets: the `sla` field of the API and the badges of the pages."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from tickets.models import Ticket

from . import calendar as bt
from .models import Clock


def with_sla(qs: QuerySet[Ticket]) -> QuerySet[Ticket]:
    """Prefetch each ticket's clocks with their calendars' hours, holidays and make-up days: a fixed number of
    queries whatever the number of tickets."""
    return qs.prefetch_related(
        Prefetch(
            "sla_clocks",
            queryset=Clock.objects.select_related("calendar")
            .prefetch_related("calendar__intervals", "calendar__holidays", "calendar__extra_workdays")
            .order_by("metric"),
        )
    )


def clock_view(clock: Clock, now: datetime | None = None) -> dict:
    """One target as the API shows it. remaining_seconds is business time, negative once breached; while
    paused, due_at is null and remaining_seconds stands still."""
    from .services import business_calendar

    now = now or timezone.now()
    cal = business_calendar(clock.calendar)
    if clock.running_since is not None:
        elapsed = clock.elapsed_seconds + bt.business_seconds_between(cal, clock.running_since, now)
    else:
        elapsed = clock.elapsed_seconds
    remaining = clock.target_seconds - elapsed
    if clock.stopped_at is not None:
        state = clock.state
    elif clock.running_since is None:
        state = Clock.State.BREACHED if clock.breached_at else Clock.State.PAUSED
    elif clock.breached_at is not None or remaining < 0 or (clock.due_at and now >= clock.due_at):
        state = Clock.State.BREACHED
    elif clock.warned_at is not None or (clock.warn_at and now >= clock.warn_at):
        state = Clock.State.WARNING
    else:
        state = Clock.State.RUNNING
    due_at = None if state == Clock.State.PAUSED else clock.due_at
    return {
        "metric": clock.metric,
        "due_at": due_at,
        "state": str(state),
        "remaining_seconds": remaining,
        "target_seconds": clock.target_seconds,
        "policy": clock.policy_id,
    }


def sla_targets(ticket: Ticket) -> list[dict]:
    now = timezone.now()
    return [clock_view(c, now) for c in ticket.sla_clocks.all()]
