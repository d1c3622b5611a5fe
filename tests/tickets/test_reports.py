"""The KPI definitions (tickets/reports.py) against a hand-computed week (tests/tickets/reports_data.py): exact values,
nulls when a denominator is 0, reopened tickets counted once, breached vs met clocks, void clocks left out, follow-ups
done vs due, breakdowns, drill-down lists that match their figures, backlog ageing and periods."""

# The shared fixtures come from reports_data (imported by name, so pytest finds them): not redefinitions.
# ruff: noqa: F811

from __future__ import annotations

from datetime import date

import pytest
import time_machine

from servicedesk import services as people
from tickets import complaints, services
from tickets import reports as r
from tickets.models import Ticket

from .reports_data import EXPECTED, NOW, WEEK, always_policy, at, hw, quinn, week  # noqa: F401

pytestmark = pytest.mark.django_db


@pytest.fixture
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield NOW


def summary(period=WEEK, **filters) -> r.Kpis:
    return r.report_summary(r.Scope.of(period, r.Filters(**filters)), now=NOW)


def test_every_kpi_of_the_week_matches_the_hand_computed_value(week, frozen):
    kpis = summary().as_dict()
    for name, expected in EXPECTED.items():
        assert kpis[name] == pytest.approx(expected), name


def test_a_period_without_tickets_has_null_rates_not_zeros(week, frozen):
    kpis = summary(r.Period(date(2026, 2, 1), date(2026, 2, 7)))
    assert kpis.tickets == 0
    for name in (
        "fcr_rate",
        "reopen_rate",
        "response_sla_rate",
        "resolution_sla_rate",
        "avg_satisfaction",
        "satisfied_rate",
        "followup_completion_rate",
        "followup_on_time_rate",
        "complaint_rate",
        "response_mean",
        "response_p90",
        "resolution_p90",
    ):
        assert getattr(kpis, name) is None, name


def test_tickets_nobody_resolved_have_null_resolution_rates(week, frozen):
    # Sunday 1 March holds only T0, still new: a ticket, but nothing resolved, no follow-up, no verdict yet.
    kpis = summary(r.Period(date(2026, 3, 1), date(2026, 3, 1)))
    assert kpis.tickets == 1
    assert kpis.resolved == 0
    assert kpis.fcr_rate is None and kpis.reopen_rate is None
    assert kpis.followup_completion_rate is None and kpis.avg_satisfaction is None
    # Its clocks run past due by the 20th: both targets count as breached without waiting for the sweep.
    assert (kpis.response_sla_rate, kpis.resolution_sla_rate) == (0.0, 0.0)


def test_both_dates_are_included_in_the_servers_time_zone(week, frozen):
    # T7 was created on Tuesday 09:00 Shanghai time (01:00 UTC): it belongs to Tuesday, not to Monday.
    assert summary(r.Period(date(2026, 3, 3), date(2026, 3, 3))).tickets == 1
    assert summary(r.Period(date(2026, 3, 2), date(2026, 3, 2))).tickets == 6
    assert summary(r.Period(date(2026, 3, 2), date(2026, 3, 3))).tickets == 7


def test_a_cancelled_tickets_void_clocks_count_in_no_sla_figure(week, frozen):
    kpis = summary(channel="phone")  # T1, T2, T5 (cancelled), T6
    assert kpis.tickets == 4
    assert kpis.response_met + kpis.response_breached == 3
    assert kpis.resolution_met + kpis.resolution_breached == 3


def test_filters_narrow_every_figure(week, frozen, desktop, hardware):
    desk = summary(group=desktop.pk)  # T2, T6, T7
    assert desk.tickets == 3
    assert (desk.resolved, desk.reopened, desk.first_contact) == (3, 2, 0)
    assert (desk.resolution_met, desk.resolution_breached) == (2, 1)
    assert (desk.followups, desk.followups_done) == (4, 1)
    by_category = summary(category=hardware.pk, category_ids=(hardware.pk,))
    assert by_category.tickets == 4  # T1, T2, T6, T7
    assert summary(type="request").tickets == 0
    assert summary(priority=4).tickets == 7


def test_a_category_filter_takes_its_sub_categories(week, frozen, hardware, bob):
    printers = people.category_create(actor=None, name="Printers", parent=hardware)
    with at(2026, 3, 4, 9, 0):
        services.ticket_create(
            actor=bob, data=services.TicketInput(type="incident", title="Toner", channel="portal", category=printers)
        )
    filters = r.filters_from_params({"category": str(hardware.pk)})
    assert set(filters.category_ids) == {hardware.pk, printers.pk}
    assert r.report_summary(r.Scope.of(WEEK, filters), now=NOW).tickets == 5


def test_breakdowns_per_group_technician_agent_and_channel(week, frozen, desktop, network, tom, nick, alice, bob):
    rows = r.report_breakdowns(r.Scope.of(WEEK), ["group", "technician", "agent", "channel", "day"], now=NOW)

    def counts(dim):
        return {row.key: row.kpis.tickets for row in rows[dim]}

    assert counts("group") == {desktop.pk: 3, network.pk: 1, None: 3}
    assert counts("technician") == {tom.pk: 3, nick.pk: 1, None: 3}
    assert counts("agent") == {alice.pk: 6, None: 1}  # bob filed T4 himself: self-service
    assert counts("channel") == {"phone": 4, "email": 2, "portal": 1}
    assert counts("day") == {date(2026, 3, 2): 6, date(2026, 3, 3): 1}
    desk = next(row for row in rows["group"] if row.key == desktop.pk)
    assert desk.label == "Desktop support"
    assert desk.kpis.reopen_rate == pytest.approx(2 / 3)
    assert (desk.kpis.followups, desk.kpis.followups_done, desk.kpis.rated) == (4, 1, 1)
    assert desk.kpis.response_mean == pytest.approx((1800 + 600 + 1200) / 3)
    nobody = next(row for row in rows["group"] if row.key is None)
    assert nobody.label == "No group" and nobody.param == "none"
    # Summed over a breakdown, the figures are the totals.
    assert sum(row.kpis.tickets for row in rows["channel"]) == EXPECTED["tickets"]
    assert sum(row.kpis.response_breached for row in rows["technician"]) == EXPECTED["response_breached"]
    assert sum(row.kpis.followups for row in rows["agent"]) == EXPECTED["followups"]


def test_resolutions_per_person_come_from_the_audit_trail(week, frozen, alice, tom):
    # alice resolved T1 on first contact; tom resolved T2 twice, T6, and T7 twice.
    assert r.resolutions_by_actor(r.Scope.of(WEEK)) == {
        alice.pk: {"resolutions": 1, "first_contact": 1},
        tom.pk: {"resolutions": 5, "first_contact": 0},
    }


DRILLS = {
    "resolved": {"t1", "t2", "t6", "t7"},
    "first_contact": {"t1"},
    "reopened": {"t2", "t7"},
    "response_met": {"t1", "t2", "t6", "t7"},
    "response_breached": {"t3", "t4"},
    "resolution_met": {"t1", "t6", "t7"},
    "resolution_breached": {"t2", "t3", "t4"},
    "responded": {"t1", "t2", "t3", "t6", "t7"},
    "resolution_stopped": {"t1", "t2", "t6", "t7"},
    "followups": {"t1", "t2", "t6", "t7"},
    "followup_done": {"t1", "t2"},
    "followup_open": {"t2", "t6", "t7"},
    "followup_late": {"t2", "t6", "t7"},
    "rated": {"t1", "t2"},
    "satisfied": {"t1"},
    "dissatisfied": {"t2"},
}


@pytest.mark.parametrize("kpi", sorted(DRILLS))
def test_the_tickets_behind_each_figure(week, frozen, kpi):
    numbers = {getattr(week, name).number: name for name in ("t0", "t1", "t2", "t3", "t4", "t5", "t6", "t7", "t8")}
    listed = r.drill_tickets(r.Drill(WEEK, r.Filters(), kpi=kpi), now=NOW).values_list("number", flat=True)
    assert {numbers[n] for n in listed} == DRILLS[kpi]


def test_a_breakdown_rows_link_lists_its_tickets(week, frozen, desktop, tom):
    def listed(**kw):
        return set(r.drill_tickets(r.Drill(WEEK, r.Filters(), **kw), now=NOW).values_list("pk", flat=True))

    assert listed(dim="group", value=str(desktop.pk)) == {week.t2.pk, week.t6.pk, week.t7.pk}
    assert listed(dim="group", value="none") == {week.t1.pk, week.t4.pk, week.t5.pk}
    assert listed(dim="technician", value=str(tom.pk), kpi="reopened") == {week.t2.pk, week.t7.pk}
    assert listed(dim="channel", value="email") == {week.t3.pk, week.t7.pk}
    assert listed(dim="day", value="2026-03-03") == {week.t7.pk}
    assert listed(dim="week", value="2026-03-04") == {getattr(week, f"t{i}").pk for i in range(1, 8)}
    assert listed(dim="group", value="nonsense") == set()
    assert listed(dim="agent", value="none") == {week.t4.pk}  # bob filed it himself
    assert len(listed(dim="agent", value=str(week.t1.created_by_id))) == 6


def test_backlog_ageing_counts_open_tickets_now(week, frozen):
    backlog = {b["key"]: b["count"] for b in r.backlog_ageing(r.Filters(), now=NOW)}
    # Open on the 20th: T0 (19 days), T3 and T4 (18 days), T8 (11 days).
    assert backlog == {"lt1d": 0, "1to3d": 0, "3to7d": 0, "7to30d": 4, "gt30d": 0}
    listed = r.drill_tickets(r.Drill(None, r.Filters(), age="7to30d"), now=NOW)
    assert set(listed.values_list("pk", flat=True)) == {week.t0.pk, week.t3.pk, week.t4.pk, week.t8.pk}


def test_complaint_rate_counts_complaints_against_tickets(frozen, alice, bob, desktop, always_policy):
    with at(2026, 3, 10, 9, 0):
        services.ticket_create(
            actor=alice, data=services.TicketInput(requester=bob, type="incident", title="Slow PC", channel="phone")
        )
        complaints.complaint_register(
            actor=alice,
            about="group",
            group=desktop,
            data=services.TicketInput(requester=bob, type="complaint", title="Nobody came", channel="phone"),
        )
    period = r.Period(date(2026, 3, 10), date(2026, 3, 10))
    kpis = summary(period)
    assert (kpis.tickets, kpis.complaints, kpis.complaint_rate) == (2, 1, 0.5)
    by_group = r.report_breakdowns(r.Scope.of(period), ["group"], now=NOW)["group"]
    assert {row.key: row.kpis.complaints for row in by_group}[desktop.pk] == 1
    drilled = r.drill_tickets(r.Drill(period, r.Filters(), dim="group", value=str(desktop.pk), kpi="complaints"))
    assert list(drilled.values_list("type", flat=True)) == [Ticket.Type.COMPLAINT]


def test_the_dashboard_compares_with_the_previous_period(week, frozen, hardware):
    board = r.report_dashboard(r.Period(date(2026, 3, 9), date(2026, 3, 15)), r.Filters(), now=NOW)
    assert board.previous == WEEK
    assert board.current.tickets == 1 and board.before.tickets == 7
    tile = next(t for t in board.tiles() if t["spec"].name == "tickets")
    assert tile["delta"] == -6
    assert [row.key for row in board.trend] == [date(2026, 3, d) for d in range(9, 16)]  # every day, even empty
    assert [(row.key, row.kpis.tickets) for row in board.top_by_volume] == [(hardware.pk, 1)]  # T8
    assert board.top_by_breach == [(row) for row in board.top_by_breach if row.kpis.breaches]


def test_the_dashboard_top_categories(week, frozen, hardware):
    board = r.report_dashboard(WEEK, r.Filters(), now=NOW)
    assert [(row.key, row.kpis.tickets) for row in board.top_by_volume] == [(hardware.pk, 4)]
    assert [(row.key, row.kpis.breaches) for row in board.top_by_breach] == [(hardware.pk, 1)]
    assert board.trend_bucket == "day"


@pytest.mark.parametrize(
    ("period", "previous"),
    [
        (
            r.Period(date(2026, 3, 1), date(2026, 3, 31), "month"),
            r.Period(date(2026, 2, 1), date(2026, 2, 28), "month"),
        ),
        (r.Period(date(2026, 3, 2), date(2026, 3, 8), "week"), r.Period(date(2026, 2, 23), date(2026, 3, 1), "week")),
        (r.Period(date(2026, 3, 5), date(2026, 3, 5), "today"), r.Period(date(2026, 3, 4), date(2026, 3, 4), "today")),
        (r.Period(date(2026, 3, 5), date(2026, 3, 14)), r.Period(date(2026, 2, 23), date(2026, 3, 4))),
    ],
)
def test_the_previous_period(period, previous):
    assert period.previous() == previous


def test_presets_and_trend_buckets():
    today = date(2026, 3, 18)  # a Wednesday
    assert r.Period.preset("today", today) == r.Period(today, today, "today")
    assert r.Period.preset("week", today) == r.Period(date(2026, 3, 16), date(2026, 3, 22), "week")
    assert r.Period.preset("month", today) == r.Period(date(2026, 3, 1), date(2026, 3, 31), "month")
    assert r.Period(date(2026, 1, 1), date(2026, 1, 31)).bucket() == "day"
    assert r.Period(date(2026, 1, 1), date(2026, 3, 31)).bucket() == "week"
    assert r.Period(date(2026, 1, 1), date(2026, 12, 31)).bucket() == "month"
    assert r.Period.iso_week(2026, 10) == r.Period(date(2026, 3, 2), date(2026, 3, 8), "week")


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({}, "from"),
        ({"from": "2026-03-01"}, "to"),
        ({"from": "2026-3-1", "to": "2026-03-02"}, "from"),
        ({"from": "2026-02-30", "to": "2026-03-02"}, "from"),
        ({"from": "2026-03-05", "to": "2026-03-01"}, "to"),
        ({"from": "yesterday", "to": "2026-03-01"}, "from"),
    ],
)
def test_bad_or_missing_dates_are_field_errors(params, field):
    from servicedesk.errors import ValidationFailed

    with pytest.raises(ValidationFailed) as caught:
        r.period_from_params(params)
    assert field in caught.value.errors


def test_percentile_matches_postgresql():
    assert r.percentile([], 0.9) is None
    assert r.percentile([7], 0.9) == 7
    assert r.percentile([600, 600, 1200, 1800, 7200], 0.9) == pytest.approx(5040)


def test_deflections_and_the_notice_on_time_rate_come_from_their_apps(frozen, bob, desktop, network, monkeypatch):
    from knowledge.models import Deflection
    from notices import selectors as notice_selectors

    # Counting is what is tested here: the rows are made directly (the knowledge tests cover deflection_record).
    with at(2026, 3, 10, 9, 0):
        Deflection.objects.create(user=bob, query="printer jam")
        Deflection.objects.create(session_key="anon-1", query="vpn")
    with at(2026, 3, 12, 9, 0):
        Deflection.objects.create(session_key="anon-2", query="later")
    asked = {}

    def timeliness(*, start=None, end=None):
        asked.update(start=start, end=end)
        return [
            notice_selectors.TeamTimeliness(desktop.pk, "Desktop support", published=4, late=1, returned=0),
            notice_selectors.TeamTimeliness(network.pk, "Network", published=1, late=1, returned=2),
        ]

    monkeypatch.setattr(notice_selectors, "notice_timeliness", timeliness)
    period = r.Period(date(2026, 3, 10), date(2026, 3, 10))
    kpis = summary(period)
    assert kpis.deflections == 1 + 1
    assert (kpis.notices_published, kpis.notices_late, kpis.notice_on_time_rate) == (5, 2, 0.6)
    assert (asked["start"], asked["end"]) == r.Period.bounds(period)
    desk = summary(period, group=desktop.pk)
    assert desk.notice_on_time_rate == 0.75
    assert desk.deflections == 2  # a deflection has no group: the filter does not narrow it


def test_a_paused_clock_has_no_verdict_until_it_runs_past_its_target(frozen, alice, bob, tom, desktop, always_policy):
    with at(2026, 3, 10, 9, 0):
        t = services.ticket_create(
            actor=alice, data=services.TicketInput(requester=bob, type="incident", title="Waiting", channel="phone")
        )
        t = services.ticket_assign(ticket=t, actor=alice, group=desktop, assignee=tom)
    with at(2026, 3, 10, 9, 10):
        t = services.ticket_accept(ticket=t, actor=tom)
    with at(2026, 3, 10, 9, 20):
        services.ticket_pend(ticket=t, actor=tom, reason="Waiting for the user's screenshot")
    period = r.Period(date(2026, 3, 10), date(2026, 3, 10))
    # Ten days later the resolution clock has used 20 of its 240 minutes: neither met nor breached.
    kpis = summary(period)
    assert (kpis.response_met, kpis.response_breached) == (1, 0)
    assert (kpis.resolution_met, kpis.resolution_breached, kpis.resolution_sla_rate) == (0, 0, None)
    assert kpis.resolution_mean is None  # not stopped: no time to resolution yet
    assert not r.drill_tickets(r.Drill(period, r.Filters(), kpi="resolution_breached"), now=NOW).exists()


def test_a_ticket_reopened_twice_counts_once(frozen, alice, bob, always_policy):
    with at(2026, 3, 11, 9, 0):
        t = services.ticket_create(
            actor=alice, data=services.TicketInput(requester=bob, type="incident", title="Flaky", channel="phone")
        )
        for _ in range(2):
            t = services.ticket_resolve(ticket=t, actor=alice, resolution="Restarted it")
            t = services.ticket_reopen(ticket=t, actor=bob, reason="Again")
        services.ticket_resolve(ticket=t, actor=alice, resolution="Replaced it")
    kpis = summary(r.Period(date(2026, 3, 11), date(2026, 3, 11)))
    assert (kpis.tickets, kpis.resolved, kpis.reopened, kpis.reopen_rate) == (1, 1, 1, 1.0)
    assert kpis.followups == 1  # the two withdrawn by the reopens do not count
    assert r.resolutions_by_actor(r.Scope.of(r.Period(date(2026, 3, 11), date(2026, 3, 11))))[alice.pk] == {
        "resolutions": 3,
        "first_contact": 0,
    }
