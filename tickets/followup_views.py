"""Follow-up pages: the callback worklist, the call page with its script and record form, the requester's
self-rating page (signed link, no sign-in) and the complaint figures per team. Thin: parse, read through
tickets.followup_selectors, write through one service, render (POST-redirect-GET; domain errors as messages)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from servicedesk.errors import DomainError, ValidationFailed
from servicedesk.models import Role

from . import followup_selectors as fs
from . import followups
from .models import FollowUp


class RecordForm(forms.Form):
    """A callback as the page posts it; the service validates the domain rules (satisfaction when reached…)."""

    outcome = forms.ChoiceField(choices=[("reached", "reached"), ("not_reached", "not_reached")])
    satisfaction = forms.IntegerField(required=False)
    fix = forms.ChoiceField(choices=[("", ""), ("yes", "yes"), ("no", "no")], required=False)
    comment = forms.CharField(required=False, max_length=2000)
    expected_version = forms.IntegerField(required=False)


class SelfRateForm(forms.Form):
    fix = forms.ChoiceField(
        label=gettext_lazy("Is the problem fixed?"),
        choices=[("yes", gettext_lazy("Yes, it works now")), ("no", gettext_lazy("No, it is not fixed"))],
        widget=forms.RadioSelect,
        error_messages={"required": gettext_lazy("Tell us whether the problem is fixed.")},
    )
    satisfaction = forms.TypedChoiceField(
        label=gettext_lazy("How satisfied are you with our service?"),
        choices=[
            ("5", gettext_lazy("5 — very satisfied")),
            ("4", gettext_lazy("4 — satisfied")),
            ("3", gettext_lazy("3 — neutral")),
            ("2", gettext_lazy("2 — dissatisfied")),
            ("1", gettext_lazy("1 — very dissatisfied")),
        ],
        coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": gettext_lazy("Choose how satisfied you are.")},
    )
    comment = forms.CharField(
        label=gettext_lazy("Anything you want to tell us? (optional)"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


def _require_callback_staff(request: HttpRequest) -> None:
    if not fs.may_work_followups(request.user):
        raise PermissionDenied


def _safe_next(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, require_https=request.is_secure()):
        return target
    return default


@login_required
@require_GET
def worklist(request: HttpRequest) -> HttpResponse:
    """Due today, overdue, coming up — the least-tried first. A callback agent sees their own list by default;
    the desk and supervisors everyone's, and may pick an agent."""
    _require_callback_staff(request)
    user = request.user
    who = request.GET.get("who", "")
    if not who:
        who = "mine" if user.has_role(Role.CALLBACK_AGENT) else "all"
    agents = None
    if user.is_desk:
        agents = list(fs.callback_agents())
    if who == "mine":
        assignee = user
    elif who.isdigit() and agents is not None:
        assignee = next((a for a in agents if a.pk == int(who)), None)
        if assignee is None:
            raise Http404
    else:
        who, assignee = "all", None
    now = timezone.now()
    return render(
        request,
        "followups/worklist.html",
        {
            "work": fs.worklist(assignee=None if who == "all" else assignee, now=now),
            "who": who,
            "agents": agents,
            "now": now,
            "show_complaints": fs.may_see_complaint_figures(user),
        },
    )


def _call_context(request: HttpRequest, followup: FollowUp, **extra) -> dict:
    return {
        "f": followup,
        "attempts": list(fs.followup_attempts(followup)),
        "now": timezone.now(),
        "next": _safe_next(request, reverse("followups:worklist")),
        **extra,
    }


@login_required
@require_GET
def call(request: HttpRequest, pk: int) -> HttpResponse:
    """One callback: the ticket's story, a script, the earlier attempts and the record form (focused)."""
    _require_callback_staff(request)
    followup = fs.followup_get(request.user, pk)
    if followup is None:
        raise Http404
    return render(request, "followups/call.html", _call_context(request, followup))


@login_required
@require_POST
def record(request: HttpRequest, pk: int) -> HttpResponse:
    _require_callback_staff(request)
    followup = fs.followup_get(request.user, pk)
    if followup is None:
        raise Http404
    form = RecordForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The form was incomplete. Please try again."))
        return redirect("followups:call", pk=pk)
    data = form.cleaned_data
    reached = data["outcome"] == "reached"
    errors: dict[str, list[str]] = {}
    if reached and not data["fix"]:
        errors["fix_confirmed"] = [_("Say whether the fix holds.")]
    try:
        if errors:
            raise ValidationFailed(errors)
        followups.followup_record(
            followup=followup,
            actor=request.user,
            reached=reached,
            satisfaction=data["satisfaction"] if reached else None,
            fix_confirmed={"yes": True, "no": False}.get(data["fix"]) if reached else None,
            comment=data["comment"],
            expected_version=data["expected_version"],
        )
    except ValidationFailed as exc:
        context = _call_context(request, followup, errors=exc.errors, values=data)
        return render(request, "followups/call.html", context, status=400)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(_safe_next(request, reverse("followups:worklist")))
    followup.refresh_from_db()
    number = followup.ticket.number
    text = {
        FollowUp.Outcome.CLOSED: _("%(number)s: fix confirmed, the ticket is closed."),
        FollowUp.Outcome.REOPENED: _("%(number)s: the user is not satisfied, the ticket is reopened."),
        FollowUp.Outcome.UNREACHABLE: _("%(number)s: the user could not be reached, the ticket is closed."),
        FollowUp.Outcome.NOT_REACHED: _("%(number)s: attempt recorded, the callback stays on your list."),
    }.get(followup.outcome, _("%(number)s: recorded."))
    messages.success(request, text % {"number": number})
    return redirect(_safe_next(request, reverse("followups:worklist")))


@never_cache
@require_http_methods(["GET", "POST"])
def self_rate(request: HttpRequest, token: str) -> HttpResponse:
    """The requester confirms the fix and rates the service from the resolution email, without signing in."""
    try:
        followup = followups.followup_from_token(token)
    except followups.LinkError as exc:
        return render(request, "followups/self_rate_error.html", {"error": exc}, status=exc.status_code)
    form = SelfRateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            followups.followup_self_rate(
                token=token,
                satisfaction=form.cleaned_data["satisfaction"],
                fix_confirmed=form.cleaned_data["fix"] == "yes",
                comment=form.cleaned_data["comment"],
            )
        except followups.LinkError as exc:
            return render(request, "followups/self_rate_error.html", {"error": exc}, status=exc.status_code)
        except ValidationFailed as exc:
            for field, msgs in exc.errors.items():
                for msg in msgs:
                    form.add_error(field if field in form.fields else None, msg)
        else:
            followup.refresh_from_db()
            return render(request, "followups/self_rate_done.html", {"f": followup})
    status = 400 if request.method == "POST" else 200
    return render(request, "followups/self_rate.html", {"f": followup, "form": form}, status=status)


@login_required
@require_GET
def complaints_by_team(request: HttpRequest) -> HttpResponse:
    """Complaint counts per team, for supervisors, administrators and quality analysts."""
    if not fs.may_see_complaint_figures(request.user):
        raise PermissionDenied
    return render(
        request,
        "followups/complaints.html",
        {
            "teams": fs.complaint_counts_by_group(),
            "recent": list(fs.complaint_list_qs().order_by("-created_at", "-id")[:20]),
        },
    )
