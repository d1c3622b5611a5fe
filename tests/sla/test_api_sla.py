"""SLA configuration API (API.md): calendars and policies, validation, permissions, policy matching."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from sla.models import Calendar, Clock

HOURS = [{"weekday": d, "start": s, "end": e} for d in range(5) for s, e in (("09:00", "12:00"), ("13:30", "18:00"))]


def test_supervisor_creates_a_calendar(as_user, sam):
    r = as_user(sam).post(
        "/api/v1/sla/calendars/",
        {
            "name": "Shanghai office",
            "time_zone": "Asia/Shanghai",
            "working_hours": HOURS,
            "holidays": ["2026-10-01", "2026-10-02"],
            "extra_workdays": ["2026-10-10"],
        },
        format="json",
    )
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["id"] and body["time_zone"] == "Asia/Shanghai"
    assert body["working_hours"][:2] == [
        {"weekday": 0, "start": "09:00", "end": "12:00"},
        {"weekday": 0, "start": "13:30", "end": "18:00"},
    ]
    assert body["holidays"] == ["2026-10-01", "2026-10-02"] and body["extra_workdays"] == ["2026-10-10"]


def test_a_7x24_calendar_closes_days_at_24_00(as_user, sam):
    r = as_user(sam).post(
        "/api/v1/sla/calendars/",
        {
            "name": "7x24",
            "time_zone": "UTC",
            "working_hours": [{"weekday": d, "start": "00:00", "end": "24:00"} for d in range(7)],
        },
        format="json",
    )
    assert r.status_code == 201, r.content
    assert r.json()["working_hours"][6] == {"weekday": 6, "start": "00:00", "end": "24:00"}


@pytest.mark.parametrize(
    "patch, field",
    [
        ({"time_zone": "Mars/Olympus"}, "time_zone"),
        ({"working_hours": []}, "working_hours"),
        ({"working_hours": [{"weekday": 0, "start": "12:00", "end": "09:00"}]}, "working_hours"),
        (
            {
                "working_hours": [
                    {"weekday": 0, "start": "09:00", "end": "12:00"},
                    {"weekday": 0, "start": "11:00", "end": "13:00"},
                ]
            },
            "working_hours",
        ),
        ({"working_hours": [{"weekday": 7, "start": "09:00", "end": "12:00"}]}, "working_hours"),
        ({"working_hours": [{"weekday": 1, "start": "9am", "end": "12:00"}]}, "working_hours"),
        ({"holidays": ["2026-13-01"]}, "holidays"),
    ],
)
def test_bad_calendars_are_refused_with_a_field_error_and_nothing_saved(as_user, sam, patch, field):
    before = Calendar.objects.count()
    payload = {"name": "Bad", "time_zone": "Asia/Shanghai", "working_hours": HOURS, **patch}
    r = as_user(sam).post("/api/v1/sla/calendars/", payload, format="json")
    assert r.status_code == 400
    assert field in r.json()
    assert Calendar.objects.count() == before


def test_only_supervisors_and_admins_configure_slas(as_user, alice, bob, api):
    payload = {"name": "X", "working_hours": HOURS}
    assert as_user(alice).post("/api/v1/sla/calendars/", payload, format="json").status_code == 403
    assert as_user(bob).post("/api/v1/sla/policies/", {}, format="json").status_code == 403
    api.force_authenticate(None)
    assert api.get("/api/v1/sla/calendars/").status_code == 401


def test_policy_naming_the_tier_beats_any_tier_and_newest_wins_among_equals(as_user, sam, ada, bob, vera):
    cal = as_user(sam).post("/api/v1/sla/calendars/", {"name": "Biz", "working_hours": HOURS}, format="json").json()

    def policy(name, tier, response):
        r = as_user(ada).post(
            "/api/v1/sla/policies/",
            {"name": name, "calendar": cal["id"], "customer_tier": tier, "priority": 4,
             "response_minutes": response, "resolution_minutes": 600, "warning_percent": 80},
            format="json",
        )  # fmt: skip
        assert r.status_code == 201, r.content
        return r.json()["id"]

    any_old = policy("Any old", None, 100)
    any_new = policy("Any new", None, 90)
    standard = policy("Standard", "standard", 80)
    # bob (standard): the tier-named policy; a VIP at priority 4 would take the newest any-tier one.
    api = as_user(ada)
    r = api.post(
        "/api/v1/tickets/", {"type": "request", "title": "New mouse", "requester": bob.pk, "impact": 3, "urgency": 3}
    )
    assert r.status_code == 201
    assert Clock.objects.get(ticket__number=r.json()["number"], metric="response").policy_id == standard
    assert any_old != any_new
    sla_field = r.json()["sla"]
    assert {t["metric"] for t in sla_field} == {"response", "resolution"}
    assert all(set(t) >= {"metric", "due_at", "state", "remaining_seconds"} for t in sla_field)


def test_bad_policy_is_refused(as_user, sam):
    cal = Calendar.objects.first()
    r = as_user(sam).post(
        "/api/v1/sla/policies/",
        {
            "name": "P",
            "calendar": cal.pk,
            "priority": 5,
            "response_minutes": 0,
            "resolution_minutes": 10,
            "warning_percent": 120,
        },
        format="json",
    )
    assert r.status_code == 400
    assert {"priority", "response_minutes", "warning_percent"} <= set(r.json())


def test_import_china_holidays_adds_make_up_days_and_refuses_unknown_years(db, sam):
    from sla import services as sla

    cal = sla.calendar_create(actor=sam, name="Import target", working_hours=HOURS)
    call_command("import_china_holidays", "2026", "--calendar", str(cal.pk))
    assert cal.extra_workdays.filter(date="2026-02-14").exists()
    assert cal.holidays.filter(date="2026-10-01").exists()
    call_command("import_china_holidays", "2026", "--calendar", str(cal.pk))  # a re-run adds nothing twice
    assert cal.extra_workdays.filter(date="2026-02-14").count() == 1
    with pytest.raises(CommandError):
        call_command("import_china_holidays", "2099", "--calendar", str(cal.pk))
