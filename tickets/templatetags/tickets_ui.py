"""Small display helpers for the ticket pages."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils.timesince import timesince

register = template.Library()


@register.filter
def age(value: datetime | None) -> str:
    """How long ago, in its largest unit only ("3 days", "5 minutes"): a queue row has little room."""
    if not value:
        return ""
    return timesince(value, depth=1)
