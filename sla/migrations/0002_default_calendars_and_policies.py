"""Default service levels from the handbook numbers, editable afterwards in the admin and the API.

Business hours are weekdays 09:00–12:00 and 13:30–18:00 in Asia/Shanghai, with mainland China's public
holidays and make-up workdays of the years the installed chinese-calendar knows; critical (P1) work runs on
the 7×24 emergency calendar. Targets are business minutes (one working day = 450 minutes). VIPs are not a
separate tier here: a VIP's ticket is already one priority level higher, so it gets the stricter targets."""

from datetime import date

from django.db import migrations

POLICIES = [
    # name, priority, response, resolution, calendar
    ("P1 critical — 1 h response, 4 h resolution (7×24)", 1, 60, 240, "7x24"),
    ("P2 urgent — 4 h response, 2 working days resolution", 2, 240, 900, "business"),
    ("P3 general — 1 working day response, 5 working days resolution", 3, 450, 2250, "business"),
    ("P4 low — 2 working days response, 10 working days resolution", 4, 900, 4500, "business"),
]


def create_defaults(apps, schema_editor):
    Calendar = apps.get_model("sla", "Calendar")
    WorkingInterval = apps.get_model("sla", "WorkingInterval")
    Holiday = apps.get_model("sla", "Holiday")
    ExtraWorkday = apps.get_model("sla", "ExtraWorkday")
    Policy = apps.get_model("sla", "Policy")
    if Calendar.objects.exists():
        return
    business = Calendar.objects.create(name="工作时间 Business hours", time_zone="Asia/Shanghai", is_default=True)
    for weekday in range(5):
        WorkingInterval.objects.create(calendar=business, weekday=weekday, start_minute=9 * 60, end_minute=12 * 60)
        WorkingInterval.objects.create(calendar=business, weekday=weekday, start_minute=13 * 60 + 30, end_minute=18 * 60)
    always = Calendar.objects.create(name="7×24 紧急 Emergency", time_zone="Asia/Shanghai")
    for weekday in range(7):
        WorkingInterval.objects.create(calendar=always, weekday=weekday, start_minute=0, end_minute=1440)
    try:
        from sla.china import china_year
    except ImportError:  # pragma: no cover - the package is a dependency
        china_year = None
    if china_year is not None:
        for year in range(2025, date.today().year + 2):  # noqa: DTZ011
            try:
                days_off, workdays = china_year(year)
            except ValueError:
                continue  # not published yet: enter by hand or run import_china_holidays later
            for d in sorted(days_off):
                Holiday.objects.get_or_create(calendar=business, date=d, defaults={"name": f"China {year}"})
            for d in sorted(workdays):
                ExtraWorkday.objects.get_or_create(calendar=business, date=d, defaults={"name": f"China {year} 调休"})
    calendars = {"business": business, "7x24": always}
    for name, priority, response, resolution, cal in POLICIES:
        Policy.objects.create(
            name=name,
            calendar=calendars[cal],
            priority=priority,
            response_minutes=response,
            resolution_minutes=resolution,
            warning_percent=75,
        )


class Migration(migrations.Migration):
    dependencies = [("sla", "0001_initial")]

    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]
