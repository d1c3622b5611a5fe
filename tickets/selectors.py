"""Reads of tickets. `tickets_visible_to` is the one answer to "which tickets may this user see", used by the
pages and the API alike; list selectors join what their pages render, so no list can N+1."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch, Q, QuerySet

from servicedesk.models import Role, SupportGroup, User

from .models import Attachment, Comment, Ticket, TicketEvent

S = Ticket.Status

ALL_TICKET_ROLES = (
    Role.AGENT,
    Role.SUPERVISOR,
    Role.ADMIN,
    Role.CALLBACK_AGENT,
    Role.QUALITY_ANALYST,
    Role.INCIDENT_MANAGER,
)


def group_ids_of(user: User) -> QuerySet:
    """Ids of the groups `user` belongs to or leads, as a subquery."""
    return SupportGroup.objects.filter(Q(members=user) | Q(lead=user)).values("pk")


def tickets_visible_to(user: User) -> QuerySet[Ticket]:
    if not user.is_authenticated:
        return Ticket.objects.none()
    if user.has_role(*ALL_TICKET_ROLES):
        return Ticket.objects.all()
    visible = Q(requester=user)
    if user.has_role(Role.TECHNICIAN):
        visible |= Q(assignee=user) | Q(group_id__in=group_ids_of(user))
    return Ticket.objects.filter(visible)


# What a ticket list renders, joined in its one query. A category's name shows its ancestors ("Hardware /
# Printers / Laser"): without these joins each row costs queries.
TICKET_LIST_RELATED = (
    "requester",
    "group",
    "assignee",
    "category__parent__parent",
)
# Linked tickets show their numbers, but are prefetched rather than joined: joining tickets_ticket to itself twice
# makes PostgreSQL weigh every join order against all of the table's indexes, ~20 ms of planning per list (more than
# running it, at any table size). Few tickets have links, and a prefetch whose ids are all null runs no query.
TICKET_LIST_LINKED = ("duplicate_of", "parent")


def ticket_list_qs(user: User) -> QuerySet[Ticket]:
    """Visible tickets with what lists render joined in one query (linked tickets prefetched)."""
    return tickets_visible_to(user).select_related(*TICKET_LIST_RELATED).prefetch_related(*TICKET_LIST_LINKED)


QUEUES = ("mine", "groups", "unassigned", "open", "all")
# A search matching more people than this (a fragment like "li") filters by a subquery instead of an id list.
SEARCH_PEOPLE_LIMIT = 500


@dataclass(frozen=True)
class QueueFilters:
    queue: str = "open"
    status: str = ""
    type: str = ""
    priority: str = ""
    group: str = ""
    q: str = ""
    ordering: str = "-created_at"


ORDERINGS = {
    "created_at": ("created_at", "id"),
    "-created_at": ("-created_at", "-id"),
    "updated_at": ("updated_at", "id"),
    "-updated_at": ("-updated_at", "-id"),
    "priority": ("priority", "-created_at"),
    "-priority": ("-priority", "-created_at"),
    "status": ("status", "-created_at"),
    "-status": ("-status", "-created_at"),
    "sla_due": ("sla_due", "-created_at"),
    "-sla_due": ("-sla_due", "-created_at"),
}


def search_filter(term: str) -> Q:
    """Number, title, description and requester name.

    On PostgreSQL each arm of the OR is index-backed, so it runs as one BitmapOr instead of reading every ticket:
    trigram GIN indexes on UPPER(number / title / description) serve icontains, and the requester arm is a list of
    ids on the requester index, looked up first. A join to the users inside the OR would force a scan of the whole
    table, and a subquery there would hide from the planner how few tickets match."""
    term = term.strip()
    people = User.objects.filter(
        Q(display_name__icontains=term)
        | Q(first_name__icontains=term)
        | Q(last_name__icontains=term)
        | Q(username__iexact=term)
    ).values_list("pk", flat=True)
    ids = list(people[: SEARCH_PEOPLE_LIMIT + 1])
    by_requester = Q(requester_id__in=people if len(ids) > SEARCH_PEOPLE_LIMIT else ids)
    # Part of a number finds it too: people read out "the one ending 0123" on the phone.
    return Q(number__icontains=term) | Q(title__icontains=term) | Q(description__icontains=term) | by_requester


def ticket_queue(user: User, filters: QueueFilters) -> QuerySet[Ticket]:
    qs = ticket_list_qs(user)
    if filters.queue == "mine":
        qs = qs.filter(assignee=user, status__in=Ticket.OPEN_STATUSES)
    elif filters.queue == "groups":
        qs = qs.filter(group_id__in=group_ids_of(user), status__in=Ticket.OPEN_STATUSES)
    elif filters.queue == "unassigned":
        qs = qs.filter(status=S.NEW)
    elif filters.queue == "open":
        qs = qs.filter(status__in=Ticket.OPEN_STATUSES)
    if filters.status in S.values:
        qs = qs.filter(status=filters.status)
    if filters.type in Ticket.Type.values:
        qs = qs.filter(type=filters.type)
    if filters.priority.isdigit():
        qs = qs.filter(priority=int(filters.priority))
    if filters.group.isdigit():
        qs = qs.filter(group_id=int(filters.group))
    if filters.q.strip():
        qs = qs.filter(search_filter(filters.q))
    ordering = ORDERINGS.get(filters.ordering, ORDERINGS["-created_at"])
    if filters.ordering == "sla_due":
        from django.db.models import F

        return qs.order_by(F("sla_due").asc(nulls_last=True), "-created_at")
    return qs.order_by(*ordering)


def queue_counts(user: User) -> dict[str, int]:
    """Counts for the queue tabs, in one query."""
    from django.db.models import Count

    base = tickets_visible_to(user).filter(status__in=Ticket.OPEN_STATUSES)
    return base.aggregate(
        mine=Count("pk", filter=Q(assignee=user)),
        groups=Count("pk", filter=Q(group_id__in=group_ids_of(user))),
        unassigned=Count("pk", filter=Q(status=S.NEW)),
        open=Count("pk"),
    )


def ticket_get(user: User, number: str) -> Ticket | None:
    """One ticket by number if `user` may see it; someone else's ticket is simply not found."""
    return (
        ticket_list_qs(user)
        .select_related("department", "resolution_article", "created_by")
        .filter(number=number)
        .first()
    )


def comments_visible_to(user: User, ticket: Ticket) -> QuerySet[Comment]:
    qs = ticket.comments.select_related("author").order_by("created_at", "id")
    if not can_read_internal(user, ticket):
        qs = qs.filter(internal=False)
    return qs


def attachments_visible_to(user: User, ticket: Ticket) -> QuerySet[Attachment]:
    qs = ticket.attachments.select_related("uploaded_by").order_by("created_at", "id")
    if not can_read_internal(user, ticket):
        qs = qs.filter(internal=False)
    return qs


def events_visible_to(user: User, ticket: Ticket) -> QuerySet[TicketEvent]:
    qs = ticket.events.select_related("actor").order_by("at", "id")
    if not can_read_internal(user, ticket):
        qs = qs.filter(internal=False)
    return qs


def can_read_internal(user: User, ticket: Ticket) -> bool:
    """Internal notes are for support staff; a staff member reading their own request is a requester there."""
    return user.is_staff_member and (ticket.requester_id != user.pk or user.is_desk)


def ticket_detail_prefetch(user: User, ticket: Ticket) -> dict:
    """Everything the ticket page renders, each in one query."""
    return {
        "comments": list(comments_visible_to(user, ticket)),
        "attachments": list(attachments_visible_to(user, ticket)),
        "events": list(events_visible_to(user, ticket)),
    }


def assignable_groups() -> QuerySet[SupportGroup]:
    return SupportGroup.objects.filter(is_active=True).prefetch_related(
        Prefetch("members", queryset=User.objects.filter(is_active=True).order_by("display_name", "username"))
    )
