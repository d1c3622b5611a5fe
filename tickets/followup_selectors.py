"""Reads of follow-ups and complaints: who may work them, the worklist, the API list, complaint counts per team.
List selectors join what their pages render, so a page costs the same number of queries for 5 rows or 500."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from django.db.models import Avg, Count, Max, Q, QuerySet
from django.utils import timezone

from servicedesk.models import Role, User

from .models import Complaint, FollowUp, Ticket

F = FollowUp.State

# Who calls users back and records it (API.md: callback agents, desk agents and supervisors; admins too).
FOLLOWUP_ROLES = (Role.CALLBACK_AGENT, Role.AGENT, Role.SUPERVISOR, Role.ADMIN)
# Who reads the complaint figures of every team.
MANAGER_ROLES = (Role.SUPERVISOR, Role.ADMIN, Role.QUALITY_ANALYST)
# Who sees every complaint.
COMPLAINT_READ_ROLES = (Role.AGENT, Role.SUPERVISOR, Role.ADMIN, Role.CALLBACK_AGENT, Role.QUALITY_ANALYST)
# Who registers complaints (they also route them: assigning is a desk step).
COMPLAINT_REGISTER_ROLES = (Role.AGENT, Role.SUPERVISOR, Role.ADMIN)

STATE_FILTERS = ("due", "overdue", "done", "unreachable", "cancelled")


def may_work_followups(user: User | None) -> bool:
    return user is not None and user.is_authenticated and user.has_role(*FOLLOWUP_ROLES)


def may_see_complaint_figures(user: User | None) -> bool:
    return user is not None and user.is_authenticated and user.has_role(*MANAGER_ROLES)


def followup_list_qs() -> QuerySet[FollowUp]:
    """Follow-ups with their ticket's story (requester, group, assignee) and the attempt figures, in one query."""
    return FollowUp.objects.select_related(
        "ticket__requester", "ticket__group", "ticket__assignee", "assignee"
    ).annotate(attempt_count=Count("attempts"), last_attempt_at=Max("attempts__at"))


def followup_filter(
    qs: QuerySet[FollowUp], *, state: str = "", assignee: int | None = None, now: datetime | None = None
) -> QuerySet[FollowUp]:
    """`state` is a stored state or `overdue` (due and past its due time)."""
    now = now or timezone.now()
    if state == "overdue":
        qs = qs.filter(state=F.DUE, due_at__lt=now)
    elif state in F.values:
        qs = qs.filter(state=state)
    if assignee is not None:
        qs = qs.filter(assignee_id=assignee)
    return qs


def followup_get(user: User, pk: int) -> FollowUp | None:
    if not may_work_followups(user):
        return None
    return followup_list_qs().filter(pk=pk).first()


def followup_attempts(followup: FollowUp):
    return followup.attempts.select_related("agent").order_by("at", "id")


@dataclass
class Worklist:
    overdue: list[FollowUp] = field(default_factory=list)
    today: list[FollowUp] = field(default_factory=list)
    upcoming: list[FollowUp] = field(default_factory=list)
    more_upcoming: bool = False

    @property
    def total(self) -> int:
        return len(self.overdue) + len(self.today) + len(self.upcoming)


def end_of_local_day(now: datetime) -> datetime:
    return timezone.make_aware(datetime.combine(timezone.localdate(now) + timedelta(days=1), time.min))


def worklist(*, assignee: User | None, now: datetime | None = None, upcoming_limit: int = 50) -> Worklist:
    """Open follow-ups (of one agent, or everyone's with assignee=None) in three parts: overdue, due today, coming
    up. Within each, the least-tried first (a user nobody has tried yet comes before a third attempt), then the
    soonest due. Two queries whatever the size: today's and overdue ones, and the next `upcoming_limit`."""
    now = now or timezone.now()
    end_today = end_of_local_day(now)
    qs = followup_filter(followup_list_qs(), state=F.DUE)
    if assignee is not None:
        qs = qs.filter(assignee=assignee)
    result = Worklist()
    for f in qs.filter(due_at__lt=end_today).order_by("attempt_count", "due_at", "pk"):
        (result.overdue if f.due_at < now else result.today).append(f)
    upcoming = list(qs.filter(due_at__gte=end_today).order_by("due_at", "pk")[: upcoming_limit + 1])
    result.more_upcoming = len(upcoming) > upcoming_limit
    result.upcoming = upcoming[:upcoming_limit]
    return result


def callback_agents() -> QuerySet[User]:
    return User.objects.filter(groups__name=Role.CALLBACK_AGENT, is_active=True).order_by("display_name", "username")


# --- complaints ----------------------------------------------------------------------------------------


def complaint_list_qs() -> QuerySet[Complaint]:
    return Complaint.objects.select_related(
        "ticket__requester",
        "ticket__assignee",
        "about_group",
        "about_person",
        "about_ticket",
        "group",
        "responsible",
        "result_by",
    )


def complaints_visible_to(user: User) -> QuerySet[Complaint]:
    """Desk roles, callback agents and quality analysts see every complaint; everyone else the ones they handle,
    lead the team of, or filed."""
    if not user.is_authenticated:
        return Complaint.objects.none()
    qs = complaint_list_qs()
    if user.has_role(*COMPLAINT_READ_ROLES):
        return qs
    return qs.filter(Q(responsible=user) | Q(ticket__assignee=user) | Q(ticket__requester=user) | Q(group__lead=user))


def complaint_get(user: User, pk: int) -> Complaint | None:
    return complaints_visible_to(user).filter(pk=pk).first()


@dataclass(frozen=True)
class TeamComplaints:
    group_id: int | None
    group_name: str | None
    total: int
    open: int
    answered: int
    avg_satisfaction: float | None


def complaint_counts_by_group(*, since: datetime | None = None, until: datetime | None = None) -> list[TeamComplaints]:
    """Complaints per team (most first), in one grouped query: total, still open, answered (a result was given),
    and the complainants' mean satisfaction with the result."""
    qs = Complaint.objects.all()
    if since is not None:
        qs = qs.filter(created_at__gte=since)
    if until is not None:
        qs = qs.filter(created_at__lt=until)
    rows = (
        qs.values("group_id", "group__name")
        .annotate(
            total=Count("pk"),
            open=Count("pk", filter=Q(ticket__status__in=Ticket.OPEN_STATUSES)),
            answered=Count("pk", filter=Q(result_at__isnull=False)),
            avg_satisfaction=Avg("satisfaction"),
        )
        .order_by("-total", "group__name")
    )
    return [
        TeamComplaints(
            group_id=r["group_id"],
            group_name=r["group__name"],
            total=r["total"],
            open=r["open"],
            answered=r["answered"],
            avg_satisfaction=round(r["avg_satisfaction"], 2) if r["avg_satisfaction"] is not None else None,
        )
        for r in rows
    ]
