"""Work-order panels placed on other pages with one line: today's orders on the technician's "My work" page and
the ticket's orders on the ticket page."""

from __future__ import annotations

from django import template

from tickets import workorder_selectors as ws
from tickets import workorders as wo

register = template.Library()


@register.inclusion_tag("workorders/_today_panel.html", takes_context=True)
def workorders_today_panel(context) -> dict:
    user = context["request"].user
    orders = ws.workorders_today(user)
    for o in orders:
        o.remaining = ws.remaining_minutes(o)
        o.late_by = -o.remaining if o.remaining is not None else None
    return {"orders": orders, "warning_minutes": wo.ARRIVAL_WARNING_MINUTES}


@register.inclusion_tag("workorders/_ticket_panel.html", takes_context=True)
def ticket_workorders(context, ticket) -> dict:
    user = context["request"].user
    orders = list(ws.workorders_visible_to(user).filter(ticket=ticket).select_related("technician").order_by("id"))
    return {
        "ticket": ticket,
        "orders": orders,
        "may_dispatch": ticket.is_open and wo.may_dispatch(user, ticket),
    }
