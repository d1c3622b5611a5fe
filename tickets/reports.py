"""Quality reports: every KPI is defined once, here, and the dashboard, the exports, the weekly email and the API
all read it through these selectors. docs/KPIS.md states the definitions in words.

A report counts the tickets *created* in a period (dates in the server's TIME_ZONE, both included) that match the
filters (group, category with its sub-categories, type, priority, channel). Rates are fractions 0..1, `None` when
their denominator is 0.

How it stays fast at millions of tickets: every query is an aggregate in SQL over an index range.
- The period is a range of `created_at` (index `ticket_created_idx`). The SLA clocks and follow-ups of those tickets
  are reached through a range of `ticket_id` (their ticket indexes): ids grow with creation time, so the period's
  tickets are one contiguous id range. When that range holds exactly the period's tickets (checked with one
  index-only count) and no filter is set, clocks and follow-ups are aggregated without joining the ticket table.
- Business times are the SLA clocks' stored business seconds (a stopped clock's `elapsed_seconds` *is* the business
  time to respond / resolve, on the ticket's SLA calendar), so no calendar arithmetic runs at report time.
- On PostgreSQL the breakdowns (per group, technician, agent, category, channel, time bucket) come from one
  `GROUPING SETS` query for tickets and clocks and one for follow-ups, so a dashboard is a fixed handful of queries.
  Percentiles are `percentile_cont`. The SQLite demo runs the same SQL once per grouping set and takes percentiles
  in Python (its data is small).
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, fields, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import BooleanField, Count, Exists, F, OuterRef, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from servicedesk.errors import ValidationFailed
from servicedesk.models import Category, Role, SupportGroup, User
from sla.models import Clock

from .models import Complaint, FollowUp, Ticket, TicketEvent

# Who reads the reports (API.md): supervisors, quality analysts, administrators.
REPORT_ROLES = (Role.SUPERVISOR, Role.QUALITY_ANALYST, Role.ADMIN)

TICKETS = Ticket._meta.db_table
CLOCKS = Clock._meta.db_table
FOLLOWUPS = FollowUp._meta.db_table
EVENTS = TicketEvent._meta.db_table

MAX_PERIOD_DAYS = 3 * 366


def may_read_reports(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.has_role(*REPORT_ROLES))


# --- periods and filters -------------------------------------------------------------------------------


def local_tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def local_today() -> date:
    return timezone.now().astimezone(local_tz()).date()


@dataclass(frozen=True)
class Period:
    """Dates in the server's TIME_ZONE, both included. `kind` (today, week, month, custom) decides what the previous
    period is: yesterday, last week, last month, or the same number of days just before."""

    start: date
    end: date
    kind: str = "custom"

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def bounds(self) -> tuple[datetime, datetime]:
        """[start 00:00, day after end 00:00) as aware instants."""
        tz = local_tz()
        return (
            datetime.combine(self.start, time.min, tzinfo=tz),
            datetime.combine(self.end + timedelta(days=1), time.min, tzinfo=tz),
        )

    def previous(self) -> Period:
        if self.kind == "month" and self.start.day == 1:
            last = self.start - timedelta(days=1)
            return Period(last.replace(day=1), last, "month")
        return Period(self.start - timedelta(days=self.days), self.start - timedelta(days=1), self.kind)

    @classmethod
    def preset(cls, kind: str, today: date | None = None) -> Period:
        today = today or local_today()
        if kind == "today":
            return cls(today, today, "today")
        if kind == "week":
            monday = today - timedelta(days=today.weekday())
            return cls(monday, monday + timedelta(days=6), "week")
        if kind == "month":
            first = today.replace(day=1)
            following = (first + timedelta(days=32)).replace(day=1)
            return cls(first, following - timedelta(days=1), "month")
        raise ValueError(kind)

    @classmethod
    def iso_week(cls, year: int, week: int) -> Period:
        monday = date.fromisocalendar(year, week, 1)
        return cls(monday, monday + timedelta(days=6), "week")

    def bucket(self) -> str:
        """The time bucket of a trend over this period."""
        if self.days <= 31:
            return "day"
        if self.days <= 190:
            return "week"
        return "month"


PRESETS = ("today", "week", "month")


def parse_date(value: Any, field_name: str, errors: dict[str, list[str]]) -> date | None:
    if value in (None, ""):
        errors[field_name] = [_("This field is required.")]
        return None
    try:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", str(value)):
            raise ValueError
        return date.fromisoformat(str(value))
    except ValueError:
        errors[field_name] = [_("Enter a valid date as YYYY-MM-DD.")]
        return None


def period_from_params(
    params: Mapping[str, Any], *, allow_preset: bool = False, max_days: int | None = MAX_PERIOD_DAYS
) -> Period:
    """`from` and `to` (YYYY-MM-DD, both required, from ≤ to); pages may instead name a preset in `period`.
    `max_days` bounds the pages' and breakdowns' periods (a trend of decades helps nobody); the summary API takes
    any span. Raises ValidationFailed with field errors."""
    preset = params.get("period") or ""
    if allow_preset and preset in PRESETS:
        return Period.preset(preset)
    if allow_preset and not params.get("from") and not params.get("to"):
        return Period.preset("week")
    errors: dict[str, list[str]] = {}
    start = parse_date(params.get("from"), "from", errors)
    end = parse_date(params.get("to"), "to", errors)
    if start and start.year < 1900:
        errors["from"] = [_("Enter a date from 1900 on.")]
    if end and end.year > 9000:
        errors["to"] = [_("Enter a date before the year 9000.")]
    if errors:
        raise ValidationFailed(errors)
    assert start is not None and end is not None
    if start > end:
        errors["to"] = [_("The end date must not be before the start date.")]
    elif max_days is not None and (end - start).days + 1 > max_days:
        errors["to"] = [_("A report covers at most %(days)d days.") % {"days": max_days}]
    if errors:
        raise ValidationFailed(errors)
    return Period(start, end, "custom")


@dataclass(frozen=True)
class Filters:
    """Dashboard filters; `category_ids` is the chosen category with its sub-categories."""

    group: int | None = None
    category: int | None = None
    category_ids: tuple[int, ...] = ()
    type: str = ""
    priority: int | None = None
    channel: str = ""

    @property
    def active(self) -> bool:
        return bool(self.group or self.category or self.type or self.priority or self.channel)

    def as_params(self) -> dict[str, str]:
        out = {
            "group": self.group,
            "category": self.category,
            "type": self.type,
            "priority": self.priority,
            "channel": self.channel,
        }
        return {k: str(v) for k, v in out.items() if v not in (None, "")}


FILTER_NAMES = ("group", "category", "type", "priority", "channel")


def filters_from_params(
    params: Mapping[str, Any], *, strict: bool = False, tree: CategoryTree | None = None
) -> Filters:
    """The filters from a query string. `strict` (the API) answers 400 for an unknown value; pages drop it."""
    errors: dict[str, list[str]] = {}

    def number(name: str) -> int | None:
        raw = str(params.get(name) or "").strip()
        if not raw:
            return None
        if raw.isdigit():
            return int(raw)
        errors[name] = [_("Enter a whole number.")]
        return None

    group = number("group")
    category = number("category")
    priority = number("priority")
    if priority is not None and priority not in Ticket.Priority.values:
        errors["priority"] = [_("Priority must be 1 to 4.")]
        priority = None
    kind = str(params.get("type") or "").strip()
    if kind and kind not in Ticket.Type.values:
        errors["type"] = [_("Unknown ticket type.")]
        kind = ""
    channel = str(params.get("channel") or "").strip()
    if channel and channel not in Ticket.Channel.values:
        errors["channel"] = [_("Unknown channel.")]
        channel = ""
    if errors and strict:
        raise ValidationFailed(errors)
    ids: tuple[int, ...] = ()
    if category is not None:
        ids = (tree or category_tree()).subtree(category)
    return Filters(group=group, category=category, category_ids=ids, type=kind, priority=priority, channel=channel)


@dataclass
class CategoryTree:
    """All categories (a small table) with their full names ("Hardware / Printers"), read in one query."""

    names: dict[int, str]
    parents: dict[int, int | None]
    active: list[int]

    def subtree(self, pk: int) -> tuple[int, ...]:
        children: dict[int | None, list[int]] = {}
        for child, parent in self.parents.items():
            children.setdefault(parent, []).append(child)
        out, todo = [], [pk]
        while todo:
            node = todo.pop()
            if node in out:
                continue
            out.append(node)
            todo.extend(children.get(node, []))
        return tuple(sorted(out))

    def choices(self) -> list[tuple[int, str]]:
        return sorted(((pk, self.names[pk]) for pk in self.active), key=lambda c: c[1].lower())


def category_tree() -> CategoryTree:
    rows = list(Category.objects.values_list("pk", "name", "parent_id", "is_active"))
    raw = {pk: (name, parent) for pk, name, parent, _active in rows}

    def full(pk: int) -> str:
        parts, seen, node = [], set(), pk
        while node is not None and node in raw and node not in seen:
            seen.add(node)
            parts.append(raw[node][0])
            node = raw[node][1]
        return " / ".join(reversed(parts))

    return CategoryTree(
        names={pk: full(pk) for pk in raw},
        parents={pk: parent for pk, (_n, parent) in raw.items()},
        active=[pk for pk, _n, _p, active in rows if active],
    )


@dataclass(frozen=True)
class Scope:
    """The tickets a report counts: created in [start, end) and matching the filters."""

    start: datetime
    end: datetime
    filters: Filters = Filters()

    @classmethod
    def of(cls, period: Period, filters: Filters | None = None) -> Scope:
        start, end = period.bounds()
        return cls(start, end, filters or Filters())


# --- the KPI definitions (SQL conditions, written once) ---------------------------------------------------
#
# `{t}` is a ticket row, `{c}` an SLA clock, `{f}` a follow-up. The aggregates below and the drill-down ticket lists
# both use these conditions, so a figure and the list behind its link always agree.

EVER_RESOLVED = "({t}.resolved_at IS NOT NULL OR {t}.reopen_count > 0)"  # a reopened ticket had been resolved
FIRST_CONTACT = "({t}.first_contact_resolution AND {t}.resolved_at IS NOT NULL)"  # reopening clears it
REOPENED = "({t}.reopen_count > 0)"
CLOCK_COUNTED = "(NOT {c}.void)"  # a cancelled ticket's clocks stop without a verdict
CLOCK_MET = "({c}.state = 'met')"
# Breached: recorded by the sweep or at the stop, or running past its deadline now (as the API's `sla` shows it,
# whether or not the sweep has caught up).
CLOCK_BREACHED = (
    "({c}.state = 'breached' OR ({c}.state <> 'met' AND {c}.stopped_at IS NULL "
    "AND {c}.running_since IS NOT NULL AND {c}.due_at <= %s))"
)
CLOCK_STOPPED = "({c}.stopped_at IS NOT NULL)"  # responded / resolved: elapsed_seconds is the business time taken
FU_COUNTED = "({f}.state <> 'cancelled')"  # a reopen withdraws the open callback; the next resolution gets one
FU_DONE = "({f}.state = 'done')"
FU_COMPLETED = "({f}.state IN ('done', 'unreachable'))"
FU_ON_TIME = "({f}.state IN ('done', 'unreachable') AND {f}.completed_at <= {f}.due_at)"
FU_LATE = (
    "(({f}.state IN ('done', 'unreachable') AND {f}.completed_at > {f}.due_at) "
    "OR ({f}.state = 'due' AND {f}.due_at < %s))"
)
FU_RATED = "({f}.satisfaction IS NOT NULL)"
FU_SATISFIED = "({f}.satisfaction >= 4)"
SATISFIED_MIN = 4


def _sql(template: str, **aliases: str) -> str:
    return template.format(**aliases)


def ratio(numerator: int | float | None, denominator: int | float | None) -> float | None:
    if not denominator or numerator is None:
        return None
    return numerator / denominator


def change(current: float | int | None, previous: float | int | None) -> float | None:
    """Current minus previous (rates in points of the fraction, counts and seconds in their unit)."""
    if current is None or previous is None:
        return None
    return current - previous


@dataclass
class Kpis:
    """The counts every KPI is computed from, and the KPIs as properties."""

    tickets: int = 0
    resolved: int = 0
    first_contact: int = 0
    reopened: int = 0
    response_met: int = 0
    response_breached: int = 0
    resolution_met: int = 0
    resolution_breached: int = 0
    response_mean: float | None = None  # business seconds
    response_p90: float | None = None
    resolution_mean: float | None = None
    resolution_p90: float | None = None
    followups: int = 0
    followups_done: int = 0
    followups_on_time: int = 0
    followups_late: int = 0
    rated: int = 0
    satisfaction_sum: int = 0
    satisfied: int = 0
    complaints: int | None = None
    deflections: int | None = None
    notices_published: int | None = None
    notices_late: int | None = None

    @property
    def fcr_rate(self) -> float | None:
        return ratio(self.first_contact, self.resolved)

    @property
    def reopen_rate(self) -> float | None:
        return ratio(self.reopened, self.resolved)

    @property
    def response_sla_rate(self) -> float | None:
        return ratio(self.response_met, self.response_met + self.response_breached)

    @property
    def resolution_sla_rate(self) -> float | None:
        return ratio(self.resolution_met, self.resolution_met + self.resolution_breached)

    @property
    def breaches(self) -> int:
        return self.response_breached + self.resolution_breached

    @property
    def avg_satisfaction(self) -> float | None:
        return ratio(self.satisfaction_sum, self.rated)

    @property
    def satisfied_rate(self) -> float | None:
        return ratio(self.satisfied, self.rated)

    @property
    def followup_completion_rate(self) -> float | None:
        return ratio(self.followups_done, self.followups)

    @property
    def followup_on_time_rate(self) -> float | None:
        return ratio(self.followups_on_time, self.followups_on_time + self.followups_late)

    @property
    def complaint_rate(self) -> float | None:
        return ratio(self.complaints, self.tickets) if self.complaints is not None else None

    @property
    def notice_on_time_rate(self) -> float | None:
        if self.notices_published is None or self.notices_late is None:
            return None
        return ratio(self.notices_published - self.notices_late, self.notices_published)

    def as_dict(self) -> dict[str, Any]:
        """Every count and KPI (API field names)."""
        out: dict[str, Any] = {f.name: getattr(self, f.name) for f in fields(self)}
        for name in KPI_RATE_NAMES:
            out[name] = getattr(self, name)
        return out


KPI_RATE_NAMES = (
    "fcr_rate",
    "reopen_rate",
    "response_sla_rate",
    "resolution_sla_rate",
    "avg_satisfaction",
    "satisfied_rate",
    "followup_completion_rate",
    "followup_on_time_rate",
    "complaint_rate",
    "notice_on_time_rate",
)


@dataclass(frozen=True)
class KpiSpec:
    """How a KPI is shown: label, unit (count, rate, seconds, score), whether up is good, and the drill-down."""

    name: str
    label: Any
    unit: str
    higher_is_better: bool | None = True
    drill: str = ""  # the `kpi` of the ticket list behind the figure


KPI_SPECS: tuple[KpiSpec, ...] = (
    KpiSpec("tickets", gettext_lazy("Tickets"), "count", None, ""),
    KpiSpec("fcr_rate", gettext_lazy("First-contact resolution"), "rate", True, "first_contact"),
    KpiSpec("response_mean", gettext_lazy("Mean time to first response"), "seconds", False, "responded"),
    KpiSpec("response_p90", gettext_lazy("90th percentile time to first response"), "seconds", False, "responded"),
    KpiSpec("resolution_mean", gettext_lazy("Mean time to resolution"), "seconds", False, "resolution_stopped"),
    KpiSpec(
        "resolution_p90", gettext_lazy("90th percentile time to resolution"), "seconds", False, "resolution_stopped"
    ),
    KpiSpec("response_sla_rate", gettext_lazy("Response SLA met"), "rate", True, "response_breached"),
    KpiSpec("resolution_sla_rate", gettext_lazy("Resolution SLA met"), "rate", True, "resolution_breached"),
    KpiSpec("avg_satisfaction", gettext_lazy("Average satisfaction (1–5)"), "score", True, "rated"),
    KpiSpec("satisfied_rate", gettext_lazy("Satisfied (4–5)"), "rate", True, "satisfied"),
    KpiSpec("followup_completion_rate", gettext_lazy("Follow-ups done"), "rate", True, "followup_open"),
    KpiSpec("followup_on_time_rate", gettext_lazy("Follow-ups on time"), "rate", True, "followup_late"),
    KpiSpec("reopen_rate", gettext_lazy("Reopened"), "rate", False, "reopened"),
    KpiSpec("complaint_rate", gettext_lazy("Complaints per ticket"), "rate", False, "complaints"),
    KpiSpec("deflections", gettext_lazy("Reports deflected by articles"), "count", True, ""),
    KpiSpec("notice_on_time_rate", gettext_lazy("Maintenance notices on time"), "rate", True, ""),
)
KPI_BY_NAME = {spec.name: spec for spec in KPI_SPECS}


def kpi_value(kpis: Kpis, name: str) -> Any:
    return getattr(kpis, name)


def kpi_available(kpis: Kpis, name: str) -> bool:
    """Deflections and the notice on-time rate exist only when the knowledge / notices apps provide them."""
    if name == "deflections":
        return kpis.deflections is not None
    if name == "notice_on_time_rate":
        return kpis.notices_published is not None
    return True


# --- SQL building blocks ----------------------------------------------------------------------------------


def _is_pg() -> bool:
    return connection.vendor == "postgresql"


@contextmanager
def tuned() -> Iterator[None]:
    """Report queries in one read transaction with settings that suit them on PostgreSQL: enough work_mem to hash and
    sort a period's rows in memory, and no JIT (compiling costs more than these ~100 ms aggregates run). SET LOCAL
    ends with the transaction, so nothing leaks to other requests on the connection."""
    with transaction.atomic():
        if _is_pg():
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL work_mem = '64MB'; SET LOCAL jit = off")
        yield


def _scope_where(scope: Scope, t: str = "t") -> tuple[str, list[Any]]:
    """The ticket conditions of a scope (period and filters) on alias `t`."""
    parts = [f"{t}.created_at >= %s", f"{t}.created_at < %s"]
    params: list[Any] = [scope.start, scope.end]
    f = scope.filters
    if f.group:
        parts.append(f"{t}.group_id = %s")
        params.append(f.group)
    if f.category:
        ids = f.category_ids or (f.category,)
        parts.append(f"{t}.category_id IN ({', '.join(['%s'] * len(ids))})")
        params.extend(ids)
    if f.type:
        parts.append(f"{t}.type = %s")
        params.append(f.type)
    if f.priority:
        parts.append(f"{t}.priority = %s")
        params.append(f.priority)
    if f.channel:
        parts.append(f"{t}.channel = %s")
        params.append(f.channel)
    return " AND ".join(parts), params


def _fetch(sql: str, params: Sequence[Any]) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _columns(sql: str, params: Sequence[Any]) -> list[dict[str, Any]]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        names = [c[0] for c in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


@dataclass(frozen=True)
class IdRange:
    """The smallest and largest ticket id of a scope; `exact` when the range holds no other ticket."""

    lo: int
    hi: int
    exact: bool

    def sql(self, column: str) -> tuple[str, list[int]]:
        return f"{column} BETWEEN %s AND %s", [self.lo, self.hi]


TICKET_MEASURES = (
    ("tickets", "COUNT(*)"),
    ("resolved", f"COUNT(*) FILTER (WHERE {_sql(EVER_RESOLVED, t='t')})"),
    ("first_contact", f"COUNT(*) FILTER (WHERE {_sql(FIRST_CONTACT, t='t')})"),
    ("reopened", f"COUNT(*) FILTER (WHERE {_sql(REOPENED, t='t')})"),
)


def _ticket_totals(scope: Scope) -> tuple[dict[str, int], IdRange | None]:
    where, params = _scope_where(scope)
    measures = ", ".join(f"{sql} AS {name}" for name, sql in TICKET_MEASURES)
    # MIN/MAX next to COUNT: PostgreSQL reads the created_at range once instead of walking the primary key.
    row = _columns(f"SELECT {measures}, MIN(t.id) AS lo, MAX(t.id) AS hi FROM {TICKETS} t WHERE {where}", params)[0]  # noqa: S608
    counts = {name: int(row[name] or 0) for name, _sql_ in TICKET_MEASURES}
    if not counts["tickets"]:
        return counts, None
    exact = False
    if not scope.filters.active:
        inside = _fetch(f"SELECT COUNT(*) FROM {TICKETS} WHERE id BETWEEN %s AND %s", [row["lo"], row["hi"]])[0][0]  # noqa: S608
        exact = inside == counts["tickets"]
    return counts, IdRange(row["lo"], row["hi"], exact)


def _bounds(scope: Scope) -> tuple[int, int] | None:
    """The smallest and largest id of the scope's tickets. (COUNT next to MIN/MAX keeps PostgreSQL on the created_at
    range instead of walking the primary key from one end looking for the first match.)"""
    where, params = _scope_where(scope)
    lo, hi, _n = _fetch(f"SELECT MIN(t.id), MAX(t.id), COUNT(*) FROM {TICKETS} t WHERE {where}", params)[0]  # noqa: S608
    return None if lo is None else (lo, hi)


def _restricted(scope: Scope, rng: IdRange, table: str, alias: str) -> tuple[str, list[Any]]:
    """FROM … WHERE of a table keyed by ticket_id, restricted to the scope's tickets."""
    range_sql, range_params = rng.sql(f"{alias}.ticket_id")
    if rng.exact:
        return f"{table} {alias} WHERE {range_sql}", range_params
    where, params = _scope_where(scope)
    return (
        f"{table} {alias} JOIN {TICKETS} t ON t.id = {alias}.ticket_id WHERE {range_sql} AND {where}",
        range_params + params,
    )


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """PostgreSQL's percentile_cont: linear interpolation between the two nearest ranks of the sorted values."""
    if not values:
        return None
    ordered = sorted(values)
    pos = fraction * (len(ordered) - 1)
    low = math.floor(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def _clock_totals(scope: Scope, rng: IdRange, now: datetime) -> dict[str, Any]:
    source, params = _restricted(scope, rng, CLOCKS, "c")
    c = {"c": "c"}
    measures = [
        f"COUNT(*) FILTER (WHERE {_sql(CLOCK_MET, **c)}) AS met",
        f"COUNT(*) FILTER (WHERE {_sql(CLOCK_BREACHED, **c)}) AS breached",
        f"AVG(c.elapsed_seconds) FILTER (WHERE {_sql(CLOCK_STOPPED, **c)}) AS mean",
    ]
    pg = _is_pg()
    if pg:
        measures.append(
            f"percentile_cont(0.9) WITHIN GROUP (ORDER BY c.elapsed_seconds) FILTER (WHERE {_sql(CLOCK_STOPPED, **c)})"
            " AS p90"
        )
    sql = f"SELECT c.metric, {', '.join(measures)} FROM {source} AND {_sql(CLOCK_COUNTED, **c)} GROUP BY c.metric"  # noqa: S608
    out: dict[str, Any] = {}
    for row in _columns(sql, [now, *params]):
        metric = row["metric"]
        out[f"{metric}_met"] = int(row["met"] or 0)
        out[f"{metric}_breached"] = int(row["breached"] or 0)
        out[f"{metric}_mean"] = float(row["mean"]) if row["mean"] is not None else None
        if pg:
            out[f"{metric}_p90"] = float(row["p90"]) if row["p90"] is not None else None
    if not pg:
        sql = (
            f"SELECT c.metric, c.elapsed_seconds FROM {source} AND {_sql(CLOCK_COUNTED, **c)} "  # noqa: S608
            f"AND {_sql(CLOCK_STOPPED, **c)}"
        )
        values: dict[str, list[float]] = {}
        for metric, seconds in _fetch(sql, params):
            values.setdefault(metric, []).append(seconds)
        for metric in (Clock.Metric.RESPONSE, Clock.Metric.RESOLUTION):
            out[f"{metric}_p90"] = percentile(values.get(metric, []), 0.9)
    return out


FOLLOWUP_MEASURES = (
    ("followups", f"COUNT(*) FILTER (WHERE {_sql(FU_COUNTED, f='f')})"),
    ("followups_done", f"COUNT(*) FILTER (WHERE {_sql(FU_DONE, f='f')})"),
    ("followups_on_time", f"COUNT(*) FILTER (WHERE {_sql(FU_ON_TIME, f='f')})"),
    ("followups_late", f"COUNT(*) FILTER (WHERE {_sql(FU_LATE, f='f')})"),
    ("rated", f"COUNT(*) FILTER (WHERE {_sql(FU_RATED, f='f')})"),
    ("satisfaction_sum", "COALESCE(SUM(f.satisfaction), 0)"),
    ("satisfied", f"COUNT(*) FILTER (WHERE {_sql(FU_SATISFIED, f='f')})"),
)


def _followup_totals(scope: Scope, rng: IdRange, now: datetime) -> dict[str, int]:
    source, params = _restricted(scope, rng, FOLLOWUPS, "f")
    measures = ", ".join(f"{sql} AS {name}" for name, sql in FOLLOWUP_MEASURES)
    row = _columns(f"SELECT {measures} FROM {source}", [now, *params])[0]  # noqa: S608
    return {name: int(row[name] or 0) for name, _sql_ in FOLLOWUP_MEASURES}


def complaints_qs(scope: Scope) -> QuerySet[Complaint]:
    """Complaints registered in the period; a group filter counts the complaints against that team. (A complaint is
    about a team or a person, not a category or channel: the other filters do not narrow it.)"""
    qs = Complaint.objects.filter(created_at__gte=scope.start, created_at__lt=scope.end)
    if scope.filters.group:
        qs = qs.filter(group_id=scope.filters.group)
    return qs


def _optional_figures(scope: Scope, kpis: Kpis) -> None:
    """Deflections (knowledge) and the notice on-time rate (notices), when those apps provide them."""
    kpis.deflections = deflection_count(scope)
    timeliness = notice_timeliness(scope)
    if timeliness is not None:
        kpis.notices_published, kpis.notices_late = timeliness


def deflection_count(scope: Scope) -> int | None:
    """Reports never filed because an article solved the problem (knowledge app), in the period. Not narrowed by
    the ticket filters: a deflection has no group or category."""
    try:
        from knowledge.models import Deflection
    except ImportError:  # the knowledge app is optional to the reports
        return None
    return Deflection.objects.filter(created_at__gte=scope.start, created_at__lt=scope.end).count()


def notice_timeliness(scope: Scope) -> tuple[int, int] | None:
    """(published, late) planned-maintenance notices in the period, through the notices app's selector; a group
    filter keeps that owner team's notices."""
    try:
        from notices.selectors import notice_timeliness as timeliness
    except ImportError:
        return None
    rows = timeliness(start=scope.start, end=scope.end)
    if scope.filters.group:
        rows = [r for r in rows if r.group_id == scope.filters.group]
    return sum(r.published for r in rows), sum(r.late for r in rows)


def report_summary(scope: Scope, *, now: datetime | None = None, optional: bool = True) -> Kpis:
    """Every KPI of a scope: at most five index-range aggregates, whatever the number of tickets."""
    with tuned():
        return _summary(scope, now=now or timezone.now(), optional=optional)


def _summary(scope: Scope, *, now: datetime, optional: bool) -> Kpis:
    counts, rng = _ticket_totals(scope)
    kpis = Kpis(**counts)
    if rng is not None:
        for name, value in _clock_totals(scope, rng, now).items():
            setattr(kpis, name, value)
        for name, value in _followup_totals(scope, rng, now).items():
            setattr(kpis, name, value)
    kpis.complaints = complaints_qs(scope).count()
    if optional:
        _optional_figures(scope, kpis)
    return kpis


# --- breakdowns -------------------------------------------------------------------------------------------

# Each dimension: the SQL of its key on a ticket row `t`, and the complaint column it counts against (if any).
DIMENSIONS: dict[str, tuple[str, str | None]] = {
    "group": ("t.group_id", "group_id"),
    "technician": ("t.assignee_id", "about_person_id"),
    # Who logged it, when that was someone for the requester: a report the requester filed themselves (portal, email)
    # counts in one "self-service" row, or every requester would be an "agent".
    "agent": ("(CASE WHEN t.created_by_id = t.requester_id THEN NULL ELSE t.created_by_id END)", "about_person_id"),
    "category": ("t.category_id", None),
    "channel": ("t.channel", None),
}
BUCKETS = ("day", "week", "month")
DIMENSION_LABELS = {
    "group": gettext_lazy("Support group"),
    "technician": gettext_lazy("Technician (assignee)"),
    "agent": gettext_lazy("Agent (logged by)"),
    "category": gettext_lazy("Category"),
    "channel": gettext_lazy("Channel"),
    "day": gettext_lazy("Day"),
    "week": gettext_lazy("Week"),
    "month": gettext_lazy("Month"),
}


def _bucket_sql(bucket: str) -> str:
    """The local calendar day / ISO week (its Monday) / month (its 1st) of t.created_at, as SQL without params (a
    GROUPING SETS expression must be textually identical wherever it appears)."""
    tz = settings.TIME_ZONE
    if not re.fullmatch(r"[A-Za-z0-9_+\-/]+", tz):  # the zone name is inlined: allow only zone-name characters
        raise ValueError(tz)
    if bucket not in BUCKETS:
        raise ValueError(bucket)
    if _is_pg():
        return f"DATE_TRUNC('{bucket}', t.created_at AT TIME ZONE '{tz}')"
    sql, params = connection.ops.datetime_trunc_sql(bucket, "t.created_at", (), tz)
    return sql % tuple(f"'{p}'" for p in params)


def _dim_sql(dim: str) -> str:
    return _bucket_sql(dim) if dim in BUCKETS else DIMENSIONS[dim][0]


def _as_date(value: Any) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return datetime.fromisoformat(str(value)).date()


def _grouped(
    base_sql: str,
    params: list[Any],
    measures: str,
    dims: Sequence[str],
    measure_params: list[Any],
    *,
    total: bool = False,
) -> dict[str, list[dict[str, Any]]]:
    """Run `SELECT <dim>, <measures> FROM <base> GROUP BY <dim>` for every dimension (and, with `total`, once over
    all rows, as "total"): on PostgreSQL as one GROUPING SETS query (one pass over the rows), elsewhere one query
    per dimension."""
    out: dict[str, list[dict[str, Any]]] = {d: [] for d in dims}
    if total:
        out["total"] = []
    if not dims and not total:
        return out
    if _is_pg():
        exprs = [_dim_sql(d) for d in dims]
        keys = ", ".join(f"{e} AS k_{d}" for d, e in zip(dims, exprs, strict=True))
        flags = ", ".join(f"GROUPING({e}) AS g_{d}" for d, e in zip(dims, exprs, strict=True))
        sets = ", ".join([f"({e})" for e in exprs] + (["()"] if total else []))
        select = ", ".join(part for part in (keys, flags, measures) if part)
        sql = f"SELECT {select} FROM {base_sql} GROUP BY GROUPING SETS ({sets})"  # noqa: S608
        for row in _columns(sql, [*measure_params, *params]):
            dim = next((d for d in dims if row[f"g_{d}"] == 0), "total")
            row["key"] = row.get(f"k_{dim}")
            out[dim].append(row)
    else:
        for dim in dims:
            sql = f"SELECT {_dim_sql(dim)} AS key, {measures} FROM {base_sql} GROUP BY {_dim_sql(dim)}"  # noqa: S608
            out[dim] = _columns(sql, [*measure_params, *params])
        if total:
            sql = f"SELECT {measures} FROM {base_sql}"  # noqa: S608
            out["total"] = [{"key": None, **_columns(sql, [*measure_params, *params])[0]}]
    for dim in dims:
        if dim in BUCKETS:
            for row in out[dim]:
                row["key"] = _as_date(row["key"])
    return out


@dataclass
class Row:
    """One line of a breakdown: its key (an id, a code, a date, or None for "none"), a label and its KPIs."""

    dim: str
    key: Any
    label: str
    kpis: Kpis

    @property
    def param(self) -> str:
        """The drill-down query value of this row's key ("none" for tickets without one)."""
        if self.key is None:
            return "none"
        if isinstance(self.key, date):
            return self.key.isoformat()
        return str(self.key)


def report_breakdowns(scope: Scope, dims: Sequence[str], *, now: datetime | None = None) -> dict[str, list[Row]]:
    """Per-dimension KPIs (not percentiles) of a scope: one query for tickets and clocks, one for follow-ups, one for
    complaints, then the names of what the keys refer to."""
    with tuned():
        return _breakdowns(scope, dims, now=now or timezone.now())


def _breakdowns(
    scope: Scope, dims: Sequence[str], *, now: datetime, rng: IdRange | None = None, total: bool = False
) -> dict[str, list[Row]]:
    """With `total`, the result also holds "total": one row with the scope's KPIs (no percentiles), from the same
    pass over the rows."""
    dims = [d for d in dims if d in DIMENSIONS or d in BUCKETS]
    where, params = _scope_where(scope)
    bounds = (rng.lo, rng.hi) if rng is not None else _bounds(scope)
    if bounds is None:
        return {d: [] for d in [*dims, *(["total"] if total else [])]}
    lo, hi = bounds
    rc, sc = {"c": "rc"}, {"c": "sc"}
    # One row per ticket: (ticket, metric) is unique, so the two clock joins never multiply rows.
    base = (
        f"{TICKETS} t "
        f"LEFT JOIN {CLOCKS} rc ON rc.ticket_id = t.id AND rc.metric = 'response' AND {_sql(CLOCK_COUNTED, **rc)} "
        f"AND rc.ticket_id BETWEEN {int(lo)} AND {int(hi)} "
        f"LEFT JOIN {CLOCKS} sc ON sc.ticket_id = t.id AND sc.metric = 'resolution' AND {_sql(CLOCK_COUNTED, **sc)} "
        f"AND sc.ticket_id BETWEEN {int(lo)} AND {int(hi)} "
        f"WHERE {where}"
    )
    measures = ", ".join(
        [f"{sql} AS {name}" for name, sql in TICKET_MEASURES]
        + [
            f"COUNT(*) FILTER (WHERE {_sql(CLOCK_MET, **rc)}) AS response_met",
            f"COUNT(*) FILTER (WHERE {_sql(CLOCK_BREACHED, **rc)}) AS response_breached",
            f"COUNT(*) FILTER (WHERE {_sql(CLOCK_MET, **sc)}) AS resolution_met",
            f"COUNT(*) FILTER (WHERE {_sql(CLOCK_BREACHED, **sc)}) AS resolution_breached",
            f"AVG(rc.elapsed_seconds) FILTER (WHERE {_sql(CLOCK_STOPPED, **rc)}) AS response_mean",
            f"AVG(sc.elapsed_seconds) FILTER (WHERE {_sql(CLOCK_STOPPED, **sc)}) AS resolution_mean",
        ]
    )
    ticket_rows = _grouped(base, params, measures, dims, [now, now], total=total)

    fu_base = (
        f"{FOLLOWUPS} f JOIN {TICKETS} t ON t.id = f.ticket_id "
        f"WHERE f.ticket_id BETWEEN {int(lo)} AND {int(hi)} AND {where}"
    )
    fu_measures = ", ".join(f"{sql} AS {name}" for name, sql in FOLLOWUP_MEASURES)
    fu_rows = _grouped(fu_base, params, fu_measures, dims, [now], total=total)

    complaints = _complaint_counts(scope, dims)
    names = _names(dims, ticket_rows)

    out: dict[str, list[Row]] = {}
    if total:
        dims = [*dims, "total"]
    int_fields = [n for n, _s in TICKET_MEASURES] + [
        "response_met",
        "response_breached",
        "resolution_met",
        "resolution_breached",
    ]
    for dim in dims:
        by_key: dict[Any, Kpis] = {}
        for row in ticket_rows[dim]:
            k = Kpis(**{n: int(row[n] or 0) for n in int_fields})
            k.response_mean = float(row["response_mean"]) if row["response_mean"] is not None else None
            k.resolution_mean = float(row["resolution_mean"]) if row["resolution_mean"] is not None else None
            by_key[row["key"]] = k
        for row in fu_rows[dim]:
            k = by_key.setdefault(row["key"], Kpis())
            for name, _s in FOLLOWUP_MEASURES:
                setattr(k, name, int(row[name] or 0))
        if dim in complaints:
            for key, k in by_key.items():
                k.complaints = complaints[dim].get(key, 0)
        rows = [
            Row(dim, key, "" if dim == "total" else names.get(dim, {}).get(key, _label(dim, key)), k)
            for key, k in by_key.items()
        ]
        if dim in BUCKETS:
            rows.sort(key=lambda r: r.key or date.min)
        else:
            rows.sort(key=lambda r: (-r.kpis.tickets, r.label.lower()))
        out[dim] = rows
    return out


def _complaint_counts(scope: Scope, dims: Sequence[str]) -> dict[str, dict[Any, int]]:
    """Complaints per group (the team it counts against) and per person complained about; one query."""
    wanted = {d: DIMENSIONS[d][1] for d in dims if d in DIMENSIONS and DIMENSIONS[d][1]}
    if not wanted:
        return {}
    columns = sorted(set(wanted.values()))
    counts: dict[str, dict[Any, int]] = {c: {} for c in columns}
    for row in complaints_qs(scope).values_list(*columns):
        for column, value in zip(columns, row, strict=True):
            counts[column][value] = counts[column].get(value, 0) + 1
    return {dim: counts[column] for dim, column in wanted.items()}


def _label(dim: str, key: Any) -> str:
    if key is None:
        return str(
            {
                "group": _("No group"),
                "technician": _("Unassigned"),
                "agent": _("Self-service (filed by the requester)"),
                "category": _("Uncategorised"),
            }.get(dim, _("None"))
        )
    if dim == "channel":
        return str(Ticket.Channel(key).label) if key in Ticket.Channel.values else str(key)
    if isinstance(key, date):
        return key.isoformat()
    return str(key)


def _names(dims: Sequence[str], rows: Mapping[str, list[dict[str, Any]]]) -> dict[str, dict[Any, str]]:
    """Names of the groups, people and categories a breakdown mentions, one query per kind."""
    out: dict[str, dict[Any, str]] = {}
    if "group" in dims:
        ids = [r["key"] for r in rows["group"] if r["key"] is not None]
        out["group"] = dict(SupportGroup.objects.filter(pk__in=ids).values_list("pk", "name"))
    people = [d for d in ("technician", "agent") if d in dims]
    if people:
        ids = {r["key"] for d in people for r in rows[d] if r["key"] is not None}
        users = {u.pk: str(u) for u in User.objects.filter(pk__in=ids).only("pk", "username", "display_name")}
        for d in people:
            out[d] = users
    if "category" in dims:
        out["category"] = category_tree().names
    return out


# --- backlog and the dashboard ----------------------------------------------------------------------------

AGE_BUCKETS: tuple[tuple[str, Any, int, int | None], ...] = (
    ("lt1d", gettext_lazy("Under 1 day"), 0, 1),
    ("1to3d", gettext_lazy("1–3 days"), 1, 3),
    ("3to7d", gettext_lazy("3–7 days"), 3, 7),
    ("7to30d", gettext_lazy("7–30 days"), 7, 30),
    ("gt30d", gettext_lazy("Over 30 days"), 30, None),
)


def open_tickets_qs(filters: Filters) -> QuerySet[Ticket]:
    qs = Ticket.objects.filter(status__in=Ticket.OPEN_STATUSES)
    return _apply_filters(qs, filters)


def _apply_filters(qs: QuerySet[Ticket], f: Filters) -> QuerySet[Ticket]:
    if f.group:
        qs = qs.filter(group_id=f.group)
    if f.category:
        qs = qs.filter(category_id__in=f.category_ids or (f.category,))
    if f.type:
        qs = qs.filter(type=f.type)
    if f.priority:
        qs = qs.filter(priority=f.priority)
    if f.channel:
        qs = qs.filter(channel=f.channel)
    return qs


def age_bounds(code: str, now: datetime) -> tuple[datetime | None, datetime | None]:
    """(created after, created at or before) of an age bucket: older than `low` days, at most `high` days old."""
    for key, _name, low, high in AGE_BUCKETS:
        if key == code:
            return (now - timedelta(days=high) if high is not None else None, now - timedelta(days=low))
    raise KeyError(code)


def backlog_ageing(filters: Filters, *, now: datetime | None = None) -> list[dict[str, Any]]:
    """Open tickets now (whatever the period) by age since creation, in wall-clock days; one query over the
    open-tickets index."""
    now = now or timezone.now()
    aggregates = {}
    for key, *_rest in AGE_BUCKETS:
        after, until = age_bounds(key, now)
        cond = Q(created_at__lte=until)
        if after is not None:
            cond &= Q(created_at__gt=after)
        aggregates[key] = Count("pk", filter=cond)
    counts = open_tickets_qs(filters).aggregate(**aggregates)
    return [{"key": key, "label": label, "count": counts[key]} for key, label, _l, _h in AGE_BUCKETS]


@dataclass
class Dashboard:
    period: Period
    previous: Period
    filters: Filters
    current: Kpis
    before: Kpis
    breakdowns: dict[str, list[Row]]
    trend_bucket: str
    backlog: list[dict[str, Any]]
    generated_at: datetime
    top_by_volume: list[Row] = field(default_factory=list)
    top_by_breach: list[Row] = field(default_factory=list)

    @property
    def trend(self) -> list[Row]:
        return self.breakdowns.get(self.trend_bucket, [])

    def tiles(self) -> list[dict[str, Any]]:
        out = []
        for spec in KPI_SPECS:
            if not kpi_available(self.current, spec.name):
                continue
            value = kpi_value(self.current, spec.name)
            previous = kpi_value(self.before, spec.name)
            delta = change(value, previous)
            good = None
            if delta and spec.higher_is_better is not None:
                good = (delta > 0) == spec.higher_is_better
            out.append({"spec": spec, "value": value, "previous": previous, "delta": delta, "good": good})
        return out


BREAKDOWN_DIMS = ("group", "agent", "technician", "category", "channel")
# The previous period only feeds the tiles' "change": it is in the past and moves little (a late callback, a reopen, a
# clock running past its deadline), so a live dashboard reuses it for a few minutes instead of re-reading it.
PREVIOUS_CACHE_SECONDS = 600


def previous_cache_key(scope: Scope) -> str:
    return "reports:previous:" + hashlib.sha256(repr((scope.start, scope.end, scope.filters)).encode()).hexdigest()


def _previous_summary(scope: Scope, *, now: datetime, live: bool) -> Kpis:
    if not live:
        return _summary(scope, now=now, optional=True)
    key = previous_cache_key(scope)
    cached = cache.get(key)
    if isinstance(cached, Kpis):
        return cached
    kpis = _summary(scope, now=now, optional=True)
    cache.set(key, kpis, PREVIOUS_CACHE_SECONDS)
    return kpis


def report_dashboard(period: Period, filters: Filters, *, now: datetime | None = None) -> Dashboard:
    """Everything the manager dashboard shows, in a fixed number of queries whatever the data."""
    live = now is None
    now = now or timezone.now()
    scope = Scope.of(period, filters)
    previous = period.previous()
    bucket = period.bucket()
    with tuned():
        before = _previous_summary(Scope.of(previous, filters), now=now, live=live)
        counts, rng = _ticket_totals(scope)
        current = Kpis(**counts)
        dims = [*BREAKDOWN_DIMS, bucket]
        breakdowns = _breakdowns(scope, dims, now=now, rng=rng, total=True) if rng else {d: [] for d in dims}
        totals = breakdowns.pop("total", [])
        if rng is not None and totals:
            # The breakdown pass already counted everything; only the percentiles need the sorted clocks.
            current = totals[0].kpis
            clocks = _clock_totals(scope, rng, now)
            current.response_p90, current.resolution_p90 = clocks["response_p90"], clocks["resolution_p90"]
        current.complaints = complaints_qs(scope).count()
        _optional_figures(scope, current)
        backlog = backlog_ageing(filters, now=now)
    breakdowns[bucket] = fill_buckets(breakdowns[bucket], period, bucket)
    categories = [r for r in breakdowns["category"] if r.key is not None]
    return Dashboard(
        period=period,
        previous=previous,
        filters=filters,
        current=current,
        before=before,
        breakdowns=breakdowns,
        trend_bucket=bucket,
        backlog=backlog,
        generated_at=now,
        top_by_volume=sorted(categories, key=lambda r: (-r.kpis.tickets, r.label))[:5],
        top_by_breach=[r for r in sorted(categories, key=lambda r: (-r.kpis.breaches, r.label)) if r.kpis.breaches][:5],
    )


def bucket_start(day: date, bucket: str) -> date:
    if bucket == "week":
        return day - timedelta(days=day.weekday())
    if bucket == "month":
        return day.replace(day=1)
    return day


def bucket_end(first: date, bucket: str) -> date:
    if bucket == "week":
        return first + timedelta(days=6)
    if bucket == "month":
        return (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return first


def fill_buckets(rows: list[Row], period: Period, bucket: str) -> list[Row]:
    """The trend with a row for every bucket of the period (empty days show as zero, not as a gap)."""
    have = {r.key: r for r in rows}
    out, day = [], bucket_start(period.start, bucket)
    while day <= period.end:
        out.append(have.get(day) or Row(bucket, day, day.isoformat(), Kpis()))
        day = bucket_end(day, bucket) + timedelta(days=1)
    return out


# --- the tickets behind a figure --------------------------------------------------------------------------

DRILL_KPIS = (
    "resolved",
    "first_contact",
    "reopened",
    "responded",
    "resolution_stopped",
    "response_met",
    "response_breached",
    "resolution_met",
    "resolution_breached",
    "followups",
    "followup_done",
    "followup_open",
    "followup_late",
    "rated",
    "satisfied",
    "dissatisfied",
    "complaints",
)
DRILL_LABELS = {
    "resolved": gettext_lazy("resolved (ever)"),
    "first_contact": gettext_lazy("resolved on first contact"),
    "reopened": gettext_lazy("reopened"),
    "responded": gettext_lazy("responded (response clock stopped)"),
    "resolution_stopped": gettext_lazy("resolved (resolution clock stopped)"),
    "response_met": gettext_lazy("response target met"),
    "response_breached": gettext_lazy("response target breached"),
    "resolution_met": gettext_lazy("resolution target met"),
    "resolution_breached": gettext_lazy("resolution target breached"),
    "followups": gettext_lazy("with a follow-up"),
    "followup_done": gettext_lazy("follow-up done"),
    "followup_open": gettext_lazy("follow-up not done"),
    "followup_late": gettext_lazy("follow-up late"),
    "rated": gettext_lazy("rated by the user"),
    "satisfied": gettext_lazy("satisfied (4–5)"),
    "dissatisfied": gettext_lazy("not satisfied (1–3)"),
    "complaints": gettext_lazy("complaints"),
}


def _raw(condition: str, params: Sequence[Any] = ()) -> RawSQL:
    # The conditions are this module's constants (table names and fixed SQL); values always travel as params.
    return RawSQL(condition, list(params), output_field=BooleanField())  # noqa: S611


def _clock_exists(metric: str, condition: str, params: Sequence[Any] = ()) -> Q:
    c = {"c": CLOCKS}
    cond = (
        f"EXISTS (SELECT 1 FROM {CLOCKS} WHERE {CLOCKS}.ticket_id = {TICKETS}.id AND {CLOCKS}.metric = %s "  # noqa: S608
        f"AND {_sql(CLOCK_COUNTED, **c)} AND {_sql(condition, **c)})"
    )
    return Q(_raw(cond, [metric, *params]))


def _followup_exists(condition: str, params: Sequence[Any] = ()) -> Q:
    f = {"f": FOLLOWUPS}
    cond = (
        f"EXISTS (SELECT 1 FROM {FOLLOWUPS} WHERE {FOLLOWUPS}.ticket_id = {TICKETS}.id "  # noqa: S608
        f"AND {_sql(condition, **f)})"
    )
    return Q(_raw(cond, params))


def drill_condition(kpi: str, now: datetime) -> Q:
    """The tickets behind a figure, from the same SQL conditions as the aggregates."""
    t = {"t": TICKETS}
    if kpi == "resolved":
        return Q(_raw(_sql(EVER_RESOLVED, **t)))
    if kpi == "first_contact":
        return Q(_raw(_sql(FIRST_CONTACT, **t)))
    if kpi == "reopened":
        return Q(_raw(_sql(REOPENED, **t)))
    if kpi == "responded":
        return _clock_exists(Clock.Metric.RESPONSE, CLOCK_STOPPED)
    if kpi == "resolution_stopped":
        return _clock_exists(Clock.Metric.RESOLUTION, CLOCK_STOPPED)
    if kpi in ("response_met", "resolution_met"):
        return _clock_exists(kpi.split("_")[0], CLOCK_MET)
    if kpi in ("response_breached", "resolution_breached"):
        return _clock_exists(kpi.split("_")[0], CLOCK_BREACHED, [now])
    if kpi == "followups":
        return _followup_exists(FU_COUNTED)
    if kpi == "followup_done":
        return _followup_exists(FU_DONE)
    if kpi == "followup_open":
        return _followup_exists(f"{FU_COUNTED} AND NOT {FU_DONE}")
    if kpi == "followup_late":
        return _followup_exists(FU_LATE, [now])
    if kpi == "rated":
        return _followup_exists(FU_RATED)
    if kpi == "satisfied":
        return _followup_exists(FU_SATISFIED)
    if kpi == "dissatisfied":
        return _followup_exists(f"{FU_RATED} AND NOT {FU_SATISFIED}")
    raise KeyError(kpi)


@dataclass(frozen=True)
class Drill:
    """What a figure's link asks for: a period and filters, optionally one breakdown row, optionally one KPI, or
    an age bucket of the backlog (then the period does not apply)."""

    period: Period | None
    filters: Filters
    dim: str = ""
    value: str = ""
    kpi: str = ""
    age: str = ""

    def params(self) -> dict[str, str]:
        out = dict(self.filters.as_params())
        if self.period is not None:
            out.update({"from": self.period.start.isoformat(), "to": self.period.end.isoformat()})
        for name in ("dim", "value", "kpi", "age"):
            if getattr(self, name):
                out[name] = getattr(self, name)
        return out


def drill_from_params(params: Mapping[str, Any], *, tree: CategoryTree | None = None) -> Drill:
    filters = filters_from_params(params, tree=tree)
    age = str(params.get("age") or "")
    if age and age in {b[0] for b in AGE_BUCKETS}:
        return Drill(None, filters, age=age)
    period = period_from_params(params, allow_preset=True)
    dim = str(params.get("dim") or "")
    value = str(params.get("value") or "")
    if dim not in DIMENSIONS and dim not in BUCKETS:
        dim, value = "", ""
    kpi = str(params.get("kpi") or "")
    if kpi not in DRILL_KPIS:
        kpi = ""
    return Drill(period, filters, dim, value, kpi)


def drill_tickets(drill: Drill, *, now: datetime | None = None) -> QuerySet[Ticket]:
    """The tickets behind a figure (unordered, unjoined: the caller adds what its list renders)."""
    now = now or timezone.now()
    if drill.age:
        after, until = age_bounds(drill.age, now)
        qs = open_tickets_qs(drill.filters).filter(created_at__lte=until)
        return qs.filter(created_at__gt=after) if after is not None else qs
    assert drill.period is not None
    scope = Scope.of(drill.period, drill.filters)
    if drill.kpi == "complaints":
        complaints = complaints_qs(scope)
        if drill.dim in ("technician", "agent") and drill.value.isdigit():
            complaints = complaints.filter(about_person_id=int(drill.value))
        elif drill.dim == "group":
            complaints = complaints.filter(group_id=int(drill.value)) if drill.value.isdigit() else complaints.none()
        return Ticket.objects.filter(Exists(complaints.filter(ticket=OuterRef("pk"))))
    qs = _apply_filters(Ticket.objects.filter(created_at__gte=scope.start, created_at__lt=scope.end), drill.filters)
    if drill.dim == "agent":
        self_service = Q(created_by__isnull=True) | Q(created_by=F("requester"))
        if drill.value == "none":
            qs = qs.filter(self_service)
        elif drill.value.isdigit():
            qs = qs.filter(created_by=int(drill.value)).exclude(self_service)
        else:
            qs = qs.none()
    elif drill.dim in DIMENSIONS:
        column = DIMENSIONS[drill.dim][0].removeprefix("t.")
        if drill.value == "none":
            qs = qs.filter(**{f"{column}__isnull": True})
        elif drill.dim == "channel":
            qs = qs.filter(channel=drill.value)
        elif drill.value.isdigit():
            qs = qs.filter(**{column: int(drill.value)})
        else:
            qs = qs.none()
    elif drill.dim in BUCKETS:
        try:
            first = date.fromisoformat(drill.value)
        except ValueError:
            return qs.none()
        first = bucket_start(first, drill.dim)
        last = bucket_end(first, drill.dim)
        tz = local_tz()
        qs = qs.filter(
            created_at__gte=datetime.combine(first, time.min, tzinfo=tz),
            created_at__lt=datetime.combine(last + timedelta(days=1), time.min, tzinfo=tz),
        )
    if drill.kpi:
        qs = qs.filter(drill_condition(drill.kpi, now))
    return qs


def drill_description(drill: Drill, dashboard_names: Mapping[str, str] | None = None) -> list[str]:
    """Human words for what a drill-down lists (shown above the list)."""
    parts: list[str] = []
    if drill.age:
        label = next(str(b[1]) for b in AGE_BUCKETS if b[0] == drill.age)
        parts.append(_("Open tickets, age: %(age)s") % {"age": label})
    elif drill.period is not None:
        parts.append(
            _("Created %(start)s to %(end)s")
            % {"start": drill.period.start.isoformat(), "end": drill.period.end.isoformat()}
        )
    if drill.dim:
        parts.append(f"{DIMENSION_LABELS[drill.dim]}: {(dashboard_names or {}).get('value', drill.value)}")
    if drill.kpi:
        parts.append(str(DRILL_LABELS[drill.kpi]))
    return parts


# --- resolutions per agent (who resolved) -----------------------------------------------------------------

RESOLVE_EVENT = "({e}.kind = 'status_changed' AND ({e}.data -> 'to') = '\"resolved\"'::jsonb)"


def resolutions_by_actor(scope: Scope) -> dict[int | None, dict[str, int]]:
    """How many resolutions each person recorded on the scope's tickets (every resolve counts, re-resolutions
    too), and how many of them were on first contact. From the audit trail, through a partial index of the resolve
    events on PostgreSQL (see the inspection migration)."""
    bounds = _bounds(scope)
    if bounds is None:
        return {}
    where, params = _scope_where(scope)
    if _is_pg():
        condition = _sql(RESOLVE_EVENT, e="e")
        first_contact = "(e.data -> 'first_contact') = 'true'::jsonb"
    else:
        condition = "(e.kind = 'status_changed' AND json_extract(e.data, '$.to') = 'resolved')"
        first_contact = "json_extract(e.data, '$.first_contact') = 1"
    sql = (
        f"SELECT e.actor_id, COUNT(*), COUNT(*) FILTER (WHERE {first_contact}) "  # noqa: S608
        f"FROM {EVENTS} e JOIN {TICKETS} t ON t.id = e.ticket_id "
        f"WHERE {condition} AND e.ticket_id BETWEEN {int(bounds[0])} AND {int(bounds[1])} AND {where} "
        "GROUP BY e.actor_id"
    )
    return {actor: {"resolutions": n, "first_contact": fc} for actor, n, fc in _fetch(sql, params)}


def merge_resolutions(rows: list[Row], resolutions: Mapping[int | None, Mapping[str, int]]) -> list[dict[str, Any]]:
    """Agent rows with the resolutions each agent recorded (agents who resolved but logged nothing included)."""
    by_key = {r.key: r for r in rows}
    keys = list(by_key) + [k for k in resolutions if k not in by_key and k is not None]
    extra_names = {}
    missing = [k for k in keys if k not in by_key]
    if missing:
        extra_names = {u.pk: str(u) for u in User.objects.filter(pk__in=missing)}
    out = []
    for key in keys:
        row = by_key.get(key) or Row("agent", key, extra_names.get(key, str(key)), Kpis())
        out.append({"row": row, **{"resolutions": 0, "first_contact": 0}, **resolutions.get(key, {})})
    return out


def iter_chunks(items: Iterable[Any], size: int) -> Iterable[list[Any]]:
    chunk: list[Any] = []
    for item in items:
        chunk.append(item)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


__all__ = [
    "KPI_SPECS",
    "REPORT_ROLES",
    "Dashboard",
    "Drill",
    "Filters",
    "Kpis",
    "Period",
    "Row",
    "Scope",
    "backlog_ageing",
    "drill_tickets",
    "replace",
    "report_breakdowns",
    "report_dashboard",
    "report_summary",
]
