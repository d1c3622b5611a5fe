"""Tests for the pure business-time arithmetic in ``sla.calendar`` and ``sla.china``.

Plain pytest + hypothesis, no Django: the module must stay usable without a
database. Expected instants in DST zones are written in UTC because Python
compares two datetimes sharing one tzinfo by wall clock, which would hide
exactly the hour these tests are about (and PEP 495 makes == between
different zones False whenever one side is an ambiguous wall time).
"""

from __future__ import annotations

import time as timer
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sla.calendar import (
    BusinessCalendar,
    CalendarError,
    add_business_seconds,
    business_seconds_between,
    intervals_on,
    is_working_day,
    working_day_end,
)
from sla.china import china_year

SHANGHAI = ZoneInfo("Asia/Shanghai")
BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
LORD_HOWE = ZoneInfo("Australia/Lord_Howe")  # DST shift of 30 minutes

HOUR = 3600
CHINA_DAY = 7 * HOUR + 30 * 60  # 09:00-12:00 + 13:30-18:00
CHINA_HOURS = [
    {"weekday": day, "start": start, "end": end}
    for day in range(5)
    for start, end in (("09:00", "12:00"), ("13:30", "18:00"))
]


def _china_dates() -> tuple[set[date], set[date]]:
    off_2025, extra_2025 = china_year(2025)
    off_2026, extra_2026 = china_year(2026)
    return off_2025 | off_2026, extra_2025 | extra_2026


CHINA_OFF, CHINA_EXTRA = _china_dates()
CHINA = BusinessCalendar.from_entries(
    time_zone="Asia/Shanghai",
    working_hours=CHINA_HOURS,
    holidays=CHINA_OFF,
    extra_workdays=CHINA_EXTRA,
)


def sh(*args: int) -> datetime:
    """A wall-clock instant in Shanghai (no DST there, so no ambiguity)."""
    return datetime(*args, tzinfo=SHANGHAI)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def midnight(d: date, tz: ZoneInfo) -> datetime:
    return datetime(d.year, d.month, d.day, tzinfo=tz)


def daily(tz: ZoneInfo, start: str = "09:00", end: str = "17:00") -> BusinessCalendar:
    return BusinessCalendar.from_entries(
        time_zone=tz.key,
        working_hours=[{"weekday": day, "start": start, "end": end} for day in range(7)],
    )


def seconds_of(intervals: list[tuple[datetime, datetime]]) -> int:
    return sum(int((end.astimezone(UTC) - start.astimezone(UTC)).total_seconds()) for start, end in intervals)


# ---------------------------------------------------------------------------
# sla.china
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("year", "make_up"),
    [
        (2025, {date(2025, 1, 26), date(2025, 2, 8)}),
        (2026, {date(2026, 2, 14), date(2026, 2, 28), date(2026, 9, 20), date(2026, 10, 10)}),
    ],
)
def test_china_make_up_workdays(year: int, make_up: set[date]) -> None:
    days_off, extra = china_year(year)
    assert make_up <= extra
    assert all(d.weekday() >= 5 and d.year == year for d in extra)
    assert not days_off & extra


def test_china_known_weekday_names() -> None:
    # Guards the parametrised facts above against a typo in a date.
    assert date(2025, 1, 26).weekday() == 6
    assert date(2025, 2, 8).weekday() == 5
    assert [d.weekday() for d in (date(2026, 2, 14), date(2026, 2, 28), date(2026, 10, 10))] == [5, 5, 5]
    assert date(2026, 9, 20).weekday() == 6


def test_china_days_off() -> None:
    days_off, _ = china_year(2025)
    spring_festival = {date(2025, 1, 28) + timedelta(days=i) for i in range(8)}
    national_day = {date(2025, 10, 1) + timedelta(days=i) for i in range(8)}
    assert spring_festival | national_day | {date(2025, 1, 1), date(2025, 5, 1)} <= days_off
    # Weekend days inside a break are days off; ordinary weekends are not listed.
    assert date(2025, 2, 1) in days_off
    assert date(2025, 3, 1) not in days_off
    assert all(d.year == 2025 for d in days_off)
    assert date(2026, 10, 1) in china_year(2026)[0]


@pytest.mark.parametrize("year", [2027, 2003, 1999])
def test_china_unknown_year_is_a_value_error(year: int) -> None:
    with pytest.raises(ValueError, match=rf"No mainland China holiday data for {year}"):
        china_year(year)


def test_china_rejects_non_int_year() -> None:
    with pytest.raises(TypeError):
        china_year("2025")  # type: ignore[arg-type]


@pytest.mark.parametrize("year", [2025, 2026])
def test_china_calendar_agrees_with_package_every_day(year: int) -> None:
    d = date(year, 1, 1)
    while d.year == year:
        assert is_working_day(CHINA, d) == chinese_calendar.is_workday(d), d
        d += timedelta(days=1)


# ---------------------------------------------------------------------------
# Validation
# ---------------------------------------------------------------------------


def entry(weekday: object = 0, start: object = "09:00", end: object = "17:00") -> dict[str, object]:
    return {"weekday": weekday, "start": start, "end": end}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"time_zone": "Mars/Olympus_Mons"}, r"Unknown time zone: 'Mars/Olympus_Mons'"),
        ({"time_zone": ""}, r"Unknown time zone"),
        ({"time_zone": "../etc/passwd"}, r"Unknown time zone"),
        (
            {"working_hours": [entry(weekday=7)]},
            r"entry 1: weekday must be 0 \(Monday\) to 6 \(Sunday\), got 7",
        ),
        ({"working_hours": [entry(), entry(weekday=-1)]}, r"entry 2: weekday must be 0"),
        ({"working_hours": [entry(weekday="Mon")]}, r"weekday must be an integer"),
        ({"working_hours": [entry(weekday=True)]}, r"weekday must be an integer"),
        ({"working_hours": [entry(start="9h")]}, r"start time '9h' is not a valid HH:MM time"),
        ({"working_hours": [entry(end="25:00")]}, r"end time '25:00' is not a valid HH:MM"),
        ({"working_hours": [entry(end="12:60")]}, r"end time '12:60'"),
        ({"working_hours": [entry(end="24:01")]}, r"end time '24:01'"),
        ({"working_hours": [entry(start=900)]}, r"start time 900 is not a valid HH:MM"),
        ({"working_hours": [entry(start="")]}, r"start time '' is not"),
        ({"working_hours": [entry(start=time(9, 0, 30))]}, r"must be whole minutes"),
        (
            {"working_hours": [entry(start="12:00", end="09:00")]},
            r"\(Monday\): start 12:00 must be before end 09:00",
        ),
        ({"working_hours": [entry(start="09:00", end="09:00")]}, r"start 09:00 must be before end 09:00"),
        ({"working_hours": [entry(start="24:00", end="24:00")]}, r"start 24:00 must be before end 24:00"),
        (
            {"working_hours": [entry(2, "09:00", "12:00"), entry(2, "11:00", "13:00")]},
            r"Wednesday: working hours 09:00-12:00 and 11:00-13:00 overlap",
        ),
        (
            {"working_hours": [entry(4, "13:00", "18:00"), entry(4, "08:00", "20:00")]},
            r"Friday: working hours 08:00-20:00 and 13:00-18:00 overlap",
        ),
        ({"working_hours": []}, r"no working time"),
        ({"working_hours": [], "extra_workdays": [date(2025, 1, 26)]}, r"no working time"),
        ({"working_hours": [{"weekday": 0, "start": "09:00"}]}, r"entry 1 is missing 'end'"),
        ({"working_hours": [entry(), ("0", "09:00", "17:00")]}, r"entry 2 must be a mapping"),
        ({"holidays": ["2025-13-01"]}, r"holiday must be a YYYY-MM-DD date"),
        ({"holidays": [datetime(2025, 1, 1)]}, r"must be a date, got datetime"),
        ({"extra_workdays": [20250126]}, r"extra workday must be a YYYY-MM-DD date"),
    ],
)
def test_from_entries_rejects(kwargs: dict[str, object], message: str) -> None:
    arguments: dict[str, object] = {"time_zone": "Asia/Shanghai", "working_hours": [entry()]}
    arguments.update(kwargs)
    with pytest.raises(CalendarError, match=message) as caught:
        BusinessCalendar.from_entries(**arguments)  # type: ignore[arg-type]
    assert isinstance(caught.value, ValueError)


def test_from_entries_accepts_touching_unsorted_24h_time_objects_and_iso_dates() -> None:
    cal = BusinessCalendar.from_entries(
        time_zone="Asia/Shanghai",
        working_hours=[
            entry(0, "13:00", "24:00"),
            entry(0, time(9, 0), time(12, 0)),
            entry("0", "12:00", "13:00"),  # touching is not overlapping
            entry(1, "9:30", "10:00"),
            entry(2, "00:00", "24:00"),
        ],
        holidays=["2025-01-01", date(2025, 5, 1)],
        extra_workdays=iter(["2025-01-26"]),
    )
    assert cal.weekly[0] == ((540, 720), (720, 780), (780, 1440))
    assert cal.weekly[1] == ((570, 600),)
    assert cal.weekly[2] == ((0, 1440),)
    assert cal.weekly[6] == ()
    assert cal.holidays == frozenset({date(2025, 1, 1), date(2025, 5, 1)})
    assert cal.extra_workdays == frozenset({date(2025, 1, 26)})
    assert cal.tz == SHANGHAI


@pytest.mark.parametrize(
    ("weekly", "message"),
    [
        ({7: ((540, 600),)}, r"Weekday must be 0"),
        ({"1": ((540, 600),)}, r"Weekday must be an integer"),
        ({0: ((600, 540),)}, r"Monday: interval 600-540 must satisfy"),
        ({0: ((0, 1441),)}, r"0 <= start < end <= 1440"),
        ({0: ((-1, 10),)}, r"0 <= start < end"),
        ({0: ((540.0, 600),)}, r"whole minutes"),
        ({0: ((540, 600, 660),)}, r"Monday: each interval must be a \(start, end\) pair"),
        ({0: (540,)}, r"must be a \(start, end\) pair"),
        ({6: ((540, 720), (700, 800))}, r"Sunday: working hours 09:00-12:00 and 11:40-13:20 overlap"),
    ],
)
def test_constructor_validates(weekly: dict[object, object], message: str) -> None:
    with pytest.raises(CalendarError, match=message):
        BusinessCalendar(tz=SHANGHAI, weekly=weekly)  # type: ignore[arg-type]


def test_constructor_freezes_and_normalises() -> None:
    hours = {0: [(780, 1080), (540, 720)]}
    cal = BusinessCalendar(tz=SHANGHAI, weekly=hours, holidays={date(2025, 1, 1)})  # type: ignore[arg-type]
    hours[0].append((0, 60))
    assert cal.weekly[0] == ((540, 720), (780, 1080))
    assert dict(cal.weekly) == {0: ((540, 720), (780, 1080)), 1: (), 2: (), 3: (), 4: (), 5: (), 6: ()}
    assert isinstance(cal.holidays, frozenset)
    twin = BusinessCalendar(tz=SHANGHAI, weekly={0: ((540, 720), (780, 1080))}, holidays=frozenset({date(2025, 1, 1)}))
    assert cal == twin
    assert hash(cal) == hash(twin)
    assert {cal: 1}[twin] == 1
    with pytest.raises(AttributeError):
        cal.tz = BERLIN  # type: ignore[misc]
    with pytest.raises(TypeError):
        cal.weekly[0] = ()  # type: ignore[index]


# ---------------------------------------------------------------------------
# Days and intervals
# ---------------------------------------------------------------------------


def test_intervals_on_normal_day_with_lunch_break() -> None:
    monday = date(2025, 3, 3)
    assert monday.weekday() == 0
    assert intervals_on(CHINA, monday) == [
        (sh(2025, 3, 3, 9), sh(2025, 3, 3, 12)),
        (sh(2025, 3, 3, 13, 30), sh(2025, 3, 3, 18)),
    ]
    assert all(start.tzinfo is SHANGHAI and end.tzinfo is SHANGHAI for start, end in intervals_on(CHINA, monday))
    assert is_working_day(CHINA, monday)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2025, 3, 8), False),  # Saturday
        (date(2025, 3, 9), False),  # Sunday
        (date(2025, 10, 1), False),  # National Day, a Wednesday
        (date(2025, 10, 8), False),  # last day of the break, a Wednesday
        (date(2025, 10, 9), True),
        (date(2025, 1, 1), False),  # New Year, a Wednesday
        (date(2025, 1, 26), True),  # make-up Sunday
        (date(2025, 2, 8), True),  # make-up Saturday
        (date(2026, 2, 14), True),
        (date(2026, 2, 28), True),
        (date(2026, 9, 20), True),
        (date(2026, 10, 10), True),
        (date(2026, 2, 17), False),  # Spring Festival 2026, a Tuesday
    ],
)
def test_is_working_day_china(day: date, working: bool) -> None:
    assert is_working_day(CHINA, day) is working
    assert bool(intervals_on(CHINA, day)) is working


def test_make_up_day_has_monday_hours() -> None:
    cal = BusinessCalendar.from_entries(
        time_zone="Asia/Shanghai",
        working_hours=[entry(0, "08:00", "10:00"), entry(1, "09:00", "17:00")],
        extra_workdays=[date(2025, 1, 26)],
    )
    assert intervals_on(cal, date(2025, 1, 26)) == [(sh(2025, 1, 26, 8), sh(2025, 1, 26, 10))]


def test_make_up_day_without_monday_hours_stays_free() -> None:
    cal = BusinessCalendar.from_entries(
        time_zone="Asia/Shanghai", working_hours=[entry(1)], extra_workdays=[date(2025, 1, 26)]
    )
    assert not is_working_day(cal, date(2025, 1, 26))


def test_holiday_wins_over_make_up_day() -> None:
    cal = BusinessCalendar.from_entries(
        time_zone="Asia/Shanghai",
        working_hours=[entry(0)],
        holidays=[date(2025, 1, 26)],
        extra_workdays=[date(2025, 1, 26)],
    )
    assert not is_working_day(cal, date(2025, 1, 26))


def test_interval_ending_at_24_00_ends_at_next_midnight() -> None:
    cal = BusinessCalendar.from_entries(time_zone="Asia/Shanghai", working_hours=[entry(4, "22:00", "24:00")])
    assert intervals_on(cal, date(2025, 3, 7)) == [(sh(2025, 3, 7, 22), sh(2025, 3, 8))]
    assert add_business_seconds(cal, sh(2025, 3, 7, 23), HOUR) == sh(2025, 3, 8)
    assert add_business_seconds(cal, sh(2025, 3, 8), 1) == sh(2025, 3, 14, 22, 0, 1)
    assert working_day_end(cal, date(2025, 3, 3), 1) == sh(2025, 3, 8)


# ---------------------------------------------------------------------------
# add_business_seconds
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "seconds", "expected"),
    [
        pytest.param(sh(2025, 3, 3, 9), 3 * HOUR, sh(2025, 3, 3, 12), id="interval-end-counts-as-inside"),
        pytest.param(sh(2025, 3, 3, 9), 3 * HOUR + 1, sh(2025, 3, 3, 13, 30, 1), id="one-second-after-lunch"),
        pytest.param(sh(2025, 3, 3, 11), 2 * HOUR, sh(2025, 3, 3, 14, 30), id="across-lunch"),
        pytest.param(sh(2025, 3, 3, 12, 30), 30 * 60, sh(2025, 3, 3, 14), id="start-in-lunch"),
        pytest.param(sh(2025, 3, 3, 12), 1, sh(2025, 3, 3, 13, 30, 1), id="start-at-interval-end"),
        pytest.param(sh(2025, 3, 3, 6), HOUR, sh(2025, 3, 3, 10), id="start-before-opening"),
        pytest.param(sh(2025, 3, 3, 17), 2 * HOUR, sh(2025, 3, 4, 10), id="overnight"),
        pytest.param(sh(2025, 3, 3, 20), HOUR, sh(2025, 3, 4, 10), id="start-at-night"),
        pytest.param(sh(2025, 3, 3, 9), CHINA_DAY, sh(2025, 3, 3, 18), id="one-full-day"),
        pytest.param(sh(2025, 3, 7, 17), 2 * HOUR, sh(2025, 3, 10, 10), id="over-weekend"),
        pytest.param(sh(2025, 3, 8, 10), HOUR, sh(2025, 3, 10, 10), id="start-on-saturday"),
        pytest.param(sh(2025, 3, 3, 9), 5 * CHINA_DAY, sh(2025, 3, 7, 18), id="one-week"),
        pytest.param(sh(2025, 9, 30, 17), 2 * HOUR, sh(2025, 10, 9, 10), id="national-day-on-weekdays"),
        pytest.param(sh(2025, 9, 26, 17), 2 * HOUR, sh(2025, 9, 28, 10), id="make-up-sunday-2025-09-28"),
        pytest.param(sh(2025, 1, 24, 17), 2 * HOUR, sh(2025, 1, 26, 10), id="make-up-sunday-2025-01-26"),
        pytest.param(sh(2025, 1, 26, 17), 2 * HOUR, sh(2025, 1, 27, 10), id="from-make-up-sunday"),
        pytest.param(sh(2025, 1, 27, 17), 2 * HOUR, sh(2025, 2, 5, 10), id="spring-festival-2025"),
        pytest.param(sh(2025, 2, 7, 17), 2 * HOUR, sh(2025, 2, 8, 10), id="make-up-saturday-2025-02-08"),
        pytest.param(sh(2026, 2, 13, 17), 2 * HOUR, sh(2026, 2, 14, 10), id="make-up-saturday-2026-02-14"),
        pytest.param(sh(2026, 2, 14, 17), 2 * HOUR, sh(2026, 2, 24, 10), id="spring-festival-2026"),
        pytest.param(sh(2026, 2, 27, 17), 2 * HOUR, sh(2026, 2, 28, 10), id="make-up-saturday-2026-02-28"),
        pytest.param(sh(2026, 9, 18, 17), 2 * HOUR, sh(2026, 9, 20, 10), id="make-up-sunday-2026-09-20"),
        pytest.param(sh(2026, 10, 9, 17), 2 * HOUR, sh(2026, 10, 10, 10), id="make-up-saturday-2026-10-10"),
        pytest.param(sh(2025, 12, 31, 17), 2 * HOUR, sh(2026, 1, 4, 10), id="year-boundary-into-make-up-sunday"),
        pytest.param(sh(2024, 12, 31, 17, 30), HOUR, sh(2025, 1, 2, 9, 30), id="year-boundary-new-year-holiday"),
        pytest.param(utc(2025, 3, 3, 1), HOUR, sh(2025, 3, 3, 10), id="start-given-in-utc"),
        pytest.param(datetime(2025, 3, 2, 20, tzinfo=NEW_YORK), HOUR, sh(2025, 3, 3, 10), id="start-given-in-new-york"),
    ],
)
def test_add_business_seconds_china(start: datetime, seconds: int, expected: datetime) -> None:
    result = add_business_seconds(CHINA, start, seconds)
    assert result == expected
    assert result.tzinfo is SHANGHAI
    assert business_seconds_between(CHINA, start, result) == seconds


@pytest.mark.parametrize("start", [sh(2025, 3, 8, 10), sh(2025, 3, 3, 12, 45), utc(2025, 3, 3, 2)])
def test_adding_zero_returns_the_same_instant(start: datetime) -> None:
    result = add_business_seconds(CHINA, start, 0)
    assert result == start
    assert result.tzinfo is SHANGHAI


def test_add_keeps_sub_second_precision() -> None:
    start = sh(2025, 3, 3, 11, 59, 59, 250_000)
    assert add_business_seconds(CHINA, start, 1) == sh(2025, 3, 3, 13, 30, 0, 250_000)


def test_add_whole_year_of_business_time_lands_on_last_working_minute() -> None:
    workdays_2025 = chinese_calendar.get_workdays(date(2025, 1, 1), date(2025, 12, 31))
    total = len(workdays_2025) * CHINA_DAY
    assert add_business_seconds(CHINA, sh(2025, 1, 1), total) == sh(2025, 12, 31, 18)
    assert add_business_seconds(CHINA, sh(2025, 1, 1), total + 1) == sh(2026, 1, 4, 9, 0, 1)


@pytest.mark.parametrize(
    ("start", "seconds", "error"),
    [
        (sh(2025, 3, 3), -1, ValueError),
        (datetime(2025, 3, 3, 9), 1, ValueError),  # naive
        (sh(2025, 3, 3), 1.5, TypeError),
        (date(2025, 3, 3), 1, TypeError),
    ],
)
def test_add_rejects_bad_arguments(start: object, seconds: object, error: type[Exception]) -> None:
    with pytest.raises(error):
        add_business_seconds(CHINA, start, seconds)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------
# business_seconds_between
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        pytest.param(sh(2025, 3, 3, 9), sh(2025, 3, 3, 10), HOUR, id="inside-an-interval"),
        pytest.param(sh(2025, 3, 3, 11), sh(2025, 3, 3, 14), HOUR + 30 * 60, id="across-lunch"),
        pytest.param(sh(2025, 3, 3, 12), sh(2025, 3, 3, 13, 30), 0, id="lunch-only"),
        pytest.param(sh(2025, 3, 3, 18), sh(2025, 3, 4, 9), 0, id="night-only"),
        pytest.param(sh(2025, 3, 3, 17), sh(2025, 3, 4, 10), 2 * HOUR, id="overnight"),
        pytest.param(sh(2025, 3, 3), sh(2025, 3, 10), 5 * CHINA_DAY, id="whole-week"),
        pytest.param(sh(2025, 3, 8), sh(2025, 3, 10), 0, id="weekend"),
        pytest.param(sh(2025, 10, 1), sh(2025, 10, 9), 0, id="national-day-week"),
        pytest.param(sh(2025, 9, 28), sh(2025, 9, 29), CHINA_DAY, id="make-up-sunday"),
        pytest.param(sh(2025, 12, 31, 17), sh(2026, 1, 4, 10), 2 * HOUR, id="year-boundary"),
        pytest.param(sh(2025, 3, 3, 10), sh(2025, 3, 3, 10), 0, id="empty"),
        pytest.param(sh(2025, 3, 3, 10), sh(2025, 3, 3, 9), -HOUR, id="negative"),
        pytest.param(sh(2025, 3, 10), sh(2025, 3, 3), -5 * CHINA_DAY, id="negative-week"),
        pytest.param(utc(2025, 3, 3, 1), utc(2025, 3, 3, 2), HOUR, id="given-in-utc"),
        pytest.param(sh(2025, 3, 3, 9, 0, 0, 700_000), sh(2025, 3, 3, 9, 0, 2, 200_000), 1, id="truncates"),
        pytest.param(sh(2025, 3, 3, 9, 0, 2, 200_000), sh(2025, 3, 3, 9, 0, 0, 700_000), -1, id="truncates-negative"),
    ],
)
def test_business_seconds_between_china(start: datetime, end: datetime, expected: int) -> None:
    assert business_seconds_between(CHINA, start, end) == expected


def test_between_two_years_matches_package_workday_count() -> None:
    workdays = chinese_calendar.get_workdays(date(2025, 1, 1), date(2026, 12, 31))
    assert business_seconds_between(CHINA, sh(2025, 1, 1), sh(2027, 1, 1)) == len(workdays) * CHINA_DAY


def test_between_rejects_naive() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        business_seconds_between(CHINA, sh(2025, 3, 3), datetime(2025, 3, 4))


# ---------------------------------------------------------------------------
# working_day_end
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "n", "expected"),
    [
        pytest.param(date(2025, 3, 3), 1, sh(2025, 3, 4, 18), id="the-day-itself-does-not-count"),
        pytest.param(date(2025, 3, 7), 1, sh(2025, 3, 10, 18), id="over-weekend"),
        pytest.param(date(2025, 3, 8), 1, sh(2025, 3, 10, 18), id="from-saturday"),
        pytest.param(date(2025, 9, 26), 5, sh(2025, 10, 10, 18), id="fifth-day-over-national-day"),
        pytest.param(date(2025, 9, 30), 1, sh(2025, 10, 9, 18), id="after-holiday-break"),
        pytest.param(date(2026, 2, 13), 1, sh(2026, 2, 14, 18), id="make-up-saturday"),
        pytest.param(date(2026, 2, 13), 2, sh(2026, 2, 24, 18), id="over-spring-festival"),
        pytest.param(date(2025, 12, 30), 2, sh(2026, 1, 4, 18), id="year-boundary"),
    ],
)
def test_working_day_end(day: date, n: int, expected: datetime) -> None:
    assert working_day_end(CHINA, day, n) == expected


@pytest.mark.parametrize(("n", "error"), [(0, ValueError), (-3, ValueError), (1.0, TypeError)])
def test_working_day_end_rejects_bad_n(n: object, error: type[Exception]) -> None:
    with pytest.raises(error):
        working_day_end(CHINA, date(2025, 3, 3), n)  # type: ignore[arg-type]


# ---------------------------------------------------------------------------
# Calendars without (reachable) working time
# ---------------------------------------------------------------------------


def test_calendar_without_hours_raises_instead_of_looping() -> None:
    empty = BusinessCalendar(tz=SHANGHAI, weekly={}, extra_workdays=frozenset({date(2025, 1, 26)}))
    with pytest.raises(CalendarError, match="no working time"):
        add_business_seconds(empty, sh(2025, 1, 1), 1)
    with pytest.raises(CalendarError, match="no working time"):
        working_day_end(empty, date(2025, 1, 1), 1)
    assert business_seconds_between(empty, sh(2025, 1, 1), sh(2026, 1, 1)) == 0
    assert add_business_seconds(empty, sh(2025, 1, 1), 0) == sh(2025, 1, 1)


def test_long_holiday_runs_do_not_trip_the_loop_guard() -> None:
    mondays = {date(2025, 1, 6) + timedelta(weeks=i) for i in range(52)}
    assert all(d.weekday() == 0 for d in mondays)
    cal = BusinessCalendar(tz=SHANGHAI, weekly={0: ((540, 600),)}, holidays=frozenset(mondays))
    assert add_business_seconds(cal, sh(2025, 1, 1), 1) == sh(2026, 1, 5, 9, 0, 1)
    assert working_day_end(cal, date(2025, 1, 1), 2) == sh(2026, 1, 12, 10)


# ---------------------------------------------------------------------------
# 7x24
# ---------------------------------------------------------------------------


def test_always_open_counts_elapsed_time() -> None:
    cal = BusinessCalendar.always_open()
    assert cal.tz == SHANGHAI
    start = sh(2025, 12, 31, 23, 59, 30)
    assert add_business_seconds(cal, start, 60) == sh(2026, 1, 1, 0, 0, 30)
    assert add_business_seconds(cal, sh(2025, 3, 8, 3), 2 * 86400) == sh(2025, 3, 10, 3)
    assert business_seconds_between(cal, sh(2025, 1, 1), sh(2026, 1, 1)) == 365 * 86400
    assert all(is_working_day(cal, date(2025, 10, 1) + timedelta(days=i)) for i in range(8))
    assert working_day_end(cal, date(2025, 3, 7), 1) == sh(2025, 3, 9)


def test_always_open_ignores_nothing_but_holidays() -> None:
    cal = BusinessCalendar(
        tz=SHANGHAI, weekly=BusinessCalendar.always_open().weekly, holidays=frozenset({date(2025, 5, 1)})
    )
    assert business_seconds_between(cal, sh(2025, 4, 30, 12), sh(2025, 5, 2, 12)) == 24 * HOUR
    assert add_business_seconds(cal, sh(2025, 4, 30, 23), 2 * HOUR) == sh(2025, 5, 2, 1)


# ---------------------------------------------------------------------------
# DST
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tz", "day", "hours"),
    [
        (BERLIN, date(2025, 3, 30), 23),
        (BERLIN, date(2025, 10, 26), 25),
        (BERLIN, date(2025, 6, 1), 24),
        (NEW_YORK, date(2025, 3, 9), 23),
        (NEW_YORK, date(2025, 11, 2), 25),
        (LORD_HOWE, date(2025, 10, 5), 23.5),
        (LORD_HOWE, date(2025, 4, 6), 24.5),
        # Midnight changes: 00:00 is skipped / 23:00-24:00 or 00:00-01:00 repeats.
        (ZoneInfo("America/Havana"), date(2025, 3, 9), 23),
        (ZoneInfo("America/Havana"), date(2025, 11, 2), 25),
        (ZoneInfo("America/Santiago"), date(2025, 4, 5), 25),
        (ZoneInfo("America/Santiago"), date(2025, 9, 7), 23),
    ],
)
def test_whole_day_interval_has_real_length_on_dst_days(tz: ZoneInfo, day: date, hours: float) -> None:
    cal = BusinessCalendar.always_open(tz.key)
    assert seconds_of(intervals_on(cal, day)) == hours * HOUR
    assert business_seconds_between(cal, midnight(day, tz), midnight(day + timedelta(days=1), tz)) == hours * HOUR


@pytest.mark.parametrize(
    ("tz", "day"),
    [
        (BERLIN, date(2025, 3, 30)),
        (BERLIN, date(2025, 10, 26)),
        (NEW_YORK, date(2025, 3, 9)),
        (NEW_YORK, date(2025, 11, 2)),
    ],
)
def test_office_hours_stay_eight_hours_on_dst_days(tz: ZoneInfo, day: date) -> None:
    cal = daily(tz)
    assert seconds_of(intervals_on(cal, day)) == 8 * HOUR
    assert business_seconds_between(cal, midnight(day, tz), midnight(day + timedelta(days=1), tz)) == 8 * HOUR


def test_add_across_dst_changes() -> None:
    berlin = daily(BERLIN)
    # Saturday before spring-forward: 1 h left on Saturday, 1 h on Sunday (CEST).
    assert add_business_seconds(berlin, datetime(2025, 3, 29, 16, tzinfo=BERLIN), 2 * HOUR) == utc(2025, 3, 30, 8)
    assert add_business_seconds(berlin, datetime(2025, 10, 25, 16, tzinfo=BERLIN), 2 * HOUR) == utc(2025, 10, 26, 9)
    new_york = daily(NEW_YORK)
    assert add_business_seconds(new_york, datetime(2025, 11, 1, 16, tzinfo=NEW_YORK), 2 * HOUR) == utc(2025, 11, 2, 15)
    assert add_business_seconds(new_york, datetime(2025, 3, 8, 16, tzinfo=NEW_YORK), 2 * HOUR) == utc(2025, 3, 9, 14)
    open_berlin = BusinessCalendar.always_open("Europe/Berlin")
    # 24 real hours after noon CEST on the eve of fall-back is 11:00 CET.
    result = add_business_seconds(open_berlin, datetime(2025, 10, 25, 12, tzinfo=BERLIN), 24 * HOUR)
    assert result == utc(2025, 10, 26, 10)
    assert (result.hour, result.utcoffset()) == (11, timedelta(hours=1))


def test_non_existent_boundary_uses_pre_transition_offset() -> None:
    # Berlin skips 02:00-03:00 on 2025-03-30: "02:30" is read as 03:30 CEST (fold=0).
    cal = BusinessCalendar(tz=BERLIN, weekly={6: ((150, 300),)})
    [(start, end)] = intervals_on(cal, date(2025, 3, 30))
    assert start == utc(2025, 3, 30, 1, 30)
    assert (start.hour, start.minute) == (3, 30)
    assert end == utc(2025, 3, 30, 3)
    assert seconds_of(intervals_on(cal, date(2025, 4, 6))) == 150 * 60


def test_gap_boundary_pushed_past_next_interval_keeps_intervals_disjoint() -> None:
    # "02:50" becomes 03:50 CEST, later than the next interval's 03:00 start.
    cal = BusinessCalendar(tz=BERLIN, weekly={6: ((60, 170), (180, 240))})
    intervals = [(s.astimezone(UTC), e.astimezone(UTC)) for s, e in intervals_on(cal, date(2025, 3, 30))]
    assert intervals == [
        (utc(2025, 3, 30, 0), utc(2025, 3, 30, 1, 50)),
        (utc(2025, 3, 30, 1, 50), utc(2025, 3, 30, 2)),
    ]
    assert seconds_of(intervals) == 2 * HOUR
    inside_gap_only = BusinessCalendar(tz=BERLIN, weekly={6: ((170, 185),)})
    assert intervals_on(inside_gap_only, date(2025, 3, 30)) == []
    assert not is_working_day(inside_gap_only, date(2025, 3, 30))


def test_date_skipped_by_the_zone_has_no_working_time() -> None:
    # Samoa jumped from 2011-12-29 24:00 straight to 2011-12-31 00:00.
    apia = ZoneInfo("Pacific/Apia")
    office = daily(apia)
    assert intervals_on(office, date(2011, 12, 30)) == []
    assert [s.day for s, _ in intervals_on(office, date(2011, 12, 31))] == [31]
    start, end = datetime(2011, 12, 29, tzinfo=apia), datetime(2012, 1, 1, tzinfo=apia)
    assert business_seconds_between(office, start, end) == 16 * HOUR
    assert business_seconds_between(BusinessCalendar.always_open("Pacific/Apia"), start, end) == 48 * HOUR
    assert working_day_end(office, date(2011, 12, 29), 1).astimezone(UTC) == datetime(2011, 12, 31, 17, tzinfo=apia)


def test_ambiguous_boundary_means_first_occurrence() -> None:
    # Berlin repeats 02:00-03:00 on 2025-10-26; "02:30" is the CEST one.
    before = BusinessCalendar(tz=BERLIN, weekly={6: ((0, 150),)})
    after = BusinessCalendar(tz=BERLIN, weekly={6: ((150, 180),)})
    day = date(2025, 10, 26)
    assert seconds_of(intervals_on(before, day)) == 2 * HOUR + 30 * 60
    assert seconds_of(intervals_on(after, day)) == HOUR + 30 * 60
    first_start = intervals_on(after, day)[0][0]
    assert first_start.astimezone(UTC) == utc(2025, 10, 26, 0, 30)
    assert first_start.fold == 0


# ---------------------------------------------------------------------------
# Efficiency
# ---------------------------------------------------------------------------


def test_long_spans_are_cheap() -> None:
    began = timer.perf_counter()
    ten_years = business_seconds_between(CHINA, sh(2020, 1, 1), sh(2030, 1, 1))
    far = add_business_seconds(CHINA, sh(2020, 1, 1), ten_years)
    open_berlin = BusinessCalendar.always_open("Europe/Berlin")
    assert add_business_seconds(open_berlin, utc(2020, 1, 1), 10 * 365 * 86400) == utc(2029, 12, 29)
    elapsed = timer.perf_counter() - began
    assert far == sh(2029, 12, 31, 18)
    # Day-by-day work is ~ms per year; minute-by-minute would take minutes.
    assert elapsed < 2.0


# ---------------------------------------------------------------------------
# Properties
# ---------------------------------------------------------------------------

# Havana and Santiago change clocks at midnight, so "24:00" and 00:00 can be
# skipped or repeated wall times there.
ZONES = [
    "Asia/Shanghai",
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",
    "America/Havana",
    "America/Santiago",
    "UTC",
]
# Instants near the 2025 DST changes of those zones, where bugs would hide.
DST_CHANGES = [
    utc(2025, 3, 30, 1),
    utc(2025, 10, 26, 1),
    utc(2025, 3, 9, 7),
    utc(2025, 11, 2, 6),
    utc(2025, 4, 5, 15),
    utc(2025, 10, 4, 15, 30),
    utc(2025, 3, 9, 5),
    utc(2025, 11, 2, 5),
    utc(2025, 4, 6, 3),
    utc(2025, 9, 7, 4),
]
PROPERTY = settings(max_examples=100, deadline=None, database=None)

boundary_minutes = st.one_of(st.integers(0, 48).map(lambda half_hours: half_hours * 30), st.integers(0, 1440))
day_dates = st.dates(min_value=date(2024, 12, 1), max_value=date(2026, 2, 1))


@st.composite
def calendars(draw: st.DrawFn) -> BusinessCalendar:
    weekly: dict[int, tuple[tuple[int, int], ...]] = {}
    for weekday in range(7):
        points = sorted(draw(st.sets(boundary_minutes, max_size=6)))
        points = points[: len(points) // 2 * 2]
        weekly[weekday] = tuple(zip(points[::2], points[1::2], strict=True))
    if not any(weekly.values()):
        weekly[draw(st.integers(0, 6))] = ((540, 1020),)
    return BusinessCalendar(
        tz=ZoneInfo(draw(st.sampled_from(ZONES))),
        weekly=weekly,
        holidays=draw(st.frozensets(day_dates, max_size=40)),
        extra_workdays=draw(st.frozensets(day_dates, max_size=10)),
    )


instants = st.one_of(
    st.datetimes(min_value=datetime(2024, 12, 15), max_value=datetime(2026, 1, 15), timezones=st.just(UTC)),
    st.builds(
        lambda base, offset: base + timedelta(seconds=offset),
        st.sampled_from(DST_CHANGES),
        st.integers(-36 * HOUR, 36 * HOUR),
    ),
).flatmap(lambda instant: st.sampled_from(ZONES).map(lambda zone: instant.astimezone(ZoneInfo(zone))))


def weekly_seconds(cal: BusinessCalendar) -> int:
    return sum((end - start) * 60 for intervals in cal.weekly.values() for start, end in intervals)


def business_amounts(cal: BusinessCalendar) -> st.SearchStrategy[int]:
    # Up to ~4 weeks of this calendar's time keeps every example fast even
    # for a calendar open one minute a week.
    return st.integers(0, 4 * weekly_seconds(cal))


def containing_interval(cal: BusinessCalendar, instant: datetime) -> tuple[datetime, datetime] | None:
    instant = instant.astimezone(UTC)
    local_day = instant.astimezone(cal.tz).date()
    for day in (local_day - timedelta(days=1), local_day):
        for start, end in intervals_on(cal, day):
            if start.astimezone(UTC) < instant <= end.astimezone(UTC):
                return start, end
    return None


@PROPERTY
@given(data=st.data(), cal=calendars(), start=instants)
def test_property_add_then_measure_round_trips(data: st.DataObject, cal: BusinessCalendar, start: datetime) -> None:
    seconds = data.draw(business_amounts(cal))
    assert business_seconds_between(cal, start, add_business_seconds(cal, start, seconds)) == seconds
    # Also from a working instant proper.
    working = add_business_seconds(cal, start, 1)
    assert business_seconds_between(cal, working, add_business_seconds(cal, working, seconds)) == seconds


@PROPERTY
@given(data=st.data(), cal=calendars(), start=instants)
def test_property_result_lies_in_working_time(data: st.DataObject, cal: BusinessCalendar, start: datetime) -> None:
    seconds = data.draw(business_amounts(cal).filter(lambda amount: amount > 0))
    result = add_business_seconds(cal, start, seconds)
    assert result.tzinfo is cal.tz
    assert result.astimezone(UTC) > start.astimezone(UTC)
    assert containing_interval(cal, result) is not None
    # Monotone in the amount added.
    assert add_business_seconds(cal, start, seconds - 1).astimezone(UTC) < result.astimezone(UTC)


@PROPERTY
@given(cal=calendars(), a=instants, b=instants, c=instants)
def test_property_between_is_additive(cal: BusinessCalendar, a: datetime, b: datetime, c: datetime) -> None:
    ab = business_seconds_between(cal, a, b)
    assert ab == -business_seconds_between(cal, b, a)
    # Truncation of sub-second parts may lose up to 1 s per term.
    whole = [x.replace(microsecond=0) for x in (a, b, c)]
    a, b, c = whole
    assert business_seconds_between(cal, a, b) + business_seconds_between(cal, b, c) == business_seconds_between(
        cal, a, c
    )


@PROPERTY
@given(data=st.data(), cal=calendars())
def test_property_holidays_have_no_business_time(data: st.DataObject, cal: BusinessCalendar) -> None:
    holiday = data.draw(day_dates)
    cal = BusinessCalendar(
        tz=cal.tz, weekly=cal.weekly, holidays=cal.holidays | {holiday}, extra_workdays=cal.extra_workdays
    )
    assert intervals_on(cal, holiday) == []
    assert not is_working_day(cal, holiday)
    start, end = midnight(holiday, cal.tz), midnight(holiday + timedelta(days=1), cal.tz)
    assert business_seconds_between(cal, start, end) == 0


@PROPERTY
@given(cal=calendars(), first=day_dates, days=st.integers(0, 45))
def test_property_whole_days_sum_their_intervals(cal: BusinessCalendar, first: date, days: int) -> None:
    span = [first + timedelta(days=i) for i in range(days)]
    expected = sum(seconds_of(intervals_on(cal, day)) for day in span)
    start, end = midnight(first, cal.tz), midnight(first + timedelta(days=days), cal.tz)
    assert business_seconds_between(cal, start, end) == expected


@PROPERTY
@given(cal=calendars(), day=day_dates)
def test_property_intervals_are_sorted_disjoint_and_local(cal: BusinessCalendar, day: date) -> None:
    intervals = intervals_on(cal, day)
    bounds = [moment.astimezone(UTC) for interval in intervals for moment in interval]
    assert bounds == sorted(bounds)
    assert all(start.tzinfo is cal.tz and end.tzinfo is cal.tz for start, end in intervals)
    assert all(start.astimezone(UTC) < end.astimezone(UTC) for start, end in intervals)
    previous = intervals_on(cal, day - timedelta(days=1))
    if previous and intervals:
        assert previous[-1][1].astimezone(UTC) <= intervals[0][0].astimezone(UTC)


@PROPERTY
@given(zone=st.sampled_from(ZONES), a=instants, b=instants)
def test_property_always_open_measures_elapsed_time(zone: str, a: datetime, b: datetime) -> None:
    cal = BusinessCalendar.always_open(zone)
    a, b = a.replace(microsecond=0), b.replace(microsecond=0)
    assert business_seconds_between(cal, a, b) == int((b.astimezone(UTC) - a.astimezone(UTC)).total_seconds())
    if b.astimezone(UTC) >= a.astimezone(UTC):  # not b >= a: same-zone compare ignores fold
        seconds = business_seconds_between(cal, a, b)
        # Compare in UTC: PEP 495 makes inter-zone == False for ambiguous times.
        assert add_business_seconds(cal, a, seconds).astimezone(UTC) == b.astimezone(UTC)


@PROPERTY
@given(cal=calendars(), day=day_dates, n=st.integers(1, 8))
def test_property_working_day_end_counts_working_days(cal: BusinessCalendar, day: date, n: int) -> None:
    result = working_day_end(cal, day, n)
    assert result.tzinfo is cal.tz
    last_day, count = day, 0
    while count < n:
        last_day += timedelta(days=1)
        count += is_working_day(cal, last_day)
    assert result == intervals_on(cal, last_day)[-1][1]
    assert result.astimezone(UTC) == intervals_on(cal, last_day)[-1][1].astimezone(UTC)
