"""Report pages, mounted at /reports/ by servicedesk/urls.py: the manager dashboard, the tickets behind any figure,
CSV/XLSX exports, and quality inspection (samples, scoring, scores per person, my scores). Thin: parse, read
through tickets.reports / tickets.inspection, render."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from servicedesk.errors import DomainError, ValidationFailed
from servicedesk.models import SupportGroup, User

from . import inspection as qa
from . import report_exports as rx
from . import reports as r
from .models import INSPECTION_CRITERIA, Inspection, InspectionItem, Ticket
from .selectors import TICKET_LIST_RELATED

PAGE_SIZE = 25
# The largest rows of each breakdown on the page (a desk may have hundreds of technicians); exports have them all.
TABLE_ROWS = 30
PERIOD_CHOICES = (
    ("today", gettext_lazy("Today")),
    ("week", gettext_lazy("This week")),
    ("month", gettext_lazy("This month")),
    ("custom", gettext_lazy("Custom")),
)


def _require_reader(user: User) -> None:
    if not r.may_read_reports(user):
        raise PermissionDenied


def _period_and_filters(request: HttpRequest, tree: r.CategoryTree) -> tuple[r.Period, r.Filters, dict[str, list]]:
    """The period (a preset, or from/to) and filters from the query string; bad dates fall back to this week and
    come back as errors for the form."""
    errors: dict[str, list] = {}
    try:
        period = r.period_from_params(request.GET, allow_preset=True)
    except ValidationFailed as exc:
        errors = exc.errors
        period = r.Period.preset("week")
    return period, r.filters_from_params(request.GET, tree=tree), errors


def _base_params(period: r.Period, filters: r.Filters) -> dict[str, str]:
    """What every link on a report page carries: the exact dates (so a link stays right tomorrow) and the filters."""
    return {"from": period.start.isoformat(), "to": period.end.isoformat(), **filters.as_params()}


def _filter_options(tree: r.CategoryTree) -> dict[str, Any]:
    return {
        "groups": list(SupportGroup.objects.filter(is_active=True).values_list("pk", "name")),
        "categories": tree.choices(),
        "types": Ticket.Type.choices,
        "priorities": Ticket.Priority.choices,
        "channels": Ticket.Channel.choices,
        "period_choices": PERIOD_CHOICES,
    }


# --- the dashboard ------------------------------------------------------------------------------------------


@login_required
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    """KPI tiles with the change against the previous period, trends, backlog ageing, top categories and the
    breakdowns per group, agent, technician, category and channel; every figure links to its tickets."""
    _require_reader(request.user)
    tree = r.category_tree()
    period, filters, errors = _period_and_filters(request, tree)
    board = r.report_dashboard(period, filters)
    base = _base_params(period, filters)
    agents = r.merge_resolutions(board.breakdowns["agent"], r.resolutions_by_actor(r.Scope.of(period, filters)))
    chart = {
        "labels": [row.key.isoformat() for row in board.trend],
        "bucket": board.trend_bucket,
        "series": {
            "tickets": [row.kpis.tickets for row in board.trend],
            "resolved": [row.kpis.resolved for row in board.trend],
            "breaches": [row.kpis.breaches for row in board.trend],
            "fcr_rate": [_pct(row.kpis.fcr_rate) for row in board.trend],
            "response_sla_rate": [_pct(row.kpis.response_sla_rate) for row in board.trend],
            "resolution_sla_rate": [_pct(row.kpis.resolution_sla_rate) for row in board.trend],
            "satisfied_rate": [_pct(row.kpis.satisfied_rate) for row in board.trend],
        },
        "names": {
            "tickets": _("Tickets"),
            "resolved": _("Resolved"),
            "breaches": _("SLA breaches"),
            "fcr_rate": _("First-contact resolution (%)"),
            "response_sla_rate": _("Response SLA met (%)"),
            "resolution_sla_rate": _("Resolution SLA met (%)"),
            "satisfied_rate": _("Satisfied (%)"),
        },
    }
    preset = request.GET.get("period") if request.GET.get("period") in r.PRESETS else ""
    if not preset and not (request.GET.get("from") or request.GET.get("to")):
        preset = "week"
    context = {
        "board": board,
        "base": base,
        "chart": chart,
        "agents": sorted(agents, key=lambda a: (-a["row"].kpis.tickets, -a["resolutions"], a["row"].label))[
            :TABLE_ROWS
        ],
        "errors": errors,
        "preset": preset or "custom",
        "tiles": board.tiles(),
        "agents_total": len(agents),
        "sections": [
            (dim, r.DIMENSION_LABELS[dim], board.breakdowns[dim][:TABLE_ROWS], len(board.breakdowns[dim]))
            for dim in ("group", "technician", "category", "channel")
        ],
        "table_rows": TABLE_ROWS,
        "reports": [(name, rx.TABLE_TITLES[name]) for name in rx.REPORTS if name not in ("tickets", "inspection")],
        **_filter_options(tree),
    }
    return render(request, "reports/dashboard.html", context)


def _pct(value: float | None) -> float | None:
    return round(value * 100, 1) if value is not None else None


# --- the tickets behind a figure ------------------------------------------------------------------------------


@login_required
@require_GET
def ticket_list(request: HttpRequest) -> HttpResponse:
    """The tickets behind a figure of the dashboard (period, filters, row and KPI from the link), 25 a page."""
    _require_reader(request.user)
    tree = r.category_tree()
    try:
        drill = r.drill_from_params(request.GET, tree=tree)
    except ValidationFailed as exc:
        return render(request, "reports/tickets.html", {"errors": exc.errors, "page": None}, status=400)
    # Report readers (supervisors, quality analysts, administrators) see every ticket (tickets_visible_to).
    qs = r.drill_tickets(drill).select_related(*TICKET_LIST_RELATED).order_by("-created_at", "-id")
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    params = drill.params()
    value_label = _value_label(drill, tree)
    back = _base_params(drill.period, drill.filters) if drill.period else drill.filters.as_params()
    return render(
        request,
        "reports/tickets.html",
        {
            "drill": drill,
            "page": page,
            "querystring": urlencode(params),
            "params": params,
            "description": r.drill_description(drill, {"value": value_label}),
            "back_url": f"{reverse('reports:dashboard')}?{urlencode(back)}",
        },
    )


def _value_label(drill: r.Drill, tree: r.CategoryTree) -> str:
    """The name of the breakdown row a drill-down is for (a group, a person, a category, a channel, a date)."""
    if not drill.dim:
        return ""
    if drill.value == "none":
        return r._label(drill.dim, None)
    if drill.dim == "group" and drill.value.isdigit():
        return SupportGroup.objects.filter(pk=int(drill.value)).values_list("name", flat=True).first() or drill.value
    if drill.dim in ("agent", "technician") and drill.value.isdigit():
        user = User.objects.filter(pk=int(drill.value)).first()
        return str(user) if user else drill.value
    if drill.dim == "category" and drill.value.isdigit():
        return tree.names.get(int(drill.value), drill.value)
    return r._label(drill.dim, drill.value) if drill.dim == "channel" else drill.value


# --- exports ----------------------------------------------------------------------------------------------------


def export_response(user: User, params: Any) -> HttpResponse:
    """CSV or XLSX of one report (`report`: summary, group, agent, technician, category, channel, trend, backlog,
    tickets, inspection, or all) for the period and filters in `params`. Shared by the page and the API."""
    report = str(params.get("report") or "all")
    fmt = str(params.get("format") or "csv")
    if report not in (*rx.REPORTS, "all") or fmt not in ("csv", "xlsx"):
        raise ValidationFailed({"report": [_("Unknown report or format.")]})
    tree = r.category_tree()
    if report == "tickets":
        drill = r.drill_from_params(params, tree=tree)
        limit = rx.XLSX_MAX_TICKETS if fmt == "xlsx" else None
        tables = [rx.tickets_table(r.drill_tickets(drill).select_related(None), limit=limit)]
        period = drill.period
    elif report == "inspection":
        period = r.period_from_params(params, allow_preset=True)
        agent = None if qa.may_read_all_scores(user) else user
        buckets, people = qa.inspection_scores(period, bucket=str(params.get("bucket") or "month"), agent=agent)
        tables = [rx.inspection_table(buckets, people)]
    else:
        period = r.period_from_params(params, allow_preset=True)
        filters = r.filters_from_params(params, tree=tree)
        tables = _report_tables(report, period, filters)
    name = rx.export_filename(report, period, fmt)
    if fmt == "csv":
        response = StreamingHttpResponse(rx.csv_lines(tables), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
    else:
        response = FileResponse(
            rx.xlsx_file(tables),
            as_attachment=True,
            filename=name,
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def _report_tables(report: str, period: r.Period, filters: r.Filters) -> list[rx.Table]:
    scope = r.Scope.of(period, filters)
    if report == "all":
        board = r.report_dashboard(period, filters)
        return rx.dashboard_tables(board, r.resolutions_by_actor(scope))
    if report == "summary":
        current = r.report_summary(scope)
        before = r.report_summary(r.Scope.of(period.previous(), filters))
        return [rx.summary_table(current, before, period, period.previous())]
    if report == "backlog":
        return [rx.backlog_table(r.backlog_ageing(filters))]
    if report == "trend":
        bucket = period.bucket()
        rows = r.fill_buckets(r.report_breakdowns(scope, [bucket])[bucket], period, bucket)
        return [rx.breakdown_table(bucket, rows)]
    rows = r.report_breakdowns(scope, [report])[report]
    return [rx.breakdown_table(report, rows, r.resolutions_by_actor(scope) if report == "agent" else None)]


@login_required
@require_GET
def export(request: HttpRequest) -> HttpResponse:
    if request.GET.get("report") == "inspection":
        if not (qa.may_read_all_scores(request.user) or request.user.is_staff_member):
            raise PermissionDenied
    else:
        _require_reader(request.user)
    try:
        return export_response(request.user, request.GET)
    except ValidationFailed as exc:
        return HttpResponse(
            "; ".join(m for msgs in exc.errors.values() for m in msgs), status=400, content_type="text/plain"
        )


# --- quality inspection ---------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def inspections(request: HttpRequest) -> HttpResponse:
    """Inspection rounds with their progress; inspectors draw a new sample here."""
    user = request.user
    if not qa.may_read_all_scores(user):
        if user.is_staff_member:
            return redirect("reports:my_scores")
        raise PermissionDenied
    errors: dict[str, list] = {}
    today = r.local_today()
    first_of_month = today.replace(day=1)
    last_month_end = first_of_month - timedelta(days=1)
    form = {
        "from": last_month_end.replace(day=1).isoformat(),
        "to": last_month_end.isoformat(),
        "per_agent": "5",
        "scale": Inspection.Scale.POINTS,
        "note": "",
        "agents": [],
    }
    if request.method == "POST":
        if not qa.may_inspect(user):
            raise PermissionDenied
        form.update({k: request.POST.get(k, "") for k in ("from", "to", "per_agent", "scale", "note")})
        form["scale"] = form["scale"] or Inspection.Scale.POINTS
        form["agents"] = [a for a in request.POST.getlist("agents") if a.isdigit()]
        try:
            period = r.period_from_params(request.POST)
            per_agent = int(form["per_agent"]) if str(form["per_agent"]).isdigit() else 0
            agents = list(User.objects.filter(pk__in=form["agents"])) if form["agents"] else None
            created = qa.inspection_create(
                actor=user, period=period, per_agent=per_agent, agents=agents, scale=form["scale"], note=form["note"]
            )
        except ValidationFailed as exc:
            errors = exc.errors
        except DomainError as exc:
            errors = {"non_field_errors": [exc.message]}
        else:
            messages.success(request, _("Drew %(n)d tickets to inspect.") % {"n": created.items.count()})
            return redirect("reports:inspection", pk=created.pk)
    rounds = list(qa.inspections_visible_to(user)[:50])
    people = list(
        User.objects.filter(is_active=True, groups__name__in=qa.INSPECTED_ROLES)
        .exclude(pk=user.pk)
        .distinct()
        .order_by("display_name", "username")
    )
    return render(
        request,
        "reports/inspections.html",
        {
            "rounds": rounds,
            "form": form,
            "errors": errors,
            "can_inspect": qa.may_inspect(user),
            "people": people,
            "scales": Inspection.Scale.choices,
            "max_per_agent": qa.MAX_PER_AGENT,
        },
        status=400 if errors else 200,
    )


@login_required
@require_GET
def inspection_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    if not qa.may_read_all_scores(user):
        raise PermissionDenied
    inspection = qa.inspections_visible_to(user).filter(pk=pk).first()
    if inspection is None:
        raise Http404
    items = list(qa.inspection_items_visible_to(user).filter(inspection=inspection).order_by("agent_id", "id"))
    return render(
        request,
        "reports/inspection_detail.html",
        {"inspection": inspection, "items": items, "can_inspect": qa.may_inspect(user), "criteria": _criteria()},
    )


def _criteria() -> list[tuple[str, Any, Any]]:
    return [(c, qa.CRITERIA_LABELS[c], qa.CRITERIA_HELP[c]) for c in INSPECTION_CRITERIA]


@login_required
@require_http_methods(["GET", "POST"])
def inspection_item(request: HttpRequest, pk: int) -> HttpResponse:
    """One sampled ticket: its story on the left (the ticket page link), the checklist to score on the right."""
    user = request.user
    item = qa.inspection_items_visible_to(user).filter(pk=pk).first()
    if item is None:
        raise Http404
    errors: dict[str, list] = {}
    values = {c: getattr(item, c) for c in INSPECTION_CRITERIA}
    comment = item.comment
    if request.method == "POST":
        if not qa.may_inspect(user):
            raise PermissionDenied
        values = {c: request.POST.get(c, "") for c in INSPECTION_CRITERIA}
        comment = request.POST.get("comment", "")
        try:
            qa.inspection_item_score(actor=user, item=item, scores=values, comment=comment)
        except ValidationFailed as exc:
            errors = exc.errors
        except DomainError as exc:
            errors = {"non_field_errors": [exc.message]}
        else:
            messages.success(request, _("Scores saved for %(number)s.") % {"number": item.ticket.number})
            following = (
                InspectionItem.objects.filter(inspection_id=item.inspection_id, state=InspectionItem.State.PENDING)
                .exclude(agent=user)
                .order_by("agent_id", "id")
                .values_list("pk", flat=True)
                .first()
            )
            if following:
                return redirect("reports:inspection_item", pk=following)
            return redirect("reports:inspection", pk=item.inspection_id)
    return render(
        request,
        "reports/inspection_item.html",
        {
            "item": item,
            "checklist": _checklist(item, values, errors),
            "comment": comment,
            "errors": errors,
            "can_inspect": qa.may_inspect(user) and item.agent_id != user.pk,
            "points": [str(n) for n in range(6)],
        },
        status=400 if errors else 200,
    )


def _checklist(item: InspectionItem, values: dict[str, Any], errors: dict[str, list]) -> list[dict[str, Any]]:
    pass_fail = item.inspection.scale == Inspection.Scale.PASS_FAIL
    rows = []
    for name, label, help_text in _criteria():
        value = "" if values.get(name) in (None, "") else str(values[name])
        if value and pass_fail:
            display = _("Pass") if value == "1" else _("Fail")
        else:
            display = f"{value} / 5" if value else "—"
        rows.append(
            {
                "name": name,
                "label": label,
                "help": help_text,
                "value": value,
                "display": display,
                "errors": errors.get(name, []),
            }
        )
    return rows


def _score_period(request: HttpRequest) -> tuple[r.Period, dict[str, list]]:
    try:
        if request.GET.get("from") or request.GET.get("to"):
            return r.period_from_params(request.GET), {}
    except ValidationFailed as exc:
        errors = exc.errors
    else:
        errors = {}
    today = r.local_today()
    start = (today.replace(day=1) - timedelta(days=150)).replace(day=1)
    return r.Period(start, today), errors


@login_required
@require_GET
def inspection_scores(request: HttpRequest) -> HttpResponse:
    """Scores per person over time (months, or weeks for a short period)."""
    user = request.user
    if not qa.may_read_all_scores(user):
        if user.is_staff_member:
            return redirect("reports:my_scores")
        raise PermissionDenied
    period, errors = _score_period(request)
    bucket = "week" if period.days <= 62 else "month"
    buckets, people = qa.inspection_scores(period, bucket=bucket)
    return render(
        request,
        "reports/inspection_scores.html",
        {
            "period": period,
            "bucket": bucket,
            "buckets": buckets,
            "people": people,
            "errors": errors,
            "criteria": _criteria(),
            "base": {"from": period.start.isoformat(), "to": period.end.isoformat(), "bucket": bucket},
        },
    )


@login_required
@require_GET
def my_scores(request: HttpRequest) -> HttpResponse:
    """A person's own inspection results: every scored ticket with its comment, and their trend."""
    user = request.user
    if not user.is_staff_member:
        raise PermissionDenied
    period, errors = _score_period(request)
    bucket = "week" if period.days <= 62 else "month"
    buckets, people = qa.inspection_scores(period, bucket=bucket, agent=user)
    start, end = period.bounds()
    items = list(
        qa.inspection_items_visible_to(user)
        .filter(agent=user, state=InspectionItem.State.SCORED, ticket_closed_at__gte=start, ticket_closed_at__lt=end)
        .order_by("-ticket_closed_at", "-id")[:200]
    )
    return render(
        request,
        "reports/my_scores.html",
        {
            "period": period,
            "buckets": buckets,
            "me": people[0] if people else None,
            "items": items,
            "errors": errors,
            "criteria": _criteria(),
            "base": {"from": period.start.isoformat(), "to": period.end.isoformat(), "bucket": bucket},
        },
    )
