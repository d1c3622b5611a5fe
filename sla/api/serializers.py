from __future__ import annotations

from rest_framework import serializers

from servicedesk.models import Category, CustomerTier
from sla.models import Calendar, Policy, fmt_minute
from tickets.models import Ticket


class WorkingHoursSerializer(serializers.Serializer):
    weekday = serializers.IntegerField(min_value=0, max_value=6)
    start = serializers.CharField(max_length=5)
    end = serializers.CharField(max_length=5)


class CalendarSerializer(serializers.ModelSerializer):
    working_hours = serializers.SerializerMethodField()
    holidays = serializers.SerializerMethodField()
    extra_workdays = serializers.SerializerMethodField()

    class Meta:
        model = Calendar
        fields = ["id", "name", "time_zone", "is_default", "working_hours", "holidays", "extra_workdays", "updated_at"]
        read_only_fields = fields

    def get_working_hours(self, c: Calendar) -> list[dict]:
        return [
            {"weekday": i.weekday, "start": fmt_minute(i.start_minute), "end": fmt_minute(i.end_minute)}
            for i in c.intervals.all()
        ]

    def get_holidays(self, c: Calendar) -> list[str]:
        return [h.date.isoformat() for h in c.holidays.all()]

    def get_extra_workdays(self, c: Calendar) -> list[str]:
        return [d.date.isoformat() for d in c.extra_workdays.all()]


class CalendarCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    time_zone = serializers.CharField(max_length=64, required=False, default="Asia/Shanghai")
    working_hours = serializers.ListField(child=serializers.DictField(), allow_empty=True)
    holidays = serializers.ListField(child=serializers.DateField(), required=False, default=list)
    extra_workdays = serializers.ListField(child=serializers.DateField(), required=False, default=list)
    is_default = serializers.BooleanField(required=False, default=False)


class PolicySerializer(serializers.ModelSerializer):
    class Meta:
        model = Policy
        fields = [
            "id",
            "name",
            "calendar",
            "customer_tier",
            "priority",
            "ticket_type",
            "category",
            "response_minutes",
            "resolution_minutes",
            "warning_percent",
            "is_active",
            "created_at",
        ]
        read_only_fields = fields


class PolicyCreateSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=120)
    calendar = serializers.PrimaryKeyRelatedField(queryset=Calendar.objects.all())
    customer_tier = serializers.ChoiceField(choices=CustomerTier.choices, required=False, allow_null=True, default=None)
    priority = serializers.IntegerField(min_value=1, max_value=4)
    ticket_type = serializers.ChoiceField(
        choices=[("", ""), *Ticket.Type.choices], required=False, allow_blank=True, default=""
    )
    category = serializers.PrimaryKeyRelatedField(
        queryset=Category.objects.all(), required=False, allow_null=True, default=None
    )
    response_minutes = serializers.IntegerField(min_value=1, max_value=10_000_000)
    resolution_minutes = serializers.IntegerField(min_value=1, max_value=10_000_000)
    warning_percent = serializers.IntegerField(min_value=1, max_value=100, required=False, default=75)
