from django.contrib import admin

from .models import Calendar, Clock, Escalation, ExtraWorkday, Holiday, Policy, WorkingInterval


class WorkingIntervalInline(admin.TabularInline):
    model = WorkingInterval
    extra = 0


class HolidayInline(admin.TabularInline):
    model = Holiday
    extra = 0


class ExtraWorkdayInline(admin.TabularInline):
    model = ExtraWorkday
    extra = 0


@admin.register(Calendar)
class CalendarAdmin(admin.ModelAdmin):
    list_display = ["name", "time_zone", "is_default", "updated_at"]
    inlines = [WorkingIntervalInline, HolidayInline, ExtraWorkdayInline]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        # A new version of the calendar: arithmetic caches keyed by updated_at rebuild.
        form.instance.save(update_fields=["updated_at"])


@admin.register(Policy)
class PolicyAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "priority",
        "customer_tier",
        "ticket_type",
        "category",
        "response_minutes",
        "resolution_minutes",
        "warning_percent",
        "calendar",
        "is_active",
    ]
    list_filter = ["priority", "customer_tier", "is_active", "calendar"]


@admin.register(Clock)
class ClockAdmin(admin.ModelAdmin):
    list_display = ["ticket", "metric", "state", "due_at", "elapsed_seconds", "target_seconds", "next_check_at"]
    list_filter = ["metric", "state"]
    list_select_related = ["ticket"]
    raw_id_fields = ["ticket"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False  # clocks change only through the SLA services


@admin.register(Escalation)
class EscalationAdmin(admin.ModelAdmin):
    list_display = ["clock", "level", "at"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
