from __future__ import annotations

import django_filters
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from tickets.models import Ticket
from tickets.selectors import ORDERINGS, search_filter


class TicketFilter(django_filters.FilterSet):
    # distinct=False: these filter the ticket's own columns, so no row can repeat, and MultipleChoiceFilter's
    # default SELECT DISTINCT over every joined column costs an on-disk sort at a million tickets.
    status = django_filters.MultipleChoiceFilter(choices=Ticket.Status.choices, distinct=False)
    type = django_filters.MultipleChoiceFilter(choices=Ticket.Type.choices, distinct=False)
    priority = django_filters.MultipleChoiceFilter(choices=Ticket.Priority.choices, distinct=False)
    assignee = django_filters.NumberFilter(field_name="assignee_id")
    group = django_filters.NumberFilter(field_name="group_id")
    requester = django_filters.NumberFilter(field_name="requester_id")
    category = django_filters.NumberFilter(field_name="category_id")
    channel = django_filters.MultipleChoiceFilter(choices=Ticket.Channel.choices, distinct=False)
    search = django_filters.CharFilter(method="filter_search", label=_("Search"))
    ordering = django_filters.ChoiceFilter(
        method="filter_ordering", choices=[(k, k) for k in ORDERINGS], label=_("Ordering")
    )

    class Meta:
        model = Ticket
        fields = ["status", "type", "priority", "assignee", "group", "requester", "category", "channel"]

    def filter_search(self, qs, name, value):
        return qs.filter(search_filter(value)) if value.strip() else qs

    def filter_ordering(self, qs, name, value):
        if value == "sla_due":
            return qs.order_by(F("sla_due").asc(nulls_last=True), "-created_at", "-id")
        if value == "-sla_due":
            return qs.order_by(F("sla_due").desc(nulls_last=True), "-created_at", "-id")
        return qs.order_by(*ORDERINGS[value])
