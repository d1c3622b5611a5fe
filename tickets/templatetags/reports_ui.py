"""Display helpers for the report pages: percentages, business durations, changes, and links to the tickets behind
a figure."""

from __future__ import annotations

from typing import Any

from django import template
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.http import urlencode
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def pct(value: float | None, digits: int = 1) -> str:
    """A fraction 0..1 as a percentage ("87.5 %"), or a dash when there is nothing to divide."""
    if value is None:
        return "—"
    return f"{number_format(value * 100, digits)} %"


@register.filter
def duration(seconds: float | None) -> str:
    """Business seconds as "2 h 05 min" (or "45 min", "3 d 2 h" for business days of 24 h)."""
    if seconds is None:
        return "—"
    minutes = round(seconds / 60)
    if minutes < 60:
        return _("%(m)d min") % {"m": minutes}
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return _("%(h)d h %(m)02d min") % {"h": hours, "m": minutes}
    days, hours = divmod(hours, 24)
    return _("%(d)d d %(h)d h") % {"d": days, "h": hours}


@register.filter
def score(value: float | None) -> str:
    if value is None:
        return "—"
    return number_format(value, 2)


@register.simple_tag
def kpi_display(unit: str, value: Any) -> str:
    if unit == "rate":
        return pct(value)
    if unit == "seconds":
        return duration(value)
    if unit == "score":
        return score(value)
    return "—" if value is None else number_format(value, 0, force_grouping=True)


@register.simple_tag
def kpi_change(unit: str, delta: Any) -> str:
    """The change against the previous period: points for rates, signed durations and counts."""
    if delta is None:
        return "—"
    sign = "+" if delta > 0 else ("−" if delta < 0 else "±")
    size = abs(delta)
    if unit == "rate":
        return _("%(sign)s%(points)s pts") % {"sign": sign, "points": number_format(size * 100, 1)}
    if unit == "seconds":
        return f"{sign}{duration(size)}"
    if unit == "score":
        return f"{sign}{number_format(size, 2)}"
    return f"{sign}{number_format(size, 0, force_grouping=True)}"


@register.simple_tag
def drill_url(base: dict[str, str], **extra: Any) -> str:
    """The ticket list behind a figure: the page's period and filters plus the row (dim, value) and the KPI."""
    params = {**base, **{k: v for k, v in extra.items() if v not in (None, "")}}
    return f"{reverse('reports:tickets')}?{urlencode(params)}"


@register.simple_tag
def export_url(base: dict[str, str], report: str, fmt: str) -> str:
    return f"{reverse('reports:export')}?{urlencode({**base, 'report': report, 'format': fmt})}"
