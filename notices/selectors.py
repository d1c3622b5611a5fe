"""Reads of notices. Who sees which notice is answered here once, for the banner, the pages, the API and the feed:

- current for a person: published, not expired, and meant for them (their department or one of their roles is in
  the audience; a notice naming neither is for everyone);
- public: current notices for everyone (the Atom feed, visitors who are not signed in);
- manageable: the workflow view — every notice for the desk, the supervisors, administrators and the incident
  manager; the notices of their own teams (and those they wrote) for everyone else;
- visible: manageable ones plus the published and expired notices meant for them (a link keeps working after the
  notice ended)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.cache import cache
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from servicedesk.models import SupportGroup, User

from . import rules
from .models import Notice, NoticeAudienceRole, NoticeDelivery, NoticeEvent

S = Notice.Status

BANNER_LIMIT = 5
BANNER_TTL = 60  # seconds; publication and expiry also clear it at once
_GENERATION_KEY = "notices:current:generation"


def _everyone() -> Q:
    departments = Notice.audience_departments.through.objects.filter(notice_id=OuterRef("pk"))
    roles = NoticeAudienceRole.objects.filter(notice_id=OuterRef("pk"))
    return ~Exists(departments) & ~Exists(roles)


def audience_q(user: User | None) -> Q:
    """Notices meant for `user`: everyone's, their department's, their roles'."""
    match = _everyone()
    if user is None or not user.is_authenticated:
        return match
    if user.department_id:
        match |= Exists(
            Notice.audience_departments.through.objects.filter(
                notice_id=OuterRef("pk"), department_id=user.department_id
            )
        )
    roles = sorted(user.role_names)
    if roles:
        match |= Exists(NoticeAudienceRole.objects.filter(notice_id=OuterRef("pk"), role__in=roles))
    return match


def _unexpired(now: datetime) -> Q:
    return Q(expire_at__isnull=True) | Q(expire_at__gt=now)


def notices_current_for(user: User | None, *, now: datetime | None = None) -> QuerySet[Notice]:
    """Published, unexpired notices meant for `user`, newest first."""
    now = now or timezone.now()
    return (
        Notice.objects.filter(status=S.PUBLISHED)
        .filter(_unexpired(now))
        .filter(audience_q(user))
        .order_by("-published_at", "-id")
    )


def notices_public(*, now: datetime | None = None) -> QuerySet[Notice]:
    """Current notices for everyone: what the feed and visitors see."""
    return notices_current_for(None, now=now)


def notices_manageable_by(user: User) -> QuerySet[Notice]:
    if not user.is_authenticated:
        return Notice.objects.none()
    if rules.manages_all(user):
        return Notice.objects.all()
    groups = SupportGroup.objects.filter(Q(members=user) | Q(lead=user)).values("pk")
    return Notice.objects.filter(Q(owner_group_id__in=groups) | Q(author=user))


def notices_visible_to(user: User | None) -> QuerySet[Notice]:
    seen = Q(status__in=[S.PUBLISHED, S.EXPIRED]) & audience_q(user)
    if user is None or not user.is_authenticated:
        return Notice.objects.filter(seen)
    if rules.manages_all(user):
        return Notice.objects.all()
    groups = SupportGroup.objects.filter(Q(members=user) | Q(lead=user)).values("pk")
    return Notice.objects.filter(seen | Q(owner_group_id__in=groups) | Q(author=user))


def with_details(qs: QuerySet[Notice]) -> QuerySet[Notice]:
    """What a list or the API renders, in a fixed number of queries whatever the number of rows."""
    return qs.select_related("owner_group", "author", "reviewer", "publisher").prefetch_related(
        "categories",
        "audience_departments",
        Prefetch("audience_role_rows", queryset=NoticeAudienceRole.objects.order_by("role")),
    )


def notice_get(user: User | None, pk: int) -> Notice | None:
    return with_details(notices_visible_to(user)).filter(pk=pk).first()


def notice_events(notice: Notice) -> list[NoticeEvent]:
    return list(notice.events.select_related("actor").order_by("at", "id"))


def manage_list(user: User, *, status: str = "") -> QuerySet[Notice]:
    qs = notices_manageable_by(user)
    if status == "review":
        # What waits for this person's review.
        qs = qs.filter(status=S.SUBMITTED)
        if not user.has_role(*rules.REVIEW_ANY_TEAM_ROLES):
            qs = qs.filter(owner_group__lead=user)
    elif status in S.values:
        qs = qs.filter(status=status)
    return with_details(qs).order_by("-updated_at", "-id")


def manage_counts(user: User) -> dict[str, int]:
    """Counts per status for the management tabs, in one query."""
    qs = notices_manageable_by(user)
    review = Q(status=S.SUBMITTED)
    if not user.has_role(*rules.REVIEW_ANY_TEAM_ROLES):
        review &= Q(owner_group__lead=user)
    return qs.aggregate(
        review=Count("pk", filter=review),
        **{status: Count("pk", filter=Q(status=status)) for status in S.values},
    )


# --- the banner -----------------------------------------------------------------------------------------------


def _generation() -> int:
    generation = cache.get(_GENERATION_KEY)
    if generation is None:
        generation = time.time_ns()
        cache.add(_GENERATION_KEY, generation, timeout=None)
        generation = cache.get(_GENERATION_KEY, generation)
    return generation


def invalidate_current() -> None:
    """Publication, expiry or withdrawal changed the current notices: every banner is rebuilt on its next view."""
    cache.set(_GENERATION_KEY, time.time_ns(), timeout=None)


def banner_for(user: User | None) -> list[dict[str, Any]]:
    """The current notices for the page header: one query per audience (department × roles), cached in Redis
    until the set of current notices changes, so a page view normally costs no query at all. Items past their
    expiry drop out at once, before the sweep marks them expired."""
    if user is not None and user.is_authenticated:
        audience = f"{user.department_id or 0}:{','.join(sorted(user.role_names))}"
    else:
        audience = "public"
    key = f"notices:banner:{_generation()}:{audience}"
    items = cache.get(key)
    if items is None:
        items = list(
            notices_current_for(user).values(
                "id", "type", "severity", "title", "window_start", "window_end", "expire_at", "published_at"
            )[:BANNER_LIMIT]
        )
        cache.set(key, items, timeout=BANNER_TTL)
    now = timezone.now()
    return [item for item in items if item["expire_at"] is None or item["expire_at"] > now]


# --- delivery -----------------------------------------------------------------------------------------------------


def delivery_progress(notice: Notice) -> dict[str, int]:
    """How far the emails of a notice got: total and per status, in one query."""
    D = NoticeDelivery.Status
    counts = NoticeDelivery.objects.filter(notice=notice).aggregate(
        total=Count("pk"), **{s: Count("pk", filter=Q(status=s)) for s in D.values}
    )
    done = counts[D.SENT] + counts[D.FAILED]
    counts["done_percent"] = round(100 * done / counts["total"]) if counts["total"] else 0
    return counts


def failed_deliveries(notice: Notice, limit: int = 200) -> list[NoticeDelivery]:
    return list(
        NoticeDelivery.objects.filter(notice=notice, status=NoticeDelivery.Status.FAILED)
        .select_related("recipient")
        .order_by("pk")[:limit]
    )


# --- timeliness (reports) -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TeamTimeliness:
    group_id: int
    group_name: str
    published: int  # planned-maintenance notices published in the period
    late: int
    returned: int  # notices of the team rejected by the reviewer or sent back by the desk in the period

    @property
    def on_time(self) -> int:
        return self.published - self.late

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.published if self.published else None


def notice_timeliness(*, start: datetime | None = None, end: datetime | None = None) -> list[TeamTimeliness]:
    """Per owner team: planned-maintenance notices published in [start, end), how many were late (published less
    than the minimum lead time before their window), the on-time rate, and how many notices were returned as
    unclear. Two aggregate queries, whatever the number of notices."""
    published = Notice.objects.filter(type=Notice.Type.MAINTENANCE, published_at__isnull=False)
    returned = NoticeEvent.objects.filter(kind__in=[NoticeEvent.Kind.REJECTED, NoticeEvent.Kind.RETURNED])
    if start is not None:
        published = published.filter(published_at__gte=start)
        returned = returned.filter(at__gte=start)
    if end is not None:
        published = published.filter(published_at__lt=end)
        returned = returned.filter(at__lt=end)
    rows: dict[int, dict[str, Any]] = {}
    for row in published.values("owner_group", "owner_group__name").annotate(
        n=Count("pk"), late=Count("pk", filter=Q(is_late=True))
    ):
        rows[row["owner_group"]] = {"name": row["owner_group__name"], "published": row["n"], "late": row["late"]}
    for row in returned.values("notice__owner_group", "notice__owner_group__name").annotate(n=Count("pk")):
        entry = rows.setdefault(
            row["notice__owner_group"], {"name": row["notice__owner_group__name"], "published": 0, "late": 0}
        )
        entry["returned"] = row["n"]
    return sorted(
        (TeamTimeliness(pk, r["name"], r["published"], r["late"], r.get("returned", 0)) for pk, r in rows.items()),
        key=lambda t: (t.group_name, t.group_id),
    )


def late_notices(
    *, start: datetime | None = None, end: datetime | None = None, group: SupportGroup | None = None
) -> QuerySet[Notice]:
    qs = Notice.objects.filter(is_late=True, published_at__isnull=False).select_related("owner_group")
    if start is not None:
        qs = qs.filter(published_at__gte=start)
    if end is not None:
        qs = qs.filter(published_at__lt=end)
    if group is not None:
        qs = qs.filter(owner_group=group)
    return qs.order_by("-published_at", "-id")
