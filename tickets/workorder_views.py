"""Work-order pages for the technician's phone, the printable sheet and the manager's board. Thin: parse a form,
read through tickets.workorder_selectors, call one service in tickets.workorders, redirect (POST-redirect-GET).
Every step form carries a key generated when the page was rendered: a double tap or a resent form is one step."""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from servicedesk.errors import DomainError, ValidationFailed
from servicedesk.models import Role, User

from . import rules, selectors
from . import workorder_selectors as ws
from . import workorders as wo
from .models import WorkOrder


class StepForm(forms.Form):
    key = forms.UUIDField(widget=forms.HiddenInput)


class DiagnoseForm(StepForm):
    diagnosis = forms.CharField(label=gettext_lazy("Cause found"), max_length=5000, widget=forms.Textarea({"rows": 3}))
    quote_amount = forms.DecimalField(label=gettext_lazy("Price quoted to the customer"), min_value=0, decimal_places=2)
    quote_notes = forms.CharField(
        label=gettext_lazy("What the price covers"), required=False, max_length=2000, widget=forms.Textarea({"rows": 2})
    )


class RepairForm(StepForm):
    notes = forms.CharField(
        label=gettext_lazy("What was done"), required=False, max_length=5000, widget=forms.Textarea({"rows": 2})
    )


class TakeBackForm(RepairForm):
    promised_return_at = forms.DateTimeField(
        label=gettext_lazy("Promised return"), widget=forms.DateTimeInput({"type": "datetime-local"})
    )


class CancelForm(StepForm):
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=500)


class SignatureForm(StepForm):
    signer_name = forms.CharField(label=gettext_lazy("Name of the person signing"), max_length=120)
    signature = forms.CharField(widget=forms.HiddenInput, required=False, max_length=2_000_000)


class CodeForm(StepForm):
    code = forms.RegexField(
        label=gettext_lazy("Confirmation code"),
        regex=r"^\d{6}$",
        error_messages={"invalid": gettext_lazy("Enter the 6 digits of the code.")},
        widget=forms.TextInput({"inputmode": "numeric", "autocomplete": "one-time-code", "maxlength": 6}),
    )
    signer_name = forms.CharField(label=gettext_lazy("Name of the person confirming"), max_length=120, required=False)


class PartForm(StepForm):
    description = forms.CharField(label=gettext_lazy("Part or material"), max_length=200)
    quantity = forms.IntegerField(label=gettext_lazy("Quantity"), min_value=1, initial=1)
    unit_cost = forms.DecimalField(label=gettext_lazy("Unit cost"), min_value=0, decimal_places=2)


class NoteForm(StepForm):
    text = forms.CharField(label=gettext_lazy("Note"), max_length=2000, widget=forms.Textarea({"rows": 2}))


class CreateForm(forms.Form):
    technician = forms.ModelChoiceField(label=gettext_lazy("Technician"), queryset=User.objects.none())
    site_address = forms.CharField(label=gettext_lazy("Site address"), max_length=300)
    contact_name = forms.CharField(label=gettext_lazy("Contact name"), max_length=120, required=False)
    contact_phone = forms.CharField(label=gettext_lazy("Contact phone"), max_length=40, required=False)
    appointment_at = forms.DateTimeField(
        label=gettext_lazy("Appointment (optional)"),
        required=False,
        widget=forms.DateTimeInput({"type": "datetime-local"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["technician"].queryset = (
            User.objects.filter(groups__name=Role.TECHNICIAN, is_active=True).distinct().order_by("username")
        )


# action -> (form, service, fields passed on)
STEPS: dict[str, tuple[type[StepForm], Any]] = {
    "accept": (StepForm, wo.workorder_accept),
    "depart": (StepForm, wo.workorder_depart),
    "arrive": (StepForm, wo.workorder_arrive),
    "diagnose": (DiagnoseForm, wo.workorder_diagnose),
    "approve_quote": (StepForm, wo.workorder_approve_quote),
    "decline_quote": (StepForm, wo.workorder_decline_quote),
    "repair": (RepairForm, wo.workorder_repair),
    "take_back": (TakeBackForm, wo.workorder_take_back),
    "return": (StepForm, wo.workorder_return),
    "cancel": (CancelForm, wo.workorder_cancel),
    "sign": (SignatureForm, wo.workorder_complete),
    "confirm_code": (CodeForm, wo.workorder_complete),
    "send_code": (StepForm, wo.workorder_send_code),
    "time_start": (StepForm, wo.workorder_time_start),
    "time_stop": (StepForm, wo.workorder_time_stop),
    "add_part": (PartForm, wo.workorder_add_part),
    "note": (NoteForm, wo.workorder_annotate),
}
DONE_MESSAGES = {
    "accept": gettext_lazy("Accepted. The customer expects you by the time shown."),
    "depart": gettext_lazy("On your way."),
    "arrive": gettext_lazy("Arrival recorded."),
    "diagnose": gettext_lazy("Diagnosis and quote recorded. Ask the customer to approve the price."),
    "approve_quote": gettext_lazy("The customer approved the quote."),
    "decline_quote": gettext_lazy("The customer declined the quote."),
    "repair": gettext_lazy("Repaired on site. Ask the customer to sign off."),
    "take_back": gettext_lazy("Device taken back; the customer was told the return date."),
    "return": gettext_lazy("Device returned. Ask the customer to sign off."),
    "cancel": gettext_lazy("Work order cancelled."),
    "sign": gettext_lazy("Signed off. The work order is complete."),
    "confirm_code": gettext_lazy("Confirmed. The work order is complete."),
    "send_code": gettext_lazy("A confirmation code was emailed to the requester."),
    "time_start": gettext_lazy("Timer started."),
    "time_stop": gettext_lazy("Timer stopped."),
    "add_part": gettext_lazy("Part added."),
    "note": gettext_lazy("Note added."),
}
# The big one-tap buttons: steps that need nothing but the key.
ONE_TAP = ("accept", "depart", "arrive", "approve_quote", "decline_quote", "return")
ONE_TAP_LABELS = {
    "accept": gettext_lazy("Accept"),
    "depart": gettext_lazy("I'm on my way"),
    "arrive": gettext_lazy("I've arrived"),
    "approve_quote": gettext_lazy("Customer approves the quote"),
    "decline_quote": gettext_lazy("Customer declines"),
    "return": gettext_lazy("Device returned"),
}


def _order(request: HttpRequest, pk: int) -> WorkOrder:
    try:
        return ws.workorder_get(request.user, pk)
    except WorkOrder.DoesNotExist:
        raise Http404 from None


def _key() -> str:
    return str(uuid.uuid4())


def _detail_context(request: HttpRequest, order: WorkOrder, **bound: forms.Form) -> dict[str, Any]:
    user = request.user
    steps = set(wo.available_steps(user, order))
    may = wo.may_act(user, order)

    def form(name: str, cls: type[forms.Form]) -> forms.Form:
        return bound.get(name) or cls(initial={"key": _key()})

    remaining = ws.remaining_minutes(order)
    running = any(t.ended_at is None and t.technician_id == user.pk for t in order.time_entries.all())
    return {
        "order": order,
        "may_act": may,
        "one_tap": [(a, ONE_TAP_LABELS[a], _key()) for a in ONE_TAP if a in steps],
        "can_diagnose": "diagnose" in steps,
        "can_repair": "repair" in steps,
        "can_complete": "complete" in steps,
        "can_cancel": "cancel" in steps,
        "can_log": may and not order.is_final and order.state != WorkOrder.State.DISPATCHED,
        "timer_running": running,
        "remaining": remaining,
        "late_by": -remaining if remaining is not None else None,
        "warning_minutes": wo.ARRIVAL_WARNING_MINUTES,
        "diagnose_form": form("diagnose", DiagnoseForm),
        "repair_form": form("repair", RepairForm),
        "take_back_form": form("take_back", TakeBackForm),
        "cancel_form": form("cancel", CancelForm),
        "sign_form": form("sign", SignatureForm),
        "code_form": form("confirm_code", CodeForm),
        "part_form": form("add_part", PartForm),
        "note_form": form("note", NoteForm),
        "key": _key,
        "parts_total": sum((p.total for p in order.parts.all()), start=0),
        "steps": [
            {
                "at": s.at,
                "actor": s.actor,
                "label": wo.ACTION_LABELS.get(s.action, s.action),
                "note": s.data.get("note"),
            }
            for s in order.steps.select_related("actor")
        ],
    }


@login_required
@require_GET
def today(request: HttpRequest) -> HttpResponse:
    """The technician's orders for today, ordered by appointment and urgency."""
    if not request.user.has_role(Role.TECHNICIAN):
        raise PermissionDenied
    orders = ws.workorders_today(request.user)
    for o in orders:
        o.remaining = ws.remaining_minutes(o)
        o.late_by = -o.remaining if o.remaining is not None else None
    return render(request, "workorders/today.html", {"orders": orders, "warning_minutes": wo.ARRIVAL_WARNING_MINUTES})


@login_required
@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order(request, pk)
    return render(request, "workorders/detail.html", _detail_context(request, order))


@login_required
@require_POST
def step(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    if action not in STEPS:
        raise Http404
    order = _order(request, pk)
    form_class, service = STEPS[action]
    form = form_class(request.POST)
    if not form.is_valid():
        messages.error(request, _("Check the form and try again."))
        return render(request, "workorders/detail.html", _detail_context(request, order, **{action: form}), status=400)
    data = dict(form.cleaned_data)
    try:
        service(order=order, actor=request.user, **data)
    except DomainError as exc:
        if isinstance(exc, ValidationFailed):
            for field, errors in exc.errors.items():
                for error in errors:
                    form.add_error(field if field in form.fields else None, error)
        messages.error(request, exc.message)
        fresh = _order(request, pk)
        return render(
            request, "workorders/detail.html", _detail_context(request, fresh, **{action: form}), status=exc.status_code
        )
    messages.success(request, DONE_MESSAGES[action])
    return redirect("workorders:detail", pk=order.pk)


@login_required
@require_GET
def sheet(request: HttpRequest, pk: int) -> HttpResponse:
    """The printable work-order sheet for customers who want paper."""
    order = _order(request, pk)
    return render(
        request,
        "workorders/sheet.html",
        {
            "order": order,
            "parts_total": sum((p.total for p in order.parts.all()), start=0),
            "printed_at": timezone.now(),
        },
    )


@login_required
@require_GET
def signature(request: HttpRequest, pk: int) -> HttpResponse:
    order = _order(request, pk)
    if not order.signature:
        raise Http404
    response = FileResponse(order.signature.open("rb"), content_type="image/png")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def manage(request: HttpRequest) -> HttpResponse:
    if not rules.is_desk(request.user):
        raise PermissionDenied
    return render(request, "workorders/manage.html", {"board": ws.manager_board(), "now": timezone.now()})


@login_required
@require_http_methods(["GET", "POST"])
def create(request: HttpRequest, number: str) -> HttpResponse:
    """Send a technician for a ticket (the desk, or the ticket group's lead)."""
    ticket = selectors.ticket_get(request.user, number)
    if ticket is None:
        raise Http404
    if not wo.may_dispatch(request.user, ticket):
        raise PermissionDenied
    initial = {"contact_name": str(ticket.requester), "contact_phone": ticket.contact_phone}
    form = CreateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            order = wo.workorder_create(ticket=ticket, actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            if isinstance(exc, ValidationFailed):
                for field, errors in exc.errors.items():
                    for error in errors:
                        form.add_error(field if field in form.fields else None, error)
            else:
                messages.error(request, exc.message)
        else:
            messages.success(
                request, _("Work order WO-%(id)s sent to %(person)s.") % {"id": order.pk, "person": order.technician}
            )
            return redirect("workorders:detail", pk=order.pk)
    return render(request, "workorders/create.html", {"ticket": ticket, "form": form})
