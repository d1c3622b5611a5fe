"""The ticket pages: agent workspace, fast intake, ticket page and its actions, technician work list, end-user
portal and the anonymous status lookup. Thin: parse with a form, read through a selector, write through one
service, render (POST-redirect-GET, domain errors shown as translated messages)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.utils.functional import cached_property
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from servicedesk.auth import client_ip
from servicedesk.errors import DomainError, InvalidTransition, ValidationFailed
from servicedesk.models import SupportGroup, User
from sla.models import Clock
from sla.selectors import with_sla

from . import rules, selectors, services
from .api.public import ticket_for_contact
from .api.views import attachment_response
from .forms import (
    AssignForm,
    CommentForm,
    DuplicateForm,
    IntakeForm,
    PortalReportForm,
    QueueFilterForm,
    ReasonForm,
    ResolveForm,
    StatusLookupForm,
    UploadForm,
    VersionedForm,
    apply_domain_errors,
    requester_candidates,
)
from .models import Attachment, Ticket, TicketEvent

S = Ticket.Status
E = TicketEvent.Kind

PAGE_SIZE = 25
STATUS_LOOKUP_LIMIT = 10  # tries per client address per minute
STATUS_LOOKUP_WINDOW = 60


def _htmx(request: HttpRequest) -> bool:
    """A partial update by htmx (not a boosted navigation or a history restore, which want the whole page)."""
    h = request.headers
    return h.get("HX-Request") == "true" and not h.get("HX-Boosted") and not h.get("HX-History-Restore-Request")


def _require_staff(user: User) -> None:
    if not user.is_staff_member:
        raise PermissionDenied


def _require_desk(user: User) -> None:
    if not user.is_desk:
        raise PermissionDenied


def _visible_ticket(user: User, number: str) -> Ticket:
    """The ticket if `user` may see it; someone else's ticket does not exist for them (404, not 403)."""
    ticket = selectors.ticket_get(user, number)
    if ticket is None:
        raise Http404
    return ticket


def _safe_next(request: HttpRequest) -> str | None:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


# --- agent workspace -----------------------------------------------------------------------------------


class CappedPaginator(Paginator):
    """Counts at most `cap` matching tickets: the "All" tab of a desk with a million tickets must not
    COUNT them all on every page view. Past the cap the page says "more than 1,000" and pages stop there."""

    cap = 1000

    @cached_property
    def count(self) -> int:
        n = self.object_list[: self.cap + 1].count()
        self.capped = n > self.cap
        return min(n, self.cap)


QUEUE_TABS = (
    ("mine", gettext_lazy("Mine")),
    ("groups", gettext_lazy("My groups")),
    ("unassigned", gettext_lazy("Unassigned")),
    ("open", gettext_lazy("Open")),
    ("all", gettext_lazy("All")),
)


@login_required
@require_GET
def queue(request: HttpRequest) -> HttpResponse:
    """Queue tabs with counts, filters, search, sort and 25 rows a page, in a fixed number of queries."""
    user = request.user
    _require_staff(user)
    groups = list(SupportGroup.objects.filter(is_active=True).values_list("pk", "name"))
    values = QueueFilterForm.parse(request.GET, groups=groups)
    filters = selectors.QueueFilters(**{k: v for k, v in values.items() if k != "sla"})
    qs = with_sla(_filter_sla(selectors.ticket_queue(user, filters), values.get("sla", "")))
    page = CappedPaginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = _with_sla_badge(list(page.object_list))
    counts = selectors.queue_counts(user)

    kept = {k: v for k, v in values.items() if v and k != "queue"}
    tabs = [
        {
            "key": key,
            "label": label,
            "count": counts.get(key),
            "url": "?" + urlencode({**kept, "queue": key}),
            "current": key == values["queue"],
        }
        for key, label in QUEUE_TABS
    ]
    context = {
        "page": page,
        "tabs": tabs,
        "filters": values,
        "filtered": any(values.get(k) for k in ("q", "status", "type", "priority", "group", "sla")),
        "form": QueueFilterForm(initial=values, groups=groups),
        "querystring": urlencode({k: v for k, v in values.items() if v}),
    }
    template = "tickets/_queue_results.html" if _htmx(request) else "tickets/queue.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


# --- intake ----------------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def intake(request: HttpRequest) -> HttpResponse:
    """Phone / walk-in intake by the desk; optionally resolved on first contact or dispatched at once.
    Creation and the follow-up step run in one transaction: on any error nothing is saved."""
    user = request.user
    _require_desk(user)
    # Other pages open the intake pre-filled (e.g. a complaint raised during a callback): GET values are only
    # initial values, validated like typed ones when the form is posted.
    prefill = {
        key: request.GET[key][:limit]
        for key, limit in (
            ("type", 16),
            ("channel", 16),
            ("title", 200),
            ("description", 2000),
            ("requester_query", 150),
        )
        if request.GET.get(key)
    }
    form = IntakeForm(request.POST or None, initial=prefill)
    if request.method == "POST" and form.is_valid():
        try:
            ticket = _intake_save(user, form.cleaned_data)
        except ValidationFailed as exc:
            apply_domain_errors(form, exc, field_map={"requester": "requester_query"})
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            if ticket.duplicate_of_id:
                messages.success(
                    request,
                    _("%(number)s recorded as a duplicate of %(original)s.")
                    % {"number": ticket.number, "original": ticket.duplicate_of.number},
                )
            elif ticket.status == S.RESOLVED:
                messages.success(
                    request, _("%(number)s recorded and resolved on first contact.") % {"number": ticket.number}
                )
            elif ticket.status == S.ASSIGNED:
                messages.success(
                    request,
                    _("%(number)s recorded and dispatched to %(group)s.")
                    % {"number": ticket.number, "group": ticket.group},
                )
            else:
                messages.success(request, _("%(number)s recorded.") % {"number": ticket.number})
            return redirect("tickets:detail", number=ticket.number)
    picked = form["requester"].value()
    requester = User.objects.filter(pk=picked).first() if str(picked or "").isdigit() else None
    context = {
        "form": form,
        "requester": requester,
        "groups": list(selectors.assignable_groups()),
    }
    return render(request, "tickets/intake.html", context, status=400 if form.errors else 200)


@transaction.atomic
def _intake_save(user: User, data: dict[str, Any]) -> Ticket:
    ticket = services.ticket_create(
        actor=user,
        data=services.TicketInput(
            type=data["type"],
            title=data["title"],
            description=data.get("description") or "",
            channel=data["channel"],
            impact=data["impact"],
            urgency=data["urgency"],
            requester=data.get("requester"),
            category=data.get("category"),
            contact_email=data.get("contact_email") or "",
            contact_phone=data.get("contact_phone") or "",
            started_at=data.get("started_at"),
            scope=data.get("scope") or "",
        ),
    )
    if data.get("major_incident"):
        from .major_incidents import major_incident_link

        ticket = major_incident_link(incident=data["major_incident"], ticket=ticket, actor=user)
    if data.get("duplicate_of"):
        # Picked from the suggestions panel: the report is recorded (nothing is lost) and linked to the original.
        original = selectors.ticket_get(user, data["duplicate_of"].strip().upper())
        if original is None:
            raise ValidationFailed({"duplicate_of": [_("No such ticket.")]})
        ticket = services.ticket_mark_duplicate(ticket=ticket, actor=user, original=original)
    elif data.get("resolve_now"):
        ticket = services.ticket_resolve(
            ticket=ticket,
            actor=user,
            resolution=data["resolution"],
            first_contact=True,
            article=data.get("kb_article"),
            expected_version=ticket.version,
        )
    elif data.get("dispatch_now"):
        ticket = services.ticket_assign(
            ticket=ticket,
            actor=user,
            group=data.get("group"),
            assignee=data.get("assignee"),
            expected_version=ticket.version,
        )
    return ticket


@login_required
@require_GET
def requester_lookup(request: HttpRequest) -> HttpResponse:
    """htmx: a short list of people matching what the agent typed, to pick the requester from."""
    _require_desk(request.user)
    term = request.GET.get("requester_query") or request.GET.get("q") or ""
    people = list(requester_candidates(term))
    return render(request, "tickets/_requester_results.html", {"people": people, "term": term.strip()})


# --- ticket page -----------------------------------------------------------------------------------------

SLA_METRICS = {"response": gettext_lazy("Response"), "resolution": gettext_lazy("Resolution")}
SLA_STATES = {
    "running": gettext_lazy("running"),
    "paused": gettext_lazy("paused"),
    "met": gettext_lazy("met"),
    "warning": gettext_lazy("at risk"),
    "breached": gettext_lazy("breached"),
}


def _duration(seconds: int) -> str:
    seconds = abs(int(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes = rest // 60
    if hours >= 24:
        return _("%(d)d d %(h)d h") % {"d": hours // 24, "h": hours % 24}
    if hours:
        return _("%(h)d h %(m)d min") % {"h": hours, "m": minutes}
    return _("%(m)d min") % {"m": minutes}


def _sla_badges(ticket: Ticket) -> list[dict[str, Any]]:
    from sla.selectors import sla_targets

    badges = []
    for target in sla_targets(ticket):
        remaining = target.get("remaining_seconds")
        badges.append(
            {
                "state": target.get("state", ""),
                "metric": SLA_METRICS.get(target.get("metric"), target.get("metric")),
                "state_label": SLA_STATES.get(target.get("state"), target.get("state")),
                "due_at": target.get("due_at"),
                # A met target needs no countdown; a paused one shows where its clock stands.
                "remaining": _duration(remaining) if remaining is not None and target.get("state") != "met" else "",
                "overdue": remaining is not None and remaining < 0,
                "seconds": remaining,
            }
        )
    return badges


def _filter_sla(qs, state: str):
    """Tickets with an open target in `state` (as the sweep last recorded it: at most a minute behind)."""
    if state not in ("breached", "warning", "running"):
        return qs
    clocks = Clock.objects.filter(ticket=OuterRef("pk"), state=state, stopped_at__isnull=True)
    return qs.filter(Exists(clocks))


SLA_URGENCY = {"breached": 0, "warning": 1, "running": 2, "paused": 3}


def _with_sla_badge(tickets: list[Ticket]) -> list[Ticket]:
    """Give each ticket of a list its most urgent open target as `sla_badge` (from prefetched clocks)."""
    for ticket in tickets:
        open_targets = [b for b in _sla_badges(ticket) if b["state"] in SLA_URGENCY]
        open_targets.sort(key=lambda b: (SLA_URGENCY[b["state"]], b["seconds"] if b["seconds"] is not None else 0))
        ticket.sla_badge = open_targets[0] if open_targets else None
    return tickets


def _label(choices: type, value: Any) -> str:
    try:
        return str(choices(value).label)
    except ValueError:
        return str(value)


def _timeline(ticket: Ticket, events: list[TicketEvent], comments: list) -> list[dict[str, Any]]:
    """Events and comments merged, oldest first. A comment sits where its 'commented' event is; the caller's
    visibility was already applied by the selectors (internal notes never reach a requester)."""
    comments_by_id = {c.pk: c for c in comments}
    user_ids: set[int] = set()
    group_ids: set[int] = set()
    for e in events:
        if e.kind == E.ASSIGNED:
            to = (e.data.get("assignee") or {}).get("to")
            if to:
                user_ids.add(to)
            group = e.data.get("group") or {}
            if group.get("to") and not group.get("name"):
                group_ids.add(group["to"])
    users = User.objects.in_bulk(user_ids) if user_ids else {}
    groups = SupportGroup.objects.in_bulk(group_ids) if group_ids else {}

    entries: list[dict[str, Any]] = []
    shown_comments: set[int] = set()
    for e in events:
        entry: dict[str, Any] = {"at": e.at, "actor": e.actor, "internal": e.internal, "kind": e.kind}
        data = e.data or {}
        text, detail = "", ""
        if e.kind == E.CREATED:
            text = _("Reported via %(channel)s") % {"channel": _label(Ticket.Channel, data.get("channel"))}
        elif e.kind == E.STATUS_CHANGED:
            if data.get("reopened"):
                text = _("Reopened")
            else:
                text = _("Status: %(old)s → %(new)s") % {
                    "old": _label(S, data.get("from")),
                    "new": _label(S, data.get("to")),
                }
            detail = data.get("reason") or data.get("resolution") or ""
            if data.get("first_contact"):
                entry["badge"] = _("First-contact resolution")
        elif e.kind == E.ASSIGNED:
            group = data.get("group") or {}
            group_name = group.get("name") or (groups.get(group.get("to")) and str(groups[group["to"]])) or ""
            to = (data.get("assignee") or {}).get("to")
            if to:
                person = users.get(to)
                text = _("Assigned to %(person)s") % {"person": person or "?"}
                if group_name:
                    text += f" ({group_name})"
            else:
                text = _("Dispatched to %(group)s") % {"group": group_name or "?"}
            if data.get("auto"):
                entry["badge"] = _("automatic")
        elif e.kind == E.PRIORITY_CHANGED:
            text = _("Priority: %(old)s → %(new)s") % {
                "old": _label(Ticket.Priority, data.get("from")),
                "new": _label(Ticket.Priority, data.get("to")),
            }
        elif e.kind == E.COMMENTED:
            comment = comments_by_id.get(data.get("comment"))
            if comment is None:
                continue
            shown_comments.add(comment.pk)
            entry["comment"] = comment
        elif e.kind == E.ATTACHMENT_ADDED:
            text = _("Attached %(name)s") % {"name": data.get("name", "")}
        elif e.kind == E.LINKED:
            if "duplicate_of" in data:
                text = _("Marked as a duplicate of %(number)s") % {"number": data["duplicate_of"]}
            elif "parent" in data:
                parent = (data["parent"] or {}).get("to")
                text = _("Linked to %(number)s") % {"number": parent} if parent else _("Unlinked from its parent")
            elif "category" in data:
                text = _("Category changed")
            elif "type" in data:
                text = _("Type: %(old)s → %(new)s") % {
                    "old": _label(Ticket.Type, data["type"].get("from")),
                    "new": _label(Ticket.Type, data["type"].get("to")),
                }
            else:
                text = str(E(e.kind).label)
        elif e.kind == E.WORK_ORDER:
            from .workorders import timeline_text

            text, detail = timeline_text(data)
        elif e.kind in (E.SLA_WARNING, E.SLA_BREACHED, E.SLA_MET, E.SLA_STARTED, E.SLA_PAUSED, E.SLA_RESUMED):
            metric = SLA_METRICS.get(data.get("metric"), "")
            text = f"{E(e.kind).label}" + (f" · {metric}" if metric else "")
        else:
            text = _label(E, e.kind)
        entry["text"] = text
        entry["detail"] = detail
        entries.append(entry)
    for c in comments:  # a comment without its event (should not happen) is still shown
        if c.pk not in shown_comments:
            entries.append({"at": c.created_at, "actor": c.author, "internal": c.internal, "comment": c})
    entries.sort(key=lambda x: x["at"])
    return entries


def _detail_context(request: HttpRequest, ticket: Ticket, **forms: Any) -> dict[str, Any]:
    user = request.user
    data = selectors.ticket_detail_prefetch(user, ticket)
    actions = rules.available_actions(user, ticket)
    staff_view = selectors.can_read_internal(user, ticket)
    sla_badges = _sla_badges(ticket) if staff_view else []
    is_requester = ticket.requester_id == user.pk
    can_write = ticket.status not in Ticket.FINAL_STATUSES or user.is_staff_member
    # The requester's Reopen sits with the resolution it disputes, not among the desk's actions.
    reopen_inline = "reopen" in actions and not staff_view
    return {
        "ticket": ticket,
        "timeline": _timeline(ticket, data["events"], data["comments"]),
        "attachments": data["attachments"],
        "actions": actions,
        "reopen_inline": reopen_inline,
        "side_actions": [a for a in actions if not (a == "reopen" and reopen_inline)],
        "staff_view": staff_view,
        "is_requester": is_requester,
        "can_internal": rules.may(user, "comment_internal", ticket),
        "can_write": can_write,
        "sla": sla_badges,
        "sla_gap": staff_view and ticket.is_open and not sla_badges,
        "groups": list(selectors.assignable_groups()) if "assign" in actions else [],
        "comment_form": forms.get("comment_form") or CommentForm(),
        "upload_form": UploadForm(),
        "version": ticket.version,
        "max_upload": settings.ATTACHMENT_MAX_BYTES,
    }


@login_required
@require_GET
def detail(request: HttpRequest, number: str) -> HttpResponse:
    ticket = _visible_ticket(request.user, number)
    return render(request, "tickets/detail.html", _detail_context(request, ticket))


@dataclass(frozen=True)
class Action:
    form: type[VersionedForm]
    run: Callable[[User, Ticket, dict[str, Any]], str]  # performs the service call, returns the success message


def _assign(user: User, ticket: Ticket, cd: dict[str, Any]) -> str:
    choice = cd.get("assignee")
    ticket = services.ticket_assign(
        ticket=ticket,
        actor=user,
        group=cd.get("group"),
        assignee=choice if isinstance(choice, User) else None,
        auto=choice == "auto",
        expected_version=cd["expected_version"],
    )
    if ticket.assignee_id:
        return _("%(number)s assigned to %(person)s (%(group)s).") % {
            "number": ticket.number,
            "person": ticket.assignee,
            "group": ticket.group,
        }
    return _("%(number)s dispatched to %(group)s.") % {"number": ticket.number, "group": ticket.group}


def _accept(user: User, ticket: Ticket, cd: dict[str, Any]) -> str:
    services.ticket_accept(ticket=ticket, actor=user, expected_version=cd["expected_version"])
    return _("You accepted %(number)s: it is in progress.") % {"number": ticket.number}


def _pend(user: User, ticket: Ticket, cd: dict[str, Any]) -> str:
    services.ticket_pend(ticket=ticket, actor=user, reason=cd["reason"], expected_version=cd["expected_version"])
    return _("%(number)s is pending on the requester; its SLA clock is paused.") % {"number": ticket.number}


def _resume(user: User, ticket: Ticket, cd: dict[str, Any]) -> str:
    services.ticket_resume(ticket=ticket, actor=user, expected_version=cd["expected_version"])
    return _("%(number)s is in progress again.") % {"number": ticket.number}


def _resolve(user: User, ticket: Ticket, cd: dict[str, Any]) -> str:
    services.ticket_resolve(
        ticket=ticket,
        actor=user,
        resolution=cd["resolution"],
        first_contact=cd.get("first_contact", False),
        expected_version=cd["expected_version"],
    )
    return _("%(number)s resolved.") % {"number": ticket.number}


def _reopen(user: User, ticket: Ticket, cd: dict[str, Any]) -> str:
    services.ticket_reopen(ticket=ticket, actor=user, reason=cd["reason"], expected_version=cd["expected_version"])
    return _("%(number)s reopened.") % {"number": ticket.number}


def _close(user: User, ticket: Ticket, cd: dict[str, Any]) -> str:
    services.ticket_close(ticket=ticket, actor=user, expected_version=cd["expected_version"])
    return _("%(number)s closed.") % {"number": ticket.number}


def _cancel(user: User, ticket: Ticket, cd: dict[str, Any]) -> str:
    services.ticket_cancel(ticket=ticket, actor=user, reason=cd["reason"], expected_version=cd["expected_version"])
    return _("%(number)s cancelled.") % {"number": ticket.number}


def _mark_duplicate(user: User, ticket: Ticket, cd: dict[str, Any]) -> str:
    # The service takes no version: check it here so a stale page does not cancel a ticket that moved on.
    if ticket.version != cd["expected_version"]:
        raise InvalidTransition(
            _("Ticket %(number)s was changed by someone else since you opened it. Reload and try again.")
            % {"number": ticket.number}
        )
    original = selectors.ticket_get(user, cd["duplicate_of"].strip().upper())
    if original is None:
        raise ValidationFailed({"duplicate_of": [_("No such ticket.")]})
    services.ticket_mark_duplicate(ticket=ticket, actor=user, original=original)
    return _("%(number)s marked as a duplicate of %(original)s and cancelled.") % {
        "number": ticket.number,
        "original": original.number,
    }


ACTIONS: dict[str, Action] = {
    "assign": Action(AssignForm, _assign),
    "accept": Action(VersionedForm, _accept),
    "pend": Action(ReasonForm, _pend),
    "resume": Action(VersionedForm, _resume),
    "resolve": Action(ResolveForm, _resolve),
    "reopen": Action(ReasonForm, _reopen),
    "close": Action(VersionedForm, _close),
    "cancel": Action(ReasonForm, _cancel),
    "mark_duplicate": Action(DuplicateForm, _mark_duplicate),
}
# URL slug -> rules action name
ACTION_SLUGS = {name.replace("_", "-"): name for name in ACTIONS}


def _form_error_messages(form) -> list[str]:
    out = []
    for name, errors in form.errors.items():
        field = form.fields.get(name)
        if name == "expected_version":
            out.append(_("The page was out of date. Reload it and try again."))
            continue
        for error in errors:
            out.append(f"{field.label}: {error}" if field is not None and field.label else str(error))
    return out


def _after_action(request: HttpRequest, ticket: Ticket) -> HttpResponse:
    target = _safe_next(request)
    if target:
        return redirect(target)
    if not selectors.tickets_visible_to(request.user).filter(pk=ticket.pk).exists():
        return redirect("home")  # e.g. a group lead who dispatched it to another team
    return redirect("tickets:detail", number=ticket.number)


@login_required
@require_POST
def ticket_action(request: HttpRequest, number: str, action: str) -> HttpResponse:
    """One state transition from the ticket page (or the work list); PRG with a message either way."""
    name = ACTION_SLUGS.get(action)
    if name is None:
        raise Http404
    ticket = _visible_ticket(request.user, number)
    spec = ACTIONS[name]
    form = spec.form(request.POST)
    back = _safe_next(request) or reverse("tickets:detail", args=[ticket.number])
    if not form.is_valid():
        for message in _form_error_messages(form):
            messages.error(request, message)
        return redirect(back)
    try:
        message = spec.run(request.user, ticket, form.cleaned_data)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(back)
    messages.success(request, message)
    return _after_action(request, ticket)


@login_required
@require_POST
def comment(request: HttpRequest, number: str) -> HttpResponse:
    """A public reply or an internal note. On bad input the page comes back with the text still typed."""
    ticket = _visible_ticket(request.user, number)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            created = services.comment_create(
                ticket=ticket,
                actor=request.user,
                body=form.cleaned_data["body"],
                internal=form.cleaned_data["internal"],
            )
        except ValidationFailed as exc:
            apply_domain_errors(form, exc)
        except DomainError as exc:  # not allowed, or the ticket is finished: nothing to retype
            messages.error(request, exc.message)
            return redirect("tickets:detail", number=ticket.number)
        else:
            messages.success(request, _("Internal note added.") if created.internal else _("Your reply was added."))
            return redirect(reverse("tickets:detail", args=[ticket.number]) + f"#comment-{created.pk}")
    return render(request, "tickets/detail.html", _detail_context(request, ticket, comment_form=form), status=400)


@login_required
@require_POST
def upload(request: HttpRequest, number: str) -> HttpResponse:
    ticket = _visible_ticket(request.user, number)
    form = UploadForm(request.POST, request.FILES)
    back = reverse("tickets:detail", args=[ticket.number]) + "#attachments"
    if not form.is_valid():
        for message in _form_error_messages(form):
            messages.error(request, message)
        return redirect(back)
    try:
        attachment = services.attachment_add(
            ticket=ticket, actor=request.user, upload=form.cleaned_data["file"], internal=form.cleaned_data["internal"]
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(back)
    messages.success(request, _("%(name)s attached.") % {"name": attachment.name})
    return redirect(back)


@login_required
@require_GET
def attachment_download(request: HttpRequest, number: str, attachment_id: int) -> HttpResponse:
    ticket = _visible_ticket(request.user, number)
    if not Attachment.objects.filter(pk=attachment_id, ticket=ticket).exists():
        raise Http404
    return attachment_response(request.user, attachment_id)


# --- technician work list ------------------------------------------------------------------------------


@login_required
@require_GET
def my_work(request: HttpRequest) -> HttpResponse:
    """My open tickets and my groups' unclaimed ones, most urgent and oldest first, with one-tap Accept."""
    user = request.user
    _require_staff(user)
    base = with_sla(selectors.ticket_list_qs(user)).order_by("priority", "created_at", "id")
    mine = _with_sla_badge(list(base.filter(assignee=user, status__in=Ticket.OPEN_STATUSES)[:100]))
    pool = _with_sla_badge(
        list(base.filter(group_id__in=selectors.group_ids_of(user), assignee__isnull=True, status=S.ASSIGNED)[:100])
    )
    return render(request, "tickets/my_work.html", {"mine": mine, "pool": pool})


# --- end-user portal -----------------------------------------------------------------------------------


@login_required
@require_GET
def portal(request: HttpRequest) -> HttpResponse:
    qs = (
        selectors.tickets_visible_to(request.user)
        .filter(requester=request.user)
        .select_related("group", "assignee")
        .order_by("-created_at", "-id")
    )
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    return render(request, "tickets/portal.html", {"page": page})


@login_required
@require_http_methods(["GET", "POST"])
def portal_new(request: HttpRequest) -> HttpResponse:
    """An end user's own report (channel: portal). The requester is always the person signed in."""
    # "Did this solve your problem? — No" on a help article carries the user's text here.
    carried = {k: (request.GET.get(k) or "")[:limit] for k, limit in (("title", 200), ("description", 2000))}
    form = PortalReportForm(request.POST or None, initial={k: v for k, v in carried.items() if v})
    if request.method == "POST" and form.is_valid():
        cd = form.cleaned_data
        try:
            ticket = services.ticket_create(
                actor=request.user,
                data=services.TicketInput(
                    type=cd["type"],
                    title=cd["title"],
                    description=cd.get("description") or "",
                    channel=Ticket.Channel.PORTAL,
                    urgency=cd["urgency"],
                    category=cd.get("category"),
                ),
            )
        except ValidationFailed as exc:
            apply_domain_errors(form, exc)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                _("Thank you. Your report is recorded as %(number)s; the service desk will get back to you.")
                % {"number": ticket.number},
            )
            return redirect("tickets:detail", number=ticket.number)
    return render(request, "tickets/portal_new.html", {"form": form}, status=400 if form.errors else 200)


# --- anonymous status lookup ---------------------------------------------------------------------------


def _status_lookup_throttled(request: HttpRequest) -> bool:
    """Count this try for the client address; True past the limit within the window."""
    key = f"status-lookup:{client_ip(request)}"
    if cache.add(key, 1, timeout=STATUS_LOOKUP_WINDOW):
        return False
    try:
        tries = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=STATUS_LOOKUP_WINDOW)
        return False
    return tries > STATUS_LOOKUP_LIMIT


@require_http_methods(["GET", "POST"])
def status_lookup(request: HttpRequest) -> HttpResponse:
    """Number plus the requester's email or phone. A wrong number and a wrong contact read the same."""
    form = StatusLookupForm(request.POST or None)
    context: dict[str, Any] = {"form": form, "ticket": None, "not_found": False, "throttled": False}
    status = 200
    if request.method == "POST":
        if _status_lookup_throttled(request):
            context["throttled"] = True
            status = 429
        elif form.is_valid():
            ticket = ticket_for_contact(form.cleaned_data["number"], form.cleaned_data["contact"])
            if ticket is None:
                context["not_found"] = True
            else:
                context["ticket"] = ticket
    response = render(request, "tickets/status_lookup.html", context, status=status)
    if status == 429:
        response["Retry-After"] = str(STATUS_LOOKUP_WINDOW)
    return response
