"""Mainland China official days off and make-up workdays (调休), per year.

The State Council publishes the schedule each winter for the next year, so
the data comes from the ``chinese_calendar`` package, which has to be
upgraded once a year. This module only reshapes it into the two date sets a
:class:`sla.calendar.BusinessCalendar` wants; it stays free of Django so it
can be used from a management command, a form or a test alike.
"""

from __future__ import annotations

from datetime import date

import chinese_calendar

__all__ = ["china_year"]


def china_year(year: int) -> tuple[set[date], set[date]]:
    """Return ``(days_off, make_up_workdays)`` for mainland China in ``year``.

    ``days_off`` is every date of the official holiday periods, including the
    weekend days inside them (e.g. Saturday 2025-02-01 in the Spring Festival
    break): they are days off nationally, which matters to calendars that
    have weekend hours. Ordinary weekends outside those periods are *not*
    listed; the weekly hours already cover them.

    ``make_up_workdays`` are the weekend dates that are official working days
    (调休), e.g. Sunday 2025-01-26.

    Raises :class:`ValueError` when the installed ``chinese_calendar`` has no
    data for ``year`` (it raises ``NotImplementedError`` itself, which callers
    should not have to know about).
    """
    if isinstance(year, bool) or not isinstance(year, int):
        raise TypeError(f"year must be an int, got {year!r}.")
    first, last = date(year, 1, 1), date(year, 12, 31)
    try:
        # Despite its name, include_weekends=False returns exactly the dates in
        # the package's official holiday table, weekend days of a break included.
        days_off = set(chinese_calendar.get_holidays(first, last, include_weekends=False))
        workdays = chinese_calendar.get_workdays(first, last, include_weekends=True)
    except NotImplementedError as exc:
        raise ValueError(
            f"No mainland China holiday data for {year} in chinese_calendar "
            f"{chinese_calendar.__version__} ({exc}); upgrade the chinese-calendar "
            "package or enter that year's holidays by hand."
        ) from exc
    make_up = {d for d in workdays if d.weekday() >= 5}
    return days_off, make_up
