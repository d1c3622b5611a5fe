"""Every write to a ticket. Each service takes the acting user, locks the row, checks the rules and the
state machine, writes named columns, records an append-only event and schedules side effects after commit.
Pages, the API, Celery tasks, the demo data and the tests all come through here."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.db.models import Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from servicedesk.errors import InvalidTransition, NotAllowed, ValidationFailed
from servicedesk.models import Category, SupportGroup, User

from . import rules
from .models import Attachment, Comment, PriorityRule, Ticket, TicketCounter, TicketEvent
from .uploads import inspect_upload

logger = logging.getLogger(__name__)

S = Ticket.Status
E = TicketEvent.Kind

# Events the requester or the workers hear about (see servicedesk.notifications).
NOTIFY_KINDS = {E.CREATED, E.ASSIGNED, E.STATUS_CHANGED, E.COMMENTED}


# --- helpers -----------------------------------------------------------------------------------------


def _actor(actor: User | None) -> User | None:
    return actor if actor is not None and actor.pk else None


def _lock(ticket: Ticket) -> Ticket:
    """Re-read the row under FOR UPDATE: racing agents serialise here and see each other's result."""
    return Ticket.objects.select_for_update(of=("self",)).select_related("group").get(pk=ticket.pk)


def _check_version(ticket: Ticket, expected_version: int | None) -> None:
    if expected_version is not None and ticket.version != expected_version:
        raise InvalidTransition(
            _("Ticket %(number)s was changed by someone else since you opened it. Reload and try again.")
            % {"number": ticket.number}
        )


def _require(actor: User | None, action: str, ticket: Ticket) -> None:
    """The state machine first (409), then who may take the step (403).

    API.md: any step the transition table does not list is a 409, whoever asks (callers only get here for a
    ticket they can see; an invisible one is a 404 earlier). A step that is legal from this status but not for
    this person is a 403. Checking the state first also makes the loser of a race get a 409, not a 403."""
    allowed_from = rules.TRANSITIONS.get(action)
    if allowed_from is not None and ticket.status not in allowed_from:
        raise InvalidTransition(
            _("Cannot %(action)s ticket %(number)s while it is %(status)s.")
            % {
                "action": ACTION_LABELS.get(action, action),
                "number": ticket.number,
                "status": ticket.get_status_display(),
            }
        )
    if not rules.may(actor, action, ticket):
        raise NotAllowed()


ACTION_LABELS = {
    "assign": gettext_lazy("assign"),
    "accept": gettext_lazy("accept"),
    "pend": gettext_lazy("set pending"),
    "resume": gettext_lazy("resume"),
    "resolve": gettext_lazy("resolve"),
    "reopen": gettext_lazy("reopen"),
    "close": gettext_lazy("close"),
    "cancel": gettext_lazy("cancel"),
    "mark_duplicate": gettext_lazy("mark as duplicate"),
}


def _save(ticket: Ticket, fields: Iterable[str]) -> None:
    ticket.version = F("version") + 1
    ticket.save(update_fields=[*fields, "version", "updated_at"])
    ticket.refresh_from_db(fields=["version", "updated_at"])


def record_event(
    ticket: Ticket,
    actor: User | None,
    kind: str,
    data: dict[str, Any] | None = None,
    *,
    internal: bool = False,
    at: datetime | None = None,
) -> TicketEvent:
    """Append one event to the ticket's trail; notifications for it go out after commit."""
    event = TicketEvent.objects.create(
        ticket=ticket,
        actor=_actor(actor),
        kind=kind,
        data=data or {},
        internal=internal,
        at=at or timezone.now(),
    )
    if kind in NOTIFY_KINDS:
        from .tasks import notify_ticket_event_task

        transaction.on_commit(partial(notify_ticket_event_task.delay, event_id=event.pk))
    return event


def _status_event(ticket: Ticket, actor: User | None, old: str, extra: dict[str, Any] | None = None) -> None:
    record_event(ticket, actor, E.STATUS_CHANGED, {"from": old, "to": ticket.status, **(extra or {})})


def compute_priority(impact: int, urgency: int, *, vip: bool) -> int:
    """Impact × urgency through the configurable matrix; a VIP requester's ticket is one level higher."""
    rule = PriorityRule.objects.filter(impact=impact, urgency=urgency).values_list("priority", flat=True).first()
    priority = rule if rule is not None else min(4, impact + urgency - 1)
    if vip:
        priority = max(1, priority - 1)
    return priority


def _next_number(ticket_type: str) -> str:
    """A human-readable number from a database sequence, taken inside the creating transaction."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT nextval('ticket_number_seq')")
            serial = cursor.fetchone()[0]
    else:
        # SQLite has no sequences; its database-wide write lock serialises this counter.
        TicketCounter.objects.get_or_create(name="ticket")
        TicketCounter.objects.filter(name="ticket").update(value=F("value") + 1)
        serial = TicketCounter.objects.get(name="ticket").value
    year = timezone.localtime().year
    return f"{Ticket.NUMBER_PREFIX[ticket_type]}-{year}-{serial:06d}"


def _validate_levels(impact: Any, urgency: Any) -> tuple[int, int]:
    errors: dict[str, list[str]] = {}
    levels = {1, 2, 3}
    try:
        impact = int(impact)
    except (TypeError, ValueError):
        impact = None
    try:
        urgency = int(urgency)
    except (TypeError, ValueError):
        urgency = None
    if impact not in levels:
        errors["impact"] = [_("Impact must be 1 (high), 2 (medium) or 3 (low).")]
    if urgency not in levels:
        errors["urgency"] = [_("Urgency must be 1 (high), 2 (medium) or 3 (low).")]
    if errors:
        raise ValidationFailed(errors)
    return impact, urgency


def _sla():
    # Imported lazily: the SLA app builds on tickets, not the other way round.
    from sla import services as sla_services

    return sla_services


# --- intake --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TicketInput:
    type: str
    title: str
    description: str = ""
    channel: str = Ticket.Channel.PORTAL
    impact: int = 3
    urgency: int = 3
    requester: User | None = None
    category: Category | None = None
    contact_email: str = ""
    contact_phone: str = ""
    started_at: datetime | None = None
    scope: str = ""


@transaction.atomic
def ticket_create(*, actor: User, data: TicketInput) -> Ticket:
    """Record a report: number it, classify it, price it (priority), start its clocks, acknowledge it.

    End users always file for themselves; desk staff may file on behalf of a requester.
    """
    errors: dict[str, list[str]] = {}
    title = (data.title or "").strip()
    if not title:
        errors["title"] = [_("Give the report a short title.")]
    elif len(title) > 200:
        errors["title"] = [_("The title is too long (at most 200 characters).")]
    if data.type not in Ticket.Type.values:
        errors["type"] = [_("Choose incident, service request, inquiry or complaint.")]
    if data.channel not in Ticket.Channel.values:
        errors["channel"] = [_("Unknown channel.")]
    if data.category is not None and not data.category.is_active:
        errors["category"] = [_("This category is no longer in use.")]
    try:
        impact, urgency = _validate_levels(data.impact, data.urgency)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    if errors:
        raise ValidationFailed(errors)

    requester = data.requester if (data.requester is not None and rules.is_desk(actor)) else actor
    if not requester.is_active:
        raise ValidationFailed({"requester": [_("This user is inactive.")]})
    ticket = Ticket(
        number=_next_number(data.type),
        type=data.type,
        title=title,
        description=data.description or "",
        channel=data.channel,
        requester=requester,
        department_id=requester.department_id,
        contact_email=data.contact_email or requester.email,
        contact_phone=data.contact_phone or requester.phone,
        started_at=data.started_at,
        scope=data.scope or "",
        category=data.category,
        impact=impact,
        urgency=urgency,
        priority=compute_priority(impact, urgency, vip=requester.is_vip),
        is_vip=requester.is_vip,
        created_by=_actor(actor),
    )
    ticket.save()
    record_event(
        ticket,
        actor,
        E.CREATED,
        {
            "type": ticket.type,
            "channel": ticket.channel,
            "priority": ticket.priority,
            "requester": requester.pk,
        },
    )
    _sla().clocks_start(ticket=ticket)
    return ticket


@transaction.atomic
def ticket_classify(
    *,
    ticket: Ticket,
    actor: User,
    impact: int | None = None,
    urgency: int | None = None,
    category: Category | bool | None = False,
    type: str | None = None,
    expected_version: int | None = None,
) -> Ticket:
    """Desk re-classification: impact, urgency (→ priority), category, type. SLA clocks re-target."""
    ticket = _lock(ticket)
    _check_version(ticket, expected_version)
    _require(actor, "classify", ticket)
    if ticket.status in Ticket.FINAL_STATUSES:
        raise InvalidTransition(_("A closed or cancelled ticket cannot be re-classified."))
    new_impact, new_urgency = _validate_levels(
        ticket.impact if impact is None else impact, ticket.urgency if urgency is None else urgency
    )
    if type is not None and type not in Ticket.Type.values:
        raise ValidationFailed({"type": [_("Choose incident, service request, inquiry or complaint.")]})
    changed: list[str] = []
    old = {
        "impact": ticket.impact,
        "urgency": ticket.urgency,
        "priority": ticket.priority,
        "type": ticket.type,
    }
    ticket.impact, ticket.urgency = new_impact, new_urgency
    ticket.priority = compute_priority(new_impact, new_urgency, vip=ticket.is_vip)
    for field in ("impact", "urgency", "priority"):
        if getattr(ticket, field) != old[field]:
            changed.append(field)
    if type is not None and type != ticket.type:
        ticket.type = type
        changed.append("type")
    if category is not False and (category.pk if category else None) != ticket.category_id:
        old_category = ticket.category_id
        ticket.category = category or None
        changed.append("category")
        record_event(ticket, actor, E.LINKED, {"category": {"from": old_category, "to": ticket.category_id}})
    if not changed:
        return ticket
    _save(ticket, changed)
    if "priority" in changed or "impact" in changed or "urgency" in changed:
        record_event(
            ticket,
            actor,
            E.PRIORITY_CHANGED,
            {
                "from": old["priority"],
                "to": ticket.priority,
                "impact": {"from": old["impact"], "to": ticket.impact},
                "urgency": {"from": old["urgency"], "to": ticket.urgency},
            },
        )
    if "type" in changed:
        record_event(ticket, actor, E.LINKED, {"type": {"from": old["type"], "to": ticket.type}})
    if "priority" in changed or "type" in changed:
        _sla().clocks_retarget(ticket=ticket)
    return ticket


# --- dispatch ------------------------------------------------------------------------------------------


def least_loaded_member(group: SupportGroup) -> User | None:
    """The active member with the fewest open tickets (ties: longest-standing account first)."""
    return (
        group.members.filter(is_active=True)
        .annotate(
            load=Count(
                "assigned_tickets",
                filter=Q(assigned_tickets__status__in=[S.ASSIGNED, S.IN_PROGRESS, S.PENDING]),
            )
        )
        .order_by("load", "pk")
        .first()
    )


@transaction.atomic
def ticket_assign(
    *,
    ticket: Ticket,
    actor: User,
    group: SupportGroup | None = None,
    assignee: User | None = None,
    auto: bool = False,
    expected_version: int | None = None,
) -> Ticket:
    """NEW / ASSIGNED / IN_PROGRESS → ASSIGNED: dispatch to a group (default: the category's routing group),
    optionally to one of its members, or automatically to the least-loaded member. The new assignee is told.
    Re-posting the same assignment changes nothing and records nothing."""
    ticket = _lock(ticket)
    _check_version(ticket, expected_version)
    _require(actor, "assign", ticket)
    if group is None:
        group = ticket.category.routing_group() if ticket.category_id else None
        if group is None:
            raise ValidationFailed(
                {"group": [_("Choose a support group: this ticket's category has no default group.")]}
            )
    if not group.is_active:
        raise ValidationFailed({"group": [_("This support group is inactive.")]})
    if assignee is not None:
        is_member = group.members.filter(pk=assignee.pk).exists() or group.lead_id == assignee.pk
        if not is_member or not assignee.is_active:
            raise ValidationFailed(
                {"assignee": [_("%(user)s is not an active member of %(group)s.") % {"user": assignee, "group": group}]}
            )
    elif auto:
        # Serialise auto-assignment per group, so two dispatches at once see each other's load.
        SupportGroup.objects.select_for_update().filter(pk=group.pk).first()
        assignee = least_loaded_member(group)
        if assignee is None:
            raise ValidationFailed({"group": [_("%(group)s has no active members to assign to.") % {"group": group}]})

    if (
        ticket.status == S.ASSIGNED
        and ticket.group_id == group.pk
        and ticket.assignee_id == (assignee.pk if assignee else None)
    ):
        return ticket  # a repeated request: already so
    old_status, old_group, old_assignee = ticket.status, ticket.group_id, ticket.assignee_id
    ticket.group = group
    ticket.assignee = assignee
    ticket.status = S.ASSIGNED
    _save(ticket, ["group", "assignee", "status"])
    record_event(
        ticket,
        actor,
        E.ASSIGNED,
        {
            "group": {"from": old_group, "to": group.pk, "name": group.name},
            "assignee": {"from": old_assignee, "to": assignee.pk if assignee else None},
            "auto": bool(auto and assignee is not None),
        },
    )
    if old_status != S.ASSIGNED:
        _status_event(ticket, actor, old_status)
    return ticket


@transaction.atomic
def ticket_accept(*, ticket: Ticket, actor: User, expected_version: int | None = None) -> Ticket:
    """ASSIGNED → IN_PROGRESS by the assignee or a member of the group, who becomes the assignee.
    Counts as the first response. Of two members accepting at once, the second gets a 409."""
    ticket = _lock(ticket)
    _check_version(ticket, expected_version)
    _require(actor, "accept", ticket)
    now = timezone.now()
    old_assignee = ticket.assignee_id
    ticket.assignee = actor
    ticket.status = S.IN_PROGRESS
    fields = ["assignee", "status"]
    if ticket.first_response_at is None:
        ticket.first_response_at = now
        fields.append("first_response_at")
    _save(ticket, fields)
    if old_assignee != actor.pk:
        record_event(
            ticket,
            actor,
            E.ASSIGNED,
            {
                "group": {"from": ticket.group_id, "to": ticket.group_id},
                "assignee": {"from": old_assignee, "to": actor.pk},
            },
        )
    _status_event(ticket, actor, S.ASSIGNED)
    _sla().clock_stop(ticket=ticket, metric="response", at=ticket.first_response_at)
    return ticket


@transaction.atomic
def ticket_pend(*, ticket: Ticket, actor: User, reason: str, expected_version: int | None = None) -> Ticket:
    """IN_PROGRESS → PENDING while the desk waits on the requester: the SLA clocks pause."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed({"reason": [_("Say what you are waiting for from the requester.")]})
    ticket = _lock(ticket)
    _check_version(ticket, expected_version)
    _require(actor, "pend", ticket)
    ticket.status = S.PENDING
    ticket.pending_reason = reason[:500]
    _save(ticket, ["status", "pending_reason"])
    _status_event(ticket, actor, S.IN_PROGRESS, {"reason": ticket.pending_reason})
    _sla().clocks_pause(ticket=ticket)
    return ticket


@transaction.atomic
def ticket_resume(*, ticket: Ticket, actor: User, expected_version: int | None = None) -> Ticket:
    """PENDING → IN_PROGRESS: the SLA clocks run again from where they stopped."""
    ticket = _lock(ticket)
    _check_version(ticket, expected_version)
    _require(actor, "resume", ticket)
    ticket.status = S.IN_PROGRESS
    ticket.pending_reason = ""
    _save(ticket, ["status", "pending_reason"])
    _status_event(ticket, actor, S.PENDING)
    _sla().clocks_resume(ticket=ticket)
    return ticket


@transaction.atomic
def ticket_resolve(
    *,
    ticket: Ticket,
    actor: User,
    resolution: str,
    first_contact: bool = False,
    article: Any = None,
    expected_version: int | None = None,
) -> Ticket:
    """NEW / ASSIGNED / IN_PROGRESS / PENDING → RESOLVED. First-contact resolution counts only for a ticket the
    desk solved before dispatching it. Clocks stop; the follow-up (callback) is scheduled."""
    resolution = (resolution or "").strip()
    if not resolution:
        raise ValidationFailed({"resolution": [_("Describe how the issue was resolved.")]})
    ticket = _lock(ticket)
    _check_version(ticket, expected_version)
    _require(actor, "resolve", ticket)
    old_status = ticket.status
    now = timezone.now()
    ticket.status = S.RESOLVED
    ticket.resolution = resolution
    ticket.resolved_at = now
    ticket.resolution_article = article
    ticket.first_contact_resolution = bool(first_contact) and old_status == S.NEW and ticket.reopen_count == 0
    fields = [
        "status",
        "resolution",
        "resolved_at",
        "resolution_article",
        "first_contact_resolution",
        "pending_reason",
    ]
    ticket.pending_reason = ""
    if ticket.first_response_at is None:
        # Solving it is the first response too.
        ticket.first_response_at = now
        fields.append("first_response_at")
    _save(ticket, fields)
    _status_event(
        ticket,
        actor,
        old_status,
        {
            "resolution": resolution,
            "first_contact": ticket.first_contact_resolution,
            "article": article.pk if article is not None else None,
        },
    )
    _sla().clock_stop(ticket=ticket, metric="response", at=ticket.first_response_at)
    _sla().clock_stop(ticket=ticket, metric="resolution", at=now)
    _followups().followup_schedule(ticket=ticket)
    return ticket


def _followups():
    from . import followups

    return followups


@transaction.atomic
def ticket_reopen(*, ticket: Ticket, actor: User | None, reason: str, expected_version: int | None = None) -> Ticket:
    """RESOLVED → IN_PROGRESS (if someone owns it) or NEW. The resolution clock restarts with its elapsed time;
    an open follow-up is dropped (a new one comes with the next resolution)."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed({"reason": [_("Say why the ticket is being reopened.")]})
    ticket = _lock(ticket)
    _check_version(ticket, expected_version)
    if actor is not None:
        _require(actor, "reopen", ticket)
    elif ticket.status != S.RESOLVED:
        raise InvalidTransition(_("Only a resolved ticket can be reopened."))
    # Back to the person who had it; with nobody to give it to, the desk triages it again.
    ticket.status = S.IN_PROGRESS if ticket.assignee_id else S.NEW
    ticket.reopen_count += 1
    ticket.resolved_at = None
    ticket.first_contact_resolution = False
    _save(ticket, ["status", "reopen_count", "resolved_at", "first_contact_resolution"])
    _status_event(ticket, actor, S.RESOLVED, {"reason": reason, "reopened": True})
    _sla().clocks_reopen(ticket=ticket)
    _followups().followup_cancel_open(ticket=ticket)
    return ticket


@transaction.atomic
def ticket_close(*, ticket: Ticket, actor: User | None, expected_version: int | None = None) -> Ticket:
    """RESOLVED → CLOSED (final): by the desk, or by the follow-up when it is done."""
    ticket = _lock(ticket)
    _check_version(ticket, expected_version)
    _require(actor, "close", ticket)
    ticket.status = S.CLOSED
    ticket.closed_at = timezone.now()
    _save(ticket, ["status", "closed_at"])
    _status_event(ticket, actor, S.RESOLVED)
    return ticket


@transaction.atomic
def ticket_cancel(*, ticket: Ticket, actor: User, reason: str, expected_version: int | None = None) -> Ticket:
    """NEW / ASSIGNED → CANCELLED (final): by the desk, or by the requester while their ticket is still new."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed({"reason": [_("Say why the ticket is cancelled.")]})
    ticket = _lock(ticket)
    _check_version(ticket, expected_version)
    _require(actor, "cancel", ticket)
    old_status = ticket.status
    ticket.status = S.CANCELLED
    ticket.cancelled_at = timezone.now()
    _save(ticket, ["status", "cancelled_at"])
    _status_event(ticket, actor, old_status, {"reason": reason})
    _sla().clocks_cancel(ticket=ticket)
    return ticket


@transaction.atomic
def ticket_mark_duplicate(*, ticket: Ticket, actor: User, original: Ticket) -> Ticket:
    """Link an open report to the ticket it repeats and cancel it; the requester is told where to look."""
    if original.pk == ticket.pk:
        raise ValidationFailed({"duplicate_of": [_("A ticket cannot duplicate itself.")]})
    ticket = _lock(ticket)
    _require(actor, "mark_duplicate", ticket)
    if original.duplicate_of_id == ticket.pk:
        raise ValidationFailed({"duplicate_of": [_("That ticket is already marked as a duplicate of this one.")]})
    old_status = ticket.status
    ticket.duplicate_of = original
    ticket.status = S.CANCELLED
    ticket.cancelled_at = timezone.now()
    _save(ticket, ["duplicate_of", "status", "cancelled_at"])
    record_event(ticket, actor, E.LINKED, {"duplicate_of": original.number})
    _status_event(ticket, actor, old_status, {"reason": _("Duplicate of %(number)s") % {"number": original.number}})
    _sla().clocks_cancel(ticket=ticket)
    return ticket


@transaction.atomic
def ticket_link_parent(*, ticket: Ticket, actor: User, parent: Ticket | None) -> Ticket:
    """Attach a report to a parent ticket (e.g. a major incident), or detach it with parent=None."""
    ticket = _lock(ticket)
    _require(actor, "link_parent", ticket)
    if parent is not None:
        node: Ticket | None = parent
        seen = set()
        while node is not None and node.pk not in seen:
            if node.pk == ticket.pk:
                raise ValidationFailed({"parent": [_("This link would make a ticket its own ancestor.")]})
            seen.add(node.pk)
            node = node.parent
    old = ticket.parent.number if ticket.parent_id else None
    ticket.parent = parent
    _save(ticket, ["parent"])
    record_event(ticket, actor, E.LINKED, {"parent": {"from": old, "to": parent.number if parent else None}})
    return ticket


# --- conversation --------------------------------------------------------------------------------------


@transaction.atomic
def comment_create(*, ticket: Ticket, actor: User, body: str, internal: bool = False) -> Comment:
    """A public reply or an internal note. End users never write internal notes. A staff member's first
    public reply is the ticket's first response."""
    body = (body or "").strip()
    if not body:
        raise ValidationFailed({"body": [_("Write something first.")]})
    if len(body) > 20000:
        raise ValidationFailed({"body": [_("The comment is too long (at most 20,000 characters).")]})
    ticket = _lock(ticket)
    if internal and not rules.may(actor, "comment_internal", ticket):
        raise NotAllowed(_("Only support staff can write internal notes."))
    if ticket.status in Ticket.FINAL_STATUSES and not actor.is_staff_member:
        raise InvalidTransition(_("This ticket is closed. Please submit a new report."))
    comment = Comment.objects.create(ticket=ticket, author=actor, body=body, internal=internal)
    fields = []
    staff_reply = not internal and actor.is_staff_member and actor.pk != ticket.requester_id
    if staff_reply and ticket.first_response_at is None:
        ticket.first_response_at = comment.created_at
        fields.append("first_response_at")
    _save(ticket, fields)
    record_event(ticket, actor, E.COMMENTED, {"comment": comment.pk, "internal": internal}, internal=internal)
    if "first_response_at" in fields:
        _sla().clock_stop(ticket=ticket, metric="response", at=comment.created_at)
    return comment


@transaction.atomic
def attachment_add(*, ticket: Ticket, actor: User, upload: UploadedFile, internal: bool = False) -> Attachment:
    """Store an upload after checking its size and sniffing its real type; HTML, SVG and executables are refused."""
    ticket = _lock(ticket)
    if internal and not rules.may(actor, "comment_internal", ticket):
        raise NotAllowed(_("Only support staff can add internal attachments."))
    if ticket.status in Ticket.FINAL_STATUSES and not actor.is_staff_member:
        raise InvalidTransition(_("This ticket is closed. Please submit a new report."))
    name, content_type = inspect_upload(upload, max_bytes=settings.ATTACHMENT_MAX_BYTES)
    attachment = Attachment(
        ticket=ticket,
        uploaded_by=actor,
        name=name,
        size=upload.size,
        content_type=content_type,
        internal=internal,
    )
    attachment.file.save(name, upload, save=False)
    attachment.save()
    _save(ticket, [])
    record_event(
        ticket,
        actor,
        E.ATTACHMENT_ADDED,
        {"attachment": attachment.pk, "name": name, "size": upload.size},
        internal=internal,
    )
    return attachment


@transaction.atomic
def ticket_escalate(*, ticket: Ticket, raise_priority: bool = False, group: SupportGroup | None = None) -> Ticket:
    """The system's escalation at an SLA breach (the policy's rules): raise the priority one level and/or
    hand the ticket to another group for dispatch. Does nothing to a ticket that is no longer open."""
    ticket = _lock(ticket)
    if ticket.status not in Ticket.OPEN_STATUSES:
        return ticket
    fields: list[str] = []
    old_priority = ticket.priority
    if raise_priority and ticket.priority > 1:
        ticket.priority -= 1
        fields.append("priority")
    old_status, old_group, old_assignee = ticket.status, ticket.group_id, ticket.assignee_id
    if group is not None and group.is_active and group.pk != ticket.group_id:
        ticket.group, ticket.assignee, ticket.status = group, None, S.ASSIGNED
        fields += ["group", "assignee", "status"]
    if not fields:
        return ticket
    _save(ticket, fields)
    if "priority" in fields:
        record_event(
            ticket, None, E.PRIORITY_CHANGED, {"from": old_priority, "to": ticket.priority, "reason": "sla_breach"}
        )
    if "group" in fields:
        record_event(
            ticket,
            None,
            E.ASSIGNED,
            {
                "group": {"from": old_group, "to": group.pk, "name": group.name},
                "assignee": {"from": old_assignee, "to": None},
                "reason": "sla_breach",
            },
        )
        if old_status != S.ASSIGNED:
            _status_event(ticket, None, old_status, {"reason": "sla_breach"})
    if "priority" in fields:
        _sla().clocks_retarget(ticket=ticket)
    return ticket
