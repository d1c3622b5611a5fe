"""Bring a ticket to a given status through the services, the way people would (used by several test modules)."""

from __future__ import annotations

from tickets import services
from tickets.models import Ticket

S = Ticket.Status


def to_status(ticket: Ticket, status: str, *, desk, assignee, group) -> Ticket:
    """new → assigned (to `assignee` in `group`) → in_progress (accepted) → pending / resolved → closed;
    cancelled is reached from assigned, so the assignee still sees the ticket."""
    if status == S.NEW:
        return ticket
    ticket = services.ticket_assign(ticket=ticket, actor=desk, group=group, assignee=assignee)
    if status == S.ASSIGNED:
        return ticket
    if status == S.CANCELLED:
        return services.ticket_cancel(ticket=ticket, actor=desk, reason="Filed twice")
    ticket = services.ticket_accept(ticket=ticket, actor=assignee)
    if status == S.IN_PROGRESS:
        return ticket
    if status == S.PENDING:
        return services.ticket_pend(ticket=ticket, actor=assignee, reason="Waiting for the error message")
    ticket = services.ticket_resolve(ticket=ticket, actor=assignee, resolution="Replaced the drum unit")
    if status == S.RESOLVED:
        return ticket
    assert status == S.CLOSED, status
    return services.ticket_close(ticket=ticket, actor=desk)


def workflow_events(ticket: Ticket):
    """The ticket's trail without the SLA clock events (those belong to the SLA app and depend on its policies)."""
    return ticket.events.exclude(kind__startswith="sla_").order_by("at", "id")


def event_kinds(ticket: Ticket) -> list[str]:
    return list(workflow_events(ticket).values_list("kind", flat=True))
