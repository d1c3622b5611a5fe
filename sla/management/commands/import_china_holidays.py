"""Import mainland China's public holidays and make-up workdays (调休) for a year into a calendar.

The schedule is published by the State Council each autumn for the next year; the data comes from the
chinese-calendar package. Imported days stay editable in the admin; a year the package does not know yet
is entered by hand there."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from sla.china import china_year
from sla.models import Calendar
from sla.services import calendar_import_days, default_calendar


class Command(BaseCommand):
    help = "Import mainland China holidays and make-up workdays for YEAR into a business calendar."

    def add_arguments(self, parser):
        parser.add_argument("year", type=int)
        parser.add_argument("--calendar", help="Calendar id or name (default: the desk's default calendar)")

    def handle(self, *args, year: int, calendar: str | None = None, **options):
        if calendar:
            target = Calendar.objects.filter(pk=int(calendar)).first() if calendar.isdigit() else None
            target = target or Calendar.objects.filter(name=calendar).first()
        else:
            target = default_calendar()
        if target is None:
            raise CommandError(_("No such calendar."))
        try:
            days_off, workdays = china_year(year)
        except ValueError as exc:
            raise CommandError(
                _("No published holiday data for %(year)s (%(error)s). Enter the days by hand in the admin.")
                % {"year": year, "error": exc}
            ) from exc
        added_h, added_w = calendar_import_days(
            actor=None, calendar=target, holidays=days_off, extra_workdays=workdays, source=f"China {year}"
        )
        self.stdout.write(
            _("%(calendar)s: %(h)d holidays and %(w)d make-up workdays added for %(year)s.")
            % {"calendar": target.name, "h": added_h, "w": added_w, "year": year}
        )
