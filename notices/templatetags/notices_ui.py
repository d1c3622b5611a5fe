"""The notice banner for the shared layout: the current notices for whoever views the page, from the cache."""

from __future__ import annotations

from django import template

from notices.selectors import banner_for

register = template.Library()


@register.inclusion_tag("notices/_banner.html", takes_context=True)
def notice_banner(context) -> dict:
    request = context.get("request")
    user = getattr(request, "user", None)
    return {"banner_notices": banner_for(user) if request is not None else []}


@register.filter
def notice_type(code: str) -> str:
    from notices.models import Notice

    try:
        return str(Notice.Type(code).label)
    except ValueError:
        return code


@register.filter
def notice_severity(code: str) -> str:
    from notices.models import Notice

    try:
        return str(Notice.Severity(code).label)
    except ValueError:
        return code
