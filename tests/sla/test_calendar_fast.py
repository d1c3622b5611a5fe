"""The week-at-a-time measure of long ranges equals the day-by-day measure, in every kind of zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from sla.calendar import BusinessCalendar, _between_days, business_seconds_between

ZONES = ["Asia/Shanghai", "Europe/Berlin", "America/New_York", "America/Havana", "Australia/Lord_Howe", "UTC"]
HOURS = [{"weekday": d, "start": s, "end": e} for d in range(5) for s, e in (("09:00", "12:00"), ("13:30", "18:00"))]
ALWAYS = [{"weekday": d, "start": "00:00", "end": "24:00"} for d in range(7)]

instants = st.datetimes(min_value=datetime(2023, 1, 1), max_value=datetime(2027, 12, 31)).map(
    lambda dt: dt.replace(tzinfo=UTC)
)
special_days = st.lists(st.dates(min_value=date(2023, 1, 1), max_value=date(2027, 12, 31)), max_size=25)


@settings(max_examples=150, deadline=None, database=None)
@given(
    zone=st.sampled_from(ZONES),
    hours=st.sampled_from([HOURS, ALWAYS]),
    holidays=special_days,
    workdays=special_days,
    start=instants,
    days=st.integers(min_value=0, max_value=1200),
    extra=st.integers(min_value=0, max_value=86399),
)
def test_long_ranges_measure_the_same_as_day_by_day(zone, hours, holidays, workdays, start, days, extra):
    cal = BusinessCalendar.from_entries(time_zone=zone, working_hours=hours, holidays=holidays, extra_workdays=workdays)
    end = start + timedelta(days=days, seconds=extra)
    assert business_seconds_between(cal, start, end) == _between_days(cal, start, end) // timedelta(seconds=1)
