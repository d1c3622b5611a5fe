"""The major-incident panel on the ticket page: which incident the ticket is (or belongs to), and for the
incident manager and the desk the forms to declare it or link it to an open one."""

from __future__ import annotations

from django import template

from tickets import major_incidents as mi
from tickets.rules import is_desk

register = template.Library()


@register.inclusion_tag("tickets/major_incidents/_ticket_panel.html", takes_context=True)
def major_incident_panel(context, ticket) -> dict:
    user = context["request"].user
    incident = mi.major_incident_of(ticket)
    manager = mi.is_incident_manager(user)
    staff = user.is_staff_member
    open_ticket = ticket.status in ticket.OPEN_STATUSES
    can_link = (manager or is_desk(user)) and incident is None and ticket.status not in ticket.FINAL_STATUSES
    return {
        "ticket": ticket,
        "incident": incident,
        "is_incident": incident is not None and incident.ticket_id == ticket.pk,
        "staff": staff,
        "can_declare": manager and incident is None and open_ticket,
        "open_incidents": list(mi.open_major_incidents()[:20]) if can_link else [],
        "request": context["request"],
    }
