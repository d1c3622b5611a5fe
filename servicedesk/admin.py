"""The Django admin for people and configuration: users and their roles, departments, support groups, the
service catalogue. The audit log and the notifications are shown read-only.

Admin edits of configuration are written by Django's forms, so each one records an audit event here (who,
what, which fields), like the configuration services do."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .models import AuditEvent, Category, Department, Notification, Role, SupportGroup, User
from .services import audit

admin.site.site_header = _("IT service desk administration")
admin.site.site_title = _("IT service desk")
admin.site.index_title = _("Configuration")


class AuditedAdmin(admin.ModelAdmin):
    """Records an audit event for every add, change and delete made in the admin."""

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        kind = "changed" if change else "created"
        audit(
            request.user,
            f"{obj._meta.model_name}_{kind}",
            obj,
            {"via": "admin", "fields": sorted(form.changed_data)},
        )

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        audit(request.user, f"{obj._meta.model_name}_deleted", obj, {"via": "admin", "name": str(obj)})
        super().delete_model(request, obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        for obj in queryset:
            audit(request.user, f"{obj._meta.model_name}_deleted", obj, {"via": "admin", "name": str(obj)})
        super().delete_queryset(request, queryset)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records that only services write: the admin shows them and changes nothing."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(User)
class UserAdmin(AuditedAdmin, DjangoUserAdmin):
    """People. Roles are the auth groups named after `Role` (end_user, agent, technician, ...)."""

    list_display = [
        "username",
        "display_name",
        "email",
        "phone",
        "department",
        "customer_tier",
        "roles",
        "is_active",
    ]
    list_filter = ["groups", "customer_tier", "department", "is_active", "is_superuser"]
    list_select_related = ["department"]
    search_fields = ["username", "display_name", "first_name", "last_name", "email", "phone"]
    ordering = ["username"]
    filter_horizontal = ["groups", "user_permissions"]
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (
            _("Person"),
            {
                "fields": (
                    "display_name",
                    ("first_name", "last_name"),
                    "email",
                    "phone",
                    "department",
                    "customer_tier",
                    "language",
                )
            },
        ),
        (
            _("Roles"),
            {
                "fields": ("groups",),
                "description": _(
                    "Each role is a group: end_user, agent, callback_agent, technician, incident_manager, "
                    "quality_analyst, supervisor, admin."
                ),
            },
        ),
        (
            _("Django admin access"),
            {"fields": ("is_active", "is_staff", "is_superuser", "user_permissions"), "classes": ("collapse",)},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("username", "usable_password", "password1", "password2")}),
        (
            _("Person"),
            {"fields": ("display_name", "email", "phone", "department", "customer_tier", "language", "groups")},
        ),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[User]:
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description=_("roles"))
    def roles(self, user: User) -> str:
        labels = dict(Role.choices)
        return ", ".join(str(labels[g.name]) for g in user.groups.all() if g.name in labels)


@admin.register(Department)
class DepartmentAdmin(AuditedAdmin):
    list_display = ["name", "people", "created_at"]
    search_fields = ["name"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Department]:
        return super().get_queryset(request).annotate(people_count=Count("users"))

    @admin.display(description=_("people"), ordering="people_count")
    def people(self, department: Department) -> int:
        return department.people_count


@admin.register(SupportGroup)
class SupportGroupAdmin(AuditedAdmin):
    list_display = ["name", "lead", "member_count", "is_field_team", "is_active"]
    list_filter = ["is_active", "is_field_team"]
    list_select_related = ["lead"]
    search_fields = ["name"]
    filter_horizontal = ["members"]
    autocomplete_fields = ["lead"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[SupportGroup]:
        return super().get_queryset(request).annotate(member_total=Count("members"))

    @admin.display(description=_("members"), ordering="member_total")
    def member_count(self, group: SupportGroup) -> int:
        return group.member_total


@admin.register(Category)
class CategoryAdmin(AuditedAdmin):
    """The service catalogue. A ticket filed under a category is dispatched to its default group, or to the
    nearest ancestor's."""

    list_display = ["__str__", "parent", "default_group", "routed_to", "is_active"]
    list_filter = ["is_active", ("parent", admin.RelatedOnlyFieldListFilter), "default_group"]
    list_select_related = ["parent__parent__default_group", "parent__default_group", "default_group"]
    search_fields = ["name", "parent__name"]
    autocomplete_fields = ["parent"]
    ordering = ["parent__name", "name"]

    @admin.display(description=_("routed to"))
    def routed_to(self, category: Category) -> str:
        group = category.routing_group()
        return str(group) if group else "—"


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "who", "kind", "object_type", "object_id"]
    list_filter = ["kind", "object_type"]
    list_select_related = ["actor"]
    search_fields = ["object_id", "kind"]
    date_hierarchy = "at"
    show_full_result_count = False  # an append-only log grows without bound: no COUNT(*) per page

    @admin.display(description=_("actor"), ordering="actor")
    def who(self, event: AuditEvent) -> str:
        return str(event.actor) if event.actor_id else _("system")


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "to", "verb", "message", "read_at", "emailed_at"]
    list_filter = ["verb", ("read_at", admin.EmptyFieldListFilter)]
    list_select_related = ["recipient"]
    search_fields = ["recipient__username", "recipient__display_name", "message"]
    date_hierarchy = "created_at"
    show_full_result_count = False

    @admin.display(description=_("recipient"), ordering="recipient")
    def to(self, notification: Notification) -> str:
        return str(notification.recipient)
