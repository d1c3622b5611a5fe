"""SLA services: calendars and policies (configuration), the clocks of each ticket, and the sweep.

The ticket services call the clock functions inside their transaction, with the ticket row already locked,
so a clock changes together with the ticket or not at all. The sweep claims due clocks with
`SELECT … FOR UPDATE SKIP LOCKED` and records each warning and breach under a unique constraint."""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from functools import partial
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from servicedesk.errors import NotAllowed, ValidationFailed
from servicedesk.models import Role, User
from servicedesk.services import audit
from tickets.models import Ticket, TicketEvent

from . import calendar as bt
from .models import Calendar, Clock, Escalation, ExtraWorkday, Holiday, Policy, WorkingInterval

logger = logging.getLogger(__name__)

E = TicketEvent.Kind
METRICS = (Clock.Metric.RESPONSE, Clock.Metric.RESOLUTION)
STOPPED_TICKET = (Ticket.Status.RESOLVED, Ticket.Status.CLOSED, Ticket.Status.CANCELLED)


# --- calendars -----------------------------------------------------------------------------------------

_cache: dict[tuple[int, datetime], bt.BusinessCalendar] = {}
_cache_lock = threading.Lock()


def business_calendar(calendar: Calendar) -> bt.BusinessCalendar:
    """The pure-arithmetic calendar for a stored one, built once per version (keyed by updated_at).

    Uses prefetched intervals/holidays/extra workdays when the caller loaded them."""
    key = (calendar.pk, calendar.updated_at)
    cached = _cache.get(key)
    if cached is not None:
        return cached
    weekly: dict[int, list[tuple[int, int]]] = {}
    for interval in calendar.intervals.all():
        weekly.setdefault(interval.weekday, []).append((interval.start_minute, interval.end_minute))
    built = bt.BusinessCalendar(
        tz=ZoneInfo(calendar.time_zone),
        weekly={day: tuple(sorted(v)) for day, v in weekly.items()},
        holidays=frozenset(h.date for h in calendar.holidays.all()),
        extra_workdays=frozenset(d.date for d in calendar.extra_workdays.all()),
    )
    with _cache_lock:
        if len(_cache) > 256:
            _cache.clear()
        _cache[key] = built
    return built


def default_calendar() -> Calendar | None:
    return Calendar.objects.filter(is_default=True).first() or Calendar.objects.order_by("pk").first()


def _require_sla_admin(actor: User | None) -> None:
    if actor is not None and not actor.has_role(Role.SUPERVISOR, Role.ADMIN):
        raise NotAllowed(_("Only supervisors and administrators can configure service levels."))


def _parse_minute(value: Any) -> int | None:
    if not isinstance(value, str) or ":" not in value:
        return None
    hours, _sep, minutes = value.strip().partition(":")
    if not (hours.isdigit() and minutes.isdigit() and len(minutes) == 2):
        return None
    total = int(hours) * 60 + int(minutes)
    return total if int(minutes) < 60 and total <= 1440 else None


def validate_working_hours(entries: Iterable[Mapping[str, Any]]) -> list[tuple[int, int, int]]:
    """(weekday, start, end) triples, or a translated ValidationFailed naming the first problem."""
    days = [_("Monday"), _("Tuesday"), _("Wednesday"), _("Thursday"), _("Friday"), _("Saturday"), _("Sunday")]
    result: list[tuple[int, int, int]] = []
    for number, entry in enumerate(entries, start=1):
        if not isinstance(entry, Mapping):
            raise ValidationFailed({"working_hours": [_("Entry %(n)d must be an object.") % {"n": number}]})
        weekday = entry.get("weekday")
        if isinstance(weekday, bool) or not isinstance(weekday, int) or not 0 <= weekday <= 6:
            raise ValidationFailed(
                {"working_hours": [_("Entry %(n)d: weekday must be 0 (Monday) to 6 (Sunday).") % {"n": number}]}
            )
        start, end = _parse_minute(entry.get("start")), _parse_minute(entry.get("end"))
        if start is None or end is None:
            raise ValidationFailed(
                {"working_hours": [_("Entry %(n)d: times must be HH:MM between 00:00 and 24:00.") % {"n": number}]}
            )
        if start >= end:
            raise ValidationFailed(
                {
                    "working_hours": [
                        _("Entry %(n)d (%(day)s): the start must be before the end.")
                        % {"n": number, "day": days[weekday]}
                    ]
                }
            )
        result.append((weekday, start, end))
    if not result:
        raise ValidationFailed({"working_hours": [_("The calendar has no working time at all.")]})
    result.sort()
    for (d1, _s1, e1), (d2, s2, _e2) in pairwise(result):
        if d1 == d2 and s2 < e1:
            raise ValidationFailed({"working_hours": [_("Working hours overlap on %(day)s.") % {"day": days[d1]}]})
    return result


def validate_time_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ValidationFailed({"time_zone": [_("Unknown time zone: %(tz)s.") % {"tz": name}]}) from None
    return name


@transaction.atomic
def calendar_create(
    *,
    actor: User | None,
    name: str,
    time_zone: str = "Asia/Shanghai",
    working_hours: Iterable[Mapping[str, Any]],
    holidays: Iterable[date] = (),
    extra_workdays: Iterable[date] = (),
    is_default: bool = False,
) -> Calendar:
    _require_sla_admin(actor)
    name = (name or "").strip()
    if not name:
        raise ValidationFailed({"name": [_("A name is required.")]})
    if Calendar.objects.filter(name__iexact=name).exists():
        raise ValidationFailed({"name": [_("A calendar with this name exists.")]})
    validate_time_zone(time_zone)
    hours = validate_working_hours(working_hours)
    if is_default:
        Calendar.objects.filter(is_default=True).update(is_default=False)
    calendar = Calendar.objects.create(name=name, time_zone=time_zone, is_default=is_default)
    WorkingInterval.objects.bulk_create(
        WorkingInterval(calendar=calendar, weekday=d, start_minute=s, end_minute=e) for d, s, e in hours
    )
    Holiday.objects.bulk_create(Holiday(calendar=calendar, date=d) for d in sorted(set(holidays)))
    ExtraWorkday.objects.bulk_create(ExtraWorkday(calendar=calendar, date=d) for d in sorted(set(extra_workdays)))
    audit(actor, "sla_calendar_created", calendar, {"name": name, "time_zone": time_zone})
    return calendar


@transaction.atomic
def calendar_import_days(
    *, actor: User | None, calendar: Calendar, holidays: Iterable[date], extra_workdays: Iterable[date], source: str
) -> tuple[int, int]:
    """Add public holidays and make-up workdays (e.g. a year from chinese-calendar); existing days are kept,
    so what an administrator edited by hand survives a re-import. Returns (holidays added, workdays added)."""
    _require_sla_admin(actor)
    before_h = calendar.holidays.count()
    before_w = calendar.extra_workdays.count()
    Holiday.objects.bulk_create(
        [Holiday(calendar=calendar, date=d, name=source) for d in sorted(set(holidays))], ignore_conflicts=True
    )
    ExtraWorkday.objects.bulk_create(
        [ExtraWorkday(calendar=calendar, date=d, name=source) for d in sorted(set(extra_workdays))],
        ignore_conflicts=True,
    )
    calendar.save(update_fields=["updated_at"])  # new version: cached arithmetic calendars rebuild
    added = (calendar.holidays.count() - before_h, calendar.extra_workdays.count() - before_w)
    audit(actor, "sla_calendar_imported", calendar, {"source": source, "holidays": added[0], "workdays": added[1]})
    return added


@transaction.atomic
def policy_create(
    *,
    actor: User | None,
    name: str,
    calendar: Calendar,
    priority: int,
    response_minutes: int,
    resolution_minutes: int,
    warning_percent: int = 75,
    customer_tier: str | None = None,
    ticket_type: str = "",
    category=None,
) -> Policy:
    _require_sla_admin(actor)
    errors: dict[str, list[str]] = {}
    if not (name or "").strip():
        errors["name"] = [_("A name is required.")]
    if priority not in (1, 2, 3, 4):
        errors["priority"] = [_("Priority must be 1 to 4.")]
    if not response_minutes or response_minutes <= 0:
        errors["response_minutes"] = [_("The response target must be a positive number of minutes.")]
    if not resolution_minutes or resolution_minutes <= 0:
        errors["resolution_minutes"] = [_("The resolution target must be a positive number of minutes.")]
    if not 1 <= (warning_percent or 0) <= 100:
        errors["warning_percent"] = [_("Warn at 1 to 100 percent of the target.")]
    if errors:
        raise ValidationFailed(errors)
    policy = Policy.objects.create(
        name=name.strip(),
        calendar=calendar,
        priority=priority,
        response_minutes=response_minutes,
        resolution_minutes=resolution_minutes,
        warning_percent=warning_percent,
        customer_tier=customer_tier or None,
        ticket_type=ticket_type or "",
        category=category,
    )
    audit(actor, "sla_policy_created", policy, {"priority": priority, "customer_tier": customer_tier})
    return policy


# --- policy matching -----------------------------------------------------------------------------------


def policy_for(ticket: Ticket) -> Policy | None:
    """The most specific active policy: one naming the customer tier beats one for any tier, then category,
    then type; among equals, the most recently created."""
    tier = "vip" if ticket.is_vip else "standard"
    candidates = (
        Policy.objects.filter(is_active=True, priority=ticket.priority)
        .filter(Q(customer_tier=tier) | Q(customer_tier__isnull=True))
        .filter(Q(ticket_type=ticket.type) | Q(ticket_type=""))
        .filter(Q(category_id=ticket.category_id) | Q(category__isnull=True))
        .select_related("calendar")
    )

    def specificity(p: Policy) -> tuple:
        return (p.customer_tier is not None, p.category_id is not None, p.ticket_type != "", p.created_at, p.pk)

    matches = sorted(candidates, key=specificity, reverse=True)
    return matches[0] if matches else None


# --- clocks --------------------------------------------------------------------------------------------


def _elapsed(clock: Clock, cal: bt.BusinessCalendar, at: datetime) -> int:
    if clock.running_since is None or at <= clock.running_since:
        return clock.elapsed_seconds
    return clock.elapsed_seconds + bt.business_seconds_between(cal, clock.running_since, at)


def _warning_threshold(clock: Clock) -> int:
    return math.ceil(clock.target_seconds * clock.warning_percent / 100)


def _schedule(clock: Clock, cal: bt.BusinessCalendar) -> None:
    """Recompute due_at / warn_at / next_check_at of a clock that accrues time from running_since."""
    since = clock.running_since
    remaining = clock.target_seconds - clock.elapsed_seconds
    clock.due_at = bt.add_business_seconds(cal, since, remaining) if remaining > 0 else since
    if clock.warned_at is None:
        to_warn = _warning_threshold(clock) - clock.elapsed_seconds
        clock.warn_at = bt.add_business_seconds(cal, since, to_warn) if to_warn > 0 else since
    else:
        clock.warn_at = None
    clock.next_check_at = _next_check(clock)


def _next_check(clock: Clock) -> datetime | None:
    """When the sweep must next look at this clock: its warning if not yet given, else its deadline."""
    pending = [
        t
        for t in (
            clock.warn_at if clock.warned_at is None else None,
            clock.due_at if clock.breached_at is None else None,
        )
        if t is not None
    ]
    return min(pending) if pending else None


def _live_state(clock: Clock) -> str:
    if clock.breached_at is not None:
        return Clock.State.BREACHED
    if clock.warned_at is not None:
        return Clock.State.WARNING
    return Clock.State.RUNNING


def _sync_ticket_due(ticket: Ticket) -> None:
    """Keep Ticket.sla_due (soonest running deadline) for 'breaching soonest first' ordering."""
    due = (
        Clock.objects.filter(ticket=ticket, stopped_at__isnull=True, running_since__isnull=False, due_at__isnull=False)
        .order_by("due_at")
        .values_list("due_at", flat=True)
        .first()
    )
    if ticket.sla_due != due:
        Ticket.objects.filter(pk=ticket.pk).update(sla_due=due)
        ticket.sla_due = due


def _event(ticket: Ticket, kind: str, clock: Clock, **data: Any) -> None:
    from tickets.services import record_event

    record_event(ticket, None, kind, {"metric": clock.metric, **data})


def clocks_start(*, ticket: Ticket) -> None:
    """Start the response and resolution clocks of a new ticket from its creation instant. With no matching
    policy the ticket gets no clocks: it shows 'no SLA policy' and a warning is logged — never a crash."""
    policy = policy_for(ticket)
    if policy is None:
        logger.warning("No SLA policy matches ticket %s (priority %s)", ticket.number, ticket.priority)
        return
    cal = business_calendar(policy.calendar)
    clocks = []
    for metric, minutes in (
        (Clock.Metric.RESPONSE, policy.response_minutes),
        (Clock.Metric.RESOLUTION, policy.resolution_minutes),
    ):
        clock = Clock(
            ticket=ticket,
            metric=metric,
            policy=policy,
            calendar=policy.calendar,
            target_seconds=minutes * 60,
            warning_percent=policy.warning_percent,
            running_since=ticket.created_at,
            state=Clock.State.RUNNING,
        )
        _schedule(clock, cal)
        clocks.append(clock)
    # Ticket creation is a hot path: one insert for both clocks, and the soonest deadline is already known.
    Clock.objects.bulk_create(clocks)
    due = min(c.due_at for c in clocks)
    if ticket.sla_due != due:
        Ticket.objects.filter(pk=ticket.pk).update(sla_due=due)
        ticket.sla_due = due


def _clocks(ticket: Ticket) -> list[Clock]:
    return list(Clock.objects.select_for_update().filter(ticket=ticket).select_related("calendar").order_by("metric"))


def clocks_retarget(*, ticket: Ticket) -> None:
    """Priority, tier or type changed: move unstopped clocks to the policy that matches now, keeping the
    business time already elapsed (measured on the old calendar up to now)."""
    policy = policy_for(ticket)
    clocks = _clocks(ticket)
    if not clocks:
        if policy is not None and ticket.status not in STOPPED_TICKET:
            clocks_start(ticket=ticket)
        return
    if policy is None:
        return
    now = timezone.now()
    new_cal = business_calendar(policy.calendar)
    for clock in clocks:
        if clock.stopped_at is not None:
            continue
        old_cal = business_calendar(clock.calendar)
        if clock.running_since is not None:
            clock.elapsed_seconds = _elapsed(clock, old_cal, now)
            clock.running_since = now
        clock.policy = policy
        clock.calendar = policy.calendar
        clock.target_seconds = (
            policy.response_minutes if clock.metric == Clock.Metric.RESPONSE else policy.resolution_minutes
        ) * 60
        clock.warning_percent = policy.warning_percent
        if clock.running_since is not None:
            _schedule(clock, new_cal)
        clock.save()
    _sync_ticket_due(ticket)


def clock_stop(*, ticket: Ticket, metric: str, at: datetime) -> None:
    """The target is reached at `at`: met if within target, else breached (recorded once)."""
    clock = Clock.objects.select_for_update().select_related("calendar").filter(ticket=ticket, metric=metric).first()
    if clock is None or clock.stopped_at is not None:
        return
    cal = business_calendar(clock.calendar)
    clock.elapsed_seconds = _elapsed(clock, cal, at)
    clock.running_since = None
    clock.stopped_at = at
    clock.next_check_at = None
    if clock.breached_at is None and clock.elapsed_seconds > clock.target_seconds:
        # Late, and the sweep had not caught it yet: the breach is recorded now, once.
        _record_escalation(clock, Escalation.Level.BREACH, at)
        clock.breached_at = at
    clock.state = Clock.State.BREACHED if clock.breached_at else Clock.State.MET
    clock.save()
    if clock.state == Clock.State.MET:
        _event(ticket, E.SLA_MET, clock, elapsed_seconds=clock.elapsed_seconds)
    _sync_ticket_due(ticket)


def clocks_pause(*, ticket: Ticket) -> None:
    """The desk waits on the requester: accrue the time so far and stop counting."""
    now = timezone.now()
    for clock in _clocks(ticket):
        if clock.stopped_at is not None or clock.running_since is None:
            continue
        clock.elapsed_seconds = _elapsed(clock, business_calendar(clock.calendar), now)
        clock.running_since = None
        clock.next_check_at = None
        if clock.breached_at is None:
            clock.state = Clock.State.PAUSED
            clock.due_at = None
            clock.warn_at = None
        clock.save()
        _event(ticket, E.SLA_PAUSED, clock, elapsed_seconds=clock.elapsed_seconds)
    _sync_ticket_due(ticket)


def clocks_resume(*, ticket: Ticket) -> None:
    """Count again from now; due times move by the length of the pause."""
    now = timezone.now()
    for clock in _clocks(ticket):
        if clock.stopped_at is not None or clock.running_since is not None:
            continue
        clock.running_since = now
        clock.state = _live_state(clock)
        _schedule(clock, business_calendar(clock.calendar))
        clock.save()
        _event(ticket, E.SLA_RESUMED, clock, due_at=clock.due_at.isoformat() if clock.due_at else None)
    _sync_ticket_due(ticket)


def clocks_reopen(*, ticket: Ticket) -> None:
    """A reopened ticket's resolution clock runs again with the time it had used; a 'met' verdict is undone."""
    now = timezone.now()
    clock = (
        Clock.objects.select_for_update()
        .select_related("calendar")
        .filter(ticket=ticket, metric=Clock.Metric.RESOLUTION)
        .first()
    )
    if clock is None or clock.void:
        return
    clock.stopped_at = None
    clock.running_since = now
    clock.state = _live_state(clock)
    _schedule(clock, business_calendar(clock.calendar))
    clock.save()
    _event(ticket, E.SLA_RESUMED, clock, due_at=clock.due_at.isoformat() if clock.due_at else None, reopened=True)
    _sync_ticket_due(ticket)


def clocks_cancel(*, ticket: Ticket) -> None:
    """A cancelled ticket's clocks stop without a verdict: they count in no report."""
    now = timezone.now()
    for clock in _clocks(ticket):
        if clock.stopped_at is not None:
            continue
        clock.elapsed_seconds = _elapsed(clock, business_calendar(clock.calendar), now)
        clock.running_since = None
        clock.stopped_at = now
        clock.next_check_at = None
        clock.void = True
        if clock.breached_at is None:
            clock.state = Clock.State.PAUSED
            clock.due_at = None
        clock.save()
    _sync_ticket_due(ticket)


# --- the sweep -----------------------------------------------------------------------------------------


def _record_escalation(clock: Clock, level: str, at: datetime) -> bool:
    """Insert the escalation row; False if it already exists (a re-run or a racing sweep did it)."""
    try:
        with transaction.atomic():
            Escalation.objects.create(clock=clock, level=level, at=at)
    except IntegrityError:
        return False
    return True


def _insert_escalations(rows: list[tuple[int, str, datetime]]) -> set[tuple[int, str]]:
    """Insert escalation rows in one statement; return the (clock, level) pairs that were new. A pair that
    exists already (a re-run, or a sweep that crashed after committing) is skipped by the unique constraint."""
    if not rows:
        return set()
    ops = connection.ops
    table = Escalation._meta.db_table
    values = ", ".join(["(%s, %s, %s)"] * len(rows))
    params: list[Any] = []
    for clock_id, level, at in rows:
        params += [clock_id, level, ops.adapt_datetimefield_value(at)]
    sql = (
        f"INSERT INTO {table} (clock_id, level, at) VALUES {values} "  # noqa: S608 - placeholders only
        "ON CONFLICT (clock_id, level) DO NOTHING RETURNING clock_id, level"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return {(clock_id, level) for clock_id, level in cursor.fetchall()}


def _process_batch(batch: list[Clock], now: datetime) -> tuple[int, int]:
    """Fire the due warnings and breaches of a claimed batch with a handful of set-based statements."""
    wanted: list[tuple[int, str, datetime]] = []
    for clock in batch:
        if clock.warned_at is None and clock.warn_at is not None and clock.warn_at <= now:
            clock.warned_at = clock.warn_at
            wanted.append((clock.pk, Escalation.Level.WARNING, clock.warn_at))
        if clock.breached_at is None and clock.due_at is not None and clock.due_at <= now:
            clock.breached_at = clock.due_at
            wanted.append((clock.pk, Escalation.Level.BREACH, clock.due_at))
        clock.state = _live_state(clock)
        clock.next_check_at = _next_check(clock)
    fired = _insert_escalations(wanted)
    by_id = {clock.pk: clock for clock in batch}
    events = []
    for clock_id, level, _at in wanted:
        if (clock_id, level) not in fired:
            continue
        clock = by_id[clock_id]
        kind = E.SLA_BREACHED if level == Escalation.Level.BREACH else E.SLA_WARNING
        data = {"metric": clock.metric, "due_at": clock.due_at.isoformat() if clock.due_at else None}
        events.append(TicketEvent(ticket_id=clock.ticket_id, kind=kind, actor=None, at=now, data=data))
    TicketEvent.objects.bulk_create(events)
    _save_swept(batch)
    if fired:
        items = sorted(fired)
        transaction.on_commit(partial(_notify_later, items=items))
        breached = [by_id[clock_id] for clock_id, level in items if level == Escalation.Level.BREACH]
        _schedule_escalation_rules(breached)
    warnings = sum(1 for _c, level in fired if level == Escalation.Level.WARNING)
    return warnings, len(fired) - warnings


def _save_swept(batch: list[Clock]) -> None:
    """Write the swept columns of a batch in one statement. Django's bulk_update builds a CASE per row and
    column, which costs more Python time than the whole sweep; PostgreSQL takes a VALUES list instead."""
    if connection.vendor != "postgresql":
        Clock.objects.bulk_update(batch, ["warned_at", "breached_at", "state", "next_check_at"])
        return
    table = Clock._meta.db_table
    values = ", ".join(["(%s, %s::timestamptz, %s::timestamptz, %s, %s::timestamptz)"] * len(batch))
    params: list[Any] = []
    for c in batch:
        params += [c.pk, c.warned_at, c.breached_at, c.state, c.next_check_at]
    sql = (
        f"UPDATE {table} AS c SET warned_at = v.warned_at, breached_at = v.breached_at, "  # noqa: S608
        "state = v.state, next_check_at = v.next_check_at "
        f"FROM (VALUES {values}) AS v(id, warned_at, breached_at, state, next_check_at) WHERE c.id = v.id"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def _schedule_escalation_rules(breached: list[Clock]) -> None:
    """Breached clocks whose policy has escalation rules get them applied once, after commit."""
    policy_ids = {c.policy_id for c in breached if c.policy_id}
    if not policy_ids:
        return
    with_rules = set(
        Policy.objects.filter(pk__in=policy_ids)
        .filter(Q(breach_raise_priority=True) | Q(breach_escalate_to__isnull=False))
        .values_list("pk", flat=True)
    )
    ids = [c.pk for c in breached if c.policy_id in with_rules]
    if ids:
        from .tasks import sla_escalate_task

        transaction.on_commit(partial(sla_escalate_task.delay, clock_ids=ids))


def apply_escalation_rules(*, clock_id: int) -> None:
    """Apply the breach rules of a clock's policy to its ticket (the ticket service is a no-op when closed).
    Runs once per breach: the task is scheduled only when the breach escalation row was new."""
    from tickets.services import ticket_escalate

    clock = Clock.objects.select_related("ticket", "policy__breach_escalate_to").filter(pk=clock_id).first()
    if clock is None or clock.policy is None:
        return
    with transaction.atomic():
        claimed = Escalation.objects.filter(
            clock_id=clock_id, level=Escalation.Level.BREACH, rules_applied_at__isnull=True
        ).update(rules_applied_at=timezone.now())
        if not claimed:
            return
        ticket_escalate(
            ticket=clock.ticket,
            raise_priority=clock.policy.breach_raise_priority,
            group=clock.policy.breach_escalate_to,
        )


def _notify_later(*, items: list[tuple[int, str]]) -> None:
    from .tasks import sla_notify_task

    for start in range(0, len(items), 200):
        sla_notify_task.delay(items=[list(i) for i in items[start : start + 200]])


def sla_sweep(*, now: datetime | None = None, batch_size: int = 500) -> dict[str, int]:
    """Fire every due warning and breach once. Each batch is claimed with SKIP LOCKED in its own transaction,
    so concurrent sweeps share the work and a crash loses at most the uncommitted batch (re-done next run).
    The cost follows the due rows (an index range scan on next_check_at), not the open tickets."""
    now = now or timezone.now()
    totals = {"warnings": 0, "breaches": 0, "clocks": 0}
    while True:
        with transaction.atomic():
            batch = list(
                Clock.objects.select_for_update(skip_locked=True)
                .filter(next_check_at__lte=now, stopped_at__isnull=True, running_since__isnull=False)
                .order_by("next_check_at")[:batch_size]
            )
            if batch:
                w, b = _process_batch(batch, now)
                totals["warnings"] += w
                totals["breaches"] += b
                totals["clocks"] += len(batch)
        if len(batch) < batch_size:
            return totals


def notify_escalation(*, clock_id: int, level: str) -> int:
    """Tell the assignee and group lead at a warning; also the supervisors at a breach. Idempotent."""
    from servicedesk.notifications import notify, ticket_url

    clock = Clock.objects.select_related("ticket__assignee", "ticket__group__lead").filter(pk=clock_id).first()
    if clock is None:
        return 0
    ticket = clock.ticket
    recipients: dict[int, User] = {}
    for user in (ticket.assignee, ticket.group.lead if ticket.group_id else None):
        if user is not None and user.is_active:
            recipients[user.pk] = user
    if level == Escalation.Level.BREACH:
        for user in User.objects.filter(groups__name=Role.SUPERVISOR, is_active=True):
            recipients.setdefault(user.pk, user)
    metric_label = {"response": _("response"), "resolution": _("resolution")}

    def message() -> tuple[str, str]:
        params = {
            "number": ticket.number,
            "metric": metric_label.get(clock.metric, clock.metric),
            "title": ticket.title,
        }
        if level == Escalation.Level.BREACH:
            return (
                _("SLA breached: %(metric)s target of %(number)s") % params,
                _("The %(metric)s target of “%(title)s” has been missed.") % params,
            )
        return (
            _("SLA warning: %(metric)s target of %(number)s is close") % params,
            _("The %(metric)s target of “%(title)s” is about to be missed.") % params,
        )

    for user in recipients.values():
        notify(
            recipient=user,
            key=f"sla-{level}:{clock.pk}",
            verb=f"sla_{level}",
            message_factory=message,
            url=ticket_url(ticket.number),
        )
    return len(recipients)
