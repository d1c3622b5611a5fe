"""Quality inspection (质检): an inspector draws a random sample of the closed tickets each person resolved in a
period, scores each on the checklist (courtesy, correct classification, complete record, knowledge used, timely
updates) with a comment; people see their own scores; the reports show scores per person over time.

Writes (`inspection_create`, `inspection_item_score`) and reads (`*_visible_to`, `inspection_scores`) live here;
pages and the API call them. Who resolved a ticket is read from its audit trail (the last resolve event), through
the partial index of resolve events added with the inspection tables."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import transaction
from django.db.models import Avg, Case, Count, F, FloatField, OuterRef, Q, QuerySet, Subquery, When, Window
from django.db.models.functions import Random, RowNumber, TruncMonth, TruncWeek
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from servicedesk.errors import NotAllowed, ValidationFailed
from servicedesk.models import Role, User
from servicedesk.services import audit

from .models import INSPECTION_CRITERIA, Inspection, InspectionItem, Ticket, TicketEvent
from .reports import Period, bucket_start

# Inspectors sample and score; supervisors and administrators read every score too.
INSPECTOR_ROLES = (Role.QUALITY_ANALYST, Role.ADMIN)
SCORE_READER_ROLES = (Role.QUALITY_ANALYST, Role.SUPERVISOR, Role.ADMIN)
# Whose work is inspected: the people who resolve tickets.
INSPECTED_ROLES = (Role.AGENT, Role.TECHNICIAN, Role.SUPERVISOR, Role.CALLBACK_AGENT, Role.INCIDENT_MANAGER)
MAX_PER_AGENT = 50
MAX_PERIOD_DAYS = 366

CRITERIA_LABELS = {
    "courtesy": gettext_lazy("Courtesy"),
    "classification": gettext_lazy("Correct classification"),
    "record": gettext_lazy("Complete record"),
    "knowledge": gettext_lazy("Knowledge used"),
    "timeliness": gettext_lazy("Timely updates"),
}
CRITERIA_HELP = {
    "courtesy": gettext_lazy("Polite, clear and patient with the user in every reply."),
    "classification": gettext_lazy("Type, category and priority fit the report."),
    "record": gettext_lazy("Who, what, when, scope and the resolution are all recorded."),
    "knowledge": gettext_lazy("A fitting article was used or linked, or one was proposed."),
    "timeliness": gettext_lazy("The user was kept informed; no long silent gaps."),
}


def may_inspect(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.has_role(*INSPECTOR_ROLES))


def may_read_all_scores(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.has_role(*SCORE_READER_ROLES))


# --- sampling ---------------------------------------------------------------------------------------------


def resolver_subquery() -> Subquery:
    """Who resolved the ticket last (the resolve events are the status changes to "resolved")."""
    return Subquery(
        TicketEvent.objects.filter(ticket=OuterRef("pk"), kind=TicketEvent.Kind.STATUS_CHANGED, data__to="resolved")
        .order_by("-at", "-id")
        .values("actor_id")[:1]
    )


def closed_in(period: Period) -> QuerySet[Ticket]:
    start, end = period.bounds()
    return Ticket.objects.filter(status=Ticket.Status.CLOSED, closed_at__gte=start, closed_at__lt=end)


def sample_candidates(period: Period, *, exclude: User | None = None) -> QuerySet[Ticket]:
    """Closed tickets of the period, not inspected before, annotated with who resolved them (staff only)."""
    qs = (
        closed_in(period)
        .filter(inspection_items__isnull=True)
        .annotate(handler=resolver_subquery())
        .filter(handler__isnull=False, handler__in=inspectable_people())
    )
    if exclude is not None:
        qs = qs.exclude(handler=exclude.pk)  # nobody inspects their own work
    return qs


def inspectable_people() -> QuerySet[User]:
    return User.objects.filter(is_active=True, groups__name__in=INSPECTED_ROLES).values("pk")


@transaction.atomic
def inspection_create(
    *,
    actor: User,
    period: Period,
    per_agent: int,
    agents: Iterable[User] | None = None,
    scale: str = Inspection.Scale.POINTS,
    note: str = "",
) -> Inspection:
    """Draw up to `per_agent` random closed tickets of the period for each person who resolved some (or each of
    `agents`), skipping tickets inspected before and the inspector's own work. One query draws the whole sample:
    a random row number per person, kept while ≤ per_agent."""
    if not may_inspect(actor):
        raise NotAllowed(_("Only quality analysts can draw inspection samples."))
    errors: dict[str, list[str]] = {}
    if not isinstance(per_agent, int) or isinstance(per_agent, bool) or not 1 <= per_agent <= MAX_PER_AGENT:
        errors["per_agent"] = [_("Draw 1 to %(n)d tickets per person.") % {"n": MAX_PER_AGENT}]
    if period.start > period.end:
        errors["to"] = [_("The end date must not be before the start date.")]
    elif period.days > MAX_PERIOD_DAYS:
        errors["to"] = [_("An inspection covers at most %(days)d days.") % {"days": MAX_PERIOD_DAYS}]
    if scale not in Inspection.Scale.values:
        errors["scale"] = [_("Choose points or pass/fail.")]
    if errors:
        raise ValidationFailed(errors)
    candidates = sample_candidates(period, exclude=actor)
    wanted = sorted({a.pk for a in agents}) if agents else []
    if wanted:
        candidates = candidates.filter(handler__in=wanted)
    picked = list(
        candidates.annotate(
            draw=Window(RowNumber(), partition_by=[F("handler")], order_by=Random().asc()),
        )
        .filter(draw__lte=per_agent)
        .values_list("pk", "handler", "closed_at")
    )
    if not picked:
        raise ValidationFailed(
            {
                "non_field_errors": [
                    _("No closed tickets to inspect in this period (tickets already inspected are skipped).")
                ]
            }
        )
    inspection = Inspection.objects.create(
        inspector=actor,
        period_start=period.start,
        period_end=period.end,
        per_agent=per_agent,
        scale=scale,
        note=(note or "").strip()[:2000],
    )
    InspectionItem.objects.bulk_create(
        InspectionItem(inspection=inspection, ticket_id=pk, agent_id=handler, ticket_closed_at=closed_at)
        for pk, handler, closed_at in sorted(picked, key=lambda p: (p[1], p[2], p[0]))
    )
    audit(
        actor,
        "inspection_created",
        inspection,
        {
            "from": period.start.isoformat(),
            "to": period.end.isoformat(),
            "per_agent": per_agent,
            "items": len(picked),
            "agents": sorted({p[1] for p in picked}),
        },
    )
    return inspection


# --- scoring ----------------------------------------------------------------------------------------------


def score_percent(scale: str, values: Mapping[str, int]) -> Decimal:
    """The item's result in percent: points out of 5 per item, or the share of items passed."""
    top = 5 if scale == Inspection.Scale.POINTS else 1
    total = sum(values[c] for c in INSPECTION_CRITERIA)
    return (Decimal(100) * total / (top * len(INSPECTION_CRITERIA))).quantize(Decimal("0.1"), ROUND_HALF_UP)


def _parse_scores(scale: str, scores: Mapping[str, Any]) -> dict[str, int]:
    errors: dict[str, list[str]] = {}
    values: dict[str, int] = {}
    for name in INSPECTION_CRITERIA:
        raw = scores.get(name)
        if scale == Inspection.Scale.PASS_FAIL:
            if isinstance(raw, bool):
                values[name] = int(raw)
            elif raw in (0, 1, "0", "1", "pass", "fail"):
                values[name] = 1 if raw in (1, "1", "pass") else 0
            else:
                errors[name] = [_("Pass or fail.")]
            continue
        try:
            if isinstance(raw, bool):
                raise ValueError
            value = int(raw)
        except (TypeError, ValueError):
            value = -1
        if not 0 <= value <= 5:
            errors[name] = [_("A score from 0 to 5.")]
        values[name] = value
    if errors:
        raise ValidationFailed(errors)
    return values


@transaction.atomic
def inspection_item_score(
    *, actor: User, item: InspectionItem, scores: Mapping[str, Any], comment: str = ""
) -> InspectionItem:
    """Record (or correct) the checklist scores and comment of one sampled ticket; the score in percent is kept
    with it. Audited; the person inspected sees it on their scores page."""
    if not may_inspect(actor):
        raise NotAllowed(_("Only quality analysts can score inspections."))
    item = InspectionItem.objects.select_for_update(of=("self",)).select_related("inspection").get(pk=item.pk)
    if item.agent_id == actor.pk:
        raise NotAllowed(_("Nobody scores their own work."))
    comment = (comment or "").strip()
    if len(comment) > 4000:
        raise ValidationFailed({"comment": [_("The comment is too long (at most 4,000 characters).")]})
    values = _parse_scores(item.inspection.scale, scores)
    was = item.state
    for name, value in values.items():
        setattr(item, name, value)
    item.score = score_percent(item.inspection.scale, values)
    item.comment = comment
    item.state = InspectionItem.State.SCORED
    item.scored_by = actor
    item.scored_at = timezone.now()
    item.save(update_fields=[*INSPECTION_CRITERIA, "score", "comment", "state", "scored_by", "scored_at"])
    audit(
        actor,
        "inspection_item_rescored" if was == InspectionItem.State.SCORED else "inspection_item_scored",
        item,
        {"ticket": item.ticket_id, "agent": item.agent_id, "score": str(item.score), **values},
    )
    return item


# --- reads ------------------------------------------------------------------------------------------------


def inspections_visible_to(user: User) -> QuerySet[Inspection]:
    """Inspections with their progress (items, scored, mean score), for those who read every score."""
    if not may_read_all_scores(user):
        return Inspection.objects.none()
    return Inspection.objects.select_related("inspector").annotate(
        item_count=Count("items"),
        scored_count=Count("items", filter=Q(items__state=InspectionItem.State.SCORED)),
        mean_score=Avg("items__score"),
    )


def inspection_items_visible_to(user: User) -> QuerySet[InspectionItem]:
    """Inspectors, supervisors and administrators see every item; anyone else only their own scored items."""
    qs = InspectionItem.objects.select_related("ticket", "agent", "inspection", "scored_by")
    if not (user and user.is_authenticated):
        return qs.none()
    if may_read_all_scores(user):
        return qs
    return qs.filter(agent=user, state=InspectionItem.State.SCORED)


def _percent(criterion: str) -> Case:
    """A checklist item in percent: points of 5 (×20), or pass/fail (×100), so both scales average together."""
    return Case(
        When(inspection__scale=Inspection.Scale.POINTS, then=F(criterion) * 20.0),
        default=F(criterion) * 100.0,
        output_field=FloatField(),
    )


@dataclass
class AgentScores:
    agent_id: int
    name: str
    buckets: dict[date, tuple[float | None, int]] = field(default_factory=dict)  # bucket → (mean %, items)
    mean: float | None = None
    items: int = 0
    criteria: dict[str, float | None] = field(default_factory=dict)  # mean per checklist item, in percent


def inspection_scores(
    period: Period, *, bucket: str = "month", agent: User | None = None
) -> tuple[list[date], list[AgentScores]]:
    """Scored items by person and by month (or week) of the ticket's closing, in one aggregate query; the mean per
    person over the whole period, and per checklist item."""
    start, end = period.bounds()
    qs = InspectionItem.objects.filter(
        state=InspectionItem.State.SCORED, ticket_closed_at__gte=start, ticket_closed_at__lt=end
    )
    if agent is not None:
        qs = qs.filter(agent=agent)
    trunc = TruncWeek if bucket == "week" else TruncMonth
    rows = (
        qs.annotate(bucket=trunc("ticket_closed_at"))
        .values("agent_id", "agent__display_name", "agent__username", "bucket")
        .annotate(mean=Avg("score"), items=Count("pk"), **{f"c_{c}": Avg(_percent(c)) for c in INSPECTION_CRITERIA})
        .order_by("agent_id", "bucket")
    )
    people: dict[int, AgentScores] = {}
    buckets: set[date] = set()
    for row in rows:
        person = people.setdefault(
            row["agent_id"],
            AgentScores(row["agent_id"], row["agent__display_name"] or row["agent__username"]),
        )
        day = row["bucket"].date() if isinstance(row["bucket"], datetime) else row["bucket"]
        day = bucket_start(day, bucket)
        buckets.add(day)
        mean = float(row["mean"]) if row["mean"] is not None else None
        person.buckets[day] = (mean, row["items"])
        for c in INSPECTION_CRITERIA:
            value = row[f"c_{c}"]
            if value is not None:
                previous = person.criteria.get(c)
                # Weighted by items: carry sums, finish below.
                person.criteria[c] = (previous or 0) + float(value) * row["items"]
        if mean is not None:
            person.mean = (person.mean or 0) + mean * row["items"]
        person.items += row["items"]
    for person in people.values():
        if person.items:
            person.mean = person.mean / person.items if person.mean is not None else None
            person.criteria = {c: v / person.items for c, v in person.criteria.items()}
    ordered = sorted(people.values(), key=lambda p: (p.name.lower(), p.agent_id))
    return sorted(buckets), ordered
