"""Reports as tables — for CSV and XLSX exports, the weekly email and its attachment. Each table reads the same
selectors as the dashboard (tickets/reports.py), so an export shows exactly the figures on the screen.

Spreadsheet safety: a cell whose text starts with = + - @ or a tab / carriage return would run as a formula in Excel
or LibreOffice (CSV/formula injection: a ticket titled "=HYPERLINK(...)"), so such text is written with a leading
apostrophe. Numbers stay numbers.

Large exports stream: the ticket list is read with a server-side cursor in chunks and written row by row (CSV as a
streaming response; XLSX through openpyxl's write-only mode into a temporary file), so 100,000 rows never sit in
memory at once."""

from __future__ import annotations

import csv
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from . import reports as r
from .models import Ticket

DANGEROUS_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
CHUNK = 2000


def neutralise(value: Any) -> Any:
    """Text that a spreadsheet would read as a formula gets a leading apostrophe; other values pass unchanged."""
    if isinstance(value, str) and value.startswith(DANGEROUS_PREFIXES):
        return "'" + value
    return value


@dataclass(frozen=True)
class Column:
    header: Any
    get: Callable[[Any], Any]
    kind: str = "text"  # text, count, rate (fraction 0..1), hours, score, date, datetime


@dataclass
class Table:
    name: str
    title: str
    columns: list[Column]
    rows: Iterable[Any]
    note: str = ""  # a last line for the reader (e.g. that a spreadsheet was cut short)

    def header(self) -> list[str]:
        return [str(c.header) for c in self.columns]

    def values(self) -> Iterator[list[Any]]:
        # Translations and the time zone are looked up once per table, not once per cell (100,000-row exports).
        fmt = Formatter()
        columns = [(c.kind, c.get) for c in self.columns]
        for row in self.rows:
            yield [fmt(kind, get(row)) for kind, get in columns]


class Formatter:
    """A value as exported: rates in percent (1 decimal), business seconds in hours (1 decimal), local times."""

    def __init__(self) -> None:
        self.tz = timezone.get_current_timezone()
        self.yes, self.no = _("yes"), _("no")

    def __call__(self, kind: str, value: Any) -> Any:
        if value is None:
            return ""
        if kind == "rate":
            return round(value * 100, 1)
        if kind == "hours":
            return round(value / 3600, 1)
        if kind == "score":
            return round(float(value), 2)
        if isinstance(value, datetime):
            return value.astimezone(self.tz).strftime("%Y-%m-%d %H:%M")
        if isinstance(value, date):
            return value.isoformat()
        if isinstance(value, Decimal):
            return float(value)
        if isinstance(value, bool):
            return self.yes if value else self.no
        return str(value) if kind == "text" else value


def cell(kind: str, value: Any) -> Any:
    return Formatter()(kind, value)


# --- the tables ---------------------------------------------------------------------------------------------

RATE = "rate"


def kpi_columns(get: Callable[[Any], r.Kpis]) -> list[Column]:
    """The KPI columns of a breakdown row (every row of every breakdown has the same ones)."""

    def k(name: str) -> Callable[[Any], Any]:
        return lambda row: getattr(get(row), name)

    return [
        Column(gettext_lazy("Tickets"), k("tickets"), "count"),
        Column(gettext_lazy("Resolved"), k("resolved"), "count"),
        Column(gettext_lazy("First-contact resolution (%)"), k("fcr_rate"), RATE),
        Column(gettext_lazy("Response SLA met (%)"), k("response_sla_rate"), RATE),
        Column(gettext_lazy("Resolution SLA met (%)"), k("resolution_sla_rate"), RATE),
        Column(gettext_lazy("SLA breaches"), k("breaches"), "count"),
        Column(gettext_lazy("Mean time to first response (business hours)"), k("response_mean"), "hours"),
        Column(gettext_lazy("Mean time to resolution (business hours)"), k("resolution_mean"), "hours"),
        Column(gettext_lazy("Follow-ups"), k("followups"), "count"),
        Column(gettext_lazy("Follow-ups done (%)"), k("followup_completion_rate"), RATE),
        Column(gettext_lazy("Follow-ups on time (%)"), k("followup_on_time_rate"), RATE),
        Column(gettext_lazy("Average satisfaction (1–5)"), k("avg_satisfaction"), "score"),
        Column(gettext_lazy("Satisfied (%)"), k("satisfied_rate"), RATE),
        Column(gettext_lazy("Reopened (%)"), k("reopen_rate"), RATE),
        Column(gettext_lazy("Complaints"), k("complaints"), "count"),
        Column(gettext_lazy("Complaints per ticket (%)"), k("complaint_rate"), RATE),
    ]


def _kind(spec: r.KpiSpec) -> str:
    return {"seconds": "hours", "rate": RATE, "score": "score"}.get(spec.unit, "count")


def _spec_label(spec: r.KpiSpec) -> str:
    label = str(spec.label)
    if spec.unit == "seconds":
        return _("%(label)s (business hours)") % {"label": label}
    if spec.unit == "rate":
        return f"{label} (%)"
    return label


def summary_table(current: r.Kpis, before: r.Kpis, period: r.Period, previous: r.Period) -> Table:
    specs = [s for s in r.KPI_SPECS if r.kpi_available(current, s.name)]
    rows = [(s, r.kpi_value(current, s.name), r.kpi_value(before, s.name)) for s in specs]

    def value(index: int) -> Callable[[Any], Any]:
        return lambda row: cell(_kind(row[0]), row[index])

    def delta(row: Any) -> Any:
        d = r.change(row[1], row[2])
        return cell(_kind(row[0]), d)

    return Table(
        "summary",
        str(_("Summary")),
        [
            Column(gettext_lazy("Indicator"), lambda row: _spec_label(row[0])),
            Column(f"{period.start:%Y-%m-%d} – {period.end:%Y-%m-%d}", value(1), "raw"),
            Column(f"{previous.start:%Y-%m-%d} – {previous.end:%Y-%m-%d}", value(2), "raw"),
            Column(gettext_lazy("Change"), delta, "raw"),
        ],
        rows,
    )


TABLE_TITLES = {
    "summary": gettext_lazy("Summary"),
    "group": gettext_lazy("By support group"),
    "agent": gettext_lazy("By agent"),
    "technician": gettext_lazy("By technician"),
    "category": gettext_lazy("By category"),
    "channel": gettext_lazy("By channel"),
    "trend": gettext_lazy("Trend"),
    "backlog": gettext_lazy("Backlog ageing"),
    "tickets": gettext_lazy("Tickets"),
    "inspection": gettext_lazy("Inspection scores"),
}
REPORTS = tuple(TABLE_TITLES)


def breakdown_table(dim: str, rows: list[r.Row], resolutions: dict | None = None) -> Table:
    columns = [Column(r.DIMENSION_LABELS[dim], lambda row: row.label)]
    source: Iterable[Any] = rows
    if dim == "agent" and resolutions is not None:
        merged = r.merge_resolutions(rows, resolutions)
        columns = [Column(r.DIMENSION_LABELS[dim], lambda m: m["row"].label)]
        columns += [
            Column(gettext_lazy("Resolutions recorded"), lambda m: m["resolutions"], "count"),
            Column(gettext_lazy("of them on first contact"), lambda m: m["first_contact"], "count"),
        ]
        columns += kpi_columns(lambda m: m["row"].kpis)
        source = merged
    else:
        columns += kpi_columns(lambda row: row.kpis)
    name = "trend" if dim in r.BUCKETS else dim
    return Table(name, str(TABLE_TITLES[name]), columns, source)


def backlog_table(backlog: list[dict[str, Any]]) -> Table:
    return Table(
        "backlog",
        str(TABLE_TITLES["backlog"]),
        [
            Column(gettext_lazy("Age"), lambda b: str(b["label"])),
            Column(gettext_lazy("Open tickets"), lambda b: b["count"], "count"),
        ],
        backlog,
    )


TICKET_FIELDS = (
    "number",
    "title",
    "type",
    "status",
    "priority",
    "channel",
    "group__name",
    "assignee__username",
    "created_by__username",
    "category__name",
    "created_at",
    "first_response_at",
    "resolved_at",
    "closed_at",
    "first_contact_resolution",
    "reopen_count",
)


# openpyxl writes XLSX cells in pure Python (~1,000 rows a second here): a ticket list in XLSX stops at this many rows,
# inside a web worker's timeout, and says so; CSV streams any number (100,000 rows in ~10 s).
XLSX_MAX_TICKETS = 25_000


def tickets_table(qs, *, limit: int | None = None) -> Table:
    """The tickets behind a figure, streamed in chunks through a server-side cursor (at most `limit` rows, with a
    closing note when there were more)."""
    labels = {  # translated once, not per row
        "type": {k: str(v) for k, v in Ticket.Type.choices},
        "status": {k: str(v) for k, v in Ticket.Status.choices},
        "priority": {k: str(v) for k, v in Ticket.Priority.choices},
        "channel": {k: str(v) for k, v in Ticket.Channel.choices},
    }
    ordered = qs.order_by("created_at", "id")
    note = ""
    if limit is not None:
        total = ordered.count()
        if total > limit:
            note = _("The first %(shown)s of %(total)s tickets: export as CSV for all of them.") % {
                "shown": f"{limit:,}",
                "total": f"{total:,}",
            }
            ordered = ordered[:limit]
    rows = ordered.values_list(*TICKET_FIELDS).iterator(chunk_size=CHUNK)
    index = {name: i for i, name in enumerate(TICKET_FIELDS)}

    def f(name: str) -> Callable[[tuple], Any]:
        i = index[name]
        if name in labels:
            return lambda row: labels[name].get(row[i], row[i])
        return lambda row: row[i]

    return Table(
        "tickets",
        str(TABLE_TITLES["tickets"]),
        [
            Column(gettext_lazy("Number"), f("number")),
            Column(gettext_lazy("Title"), f("title")),
            Column(gettext_lazy("Type"), f("type")),
            Column(gettext_lazy("Status"), f("status")),
            Column(gettext_lazy("Priority"), f("priority")),
            Column(gettext_lazy("Channel"), f("channel")),
            Column(gettext_lazy("Support group"), f("group__name")),
            Column(gettext_lazy("Assignee"), f("assignee__username")),
            Column(gettext_lazy("Logged by"), f("created_by__username")),
            Column(gettext_lazy("Category"), f("category__name")),
            Column(gettext_lazy("Created at"), f("created_at"), "datetime"),
            Column(gettext_lazy("First response at"), f("first_response_at"), "datetime"),
            Column(gettext_lazy("Resolved at"), f("resolved_at"), "datetime"),
            Column(gettext_lazy("Closed at"), f("closed_at"), "datetime"),
            Column(gettext_lazy("Resolved on first contact"), f("first_contact_resolution"), "raw"),
            Column(gettext_lazy("Times reopened"), f("reopen_count"), "count"),
        ],
        rows,
        note,
    )


def inspection_table(buckets: list[date], people: list[Any]) -> Table:
    from .inspection import CRITERIA_LABELS, INSPECTION_CRITERIA

    columns = [
        Column(gettext_lazy("Person"), lambda p: p.name),
        Column(gettext_lazy("Inspected tickets"), lambda p: p.items, "count"),
        Column(gettext_lazy("Mean score (%)"), lambda p: round(p.mean, 1) if p.mean is not None else None, "count"),
    ]
    for c in INSPECTION_CRITERIA:
        columns.append(
            Column(
                f"{CRITERIA_LABELS[c]} (%)",
                lambda p, c=c: round(p.criteria[c], 1) if p.criteria.get(c) is not None else None,
                "count",
            )
        )
    for b in buckets:
        columns.append(
            Column(
                f"{b:%Y-%m-%d} (%)",
                lambda p, b=b: round(p.buckets[b][0], 1) if b in p.buckets and p.buckets[b][0] is not None else None,
                "count",
            )
        )
    return Table("inspection", str(TABLE_TITLES["inspection"]), columns, people)


# --- writers ------------------------------------------------------------------------------------------------


class _Echo:
    """A file-like object whose write returns the line: csv.writer then yields text for a streaming response."""

    def write(self, value: str) -> str:
        return value


def csv_lines(tables: Iterable[Table]) -> Iterator[str]:
    """CSV text, one table after another (a title line and a blank line between tables). Starts with a UTF-8 BOM so
    Excel reads Chinese correctly."""
    writer = csv.writer(_Echo())
    yield "\ufeff"
    for number, table in enumerate(tables):
        if number:
            yield "\r\n"
            yield writer.writerow([neutralise(table.title)])
        yield writer.writerow([neutralise(h) for h in table.header()])
        for values in table.values():
            yield writer.writerow([neutralise(v) for v in values])


def xlsx_file(tables: Iterable[Table]):
    """An XLSX workbook (one sheet per table) in a temporary file, positioned at its start. Write-only mode streams
    rows to disk as they come."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    bold = Font(bold=True)
    used: set[str] = set()
    for table in tables:
        title = sheet_title(table.title, used)
        sheet = book.create_sheet(title=title)
        header = []
        for h in table.header():
            c = WriteOnlyCell(sheet, value=neutralise(h))
            c.font = bold
            header.append(c)
        sheet.append(header)
        for values in table.values():
            sheet.append([neutralise(v) for v in values])
        if table.note:
            sheet.append([neutralise(table.note)])
    # Handed to the response open: FileResponse closes it when the download ends.
    out = tempfile.TemporaryFile()  # noqa: SIM115
    book.save(out)
    out.seek(0)
    return out


def sheet_title(title: str, used: set[str]) -> str:
    """Excel sheet names: at most 31 characters, none of []:*?/\\, unique in the workbook."""
    clean = "".join("_" if ch in "[]:*?/\\" else ch for ch in title)[:31] or "Sheet"
    name, n = clean, 2
    while name.lower() in used:
        suffix = f" ({n})"
        name = clean[: 31 - len(suffix)] + suffix
        n += 1
    used.add(name.lower())
    return name


def dashboard_tables(dashboard: r.Dashboard, resolutions: dict | None = None) -> list[Table]:
    """Every table of a dashboard, in the order the page shows them."""
    tables = [summary_table(dashboard.current, dashboard.before, dashboard.period, dashboard.previous)]
    for dim in r.BREAKDOWN_DIMS:
        tables.append(breakdown_table(dim, dashboard.breakdowns.get(dim, []), resolutions if dim == "agent" else None))
    tables.append(breakdown_table(dashboard.trend_bucket, dashboard.trend))
    tables.append(backlog_table(dashboard.backlog))
    return tables


def export_filename(report: str, period: r.Period | None, extension: str) -> str:
    stamp = f"{period.start:%Y%m%d}-{period.end:%Y%m%d}" if period else timezone.localdate().strftime("%Y%m%d")
    return f"servicedesk-{report}-{stamp}.{extension}"


# --- the weekly report by email ---------------------------------------------------------------------------------

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def last_complete_week(now: datetime | None = None) -> tuple[int, int]:
    """(ISO year, ISO week) of the last whole week before `now`, in the server's time zone."""
    today = (now or timezone.now()).astimezone(r.local_tz()).date()
    monday = today - timedelta(days=today.weekday()) - timedelta(days=7)
    iso = monday.isocalendar()
    return iso.year, iso.week


def weekly_report_key(year: int, week: int) -> str:
    return f"weekly-report:{year}-W{week:02d}"


def weekly_report_recipients():
    from servicedesk.models import Role, User

    return User.objects.filter(groups__name=Role.SUPERVISOR, is_active=True).exclude(email="").distinct().order_by("pk")


def weekly_report_send(*, now: datetime | None = None, year: int | None = None, week: int | None = None) -> int:
    """Email the last whole week's report to every supervisor: an HTML summary with the breakdown per group and the
    full report as an XLSX attachment. Once per supervisor and ISO week: a Notification keyed by the week is the
    sent-record, and the email is claimed with a conditional update, so a re-run (or a second beat) sends nothing
    twice; a failed send is un-claimed and the task retries it. Returns the number of emails sent."""
    from django.conf import settings
    from django.core.mail import EmailMultiAlternatives
    from django.db import IntegrityError, transaction
    from django.template.loader import render_to_string
    from django.urls import reverse
    from django.utils import translation
    from django.utils.http import urlencode

    from servicedesk.models import Notification

    if year is None or week is None:
        year, week = last_complete_week(now)
    period = r.Period.iso_week(year, week)
    key = weekly_report_key(year, week)
    base = {"from": period.start.isoformat(), "to": period.end.isoformat()}
    path = f"{reverse('reports:dashboard')}?{urlencode(base)}"
    board: r.Dashboard | None = None
    resolutions: dict | None = None
    attachments: dict[str, bytes] = {}
    sent = 0
    for user in weekly_report_recipients():
        language = user.language or settings.LANGUAGE_CODE
        with translation.override(language):
            subject = _("Service desk weekly report: %(year)d week %(week)d (%(start)s – %(end)s)") % {
                "year": year,
                "week": week,
                "start": period.start.isoformat(),
                "end": period.end.isoformat(),
            }
        try:
            with transaction.atomic():
                note = Notification.objects.create(
                    recipient=user, key=key, verb="weekly_report", message=subject[:300], url=path
                )
        except IntegrityError:
            note = Notification.objects.filter(recipient=user, key=key).first()
        if note is None or note.emailed_at is not None:
            continue
        if not Notification.objects.filter(pk=note.pk, emailed_at__isnull=True).update(emailed_at=timezone.now()):
            continue  # a concurrent run claimed it
        try:
            if board is None:
                board = r.report_dashboard(period, r.Filters(), now=now)
                resolutions = r.resolutions_by_actor(r.Scope.of(period, r.Filters()))
            with translation.override(language):
                if language not in attachments:
                    with xlsx_file(dashboard_tables(board, resolutions)) as handle:
                        attachments[language] = handle.read()
                context = {
                    "recipient": user,
                    "board": board,
                    "tiles": board.tiles(),
                    "groups": board.breakdowns.get("group", []),
                    "year": year,
                    "week": week,
                    "url": settings.SITE_URL.rstrip("/") + path,
                }
                text = render_to_string("reports/email/weekly.txt", context)
                html = render_to_string("reports/email/weekly.html", context)
            message = EmailMultiAlternatives(subject, text, settings.DEFAULT_FROM_EMAIL, [user.email])
            message.attach_alternative(html, "text/html")
            message.attach(export_filename("weekly", period, "xlsx"), attachments[language], XLSX_TYPE)
            message.send()
        except Exception:
            Notification.objects.filter(pk=note.pk).update(emailed_at=None)  # let the retry send it
            raise
        sent += 1
    return sent
