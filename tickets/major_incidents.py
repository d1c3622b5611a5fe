"""Major incidents (重大故障): declared from a ticket by the major-incident manager, related reports linked to it
as children, an update timeline broadcast (通传通报) to everyone affected — the requesters of the linked tickets and
the subscribers, in-app and by email, once per update and person — and optionally as an outage notice; resolving
it resolves the children still open with a public note, so each of them gets its follow-up callback.

Services (writes) first, then selectors (reads). Ticket changes go through tickets.services, so they keep their own
trail, SLA clocks and notifications."""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial

from django.db import transaction
from django.db.models import Count, Prefetch, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from servicedesk.errors import InvalidTransition, NotAllowed, ValidationFailed
from servicedesk.models import Role, SupportGroup, User

from . import services as ticket_services
from .models import MajorIncident, MajorIncidentSubscriber, MajorIncidentUpdate, Ticket, TicketEvent

S = Ticket.Status
MI = MajorIncident.Status
U = MajorIncidentUpdate.Kind

BODY_MAX = 5000
BROADCAST_BATCH = 100


def is_incident_manager(user: User | None) -> bool:
    return user is not None and user.is_authenticated and user.has_role(Role.INCIDENT_MANAGER)


def _require_manager(actor: User) -> None:
    if not is_incident_manager(actor):
        raise NotAllowed(_("Only the major-incident manager can do this."))


def require_linker(actor: User) -> None:
    """Linking reports to a major incident is for the incident manager and the desk (who take the calls)."""
    from .rules import is_desk

    if not (is_incident_manager(actor) or is_desk(actor)):
        raise NotAllowed(_("Only the major-incident manager and the service desk link tickets to a major incident."))


def _lock(incident: MajorIncident) -> MajorIncident:
    return MajorIncident.objects.select_for_update(of=("self",)).select_related("ticket").get(pk=incident.pk)


def _require_open(incident: MajorIncident) -> None:
    if incident.status != MI.OPEN:
        raise InvalidTransition(
            _("Major incident %(number)s is already resolved.") % {"number": incident.ticket.number}
        )


def _text(value: str, field: str, message: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationFailed({field: [message]})
    if len(value) > BODY_MAX:
        raise ValidationFailed({field: [_("The text is too long (at most 5,000 characters).")]})
    return value


def _add_update(
    incident: MajorIncident,
    actor: User | None,
    kind: str,
    body: str,
    *,
    as_notice: bool = False,
    skip: Iterable[int] = (),
) -> MajorIncidentUpdate:
    update = MajorIncidentUpdate.objects.create(
        incident=incident,
        kind=kind,
        body=body,
        author=actor if actor is not None and actor.pk else None,
        at=timezone.now(),
        as_notice=as_notice,
        skip_user_ids=sorted(set(skip)),
    )
    from .tasks import major_incident_broadcast_task

    transaction.on_commit(partial(major_incident_broadcast_task.delay, update_id=update.pk))
    return update


# --- services ------------------------------------------------------------------------------------------------


@transaction.atomic
def major_incident_declare(*, ticket: Ticket, actor: User, summary: str = "") -> MajorIncident:
    """Declare an open ticket a major incident. The manager is subscribed; the declaration is the first update
    of the timeline and is broadcast like the others."""
    _require_manager(actor)
    ticket = Ticket.objects.select_for_update(of=("self",)).get(pk=ticket.pk)
    if MajorIncident.objects.filter(ticket=ticket).exists():
        raise InvalidTransition(_("Ticket %(number)s is already a major incident.") % {"number": ticket.number})
    if ticket.status not in Ticket.OPEN_STATUSES:
        raise InvalidTransition(
            _("Only an open ticket can be declared a major incident; %(number)s is %(status)s.")
            % {"number": ticket.number, "status": ticket.get_status_display().lower()}
        )
    if ticket.parent_id and MajorIncident.objects.filter(ticket_id=ticket.parent_id).exists():
        raise InvalidTransition(
            _("Ticket %(number)s is already linked to a major incident.") % {"number": ticket.number}
        )
    summary = (summary or "").strip()[:BODY_MAX] or ticket.title
    incident = MajorIncident.objects.create(ticket=ticket, summary=summary, manager=actor, declared_at=timezone.now())
    MajorIncidentSubscriber.objects.get_or_create(incident=incident, user=actor)
    ticket_services.record_event(ticket, actor, TicketEvent.Kind.LINKED, {"major_incident": "declared"})
    _add_update(incident, actor, U.DECLARED, summary)
    return incident


@transaction.atomic
def major_incident_link(*, incident: MajorIncident, ticket: Ticket, actor: User) -> Ticket:
    """Link a related report to the incident (it becomes a child of the incident's ticket). Its requester is
    told at once that the problem is known, and hears every update from now on. Linking twice changes nothing."""
    require_linker(actor)
    incident = _lock(incident)
    _require_open(incident)
    if ticket.pk == incident.ticket_id:
        raise ValidationFailed({"ticket": [_("This is the major incident's own ticket.")]})
    if MajorIncident.objects.filter(ticket_id=ticket.pk).exists():
        raise ValidationFailed({"ticket": [_("%(number)s is itself a major incident.") % {"number": ticket.number}]})
    fresh = Ticket.objects.select_related("parent").get(pk=ticket.pk)
    if fresh.parent_id == incident.ticket_id:
        return fresh
    if fresh.parent_id is not None:
        raise InvalidTransition(
            _("%(number)s is already linked to %(parent)s. Unlink it there first.")
            % {"number": fresh.number, "parent": fresh.parent.number}
        )
    if fresh.status in Ticket.FINAL_STATUSES:
        raise InvalidTransition(
            _("%(number)s is %(status)s and cannot be linked.")
            % {"number": fresh.number, "status": fresh.get_status_display().lower()}
        )
    linked = ticket_services.ticket_link_parent(ticket=fresh, actor=actor, parent=incident.ticket)
    transaction.on_commit(partial(_tell_linked_later, incident_id=incident.pk, ticket_id=linked.pk))
    return linked


def _tell_linked_later(*, incident_id: int, ticket_id: int) -> None:
    from .tasks import major_incident_linked_task

    major_incident_linked_task.delay(incident_id=incident_id, ticket_id=ticket_id)


@transaction.atomic
def major_incident_unlink(*, incident: MajorIncident, ticket: Ticket, actor: User) -> Ticket:
    require_linker(actor)
    incident = _lock(incident)
    fresh = Ticket.objects.get(pk=ticket.pk)
    if fresh.parent_id != incident.ticket_id:
        raise ValidationFailed({"ticket": [_("%(number)s is not linked to this incident.") % {"number": fresh.number}]})
    return ticket_services.ticket_link_parent(ticket=fresh, actor=actor, parent=None)


@transaction.atomic
def major_incident_subscribe(*, incident: MajorIncident, actor: User, user: User | None = None) -> bool:
    """Subscribe `user` (default: the actor) to every update. Anyone who can see the incident subscribes
    themselves; the manager subscribes others. Returns whether a subscription was added."""
    user = user or actor
    if user.pk != actor.pk:
        _require_manager(actor)
    if not user.is_active:
        raise ValidationFailed({"user": [_("This user is inactive.")]})
    incident = _lock(incident)
    _require_open(incident)
    _subscription, created = MajorIncidentSubscriber.objects.get_or_create(incident=incident, user=user)
    return created


@transaction.atomic
def major_incident_unsubscribe(*, incident: MajorIncident, actor: User, user: User | None = None) -> bool:
    user = user or actor
    if user.pk != actor.pk:
        _require_manager(actor)
    deleted, _rows = MajorIncidentSubscriber.objects.filter(incident=incident, user=user).delete()
    return bool(deleted)


def _notice_body(incident: MajorIncident, latest: str, *, resolved: bool = False) -> str:
    """The outage notice's text: the latest news first, then the incident's summary."""
    at = timezone.localtime().strftime("%Y-%m-%d %H:%M")
    heading = _("Resolved") if resolved else _("Latest update")
    return f"**{heading} ({at})**\n\n{latest}\n\n---\n\n{incident.summary}"


@transaction.atomic
def major_incident_update(
    *,
    incident: MajorIncident,
    actor: User,
    body: str,
    as_notice: bool = False,
    owner_group: SupportGroup | None = None,
) -> MajorIncidentUpdate:
    """Add an update to the timeline and broadcast it; with `as_notice`, also publish (or refresh) the
    incident's outage notice for everyone."""
    _require_manager(actor)
    body = _text(body, "body", _("Write the update: what is known, what is being done, when to expect more."))
    incident = _lock(incident)
    _require_open(incident)
    update = _add_update(incident, actor, U.UPDATE, body, as_notice=as_notice)
    if as_notice:
        _broadcast_notice(incident, actor, body, owner_group)
    return update


def _broadcast_notice(
    incident: MajorIncident, actor: User, latest: str, owner_group: SupportGroup | None, *, resolved: bool = False
):
    from notices.services import notice_incident_broadcast

    ticket = Ticket.objects.select_related("group").get(pk=incident.ticket_id)
    return notice_incident_broadcast(
        incident_ticket=ticket,
        actor=actor,
        title=_("Outage: %(title)s") % {"title": ticket.title},
        body=_notice_body(incident, latest, resolved=resolved),
        owner_group=owner_group,
        resolved=resolved,
    )


@transaction.atomic
def major_incident_resolve(*, incident: MajorIncident, actor: User, resolution: str) -> MajorIncident:
    """OPEN → RESOLVED: the incident's ticket and every linked ticket still open are resolved with a public note
    (their requesters are told by their own ticket, and their follow-up callbacks start); the resolution is
    broadcast to the subscribers and to requesters not already told; an outage notice says so for an hour."""
    _require_manager(actor)
    resolution = _text(resolution, "resolution", _("Describe how the major incident was resolved."))
    incident = _lock(incident)
    _require_open(incident)
    note = _("Resolved together with major incident %(number)s: %(resolution)s") % {
        "number": incident.ticket.number,
        "resolution": resolution,
    }
    # Children in id order: two cascades (or a cascade and an agent) lock rows in the same order.
    children = list(Ticket.objects.filter(parent_id=incident.ticket_id, status__in=Ticket.OPEN_STATUSES).order_by("pk"))
    told: set[int] = set()
    for child in children:
        ticket_services.ticket_resolve(ticket=child, actor=actor, resolution=note)
        told.add(child.requester_id)
    own = Ticket.objects.get(pk=incident.ticket_id)
    if own.status in Ticket.OPEN_STATUSES:
        ticket_services.ticket_resolve(ticket=own, actor=actor, resolution=resolution)
        told.add(own.requester_id)
    incident.status = MI.RESOLVED
    incident.resolved_at = timezone.now()
    incident.resolved_by = actor
    incident.resolution = resolution
    incident.save(update_fields=["status", "resolved_at", "resolved_by", "resolution"])
    _add_update(incident, actor, U.RESOLVED, resolution, skip=told)
    from notices.models import Notice

    if Notice.objects.filter(incident_ticket_id=incident.ticket_id, status=Notice.Status.PUBLISHED).exists():
        _broadcast_notice(incident, actor, resolution, None, resolved=True)
    return incident


# --- broadcasting ------------------------------------------------------------------------------------------


def affected_user_ids(incident: MajorIncident) -> set[int]:
    """The requesters of the incident's ticket and of every linked ticket, and the subscribers (active ones)."""
    requesters = Ticket.objects.filter(Q(pk=incident.ticket_id) | Q(parent_id=incident.ticket_id)).values(
        "requester_id"
    )
    subscribers = MajorIncidentSubscriber.objects.filter(incident=incident).values("user_id")
    return set(
        User.objects.filter(is_active=True)
        .filter(Q(pk__in=requesters) | Q(pk__in=subscribers))
        .values_list("pk", flat=True)
    )


def major_incident_broadcast(*, update_id: int) -> int:
    """Fan an update out to everyone affected, in batches of notification tasks. Safe to run twice: each person
    gets the notification (and email) of an update once (its key names the update)."""
    from .tasks import major_incident_notify_task

    update = MajorIncidentUpdate.objects.select_related("incident").filter(pk=update_id).first()
    if update is None:
        return 0
    recipients = affected_user_ids(update.incident) - set(update.skip_user_ids) - {update.author_id}
    ids = sorted(recipients)
    MajorIncidentUpdate.objects.filter(pk=update.pk).update(recipients=len(ids))
    for start in range(0, len(ids), BROADCAST_BATCH):
        major_incident_notify_task.delay(update_id=update.pk, user_ids=ids[start : start + BROADCAST_BATCH])
    return len(ids)


def major_incident_notify(*, update_id: int, user_ids: list[int]) -> int:
    from servicedesk.notifications import notify

    update = MajorIncidentUpdate.objects.select_related("incident__ticket").filter(pk=update_id).first()
    if update is None:
        return 0
    ticket = update.incident.ticket
    params = {"number": ticket.number, "title": ticket.title, "body": update.body}
    url = reverse("major_incidents:detail", args=[update.incident_id])

    def message() -> tuple[str, str]:
        if update.kind == U.RESOLVED:
            return (
                _("Resolved: major incident %(number)s") % params,
                _("The major incident “%(title)s” is resolved: %(body)s") % params,
            )
        if update.kind == U.DECLARED:
            return (
                _("Major incident %(number)s: %(title)s") % params,
                _("A major incident is under way: %(body)s\nWe will keep you informed until it is resolved.") % params,
            )
        return (
            _("Update on major incident %(number)s") % params,
            _("“%(title)s”: %(body)s") % params,
        )

    users = User.objects.filter(pk__in=user_ids, is_active=True)
    for user in users:
        notify(
            recipient=user,
            key=f"major-incident-update:{update.pk}",
            verb=f"major_incident_{update.kind}",
            message_factory=message,
            url=url,
        )
    return len(users)


def major_incident_tell_linked(*, incident_id: int, ticket_id: int) -> bool:
    """Tell the requester of a newly linked ticket that the problem is a known major incident."""
    from servicedesk.notifications import notify

    incident = MajorIncident.objects.select_related("ticket").filter(pk=incident_id).first()
    if incident is None:
        return False
    ticket = Ticket.objects.select_related("requester").filter(pk=ticket_id, parent_id=incident.ticket_id).first()
    if ticket is None or not ticket.requester.is_active:
        return False
    latest = incident.updates.order_by("-at", "-id").first()
    params = {
        "number": ticket.number,
        "incident": incident.ticket.number,
        "title": incident.ticket.title,
        "latest": latest.body if latest else incident.summary,
    }
    notify(
        recipient=ticket.requester,
        key=f"major-incident-linked:{incident.pk}:{ticket.pk}",
        verb="major_incident_linked",
        message_factory=lambda: (
            _("Your report %(number)s is part of a known major incident") % params,
            _(
                "“%(title)s” (%(incident)s) is being handled as a major incident. Latest: %(latest)s\n"
                "You will hear about every update, and your report is resolved with it."
            )
            % params,
        ),
        url=reverse("major_incidents:detail", args=[incident.pk]),
    )
    return True


# --- selectors ---------------------------------------------------------------------------------------------


def major_incidents_visible_to(user: User) -> QuerySet[MajorIncident]:
    """Staff see every major incident; anyone else those they are affected by (a linked report of theirs, or a
    subscription)."""
    if not user.is_authenticated:
        return MajorIncident.objects.none()
    if user.is_staff_member:
        return MajorIncident.objects.all()
    mine = Ticket.objects.filter(requester=user).values("pk")
    mine_parents = Ticket.objects.filter(requester=user, parent__isnull=False).values("parent_id")
    subscribed = MajorIncidentSubscriber.objects.filter(user=user).values("incident_id")
    return MajorIncident.objects.filter(Q(ticket_id__in=mine) | Q(ticket_id__in=mine_parents) | Q(pk__in=subscribed))


def major_incident_list(user: User, *, status: str = "") -> QuerySet[MajorIncident]:
    qs = (
        major_incidents_visible_to(user)
        .select_related("ticket", "manager")
        .annotate(linked=Count("ticket__children", distinct=True))
    )
    if status in MI.values:
        qs = qs.filter(status=status)
    return qs.order_by("status", "-declared_at", "-id")


def major_incident_get(user: User, pk: int) -> MajorIncident | None:
    return (
        major_incidents_visible_to(user)
        .select_related("ticket__group", "ticket__requester", "manager", "resolved_by")
        .prefetch_related(
            Prefetch("updates", queryset=MajorIncidentUpdate.objects.select_related("author").order_by("at", "id"))
        )
        .filter(pk=pk)
        .first()
    )


def linked_tickets(incident: MajorIncident) -> QuerySet[Ticket]:
    return (
        Ticket.objects.filter(parent_id=incident.ticket_id)
        .select_related("requester", "group", "assignee")
        .order_by("-created_at", "-id")
    )


def is_subscribed(incident: MajorIncident, user: User) -> bool:
    return user.is_authenticated and MajorIncidentSubscriber.objects.filter(incident=incident, user=user).exists()


def open_major_incidents() -> QuerySet[MajorIncident]:
    return MajorIncident.objects.filter(status=MI.OPEN).select_related("ticket").order_by("-declared_at", "-id")


def major_incident_of(ticket: Ticket) -> MajorIncident | None:
    """The major incident this ticket is, or is linked to."""
    ids = [ticket.pk, ticket.parent_id] if ticket.parent_id else [ticket.pk]
    return MajorIncident.objects.filter(ticket_id__in=ids).select_related("ticket").first()
