"""The Django admin for tickets.

Tickets, their events and comments are read-only here: every change to a ticket goes through
`tickets.services` (which locks the row, checks the state machine, records the audit trail, moves the SLA
clocks and notifies people after commit). The desk pages and the REST API call those services; a plain
admin form would skip all of it. The admin is for looking things up. The priority matrix is configuration
and is edited here by supervisors and administrators.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from servicedesk.admin import AuditedAdmin, ReadOnlyAdmin

from .models import Comment, Complaint, FollowUp, FollowUpAttempt, FollowUpRule, PriorityRule, Ticket, TicketEvent


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class CommentInline(ReadOnlyInline):
    model = Comment
    fields = ["created_at", "author", "internal", "body"]
    readonly_fields = fields
    ordering = ["created_at", "id"]


class TicketEventInline(ReadOnlyInline):
    model = TicketEvent
    fields = ["at", "kind", "actor", "internal", "data"]
    readonly_fields = fields
    ordering = ["at", "id"]


@admin.register(Ticket)
class TicketAdmin(ReadOnlyAdmin):
    """Read-only: tickets change only through tickets.services (see the module docstring)."""

    list_display = ["number", "title", "status", "priority", "type", "group", "assignee", "requester", "created_at"]
    list_filter = ["status", "priority", "type", "channel", "is_vip", "group"]
    list_select_related = ["group", "assignee", "requester"]
    search_fields = ["=number", "title", "requester__username", "requester__display_name"]
    date_hierarchy = "created_at"
    ordering = ["-created_at", "-id"]
    show_full_result_count = False  # millions of rows: no extra COUNT(*) over the whole table per page
    raw_id_fields = ["requester", "assignee", "created_by", "parent", "duplicate_of", "resolution_article"]
    inlines = [CommentInline, TicketEventInline]
    fieldsets = (
        (None, {"fields": ("number", "type", "status", "title", "description")}),
        (
            _("Requester"),
            {"fields": ("requester", "department", "contact_email", "contact_phone", "channel", "created_by")},
        ),
        (
            _("Classification"),
            {"fields": ("category", "impact", "urgency", "priority", "is_vip", "started_at", "scope")},
        ),
        (_("Handling"), {"fields": ("group", "assignee", "pending_reason", "parent", "duplicate_of")}),
        (
            _("Resolution"),
            {"fields": ("resolution", "first_contact_resolution", "resolution_article", "reopen_count")},
        ),
        (
            _("Times"),
            {
                "fields": (
                    "created_at",
                    "first_response_at",
                    "resolved_at",
                    "closed_at",
                    "cancelled_at",
                    "sla_due",
                    "updated_at",
                )
            },
        ),
    )


@admin.register(TicketEvent)
class TicketEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "ticket", "kind", "who", "internal"]
    list_filter = ["kind", "internal"]
    list_select_related = ["ticket", "actor"]
    search_fields = ["=ticket__number"]
    raw_id_fields = ["ticket", "actor"]
    date_hierarchy = "at"
    show_full_result_count = False

    @admin.display(description=_("actor"), ordering="actor")
    def who(self, event: TicketEvent) -> str:
        return str(event.actor) if event.actor_id else _("system")


@admin.register(PriorityRule)
class PriorityRuleAdmin(AuditedAdmin):
    """The impact × urgency matrix, changed by supervisors. New and re-classified tickets use it; existing
    priorities stay as they are. A missing cell falls back to min(4, impact + urgency - 1)."""

    list_display = ["cell", "impact", "urgency", "priority"]
    list_editable = ["priority"]
    list_display_links = ["cell"]
    ordering = ["impact", "urgency"]

    @admin.display(description=_("cell"))
    def cell(self, rule: PriorityRule) -> str:
        return str(rule)


@admin.register(FollowUpRule)
class FollowUpRuleAdmin(admin.ModelAdmin):
    """Configuration: which resolved tickets are exempt from the callback, or sampled."""

    list_display = ["name", "ticket_type", "category", "first_contact_only", "sample_percent", "is_active"]
    list_filter = ["is_active", "ticket_type", "first_contact_only"]


class FollowUpAttemptInline(admin.TabularInline):
    model = FollowUpAttempt
    extra = 0
    fields = ["at", "agent", "channel", "reached", "satisfaction", "fix_confirmed", "comment"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(FollowUp)
class FollowUpAdmin(ReadOnlyAdmin):
    list_display = ["ticket", "assignee", "state", "due_at", "satisfaction", "fix_confirmed", "outcome"]
    list_filter = ["state", "outcome"]
    list_select_related = ["ticket", "assignee"]
    search_fields = ["ticket__number", "ticket__title"]
    date_hierarchy = "due_at"
    inlines = [FollowUpAttemptInline]


@admin.register(Complaint)
class ComplaintAdmin(ReadOnlyAdmin):
    list_display = ["ticket", "about", "group", "responsible", "result_at", "satisfaction", "created_at"]
    list_filter = ["about", "group"]
    list_select_related = ["ticket", "group", "responsible"]
    search_fields = ["ticket__number", "ticket__title"]
