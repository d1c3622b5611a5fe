"""Who may take which step on a ticket. One rule per question, used by services (to refuse), and by the
pages and the API (to offer only the actions that will work). Visibility is decided by the selectors."""

from __future__ import annotations

from typing import TYPE_CHECKING

from servicedesk.models import Role

from .models import Ticket

if TYPE_CHECKING:
    from servicedesk.models import User

S = Ticket.Status

# action -> statuses it may start from (the API's transition table)
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "assign": (S.NEW, S.ASSIGNED, S.IN_PROGRESS),
    "accept": (S.ASSIGNED,),
    "pend": (S.IN_PROGRESS,),
    "resume": (S.PENDING,),
    "resolve": (S.NEW, S.ASSIGNED, S.IN_PROGRESS, S.PENDING),
    "reopen": (S.RESOLVED,),
    "close": (S.RESOLVED,),
    "cancel": (S.NEW, S.ASSIGNED),
    "mark_duplicate": (S.NEW, S.ASSIGNED, S.IN_PROGRESS, S.PENDING),
}


def is_desk(user: User | None) -> bool:
    return user is not None and user.has_role(Role.AGENT, Role.SUPERVISOR, Role.ADMIN)


def _member_ids(ticket: Ticket) -> set[int]:
    if ticket.group_id is None:
        return set()
    cache = getattr(ticket, "_member_ids_cache", None)
    if cache is None:
        cache = set(ticket.group.members.values_list("id", flat=True))
        ticket._member_ids_cache = cache
    return cache


def is_group_lead(user: User, ticket: Ticket) -> bool:
    return ticket.group_id is not None and ticket.group.lead_id == user.pk


def is_group_member(user: User, ticket: Ticket) -> bool:
    return user.pk in _member_ids(ticket) or is_group_lead(user, ticket)


def may(user: User | None, action: str, ticket: Ticket) -> bool:
    """May `user` take `action` on `ticket` — ignoring its current status (see `can`)."""
    if user is None:  # the system (follow-up, sweeps) may close
        return action == "close"
    desk = is_desk(user)
    if action in ("assign", "route"):
        return desk or is_group_lead(user, ticket)
    if action == "accept":
        return ticket.assignee_id == user.pk or is_group_member(user, ticket)
    if action in ("pend", "resume", "resolve"):
        if desk or ticket.assignee_id == user.pk:
            return True
        return action == "resolve" and incident_manager_may_resolve(user, ticket)
    if action == "reopen":
        return desk or ticket.requester_id == user.pk
    if action in ("close", "mark_duplicate", "classify"):
        return desk
    if action == "cancel":
        return desk or (ticket.requester_id == user.pk and ticket.status == S.NEW)
    if action == "link_parent":
        return desk or user.has_role(Role.INCIDENT_MANAGER)
    if action == "comment_internal":
        return desk or (user.is_staff_member and ticket.requester_id != user.pk)
    return False


def incident_manager_may_resolve(user: User, ticket: Ticket) -> bool:
    """The major-incident manager resolves a major incident's ticket and the reports linked to it: their fix is
    the incident's fix (tickets/major_incidents.py resolves them together)."""
    if not user.has_role(Role.INCIDENT_MANAGER):
        return False
    from .models import MajorIncident

    ids = [ticket.pk, ticket.parent_id] if ticket.parent_id else [ticket.pk]
    return MajorIncident.objects.filter(ticket_id__in=ids).exists()


def can(user: User | None, action: str, ticket: Ticket) -> bool:
    """May `user` take `action` now: allowed for them and legal from the ticket's status."""
    allowed_from = TRANSITIONS.get(action)
    if allowed_from is not None and ticket.status not in allowed_from:
        return False
    return may(user, action, ticket)


def available_actions(user: User, ticket: Ticket) -> list[str]:
    return [action for action in TRANSITIONS if can(user, action, ticket)]
