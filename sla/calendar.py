"""Business-time arithmetic for SLA clocks.

This module is deliberately plain Python (no Django, no ORM): SLA deadlines
must be computable and testable without a database, and the same code is used
by the ticket models, the scheduler and the reports.

A :class:`BusinessCalendar` describes *wall-clock* working hours in one time
zone: for every weekday a list of ``(start_minute, end_minute)`` intervals,
plus dated holidays (no working time) and make-up working days (调休: a
weekend day that is worked with the hours of a normal Monday).

How wall-clock hours become real instants
-----------------------------------------
Every interval boundary is a local wall-clock time on a local date. It is
turned into an instant with ``datetime(..., tzinfo=tz)`` (``fold=0``) and all
arithmetic then happens in UTC, so:

* an interval of ordinary hours (09:00-17:00) on any day lasts 8 real hours;
* an interval that contains a DST change lasts its real elapsed time:
  00:00-24:00 is 23 h on a spring-forward day and 25 h on a fall-back day;
* an *ambiguous* boundary (a wall time that occurs twice when clocks go back)
  means its first occurrence (``fold=0``);
* a *non-existent* boundary (a wall time skipped when clocks go forward) is
  read with the offset in force before the jump, which is what ``fold=0``
  does in :mod:`zoneinfo`: in Europe/Berlin on 2025-03-30, "02:30" means
  03:30 CEST. Because that reading can put a boundary after a later one
  (02:50 -> 03:50 CEST, yet 03:05 stays 03:05), the boundaries of a day are
  made non-decreasing in order, clipped to the date's own 00:00-24:00 span,
  and intervals that end up empty are dropped. Intervals therefore stay
  sorted and disjoint whatever the schedule is, and a local date only ever
  holds working time that really lies on that date.

"24:00" is the next local day's 00:00 (also read with ``fold=0``).

Results are returned in ``cal.tz`` for display. Beware that Python compares
and subtracts two datetimes *sharing one tzinfo* by wall clock, ignoring
``fold``: across a fall-back hour that is wrong by an hour; and ``==``
between *different* zones is always False when one side is an ambiguous
wall time (PEP 495). Convert to UTC first (as this module does internally)
or use :func:`business_seconds_between`.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, tzinfo
from functools import lru_cache
from itertools import pairwise
from zoneinfo import ZoneInfo

__all__ = [
    "BusinessCalendar",
    "CalendarError",
    "add_business_seconds",
    "business_seconds_between",
    "intervals_on",
    "is_working_day",
    "working_day_end",
]

MINUTES_PER_DAY = 1440
WEEKDAY_NAMES = (
    "Monday",
    "Tuesday",
    "Wednesday",
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
)
# Make-up working days (调休) are worked "like a normal Monday".
MAKE_UP_WEEKDAY = 0
# Once past the last dated holiday, a calendar that has weekly hours must
# reach one within a week; two weeks leaves room for days whose only hours
# vanish in a DST gap.
_EMPTY_DAYS_GUARD = 14

_ONE_DAY = timedelta(days=1)
_ONE_SECOND = timedelta(seconds=1)
_HHMM = re.compile(r"^(\d{1,2}):(\d{2})$")

Interval = tuple[int, int]
UtcInterval = tuple[datetime, datetime]


class CalendarError(ValueError):
    """A calendar definition is invalid or has no working time to count.

    Messages are plain English without gettext so this module stays free of
    Django; callers that show them to users translate or wrap them.
    """


class WeeklyHours(Mapping[int, tuple[Interval, ...]]):
    """Immutable, hashable weekday -> intervals mapping with all 7 weekdays.

    A plain dict would make the frozen :class:`BusinessCalendar` unhashable
    and mutable from outside; this keeps calendars usable as cache keys.
    """

    __slots__ = ("_days",)

    def __init__(self, days: tuple[tuple[Interval, ...], ...]) -> None:
        self._days = days

    def __getitem__(self, weekday: int) -> tuple[Interval, ...]:
        if not isinstance(weekday, int) or not 0 <= weekday <= 6:
            raise KeyError(weekday)
        return self._days[weekday]

    def __iter__(self) -> Iterator[int]:
        return iter(range(7))

    def __len__(self) -> int:
        return 7

    def __hash__(self) -> int:
        return hash(self._days)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, WeeklyHours):
            return self._days == other._days
        return Mapping.__eq__(self, other)

    def __repr__(self) -> str:
        return f"WeeklyHours({dict(self.items())!r})"


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError, TypeError, OSError):
        # ZoneInfoNotFoundError is a KeyError; malformed keys are ValueError.
        raise CalendarError(f"Unknown time zone: {name!r}.") from None


def _fmt(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _normalise_weekly(
    weekly: Mapping[int, Iterable[Iterable[int]]],
) -> WeeklyHours:
    """Validate a weekday -> intervals mapping and freeze it.

    Intervals are sorted here so callers may pass them in any order; touching
    intervals (09:00-12:00, 12:00-13:00) are allowed, overlapping ones are not.
    """
    days: list[tuple[Interval, ...]] = [() for _ in range(7)]
    for weekday, intervals in weekly.items():
        if isinstance(weekday, bool) or not isinstance(weekday, int):
            raise CalendarError(f"Weekday must be an integer 0 (Monday) to 6 (Sunday), got {weekday!r}.")
        if not 0 <= weekday <= 6:
            raise CalendarError(f"Weekday must be 0 (Monday) to 6 (Sunday), got {weekday}.")
        pairs: list[Interval] = []
        for interval in intervals:
            try:
                start, end = interval
            except (TypeError, ValueError):
                raise CalendarError(
                    f"{WEEKDAY_NAMES[weekday]}: each interval must be a (start, end) pair, got {interval!r}."
                ) from None
            for value in (start, end):
                if isinstance(value, bool) or not isinstance(value, int):
                    raise CalendarError(
                        f"{WEEKDAY_NAMES[weekday]}: interval bounds must be whole minutes, got {value!r}."
                    )
            if not 0 <= start < end <= MINUTES_PER_DAY:
                raise CalendarError(
                    f"{WEEKDAY_NAMES[weekday]}: interval {start}-{end} must satisfy "
                    f"0 <= start < end <= {MINUTES_PER_DAY} (minutes after midnight)."
                )
            pairs.append((start, end))
        pairs.sort()
        for (s1, e1), (s2, e2) in pairwise(pairs):
            if s2 < e1:
                raise CalendarError(
                    f"{WEEKDAY_NAMES[weekday]}: working hours {_fmt(s1)}-{_fmt(e1)} and {_fmt(s2)}-{_fmt(e2)} overlap."
                )
        days[weekday] = tuple(pairs)
    return WeeklyHours(tuple(days))


@dataclass(frozen=True)
class BusinessCalendar:
    """Wall-clock working hours in one time zone, with holidays and make-up days.

    ``weekly`` maps weekday (0=Monday .. 6=Sunday) to sorted, non-overlapping
    ``(start_minute, end_minute)`` intervals, 0..1440 (1440 is "24:00").
    A date in ``holidays`` has no working time even if its weekday has hours;
    a date in ``extra_workdays`` has the hours of a normal Monday. If a date is
    in both, the holiday wins: "no working time that day" is the safer reading
    of a contradictory configuration.

    The constructor validates and freezes its arguments (any mapping/iterables
    are accepted), so an instance is immutable and hashable. It does not insist
    on there being any working time; :meth:`from_entries` does, and the
    arithmetic raises :class:`CalendarError` when it would search forever.
    """

    tz: ZoneInfo
    weekly: Mapping[int, tuple[tuple[int, int], ...]]
    holidays: frozenset[date] = field(default_factory=frozenset)
    extra_workdays: frozenset[date] = field(default_factory=frozenset)

    def __post_init__(self) -> None:
        tz: object = self.tz
        if isinstance(tz, str):
            tz = _zone(tz)
        if not isinstance(tz, tzinfo):
            raise CalendarError(f"tz must be a ZoneInfo, got {tz!r}.")
        object.__setattr__(self, "tz", tz)
        object.__setattr__(self, "weekly", _normalise_weekly(self.weekly))
        object.__setattr__(self, "holidays", _date_set(self.holidays, "holiday"))
        object.__setattr__(self, "extra_workdays", _date_set(self.extra_workdays, "extra workday"))

    @classmethod
    def from_entries(
        cls,
        *,
        time_zone: str,
        working_hours: Iterable[Mapping[str, object]],
        holidays: Iterable[date | str] = (),
        extra_workdays: Iterable[date | str] = (),
    ) -> BusinessCalendar:
        """Build a calendar from form/JSON-like entries, with readable errors.

        ``working_hours`` entries look like
        ``{"weekday": 0, "start": "09:00", "end": "12:00"}``; several entries
        per weekday give split shifts / lunch breaks; ``"end": "24:00"`` runs
        to midnight. ``start``/``end`` may also be :class:`datetime.time`
        (as stored by a TimeField). Dates may be ``date`` objects or ISO
        strings. Raises :class:`CalendarError` for an unknown time zone, a
        weekday outside 0-6, a malformed time, ``start >= end``, overlapping
        intervals on one weekday, or no weekly working time at all (make-up
        days alone cannot help: they borrow Monday's hours).
        """
        tz = _zone(time_zone)
        per_day: dict[int, list[Interval]] = {}
        for number, entry in enumerate(working_hours, start=1):
            label = f"Working-hours entry {number}"
            if not isinstance(entry, Mapping):
                raise CalendarError(f"{label} must be a mapping with weekday, start and end, got {entry!r}.")
            for key in ("weekday", "start", "end"):
                if key not in entry:
                    raise CalendarError(f"{label} is missing {key!r}.")
            weekday = _parse_weekday(entry["weekday"], label)
            label = f"{label} ({WEEKDAY_NAMES[weekday]})"
            start = _parse_hhmm(entry["start"], label, "start")
            end = _parse_hhmm(entry["end"], label, "end")
            if start >= end:
                raise CalendarError(f"{label}: start {_fmt(start)} must be before end {_fmt(end)}.")
            per_day.setdefault(weekday, []).append((start, end))
        if not any(per_day.values()):
            raise CalendarError("The calendar has no working time: add at least one weekly working-hours entry.")
        return cls(
            tz=tz,
            weekly={day: tuple(intervals) for day, intervals in per_day.items()},
            holidays=_date_set(holidays, "holiday"),
            extra_workdays=_date_set(extra_workdays, "extra workday"),
        )

    @classmethod
    def always_open(cls, tz: str = "Asia/Shanghai") -> BusinessCalendar:
        """A 7x24 calendar: business time equals elapsed real time."""
        return cls(
            tz=_zone(tz),
            weekly=dict.fromkeys(range(7), ((0, MINUTES_PER_DAY),)),
        )

    @property
    def has_weekly_hours(self) -> bool:
        """Whether any weekday has working time (else nothing ever counts)."""
        return any(self.weekly.values())


def _parse_weekday(value: object, label: str) -> int:
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise CalendarError(f"{label}: weekday must be an integer 0 (Monday) to 6 (Sunday), got {value!r}.")
    if not 0 <= value <= 6:
        raise CalendarError(f"{label}: weekday must be 0 (Monday) to 6 (Sunday), got {value}.")
    return value


def _parse_hhmm(value: object, label: str, what: str) -> int:
    """Minutes after midnight for "HH:MM" (00:00..24:00) or a whole-minute time."""
    if isinstance(value, time):
        if value.second or value.microsecond:
            raise CalendarError(f"{label}: {what} time {value.isoformat()} must be whole minutes.")
        return value.hour * 60 + value.minute
    match = _HHMM.match(value.strip()) if isinstance(value, str) else None
    if match:
        hours, minutes = int(match.group(1)), int(match.group(2))
        total = hours * 60 + minutes
        if minutes < 60 and total <= MINUTES_PER_DAY:
            return total
    raise CalendarError(f"{label}: {what} time {value!r} is not a valid HH:MM time (00:00 to 24:00).")


def _date_set(values: Iterable[date | str], what: str) -> frozenset[date]:
    result: set[date] = set()
    for value in values:
        if isinstance(value, datetime):
            # A datetime is a date subclass; accepting it silently would make
            # set membership compare unequal to plain dates.
            raise CalendarError(f"Each {what} must be a date, got datetime {value!r}.")
        if isinstance(value, date):
            result.add(value)
            continue
        if isinstance(value, str):
            try:
                result.add(date.fromisoformat(value.strip()))
                continue
            except ValueError:
                pass
        raise CalendarError(f"Each {what} must be a YYYY-MM-DD date, got {value!r}.")
    return frozenset(result)


# --------------------------------------------------------------------------
# Day-level expansion
# --------------------------------------------------------------------------


def _configured_hours(cal: BusinessCalendar, d: date) -> tuple[Interval, ...]:
    if d in cal.holidays:
        return ()
    if d in cal.extra_workdays:
        return cal.weekly[MAKE_UP_WEEKDAY]
    return cal.weekly[d.weekday()]


def _boundary_utc(cal: BusinessCalendar, d: date, minute: int) -> datetime:
    if minute == MINUTES_PER_DAY:
        d, minute = d + _ONE_DAY, 0
    # fold=0: first occurrence of an ambiguous time; for a skipped time, the
    # pre-transition offset (see module docstring).
    local = datetime(d.year, d.month, d.day, minute // 60, minute % 60, tzinfo=cal.tz)
    return local.astimezone(UTC)


def _day_utc(cal: BusinessCalendar, d: date) -> list[UtcInterval]:
    """UTC working intervals of local date ``d``: sorted, disjoint, non-empty.

    Boundaries are made non-decreasing in order (a gap can push one past a
    later one) and clipped to the date's own real span [00:00, 24:00). The
    clip keeps consecutive dates from overlapping when a gap pushes a late
    boundary past midnight, and gives a date that the zone skipped entirely
    (Pacific/Apia, 2011-12-30) no time at all. Dates thus tile the timeline,
    which relies on local midnights never going backwards in UTC: true of
    every tzdata zone, since no offset has ever jumped forward by over 24 h.
    """
    hours = _configured_hours(cal, d)
    if not hours:
        return []
    floor = _boundary_utc(cal, d, 0)
    ceiling = max(floor, _boundary_utc(cal, d, MINUTES_PER_DAY))
    result: list[UtcInterval] = []
    for start_minute, end_minute in hours:
        start = max(_boundary_utc(cal, d, start_minute), floor)
        end = min(_boundary_utc(cal, d, end_minute), ceiling)
        if end > start:
            result.append((start, end))
        floor = max(floor, end)
    return result


def _days_utc(cal: BusinessCalendar, first: date) -> Iterator[tuple[date, list[UtcInterval]]]:
    """Consecutive local dates from ``first`` with their UTC intervals, forever."""
    d = first
    while True:
        yield d, _day_utc(cal, d)
        d += _ONE_DAY


def _require_aware(value: datetime, name: str) -> datetime:
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime, got {type(value).__name__}.")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware, got naive {value!r}.")
    return value.astimezone(UTC)


def _forward_days(cal: BusinessCalendar, first: date) -> Iterator[tuple[date, list[UtcInterval]]]:
    """Like :func:`_days_utc` but raises instead of searching forever.

    A calendar with no weekly hours never has working time (make-up days use
    Monday's hours). Otherwise, after the last dated holiday a working day
    must come within a week, so a long empty run past it means a bug-proof
    stop rather than an endless loop.
    """
    if not cal.has_weekly_hours:
        raise CalendarError("The calendar has no working time.")
    last_special = max(cal.holidays, default=date.min)
    empty_run = 0
    for d, intervals in _days_utc(cal, first):
        if intervals:
            empty_run = 0
        elif d > last_special:
            # Only empty days past the last holiday count: a long holiday run
            # before it is legitimate, however long.
            empty_run += 1
            if empty_run > _EMPTY_DAYS_GUARD:
                raise CalendarError(f"The calendar has no working time after {d}.")
        yield d, intervals


# --------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------


def intervals_on(cal: BusinessCalendar, d: date) -> list[tuple[datetime, datetime]]:
    """The working intervals of local date ``d`` as aware datetimes in ``cal.tz``.

    Empty on holidays and days without hours. An interval ending at "24:00"
    ends at the next local midnight.
    """
    return [(start.astimezone(cal.tz), end.astimezone(cal.tz)) for start, end in _day_utc(cal, d)]


def is_working_day(cal: BusinessCalendar, d: date) -> bool:
    """Whether local date ``d`` has any working time.

    Defined through :func:`intervals_on` so it agrees with the arithmetic
    even in the corner case where a DST gap swallows a day's only hours.
    """
    return bool(intervals_on(cal, d))


def add_business_seconds(cal: BusinessCalendar, start: datetime, seconds: int) -> datetime:
    """The instant at which ``seconds`` business seconds have elapsed since ``start``.

    ``start`` may be in any time zone; the result is in ``cal.tz``. Counting
    begins at the first working instant at or after ``start``. An interval's
    end counts as inside it, so 09:00 + 3 h on a 09:00-12:00 day is 12:00
    that day, not 13:30 after lunch. Adding 0 returns the same instant
    (expressed in ``cal.tz``), even outside working time: nothing elapsed.
    Work is day by day, so adding years of business time stays cheap.
    """
    start_utc = _require_aware(start, "start")
    if isinstance(seconds, bool) or not isinstance(seconds, int):
        raise TypeError(f"seconds must be an int, got {seconds!r}.")
    if seconds < 0:
        raise ValueError(f"seconds must be >= 0, got {seconds}.")
    if seconds == 0:
        return start.astimezone(cal.tz)
    remaining = timedelta(seconds=seconds)
    # Dates tile the timeline (see _day_utc), so nothing before start's own
    # local date can hold working time after start.
    first = start_utc.astimezone(cal.tz).date()
    for _day, intervals in _forward_days(cal, first):
        for interval_start, interval_end in intervals:
            if interval_end <= start_utc:
                continue
            interval_start = max(interval_start, start_utc)
            available = interval_end - interval_start
            if remaining <= available:
                return (interval_start + remaining).astimezone(cal.tz)
            remaining -= available
    raise AssertionError("unreachable: _forward_days is infinite or raises")


def business_seconds_between(cal: BusinessCalendar, start: datetime, end: datetime) -> int:
    """Whole business seconds in ``[start, end)``; negative if ``end < start``.

    Sub-second parts are truncated toward zero, so the result is
    antisymmetric: ``between(a, b) == -between(b, a)``. A calendar with no
    working time simply measures 0 here (the range is finite).
    """
    start_utc = _require_aware(start, "start")
    end_utc = _require_aware(end, "end")
    if end_utc < start_utc:
        return -business_seconds_between(cal, end, start)
    return _between(cal, start_utc, end_utc) // _ONE_SECOND


# Ranges longer than this are measured a week at a time (see _between).
_FAST_SPAN_DAYS = 21


def _between(cal: BusinessCalendar, start_utc: datetime, end_utc: datetime) -> timedelta:
    """Business time in [start, end) for start <= end. Long ranges (an old ticket's running clock, shown on
    every list) take whole clean weeks arithmetically instead of day by day; the split points are ordinary
    instants, so additivity makes the result identical to the day-by-day sum."""
    first = start_utc.astimezone(cal.tz).date()
    last = end_utc.astimezone(cal.tz).date()
    if (last - first).days <= _FAST_SPAN_DAYS:
        return _between_days(cal, start_utc, end_utc)
    week_seconds = timedelta(minutes=sum(e - s for day in range(7) for s, e in cal.weekly[day]))
    specials = _special_dates(cal)
    week = timedelta(days=7)
    d = first + _ONE_DAY
    cursor = _local_midnight_utc(cal, d)
    offset = cursor.astimezone(cal.tz).utcoffset()
    total = _between_days(cal, start_utc, cursor)
    i = bisect_left(specials, d)
    while (last - d).days > 7:
        following = d + week
        week_end = _local_midnight_utc(cal, following)
        end_offset = week_end.astimezone(cal.tz).utcoffset()
        while i < len(specials) and specials[i] < d:
            i += 1
        # A week with the same UTC offset at both ends and exactly 7 × 24 h long (offset changes are months
        # apart, never twice in a week) holds the weekly hours, corrected for its holidays and make-up days.
        if end_offset == offset and week_end - cursor == week:
            total += week_seconds
            while i < len(specials) and specials[i] < following:
                day = specials[i]
                normal = sum(e - s for s, e in cal.weekly[day.weekday()])
                total += timedelta(minutes=sum(e - s for s, e in _configured_hours(cal, day)) - normal)
                i += 1
        else:
            total += _between_days(cal, cursor, week_end)
        d, cursor, offset = following, week_end, end_offset
    return total + _between_days(cal, cursor, end_utc)


def _local_midnight_utc(cal: BusinessCalendar, d: date) -> datetime:
    return datetime.combine(d, time(), tzinfo=cal.tz).astimezone(UTC)


@lru_cache(maxsize=256)
def _special_dates(cal: BusinessCalendar) -> tuple[date, ...]:
    return tuple(sorted(cal.holidays | cal.extra_workdays))


def _between_days(cal: BusinessCalendar, start_utc: datetime, end_utc: datetime) -> timedelta:
    """The day-by-day measure of [start, end)."""
    total = timedelta()
    if end_utc <= start_utc:
        return total
    # Dates tile the timeline (see _day_utc): only the local dates from
    # start's to end's can hold working time inside [start, end).
    first = start_utc.astimezone(cal.tz).date()
    last = end_utc.astimezone(cal.tz).date()
    for d, intervals in _days_utc(cal, first):
        if d > last:
            break
        for interval_start, interval_end in intervals:
            lo = max(interval_start, start_utc)
            hi = min(interval_end, end_utc)
            if hi > lo:
                total += hi - lo
    return total


def working_day_end(cal: BusinessCalendar, d: date, n: int) -> datetime:
    """End of the last working interval of the ``n``-th working day after ``d``.

    ``d`` itself never counts (a follow-up "5 working days after resolution"
    starts counting the day after). ``n`` must be >= 1. Result in ``cal.tz``.
    """
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"n must be an int, got {n!r}.")
    if n < 1:
        raise ValueError(f"n must be >= 1, got {n}.")
    count = 0
    for _day, intervals in _forward_days(cal, d + _ONE_DAY):
        if intervals:
            count += 1
            if count == n:
                return intervals[-1][1].astimezone(cal.tz)
    raise AssertionError("unreachable: _forward_days is infinite or raises")
