"""Major-incident pages, mounted at /major-incidents/ by servicedesk/urls.py: the list, one incident with its
timeline, linked tickets and the manager's forms, and the POST steps (declare from a ticket, link, update, resolve,
subscribe). Thin: one service per step, domain errors shown as translated messages (POST-redirect-GET)."""

from __future__ import annotations

import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from servicedesk.errors import DomainError, ValidationFailed
from servicedesk.models import SupportGroup

from . import major_incidents as mi
from . import selectors
from .models import MajorIncident
from .rules import is_desk


def _incident(request: HttpRequest, pk: int) -> MajorIncident:
    incident = mi.major_incident_get(request.user, pk)
    if incident is None:
        raise Http404
    return incident


def _back(request: HttpRequest, default: str) -> HttpResponse:
    target = request.POST.get("next")
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect(default)


def _fail(request: HttpRequest, exc: DomainError) -> None:
    if isinstance(exc, ValidationFailed):
        for errors in exc.errors.values():
            for error in errors:
                messages.error(request, error)
    else:
        messages.error(request, exc.message)


@login_required
@require_GET
def incident_list(request: HttpRequest) -> HttpResponse:
    state = request.GET.get("status", "")
    incidents = list(mi.major_incident_list(request.user, status=state)[:200])
    return render(
        request,
        "tickets/major_incidents/list.html",
        {"incidents": incidents, "status": state, "can_declare": mi.is_incident_manager(request.user)},
    )


@login_required
@require_GET
def incident_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    incident = _incident(request, pk)
    staff = user.is_staff_member
    manager = mi.is_incident_manager(user)
    context = {
        "incident": incident,
        "ticket": incident.ticket,
        "updates": list(incident.updates.all()),
        "linked": list(mi.linked_tickets(incident)) if staff else [],
        "staff": staff,
        "manager": manager,
        "can_link": incident.is_open and (manager or is_desk(user)),
        "subscribed": mi.is_subscribed(incident, user),
        "groups": list(SupportGroup.objects.filter(is_active=True).order_by("name")) if manager else [],
    }
    return render(request, "tickets/major_incidents/detail.html", context)


@login_required
@require_POST
def incident_declare(request: HttpRequest, number: str) -> HttpResponse:
    ticket = selectors.ticket_get(request.user, number)
    if ticket is None:
        raise Http404
    try:
        incident = mi.major_incident_declare(ticket=ticket, actor=request.user, summary=request.POST.get("summary", ""))
    except DomainError as exc:
        _fail(request, exc)
        return redirect("tickets:detail", number=ticket.number)
    messages.success(
        request,
        _("%(number)s is now a major incident. Link the related reports and keep everyone informed.")
        % {"number": ticket.number},
    )
    return redirect("major_incidents:detail", pk=incident.pk)


NUMBER_SPLIT = re.compile(r"[\s,;，；]+")


@login_required
@require_POST
def incident_link_chosen(request: HttpRequest) -> HttpResponse:
    """The ticket page's "link to an open major incident": the incident comes from the form."""
    pk = request.POST.get("incident", "")
    if not pk.isdigit():
        raise Http404
    return incident_link(request, int(pk))


@login_required
@require_POST
def incident_link(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _incident(request, pk)
    numbers = [n.upper() for n in NUMBER_SPLIT.split(request.POST.get("tickets", "")) if n]
    default = reverse("major_incidents:detail", args=[incident.pk])
    if not numbers:
        messages.error(request, _("Give the number of at least one ticket."))
        return _back(request, default)
    linked = []
    for number in numbers:
        ticket = selectors.ticket_get(request.user, number)
        if ticket is None:
            messages.error(request, _("No such ticket: %(number)s.") % {"number": number})
            continue
        try:
            mi.major_incident_link(incident=incident, ticket=ticket, actor=request.user)
        except DomainError as exc:
            _fail(request, exc)
        else:
            linked.append(number)
    if linked:
        messages.success(
            request,
            _("Linked to %(incident)s: %(numbers)s.")
            % {"incident": incident.ticket.number, "numbers": ", ".join(linked)},
        )
    return _back(request, default)


@login_required
@require_POST
def incident_unlink(request: HttpRequest, pk: int, number: str) -> HttpResponse:
    incident = _incident(request, pk)
    ticket = selectors.ticket_get(request.user, number)
    if ticket is None:
        raise Http404
    try:
        mi.major_incident_unlink(incident=incident, ticket=ticket, actor=request.user)
    except DomainError as exc:
        _fail(request, exc)
    else:
        messages.success(request, _("%(number)s is no longer linked.") % {"number": ticket.number})
    return redirect("major_incidents:detail", pk=incident.pk)


@login_required
@require_POST
def incident_update(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _incident(request, pk)
    group_id = request.POST.get("owner_group", "")
    group = SupportGroup.objects.filter(pk=group_id).first() if group_id.isdigit() else None
    try:
        update = mi.major_incident_update(
            incident=incident,
            actor=request.user,
            body=request.POST.get("body", ""),
            as_notice=request.POST.get("notice") == "on",
            owner_group=group,
        )
    except DomainError as exc:
        _fail(request, exc)
    else:
        if update.as_notice:
            messages.success(request, _("Update broadcast and published as an outage notice."))
        else:
            messages.success(request, _("Update broadcast to everyone affected."))
    return redirect("major_incidents:detail", pk=incident.pk)


@login_required
@require_POST
def incident_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _incident(request, pk)
    try:
        mi.major_incident_resolve(incident=incident, actor=request.user, resolution=request.POST.get("resolution", ""))
    except DomainError as exc:
        _fail(request, exc)
    else:
        messages.success(request, _("Major incident resolved, with its linked tickets."))
    return redirect("major_incidents:detail", pk=incident.pk)


@login_required
@require_POST
def incident_subscribe(request: HttpRequest, pk: int) -> HttpResponse:
    incident = _incident(request, pk)
    try:
        if request.POST.get("unsubscribe"):
            mi.major_incident_unsubscribe(incident=incident, actor=request.user)
            messages.success(request, _("You will no longer receive updates of this incident."))
        else:
            mi.major_incident_subscribe(incident=incident, actor=request.user)
            messages.success(request, _("You will receive every update of this incident."))
    except DomainError as exc:
        _fail(request, exc)
    return redirect("major_incidents:detail", pk=incident.pk)
