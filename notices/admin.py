"""Notices in the admin are read-only: every change goes through the workflow (notices.services), which checks
who may take the step, freezes approved content and records the trail. The admin is for looking things up."""

from __future__ import annotations

from django.contrib import admin

from .models import Notice, NoticeDelivery, NoticeEvent


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class NoticeEventInline(admin.TabularInline):
    model = NoticeEvent
    extra = 0
    fields = ["at", "kind", "actor", "data"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Notice)
class NoticeAdmin(ReadOnlyAdmin):
    list_display = ["title", "type", "severity", "owner_group", "status", "publish_at", "published_at", "is_late"]
    list_filter = ["status", "type", "severity", "is_late", "owner_group"]
    search_fields = ["title", "body"]
    date_hierarchy = "created_at"
    list_select_related = ["owner_group"]
    inlines = [NoticeEventInline]


@admin.register(NoticeDelivery)
class NoticeDeliveryAdmin(ReadOnlyAdmin):
    list_display = ["notice", "email", "status", "attempts", "sent_at", "last_error"]
    list_filter = ["status"]
    search_fields = ["email", "notice__title"]
    list_select_related = ["notice"]
    raw_id_fields = ["notice", "recipient"]
