"""The report pages: the dashboard (who may see it, a constant number of queries, no inline script), the tickets
behind a figure, CSV/XLSX exports (content, formula injection neutralised, streaming) and the weekly email
(sent once per supervisor and week, however often the task runs)."""

# The shared fixtures come from reports_data (imported by name, so pytest finds them): not redefinitions.
# ruff: noqa: F811

from __future__ import annotations

import csv
import io
import re
from datetime import date

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from openpyxl import load_workbook

from servicedesk import services as people
from servicedesk.models import Notification, Role
from tests.conftest import make_user
from tickets import report_exports as rx
from tickets import services
from tickets.tasks import weekly_report_task

from .reports_data import NOW, always_policy, at, hw, quinn, week  # noqa: F401

pytestmark = pytest.mark.django_db

WEEK = {"from": "2026-03-02", "to": "2026-03-08"}


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield NOW


def page(client, user, url="/reports/", params=None):
    client.force_login(user)
    return client.get(url, params or {})


def test_supervisors_see_the_dashboard_with_every_section(client, sam, week, frozen):
    response = page(client, sam, params=WEEK)
    assert response.status_code == 200
    html = response.content.decode()
    for text in (
        "First-contact resolution",
        "Response SLA met",
        "90th percentile time to resolution",
        "Follow-ups on time",
        "Open backlog by age",
        "Top categories by volume",
        "By agent",
        "Desktop support",
        "Technician (assignee)",
    ):
        assert text in html, text
    # The tiles: 7 tickets, FCR 25 %, the p90 of resolution 19800 s = 5 h 30 min.
    assert re.search(r'kpi=first_contact[^"]*"[^>]*>25\.0 %', html)
    assert "5 h 30 min" in html
    # Chart data travels as JSON, never as inline script (CSP).
    assert 'id="report-chart-data" type="application/json"' in html
    for tag in re.findall(r"<script[^>]*>", html):
        assert " src=" in tag or 'type="application/json"' in tag, tag


def test_the_dashboard_defaults_to_this_week_and_takes_presets(client, quinn, frozen):
    assert page(client, quinn).context["board"].period.kind == "week"
    board = page(client, quinn, params={"period": "month"}).context["board"]
    assert (board.period.start, board.period.end) == (date(2026, 3, 1), date(2026, 3, 31))


def test_bad_dates_on_the_dashboard_show_errors_and_this_week(client, sam, frozen):
    response = page(client, sam, params={"from": "2026-03-09", "to": "2026-03-01"})
    assert response.status_code == 200
    assert "to" in response.context["errors"]
    assert response.context["board"].period.kind == "week"


@pytest.mark.parametrize("who", ["alice", "bob", "tom"])
def test_others_may_not_read_reports(request, client, who):
    assert page(client, request.getfixturevalue(who)).status_code == 403
    assert page(client, request.getfixturevalue(who), "/reports/tickets/", WEEK).status_code == 403
    assert page(client, request.getfixturevalue(who), "/reports/export/", WEEK).status_code == 403


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get("/reports/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_the_dashboard_costs_the_same_number_of_queries_for_more_data(
    client, sam, week, frozen, alice, bob, nick, network, tina, desktop
):
    client.force_login(sam)
    client.get("/reports/", WEEK)  # warm: session, content types
    with CaptureQueriesContext(connection) as small:
        client.get("/reports/", WEEK)
    # Many more tickets, people, groups and categories in the week.
    extra = [people.category_create(actor=None, name=f"Extra {n}", default_group=network) for n in range(3)]
    logger = make_user("otto", Role.AGENT)
    with at(2026, 3, 4, 10, 0):
        for n in range(12):
            t = services.ticket_create(
                actor=logger if n % 2 else alice,
                data=services.TicketInput(
                    requester=bob, type="request", title=f"Extra {n}", channel="walk_in", category=extra[n % 3]
                ),
            )
            if n % 3 == 0:
                services.ticket_assign(ticket=t, actor=alice, group=desktop, assignee=tina)
    with CaptureQueriesContext(connection) as large:
        response = client.get("/reports/", WEEK)
    assert response.context["board"].current.tickets == 19
    assert len(large.captured_queries) == len(small.captured_queries), [q["sql"][:90] for q in large.captured_queries]
    # Session and user, then the report: category tree, summary ×2, breakdowns, backlog, names, resolutions, options.
    assert len(large.captured_queries) <= 40


def test_the_tickets_behind_a_figure(client, sam, week, frozen):
    response = page(client, sam, "/reports/tickets/", {**WEEK, "kpi": "response_breached"})
    assert response.status_code == 200
    listed = {t.number for t in response.context["page"].object_list}
    assert listed == {week.t3.number, week.t4.number}
    assert "response target breached" in response.content.decode()


def test_the_tickets_behind_a_figure_need_valid_dates(client, sam):
    assert page(client, sam, "/reports/tickets/", {"from": "2026-03-09", "to": "2026-03-01"}).status_code == 400


def test_every_link_on_the_dashboard_opens(client, sam, week, frozen):
    html = page(client, sam, params=WEEK).content.decode()
    links = set(re.findall(r'href="(/reports/tickets/\?[^"]+)"', html))
    assert len(links) > 40
    for link in sorted(links)[:60]:
        assert client.get(link.replace("&amp;", "&")).status_code == 200, link


# --- exports ---------------------------------------------------------------------------------------------


def csv_text(response) -> str:
    return b"".join(response.streaming_content).decode("utf-8-sig")


def test_csv_export_of_a_breakdown(client, sam, week, frozen):
    response = page(client, sam, "/reports/export/", {**WEEK, "report": "group", "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="servicedesk-group-20260302-20260308.csv"'
    lines = csv_text(response).splitlines()
    assert lines[0].startswith("Support group,Tickets,Resolved,First-contact resolution (%)")
    assert any(line.startswith("Desktop support,3,3,0.0,") for line in lines)


def test_csv_export_of_the_summary_has_both_periods(client, sam, week, frozen):
    lines = csv_text(page(client, sam, "/reports/export/", {**WEEK, "report": "summary", "format": "csv"}))
    assert "Indicator,2026-03-02 – 2026-03-08,2026-02-23 – 2026-03-01,Change" in lines
    assert "First-contact resolution (%),25.0,,\r\n" in lines
    assert "Tickets,7,1,6\r\n" in lines


def test_xlsx_export_of_the_whole_dashboard(client, sam, week, frozen):
    response = page(client, sam, "/reports/export/", {**WEEK, "report": "all", "format": "xlsx"})
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True)
    assert book.sheetnames[:3] == ["Summary", "By support group", "By agent"]
    rows = list(book["Summary"].values)
    assert rows[1][:3] == ("Tickets", 7, 1)
    agent_rows = list(book["By agent"].values)
    assert agent_rows[0][:3] == ("Agent (logged by)", "Resolutions recorded", "of them on first contact")
    assert ("Tom Tech", 5, 0) in {r[:3] for r in agent_rows}


def test_a_large_ticket_export_streams(client, sam, week, frozen):
    response = page(client, sam, "/reports/export/", {**WEEK, "report": "tickets", "format": "csv"})
    assert response.streaming
    lines = csv_text(response).splitlines()
    assert len(lines) == 1 + 7
    assert lines[0].startswith("Number,Title,Type,Status")


def test_a_ticket_list_in_xlsx_stops_at_its_limit_and_says_so(client, sam, week, frozen, monkeypatch):
    monkeypatch.setattr(rx, "XLSX_MAX_TICKETS", 5)
    response = page(client, sam, "/reports/export/", {**WEEK, "report": "tickets", "format": "xlsx"})
    rows = list(load_workbook(io.BytesIO(b"".join(response.streaming_content))).active.values)
    assert len(rows) == 1 + 5 + 1
    assert rows[-1][0] == "The first 5 of 7 tickets: export as CSV for all of them."


def test_spreadsheet_formulas_in_user_text_are_neutralised(client, sam, alice, bob, always_policy, frozen):
    evil = ['=HYPERLINK("http://x","click")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)"]
    team = people.support_group_create(actor=None, name="=1+1 team", members=[alice], lead=None)
    with at(2026, 3, 4, 9, 0):
        for title in evil:
            t = services.ticket_create(
                actor=alice, data=services.TicketInput(requester=bob, type="incident", title=title, channel="phone")
            )
        services.ticket_assign(ticket=t, actor=alice, group=team)
    params = {**WEEK, "report": "tickets"}
    rows = list(csv.reader(io.StringIO(csv_text(page(client, sam, "/reports/export/", {**params, "format": "csv"})))))
    assert sorted(row[1] for row in rows[1:]) == sorted(f"'{title}" for title in evil)
    groups = csv_text(client.get("/reports/export/", {**WEEK, "report": "group", "format": "csv"}))
    assert "\n'=1+1 team," in groups
    response = client.get("/reports/export/", {**params, "format": "xlsx"})
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    titles = [row[1] for row in book.active.iter_rows(min_row=2, values_only=True)]
    assert sorted(titles) == sorted(f"'{title}" for title in evil)
    assert all(cell.data_type != "f" for row in book.active.iter_rows() for cell in row)


def test_neutralise():
    assert rx.neutralise("=1+1") == "'=1+1"
    assert rx.neutralise("@x") == "'@x"
    assert rx.neutralise("\tx") == "'\tx"
    assert rx.neutralise("plain") == "plain"
    assert rx.neutralise(-5) == -5  # numbers stay numbers
    assert rx.neutralise("") == ""


def test_unknown_reports_are_a_400(client, sam):
    assert page(client, sam, "/reports/export/", {**WEEK, "report": "secrets"}).status_code == 400
    assert page(client, sam, "/reports/export/", {**WEEK, "report": "group", "format": "pdf"}).status_code == 400


# --- the weekly email ------------------------------------------------------------------------------------


def test_the_weekly_report_goes_to_each_supervisor_once_per_week(mailoutbox, sam, ada, week):
    mia = make_user("mia", Role.SUPERVISOR, language="zh-hans")
    make_user("sid", Role.SUPERVISOR, email="")  # no address: nothing to send
    with time_machine.travel(NOW.replace(day=9, hour=7), tick=False):  # Monday 9 March, the week of 2–8 March
        assert weekly_report_task.delay().get() == 2
        assert weekly_report_task.delay().get() == 0  # run again (a retry, a second beat): nothing more
    assert sorted(m.to[0] for m in mailoutbox) == ["mia@example.com", "sam@example.com"]
    message = next(m for m in mailoutbox if m.to == ["sam@example.com"])
    assert "2026 week 10" in message.subject
    html = message.alternatives[0][0]
    assert "Desktop support" in html and "First-contact resolution" in html
    name, content, mimetype = message.attachments[0]
    assert name == "servicedesk-weekly-20260302-20260308.xlsx"
    assert mimetype == rx.XLSX_TYPE
    assert load_workbook(io.BytesIO(content)).sheetnames[0] == "Summary"
    assert Notification.objects.filter(key="weekly-report:2026-W10", emailed_at__isnull=False).count() == 2
    assert mia.notifications.filter(key="weekly-report:2026-W10").exists()


def test_the_next_week_sends_again(mailoutbox, sam):
    with time_machine.travel(NOW.replace(day=9, hour=7), tick=False):
        weekly_report_task.delay()
    with time_machine.travel(NOW.replace(day=16, hour=7), tick=False):
        weekly_report_task.delay()
        weekly_report_task.delay()
    assert [m.subject.split(":")[1].split("(")[0].strip() for m in mailoutbox] == ["2026 week 10", "2026 week 11"]


def test_a_failed_send_is_retried_not_lost(mailoutbox, sam, monkeypatch):
    from django.core.mail import EmailMultiAlternatives

    real_send = EmailMultiAlternatives.send
    calls = {"n": 0}

    def flaky(self, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            raise ConnectionError("SMTP down")
        return real_send(self, *args, **kwargs)

    monkeypatch.setattr(EmailMultiAlternatives, "send", flaky)
    with time_machine.travel(NOW.replace(day=9, hour=7), tick=False):
        with pytest.raises(ConnectionError):
            rx.weekly_report_send()
        assert rx.weekly_report_send() == 1
        assert rx.weekly_report_send() == 0
    assert len(mailoutbox) == 1


def test_the_weekly_report_is_on_the_beat_schedule():
    from django.conf import settings

    entry = settings.CELERY_BEAT_SCHEDULE["weekly-report"]
    assert entry["task"] == "tickets.tasks.weekly_report_task"
    assert entry["schedule"].day_of_week == {1}
