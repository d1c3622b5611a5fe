"""Follow-up (回访) services: every write to a callback. The ticket services call `followup_schedule` when a ticket
is resolved and `followup_cancel_open` when it reopens; pages, the API, the self-rating link and the Celery tasks
call `followup_record`, `followup_self_rate`, `followup_sweep` and `followup_digest`.

The loop: a resolved ticket gets a follow-up due at the end of the N-th working day after the resolution day
(desk calendar), given round-robin to a callback agent. The call either confirms the fix (the system closes the
ticket), finds the user dissatisfied (the ticket reopens to whoever had it, the supervisors are told), or fails;
after K failed calls on M different days the user is unreachable and the ticket is closed as such."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core import signing
from django.db import connection, transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from servicedesk.errors import DomainError, InvalidTransition, NotAllowed, ValidationFailed
from servicedesk.models import Role, User

from .followup_selectors import may_work_followups
from .models import Complaint, FollowUp, FollowUpAttempt, FollowUpRule, Ticket, TicketEvent

logger = logging.getLogger(__name__)

F = FollowUp.State
O = FollowUp.Outcome  # noqa: E741
S = Ticket.Status

SELF_RATE_SALT = "tickets.followup.self-rate"


def due_working_days() -> int:
    """N: the follow-up is due by the end of the N-th working day after the resolution day (handbook: 5)."""
    return int(getattr(settings, "FOLLOWUP_DUE_WORKING_DAYS", 5))


def unreachable_after() -> tuple[int, int]:
    """(K, M): after K failed calls spread over at least M different days the user counts as unreachable."""
    return (
        int(getattr(settings, "FOLLOWUP_UNREACHABLE_ATTEMPTS", 3)),
        int(getattr(settings, "FOLLOWUP_UNREACHABLE_DAYS", 3)),
    )


def self_rate_max_age() -> timedelta:
    return timedelta(days=int(getattr(settings, "FOLLOWUP_LINK_MAX_AGE_DAYS", 14)))


# --- scheduling ----------------------------------------------------------------------------------------


def _category_chain(ticket: Ticket) -> list[int]:
    """The ticket's category and its ancestors, nearest first."""
    chain: list[int] = []
    node = ticket.category if ticket.category_id else None
    while node is not None and node.pk not in chain:
        chain.append(node.pk)
        node = node.parent
    return chain


def followup_rule_for(ticket: Ticket) -> FollowUpRule | None:
    """The most specific active rule matching the ticket, or None (no rule: the ticket gets a callback)."""
    chain = _category_chain(ticket)
    rules = FollowUpRule.objects.filter(is_active=True).filter(Q(ticket_type="") | Q(ticket_type=ticket.type))
    rules = rules.filter(Q(category__isnull=True) | Q(category_id__in=chain))
    if not ticket.first_contact_resolution:
        rules = rules.filter(first_contact_only=False)

    def specificity(rule: FollowUpRule) -> tuple:
        # A nearer category beats a farther one, which beats none; then a named type; then the first-contact
        # limit; among equals the newest rule.
        depth = chain.index(rule.category_id) if rule.category_id else len(chain) + 1
        return (-depth, bool(rule.ticket_type), rule.first_contact_only, rule.pk)

    return max(rules, key=specificity, default=None)


def wants_callback(ticket: Ticket) -> bool:
    """Every resolved ticket is called back unless a rule exempts or samples its kind (e.g. inquiries answered on
    the spot). Sampling is deterministic per ticket, so re-resolving a ticket gives the same answer."""
    rule = followup_rule_for(ticket)
    if rule is None:
        return True
    # Knuth's multiplicative hash spreads consecutive ticket ids evenly over 0..99.
    return (ticket.pk * 2654435761) % 2**32 % 100 < rule.sample_percent


def _fallback_calendar():
    from sla import calendar as bt

    return bt.BusinessCalendar(tz=ZoneInfo(settings.TIME_ZONE), weekly=dict.fromkeys(range(5), ((9 * 60, 18 * 60),)))


def followup_due_at(resolved_at: datetime) -> datetime:
    """The end of the working day that is the N-th working day after the resolution day, on the desk's default
    calendar (weekdays 09:00–18:00 in TIME_ZONE when no calendar is configured)."""
    from sla import calendar as bt
    from sla import services as sla_services

    stored = sla_services.default_calendar()
    cal = sla_services.business_calendar(stored) if stored is not None else _fallback_calendar()
    resolution_day = resolved_at.astimezone(cal.tz).date()
    return bt.working_day_end(cal, resolution_day, due_working_days())


def _serialise_assignment() -> None:
    """Round-robin must see the previous assignment: take a transaction-scoped advisory lock on PostgreSQL.
    (SQLite, the demo, serialises all writers anyway.)"""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext('tickets.followup.assign'))")


def next_callback_agent() -> User | None:
    """The active callback agent with the fewest open follow-ups; ties go to the lowest id."""
    return (
        User.objects.filter(groups__name=Role.CALLBACK_AGENT, is_active=True)
        .annotate(load=Count("followups", filter=Q(followups__state=F.DUE), distinct=True))
        .order_by("load", "pk")
        .first()
    )


@transaction.atomic
def followup_schedule(*, ticket: Ticket) -> FollowUp | None:
    """A ticket was resolved (called inside ticket_resolve, the ticket row locked): create its follow-up, due N
    working days later, assigned round-robin. Exempt tickets get none; an open one is kept as it is."""
    if not wants_callback(ticket):
        return None
    existing = FollowUp.objects.filter(ticket=ticket, state=F.DUE).first()
    if existing is not None:
        return existing
    _serialise_assignment()
    return FollowUp.objects.create(
        ticket=ticket,
        assignee=next_callback_agent(),
        due_at=followup_due_at(ticket.resolved_at or timezone.now()),
    )


def followup_cancel_open(*, ticket: Ticket) -> int:
    """A ticket was reopened (inside ticket_reopen, the ticket row locked): its open follow-up is no longer due;
    the next resolution schedules a new one."""
    return FollowUp.objects.filter(ticket=ticket, state=F.DUE).update(
        state=F.CANCELLED, outcome=O.CANCELLED, completed_at=timezone.now()
    )


# --- recording a call ---------------------------------------------------------------------------------


def _validate(
    reached: Any, satisfaction: Any, fix_confirmed: Any, comment: Any
) -> tuple[bool, int | None, bool | None, str]:
    errors: dict[str, list[str]] = {}
    if not isinstance(reached, bool):
        errors["reached"] = [_("Say whether you reached the user.")]
    if satisfaction in ("", None):
        satisfaction = None
    else:
        try:
            satisfaction = int(satisfaction)
        except (TypeError, ValueError):
            satisfaction = -1
        if not 1 <= satisfaction <= 5:
            errors["satisfaction"] = [_("Satisfaction is a number from 1 (very dissatisfied) to 5 (very satisfied).")]
    if reached is True and satisfaction is None and "satisfaction" not in errors:
        errors["satisfaction"] = [_("Ask the user how satisfied they are (1–5).")]
    if reached is False and satisfaction is not None:
        errors["satisfaction"] = [_("Only record a satisfaction when you reached the user.")]
    if fix_confirmed is not None and not isinstance(fix_confirmed, bool):
        errors["fix_confirmed"] = [_("Say whether the fix holds.")]
    comment = (comment or "").strip()
    if len(comment) > 2000:
        errors["comment"] = [_("The comment is too long (at most 2,000 characters).")]
    if errors:
        raise ValidationFailed(errors)
    return reached, satisfaction, (fix_confirmed if reached else None), comment


def _gave_up(followup: FollowUp) -> bool:
    """K failed calls on at least M different (local) days: the user is unreachable."""
    k, m = unreachable_after()
    failed = list(followup.attempts.filter(reached=False).values_list("at", flat=True))
    days = {timezone.localdate(at) for at in failed}
    return len(failed) >= k and len(days) >= m


def _notify_later(*, followup_id: int, kind: str) -> None:
    from .tasks import followup_notify_task

    followup_notify_task.delay(followup_id=followup_id, kind=kind)


def _record(
    *,
    followup: FollowUp,
    agent: User | None,
    event_actor: User | None,
    channel: str,
    reached: Any,
    satisfaction: Any,
    fix_confirmed: Any,
    comment: Any,
    expected_version: int | None,
) -> FollowUp:
    from . import services

    reached, satisfaction, fix_confirmed, comment = _validate(reached, satisfaction, fix_confirmed, comment)
    # Lock the ticket before the follow-up: ticket_reopen → followup_cancel_open takes them in this order too, so
    # a callback and a desk reopen at the same moment queue up instead of deadlocking.
    Ticket.objects.select_for_update().filter(pk=followup.ticket_id).values_list("pk", flat=True).first()
    followup = FollowUp.objects.select_for_update(of=("self",)).select_related("ticket").get(pk=followup.pk)
    if followup.state != F.DUE:
        raise InvalidTransition(
            _("This follow-up is already %(state)s: nothing was recorded.")
            % {"state": str(followup.get_state_display()).lower()}
        )
    if expected_version is not None and followup.version != expected_version:
        # Two agents calling the same user: the first recording wins, the second gets a 409, not a second attempt.
        raise InvalidTransition(_("Someone else recorded a call on this follow-up meanwhile. Reload and check."))
    now = timezone.now()
    FollowUpAttempt.objects.create(
        followup=followup,
        agent=agent,
        channel=channel,
        at=now,
        reached=reached,
        satisfaction=satisfaction,
        fix_confirmed=fix_confirmed,
        comment=comment,
    )
    fields = ["version"]
    if reached:
        followup.state = F.DONE
        followup.satisfaction = satisfaction
        followup.fix_confirmed = fix_confirmed
        followup.comment = comment
        followup.completed_at = now
        # Not confirmed, or a rating of 1–2, sends the ticket back; an unanswered "does it hold?" counts as held.
        happy = fix_confirmed is not False and satisfaction >= 3
        followup.outcome = O.CLOSED if happy else O.REOPENED
        fields += ["state", "satisfaction", "fix_confirmed", "comment", "completed_at", "outcome"]
    elif _gave_up(followup):
        followup.state = F.UNREACHABLE
        followup.outcome = O.UNREACHABLE
        followup.completed_at = now
        followup.comment = comment
        fields += ["state", "outcome", "completed_at", "comment"]
    else:
        followup.outcome = O.NOT_REACHED
        fields.append("outcome")
    followup.version += 1
    followup.save(update_fields=fields)

    ticket = followup.ticket
    services.record_event(
        ticket,
        event_actor,
        TicketEvent.Kind.FOLLOWUP_RECORDED,
        {
            "followup": followup.pk,
            "reached": reached,
            "satisfaction": satisfaction,
            "fix_confirmed": fix_confirmed,
            "outcome": followup.outcome,
            "channel": channel,
        },
    )
    # The desk may have closed the ticket by hand before the call: then there is nothing left to close or reopen
    # (closed is final), but the callback still counts and a dissatisfied user still reaches the supervisors.
    if followup.outcome in (O.CLOSED, O.UNREACHABLE) and ticket.status == S.RESOLVED:
        services.ticket_close(ticket=ticket, actor=None)
    elif followup.outcome == O.REOPENED:
        if ticket.status == S.RESOLVED:
            reason = _("Follow-up: the user is not satisfied (satisfaction %(s)d/5, fix holds: %(fix)s).") % {
                "s": satisfaction,
                "fix": _("no") if fix_confirmed is False else _("yes"),
            }
            services.ticket_reopen(ticket=ticket, actor=None, reason=f"{reason} {comment}".strip())
        transaction.on_commit(partial(_notify_later, followup_id=followup.pk, kind="dissatisfied"))
    if reached:
        # A complaint's callback asks the complainant about the result they were given.
        Complaint.objects.filter(ticket=ticket, result_at__isnull=False, satisfaction__isnull=True).update(
            satisfaction=satisfaction, satisfaction_at=now
        )
    return followup


@transaction.atomic
def followup_record(
    *,
    followup: FollowUp,
    actor: User,
    reached: bool,
    satisfaction: int | None = None,
    fix_confirmed: bool | None = None,
    comment: str = "",
    expected_version: int | None = None,
) -> FollowUp:
    """Record one callback on a DUE follow-up (anything else: 409, nothing recorded).

    Reached, fix confirmed and satisfaction ≥ 3 → DONE, the system closes the ticket. Reached but not confirmed or
    satisfaction ≤ 2 → DONE, the ticket reopens to its group and assignee with the comment, the supervisors are
    told after commit. Not reached → the attempt is kept; the K-th failed call on the M-th day → UNREACHABLE and
    the ticket is closed. Every path appends a `followup_recorded` event."""
    if actor is None or not may_work_followups(actor):
        raise NotAllowed(_("Only callback agents, desk agents and supervisors record follow-ups."))
    return _record(
        followup=followup,
        agent=actor,
        event_actor=actor,
        channel=FollowUpAttempt.Channel.PHONE,
        reached=reached,
        satisfaction=satisfaction,
        fix_confirmed=fix_confirmed,
        comment=comment,
        expected_version=expected_version,
    )


# --- self-rating by signed link ------------------------------------------------------------------------


class LinkError(DomainError):
    """A self-rating link that cannot be used: forged (400), expired (410) or already used (409)."""

    def __init__(self, message: str, status_code: int, reason: str) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.reason = reason


def _used_link() -> LinkError:
    return LinkError(_("This rating link has already been used. Thank you for your feedback."), 409, "used")


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=SELF_RATE_SALT)


def self_rate_token(followup: FollowUp) -> str:
    return _signer().sign(str(followup.pk))


def self_rate_url(followup: FollowUp) -> str:
    path = reverse("followups:self_rate", args=[self_rate_token(followup)])
    return settings.SITE_URL.rstrip("/") + path


def followup_from_token(token: str) -> FollowUp:
    """The follow-up a self-rating link names, if the link is genuine, unexpired and not used yet."""
    try:
        value = _signer().unsign(token, max_age=self_rate_max_age())
    except signing.SignatureExpired:
        raise LinkError(
            _("This rating link has expired. Reply to the email or call the service desk instead."), 410, "expired"
        ) from None
    except signing.BadSignature:
        raise LinkError(_("This rating link is not valid. Check that you copied all of it."), 400, "invalid") from None
    followup = FollowUp.objects.select_related("ticket__requester").filter(pk=int(value)).first()
    if followup is None:
        raise LinkError(_("This rating link is not valid. Check that you copied all of it."), 400, "invalid")
    if followup.state != F.DUE:
        raise _used_link()
    return followup


@transaction.atomic
def followup_self_rate(*, token: str, satisfaction: Any, fix_confirmed: bool, comment: str = "") -> FollowUp:
    """The requester confirms the fix and rates the service through the emailed link, without signing in: completes
    the follow-up like a reached call (same outcomes). A used, expired or forged link changes nothing."""
    followup = followup_from_token(token)
    try:
        return _record(
            followup=followup,
            agent=None,
            event_actor=followup.ticket.requester,
            channel=FollowUpAttempt.Channel.SELF_SERVICE,
            reached=True,
            satisfaction=satisfaction,
            fix_confirmed=fix_confirmed,
            comment=comment,
            expected_version=None,
        )
    except InvalidTransition:
        # Used in another tab (or by a callback agent) a moment ago.
        raise _used_link() from None


def self_rating_paragraph(ticket: Ticket) -> str:
    """For the resolution email: the self-rating link of the ticket's open follow-up, or "" when it has none."""
    followup = FollowUp.objects.filter(ticket=ticket, state=F.DUE).first()
    if followup is None:
        return ""
    return "\n\n%s\n%s" % (  # noqa: UP031
        _("Is it fixed? Confirm and rate our service here, no sign-in needed (the link works for %(days)d days):")
        % {"days": self_rate_max_age().days},
        self_rate_url(followup),
    )


# --- reminders: the sweep and the morning digest ---------------------------------------------------------


def followup_sweep(*, now: datetime | None = None, batch_size: int = 500) -> dict[str, int]:
    """Escalate each overdue follow-up to the supervisors once, and give unassigned ones to a callback agent.

    Rows are claimed with FOR UPDATE SKIP LOCKED over the open-due index, batch by batch in short transactions:
    concurrent sweeps share the work, a re-run finds nothing (escalated_at is set in the claiming transaction and
    the notification key is unique)."""
    now = now or timezone.now()
    totals = {"escalated": 0, "assigned": 0}
    while True:
        with transaction.atomic():
            batch = list(
                FollowUp.objects.select_for_update(skip_locked=True)
                .filter(state=F.DUE, due_at__lt=now, escalated_at__isnull=True)
                .order_by("due_at")
                .values_list("pk", flat=True)[:batch_size]
            )
            FollowUp.objects.filter(pk__in=batch).update(escalated_at=now)
            for pk in batch:
                transaction.on_commit(partial(_notify_later, followup_id=pk, kind="overdue"))
        totals["escalated"] += len(batch)
        if len(batch) < batch_size:
            break
    while True:
        # Follow-ups scheduled while no callback agent existed go to one as soon as there is one.
        with transaction.atomic():
            batch = list(
                FollowUp.objects.select_for_update(skip_locked=True)
                .filter(state=F.DUE, assignee__isnull=True)
                .order_by("due_at")[:batch_size]
            )
            if batch:
                _serialise_assignment()
            for followup in batch:
                agent = next_callback_agent()
                if agent is None:
                    return totals
                followup.assignee = agent
                followup.save(update_fields=["assignee"])
                totals["assigned"] += 1
        if len(batch) < batch_size:
            return totals


@dataclass(frozen=True)
class DigestLine:
    number: str
    title: str
    due_at: datetime
    overdue: bool


def followup_digest(*, now: datetime | None = None) -> int:
    """Send each callback agent one morning digest of their follow-ups that are overdue or due today: once per
    agent per day (the notification key names the day), however often it runs. Returns the agents told."""
    from servicedesk.notifications import notify

    now = now or timezone.now()
    today = timezone.localdate(now)
    end_of_today = timezone.make_aware(datetime.combine(today + timedelta(days=1), time.min))
    rows = (
        FollowUp.objects.filter(state=F.DUE, due_at__lt=end_of_today, assignee__is_active=True)
        .select_related("ticket", "assignee")
        .order_by("assignee_id", "due_at", "pk")
    )
    per_agent: dict[int, tuple[User, list[DigestLine]]] = {}
    for f in rows:
        line = DigestLine(f.ticket.number, f.ticket.title, f.due_at, f.due_at < now)
        per_agent.setdefault(f.assignee_id, (f.assignee, []))[1].append(line)
    url = reverse("followups:worklist")
    for agent, lines in per_agent.values():

        def message(lines: list[DigestLine] = lines) -> tuple[str, str]:
            overdue = sum(1 for line in lines if line.overdue)
            subject = _("Callbacks today: %(due)d due, %(overdue)d overdue") % {
                "due": len(lines) - overdue,
                "overdue": overdue,
            }
            body = "\n".join(
                "%s %s — %s%s"  # noqa: UP031
                % (
                    line.number,
                    line.title,
                    timezone.localtime(line.due_at).strftime("%Y-%m-%d %H:%M"),
                    " (%s)" % _("overdue") if line.overdue else "",  # noqa: UP031
                )
                for line in lines[:50]
            )
            return subject, body

        notify(
            recipient=agent,
            key=f"followup-digest:{today.isoformat()}",
            verb="followup_digest",
            message_factory=message,
            url=url,
        )
    return len(per_agent)


def followup_notify(*, followup_id: int, kind: str) -> int:
    """Tell the supervisors (and for a dissatisfied user the team's lead) about a follow-up; once per kind."""
    from servicedesk.notifications import notify, ticket_url

    followup = FollowUp.objects.select_related("ticket__group__lead", "assignee").filter(pk=followup_id).first()
    if followup is None:
        return 0
    ticket = followup.ticket
    recipients = {u.pk: u for u in User.objects.filter(groups__name=Role.SUPERVISOR, is_active=True)}
    if kind == "dissatisfied" and ticket.group_id and ticket.group.lead_id and ticket.group.lead.is_active:
        recipients.setdefault(ticket.group.lead_id, ticket.group.lead)
    params = {
        "number": ticket.number,
        "title": ticket.title,
        "satisfaction": followup.satisfaction or "–",
        "comment": followup.comment,
        "agent": str(followup.assignee) if followup.assignee_id else "–",
    }

    def message() -> tuple[str, str]:
        if kind == "dissatisfied":
            return (
                _("Follow-up of %(number)s: the user is not satisfied") % params,
                _("“%(title)s” was reopened after the callback (satisfaction %(satisfaction)s/5). %(comment)s")
                % params,
            )
        due = timezone.localtime(followup.due_at).strftime("%Y-%m-%d %H:%M")
        return (
            _("Follow-up of %(number)s is overdue") % params,
            _("The callback for “%(title)s” was due %(due)s and is not done (callback agent: %(agent)s).")
            % {**params, "due": due},
        )

    for user in recipients.values():
        notify(
            recipient=user,
            key=f"followup-{kind}:{followup.pk}",
            verb=f"followup_{kind}",
            message_factory=message,
            url=ticket_url(ticket.number),
        )
    return len(recipients)
