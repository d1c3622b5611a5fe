"""Complaint (投诉) services. A complaint is a ticket of type `complaint` that names what it is about — a support
group, a person, or an earlier ticket. It is routed to the responsible person of that team (the group's lead) and
assigned to them; they investigate in internal notes, record a result that is sent to the complainant as a public
reply (and resolves the ticket), and the complainant's satisfaction with the result is recorded — by the
callback of the complaint ticket, or directly."""

from __future__ import annotations

from dataclasses import replace
from functools import partial

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from servicedesk.errors import InvalidTransition, NotAllowed, ValidationFailed
from servicedesk.models import Role, SupportGroup, User

from . import rules, services
from .followup_selectors import COMPLAINT_REGISTER_ROLES, FOLLOWUP_ROLES
from .models import Complaint, Ticket, TicketEvent

About = Complaint.About


def _team_of(person: User) -> SupportGroup | None:
    """The active group a person works in (as a member, else as its lead); the oldest if several."""
    return (
        SupportGroup.objects.filter(is_active=True)
        .filter(Q(members=person) | Q(lead=person))
        .order_by("pk")
        .distinct()
        .first()
    )


def complaint_routing(
    *, about: str, group: SupportGroup | None, person: User | None, about_ticket: Ticket | None
) -> tuple[SupportGroup | None, User | None]:
    """(team the complaint counts against, responsible person). The responsible person is the team's lead; when the
    team has no active lead, or the complaint is about the lead themself, a supervisor takes it."""
    team: SupportGroup | None = None
    if about == About.GROUP:
        team = group
    elif about == About.PERSON and person is not None:
        team = _team_of(person)
    elif about == About.TICKET and about_ticket is not None:
        team = about_ticket.group if about_ticket.group_id else None
        if team is None and about_ticket.assignee_id:
            team = _team_of(about_ticket.assignee)
    lead = team.lead if team is not None and team.lead_id else None
    if lead is not None and lead.is_active and (person is None or lead.pk != person.pk):
        return team, lead
    supervisor = (
        User.objects.filter(groups__name=Role.SUPERVISOR, is_active=True)
        .exclude(pk=person.pk if person else None)
        .order_by("pk")
        .first()
    )
    return team, supervisor


def _notify_later(*, complaint_id: int) -> None:
    from .tasks import complaint_notify_task

    complaint_notify_task.delay(complaint_id=complaint_id)


@transaction.atomic
def complaint_register(
    *,
    actor: User,
    about: str,
    group: SupportGroup | None = None,
    person: User | None = None,
    about_ticket: Ticket | None = None,
    ticket: Ticket | None = None,
    data: services.TicketInput | None = None,
) -> Complaint:
    """Register a complaint: on an existing open complaint ticket (`ticket`, e.g. filed by the user on the portal)
    or a new one from `data`. Routes it to the responsible person and assigns the ticket to them; a responsible
    person outside the team (a supervisor) is told separately. Desk roles only."""
    if not actor.has_role(*COMPLAINT_REGISTER_ROLES):
        raise NotAllowed(_("Only the service desk registers complaints."))
    errors: dict[str, list[str]] = {}
    if about not in About.values:
        errors["about"] = [_("Say whether the complaint is about a support group, a person or an earlier ticket.")]
    elif about == About.GROUP and group is None:
        errors["group"] = [_("Choose the support group the complaint is about.")]
    elif about == About.GROUP and not group.is_active:
        errors["group"] = [_("This support group is inactive.")]
    elif about == About.PERSON and (person is None or not person.is_active or not person.is_staff_member):
        errors["person"] = [_("Choose the member of staff the complaint is about.")]
    elif about == About.TICKET and about_ticket is None:
        errors["about_ticket"] = [_("Give the number of the ticket the complaint is about.")]
    if ticket is None and data is None:
        errors["ticket"] = [_("Give the complaint ticket, or describe the complaint.")]
    if errors:
        raise ValidationFailed(errors)
    # Keep only the subject the complaint names, re-read: routing follows who leads and worked what now.
    group = SupportGroup.objects.select_related("lead").get(pk=group.pk) if about == About.GROUP else None
    person = person if about == About.PERSON else None
    if about == About.TICKET:
        about_ticket = Ticket.objects.select_related("group__lead", "assignee").get(pk=about_ticket.pk)
    else:
        about_ticket = None

    if ticket is None:
        ticket = services.ticket_create(actor=actor, data=replace(data, type=Ticket.Type.COMPLAINT))
    else:
        ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
        if ticket.type != Ticket.Type.COMPLAINT:
            raise ValidationFailed({"ticket": [_("Only a ticket of type complaint can carry a complaint.")]})
        if ticket.status in Ticket.FINAL_STATUSES or ticket.status == Ticket.Status.RESOLVED:
            raise InvalidTransition(_("This complaint ticket is already finished."))
        if Complaint.objects.filter(ticket=ticket).exists():
            raise InvalidTransition(_("This ticket already has a complaint registered."))
    if about_ticket is not None and about_ticket.pk == ticket.pk:
        raise ValidationFailed({"about_ticket": [_("A complaint cannot be about itself.")]})

    team, responsible = complaint_routing(about=about, group=group, person=person, about_ticket=about_ticket)
    complaint = Complaint.objects.create(
        ticket=ticket,
        about=about,
        about_group=group,
        about_person=person,
        about_ticket=about_ticket,
        group=team,
        responsible=responsible,
        created_by=actor,
    )
    services.record_event(
        ticket,
        actor,
        TicketEvent.Kind.LINKED,
        {
            "complaint": complaint.pk,
            "about": about,
            "group": team.pk if team else None,
            "person": person.pk if person else None,
            "ticket": about_ticket.number if about_ticket else None,
            "responsible": responsible.pk if responsible else None,
        },
    )
    if team is not None:
        in_team = responsible is not None and (
            team.lead_id == responsible.pk or team.members.filter(pk=responsible.pk).exists()
        )
        # The assignment event tells the lead ("assigned to you"); a supervisor standing in is told separately.
        complaint.ticket = services.ticket_assign(
            ticket=ticket, actor=actor, group=team, assignee=responsible if in_team else None
        )
        if not in_team and responsible is not None:
            transaction.on_commit(partial(_notify_later, complaint_id=complaint.pk))
    elif responsible is not None:
        transaction.on_commit(partial(_notify_later, complaint_id=complaint.pk))
    return complaint


def may_answer(user: User, complaint: Complaint) -> bool:
    return user.is_desk or user.pk in (complaint.responsible_id, complaint.ticket.assignee_id)


@transaction.atomic
def complaint_record_result(*, complaint: Complaint, actor: User, result: str) -> Complaint:
    """Record the result of the investigation and send it to the complainant as a public reply; the complaint
    ticket is resolved with it when the actor may resolve it (its callback then asks about the result). Once."""
    result = (result or "").strip()
    if not result:
        raise ValidationFailed({"result": [_("Write the result you are giving the complainant.")]})
    if len(result) > 20000:
        raise ValidationFailed({"result": [_("The result is too long (at most 20,000 characters).")]})
    # The ticket first, then the complaint: the order a callback on the complaint ticket takes them in.
    Ticket.objects.select_for_update().filter(pk=complaint.ticket_id).values_list("pk", flat=True).first()
    complaint = Complaint.objects.select_for_update(of=("self",)).select_related("ticket").get(pk=complaint.pk)
    if not may_answer(actor, complaint):
        raise NotAllowed(_("Only the responsible person or the service desk can answer this complaint."))
    if complaint.result_at is not None:
        raise InvalidTransition(_("A result was already given for this complaint."))
    services.comment_create(ticket=complaint.ticket, actor=actor, body=result, internal=False)
    complaint.result = result
    complaint.result_at = timezone.now()
    complaint.result_by = actor
    complaint.save(update_fields=["result", "result_at", "result_by"])
    ticket = Ticket.objects.get(pk=complaint.ticket_id)
    if rules.can(actor, "resolve", ticket):
        services.ticket_resolve(ticket=ticket, actor=actor, resolution=result)
    return complaint


@transaction.atomic
def complaint_record_satisfaction(*, complaint: Complaint, actor: User, satisfaction: int) -> Complaint:
    """The complainant's satisfaction (1–5) with the result, told to the desk or given by the complainant."""
    try:
        satisfaction = int(satisfaction)
    except (TypeError, ValueError):
        satisfaction = 0
    if not 1 <= satisfaction <= 5:
        raise ValidationFailed(
            {"satisfaction": [_("Satisfaction is a number from 1 (very dissatisfied) to 5 (very satisfied).")]}
        )
    complaint = Complaint.objects.select_for_update(of=("self",)).select_related("ticket").get(pk=complaint.pk)
    if not (actor.has_role(*FOLLOWUP_ROLES) or actor.pk == complaint.ticket.requester_id):
        raise NotAllowed()
    if complaint.result_at is None:
        raise InvalidTransition(_("The complainant has not been given a result yet."))
    complaint.satisfaction = satisfaction
    complaint.satisfaction_at = timezone.now()
    complaint.save(update_fields=["satisfaction", "satisfaction_at"])
    return complaint


def complaint_notify(*, complaint_id: int) -> int:
    """Tell the responsible person a complaint is theirs (when the ticket assignment did not already)."""
    from servicedesk.notifications import notify, ticket_url

    complaint = Complaint.objects.select_related("ticket", "responsible").filter(pk=complaint_id).first()
    if complaint is None or complaint.responsible is None or not complaint.responsible.is_active:
        return 0
    number, title = complaint.ticket.number, complaint.ticket.title
    notify(
        recipient=complaint.responsible,
        key=f"complaint:{complaint.pk}",
        verb="complaint_assigned",
        message_factory=lambda: (
            _("Complaint %(number)s is yours to handle") % {"number": number},
            _("“%(title)s”: investigate, then give the complainant a result.") % {"title": title},
        ),
        url=ticket_url(number),
    )
    return 1
