"""Who may take which step on a notice — one rule per question, used by the services (to refuse) and by the pages
and the API (to offer only what will work).

The rules of practice: the owning team writes the notice; its responsible person (the group's lead) reviews it;
the team or the desk on its behalf publishes it, and the desk must not change the content (it may only publish it
or send it back with a comment). Desk supervisors and administrators may review too — they stand in for a team
whose lead is absent — but they edit only notices they wrote themselves."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q

from servicedesk.models import DESK_ROLES, Role, SupportGroup

from .models import Notice

if TYPE_CHECKING:
    from servicedesk.models import User

S = Notice.Status

# action -> statuses it may start from; anything else is a 409
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "edit": Notice.EDITABLE_STATUSES,
    "submit": (S.DRAFT, S.REJECTED),
    "approve": (S.SUBMITTED,),
    "reject": (S.SUBMITTED,),
    "return": (S.APPROVED,),
    "publish": (S.APPROVED,),
    "withdraw": (S.DRAFT, S.SUBMITTED, S.APPROVED, S.REJECTED, S.PUBLISHED),
    "resend": (S.PUBLISHED,),
}

# Roles that may draft a notice for any team (the incident manager raises outage notices for major incidents).
DRAFT_ANY_TEAM_ROLES = (Role.SUPERVISOR, Role.ADMIN, Role.INCIDENT_MANAGER)
REVIEW_ANY_TEAM_ROLES = (Role.SUPERVISOR, Role.ADMIN)
# Roles that see and manage every team's notices.
MANAGE_ALL_ROLES = (*DESK_ROLES, Role.INCIDENT_MANAGER)


def _group_ids(user: User) -> frozenset[int]:
    """Ids of the groups `user` is a member or the lead of; cached on the user object for the request."""
    cached = getattr(user, "_notice_group_ids", None)
    if cached is None:
        if not user.is_authenticated:
            cached = frozenset()
        else:
            cached = frozenset(
                SupportGroup.objects.filter(Q(members=user) | Q(lead=user)).values_list("pk", flat=True).distinct()
            )
        user._notice_group_ids = cached
    return cached


def in_team(user: User | None, group_id: int | None) -> bool:
    return user is not None and group_id is not None and group_id in _group_ids(user)


def participates(user: User | None) -> bool:
    """Whether `user` takes part in the notice workflow at all (staff, or a member of some team). Everyone else
    is refused every step with a 403 before any notice is looked up, so the answer reveals nothing."""
    if user is None or not user.is_authenticated:
        return False
    return user.is_staff_member or bool(_group_ids(user))


def may_draft_for(user: User, group: SupportGroup) -> bool:
    return user.has_role(*DRAFT_ANY_TEAM_ROLES) or in_team(user, group.pk)


def is_reviewer(user: User, notice: Notice) -> bool:
    """The owner team's responsible person, or a desk supervisor / administrator standing in."""
    lead_id = notice.owner_group.lead_id if notice.owner_group_id else None
    return (lead_id is not None and lead_id == user.pk) or user.has_role(*REVIEW_ANY_TEAM_ROLES)


def is_owner(user: User, notice: Notice) -> bool:
    """The author or a member (or the lead) of the owner team: the people who may change the content."""
    return notice.author_id == user.pk or in_team(user, notice.owner_group_id)


def is_desk(user: User) -> bool:
    return user.has_role(*DESK_ROLES)


def may(user: User | None, action: str, notice: Notice) -> bool:
    """May `user` take `action` on `notice`, whatever its status (see `can`)."""
    if user is None:  # the scheduler publishes approved notices at their time and expires them
        return action == "publish"
    if not participates(user):
        return False
    if action in ("edit", "submit"):
        return is_owner(user, notice)
    if action in ("approve", "reject"):
        return is_reviewer(user, notice)
    if action in ("publish", "resend"):
        return is_owner(user, notice) or is_desk(user)
    if action == "return":
        return is_desk(user) or is_reviewer(user, notice)
    if action == "withdraw":
        return is_owner(user, notice) or is_desk(user) or is_reviewer(user, notice)
    return False


def can(user: User | None, action: str, notice: Notice) -> bool:
    allowed_from = TRANSITIONS.get(action)
    if allowed_from is not None and notice.status not in allowed_from:
        return False
    return may(user, action, notice)


def available_actions(user: User, notice: Notice) -> list[str]:
    return [action for action in TRANSITIONS if can(user, action, notice)]


def manages_all(user: User) -> bool:
    return user.is_authenticated and user.has_role(*MANAGE_ALL_ROLES)
