"""Notice pages: the current notices (portal and workspace), the teams' management list, drafting and editing,
one notice with its workflow actions, trail and email progress. Thin: a form parses, a selector reads, one service
writes; domain errors come back as translated messages (POST-redirect-GET)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from servicedesk.errors import DomainError, ValidationFailed
from servicedesk.models import User

from . import rules, selectors, services
from .forms import NoticeForm, OptionalReasonForm, ReasonForm
from .models import Notice

PAGE_SIZE = 25


def _require_participant(user: User) -> None:
    if not rules.participates(user):
        raise PermissionDenied


def _apply_errors(form, exc: ValidationFailed) -> None:
    for name, errors in exc.errors.items():
        for error in errors:
            form.add_error(name if name in form.fields else None, error)


@login_required
@require_GET
def notice_list(request: HttpRequest) -> HttpResponse:
    """Current notices meant for me, newest first."""
    qs = selectors.with_details(selectors.notices_current_for(request.user))
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    return render(
        request,
        "notices/list.html",
        {"page": page, "can_manage": rules.participates(request.user)},
    )


MANAGE_TABS = (
    ("", gettext_lazy("All")),
    ("review", gettext_lazy("To review")),
    ("draft", gettext_lazy("Drafts")),
    ("submitted", gettext_lazy("Awaiting review")),
    ("rejected", gettext_lazy("Returned")),
    ("approved", gettext_lazy("Approved")),
    ("published", gettext_lazy("Published")),
    ("expired", gettext_lazy("Expired")),
    ("withdrawn", gettext_lazy("Withdrawn")),
)


@login_required
@require_GET
def notice_manage(request: HttpRequest) -> HttpResponse:
    """The notices I manage, by state, in a fixed number of queries."""
    user = request.user
    _require_participant(user)
    current = request.GET.get("status", "")
    if current not in dict(MANAGE_TABS):
        current = ""
    counts = selectors.manage_counts(user)
    tabs = [
        {
            "key": key,
            "label": label,
            "count": counts.get(key) if key else sum(counts[s] for s in Notice.Status.values),
            "current": key == current,
        }
        for key, label in MANAGE_TABS
    ]
    page = Paginator(selectors.manage_list(user, status=current), PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    return render(
        request,
        "notices/manage.html",
        {"page": page, "tabs": tabs, "querystring": f"status={current}" if current else ""},
    )


@login_required
@require_http_methods(["GET", "POST"])
def notice_new(request: HttpRequest) -> HttpResponse:
    user = request.user
    _require_participant(user)
    form = NoticeForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        try:
            notice = services.notice_create(actor=user, data=services.NoticeInput(**form.cleaned_data))
        except ValidationFailed as exc:
            _apply_errors(form, exc)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Draft saved. Submit it for review when it is ready."))
            return redirect("notices:detail", pk=notice.pk)
    return render(request, "notices/form.html", {"form": form, "notice": None}, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def notice_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    _require_participant(user)
    notice = selectors.notice_get(user, pk)
    if notice is None:
        raise Http404
    if not rules.can(user, "edit", notice):
        try:
            services._require(user, "edit", notice)
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect("notices:detail", pk=notice.pk)
    initial = {
        "type": notice.type,
        "severity": notice.severity,
        "title": notice.title,
        "body": notice.body,
        "owner_group": notice.owner_group,
        "categories": list(notice.categories.all()),
        "window_start": notice.window_start,
        "window_end": notice.window_end,
        "publish_at": notice.publish_at,
        "expire_at": notice.expire_at,
        "audience_departments": list(notice.audience_departments.all()),
        "audience_roles": [r.role for r in notice.audience_role_rows.all()],
    }
    form = NoticeForm(request.POST or None, user=user, initial=initial)
    if request.method == "POST" and form.is_valid():
        changes = {k: v for k, v in form.cleaned_data.items() if form.has_changed() and k in form.changed_data}
        try:
            updated = services.notice_update(notice=notice, actor=user, **changes)
        except ValidationFailed as exc:
            _apply_errors(form, exc)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            if updated.status == Notice.Status.DRAFT and notice.status != Notice.Status.DRAFT:
                messages.warning(request, _("Saved. The notice is back in draft: submit it for review again."))
            else:
                messages.success(request, _("Saved."))
            return redirect("notices:detail", pk=notice.pk)
    return render(request, "notices/form.html", {"form": form, "notice": notice}, status=400 if form.errors else 200)


def _detail_context(request: HttpRequest, notice: Notice) -> dict[str, Any]:
    user = request.user
    manageable = user.is_authenticated and selectors.notices_manageable_by(user).filter(pk=notice.pk).exists()
    context: dict[str, Any] = {"notice": notice, "manageable": manageable}
    if manageable:
        actions = rules.available_actions(user, notice)
        context.update(
            {
                "actions": actions,
                "events": selectors.notice_events(notice),
                "progress": selectors.delivery_progress(notice) if notice.published_at else None,
                "failures": selectors.failed_deliveries(notice, limit=50) if notice.published_at else [],
                "late_warning": notice.status in Notice.EDITABLE_STATUSES and services.would_be_late(notice),
                "min_lead_hours": int(services.min_lead().total_seconds() // 3600),
                "on_behalf": "publish" in actions and not rules.in_team(user, notice.owner_group_id),
                "reason_form": ReasonForm(),
                "withdraw_form": OptionalReasonForm(),
            }
        )
    return context


@require_GET
def notice_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """One notice: anyone it is meant for (visitors too, for public ones); the team and the desk also see its
    workflow, trail and email progress."""
    user = request.user if request.user.is_authenticated else None
    notice = selectors.notice_get(user, pk)
    if notice is None:
        if user is None:
            return redirect(f"{reverse('login')}?next={request.path}")
        raise Http404
    return render(request, "notices/detail.html", _detail_context(request, notice))


def _submit(request: HttpRequest, notice: Notice) -> str:
    services.notice_submit(notice=notice, actor=request.user)
    return _("Submitted. The team's responsible person has been asked to review it.")


def _approve(request: HttpRequest, notice: Notice) -> str:
    services.notice_approve(notice=notice, actor=request.user)
    return _("Approved. The content is now frozen; the team or the service desk can publish it.")


def _reject(request: HttpRequest, notice: Notice) -> str:
    services.notice_reject(notice=notice, actor=request.user, reason=request.POST.get("reason", ""))
    return _("Returned to the author for correction.")


def _return(request: HttpRequest, notice: Notice) -> str:
    services.notice_return(notice=notice, actor=request.user, reason=request.POST.get("reason", ""))
    return _("Sent back to the owner team with your comment.")


def _publish(request: HttpRequest, notice: Notice) -> str:
    published = services.notice_publish(notice=notice, actor=request.user)
    if published.published_on_behalf:
        return _("Published on behalf of %(group)s. Emails are on their way.") % {"group": notice.owner_group}
    return _("Published. Emails are on their way.")


def _withdraw(request: HttpRequest, notice: Notice) -> str:
    services.notice_withdraw(notice=notice, actor=request.user, reason=request.POST.get("reason", ""))
    return _("Withdrawn.")


def _resend(request: HttpRequest, notice: Notice) -> str:
    n = services.notice_resend_failures(notice=notice, actor=request.user)
    return _("%(n)d failed emails queued again.") % {"n": n} if n else _("No failed emails to send again.")


ACTIONS: dict[str, Callable[[HttpRequest, Notice], str]] = {
    "submit": _submit,
    "approve": _approve,
    "reject": _reject,
    "return": _return,
    "publish": _publish,
    "withdraw": _withdraw,
    "resend": _resend,
}


@login_required
@require_POST
def notice_action(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    run = ACTIONS.get(action)
    if run is None:
        raise Http404
    _require_participant(request.user)
    notice = selectors.notice_get(request.user, pk)
    if notice is None:
        raise Http404
    try:
        message = run(request, notice)
    except ValidationFailed as exc:
        messages.error(request, exc.message)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, message)
    return redirect("notices:detail", pk=notice.pk)
