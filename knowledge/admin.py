"""The Django admin for knowledge articles: a read-mostly view for administrators. The review workflow (submit,
approve, publish, archive) and versioned edits go through knowledge.services on the knowledge pages and the
API, so the admin shows status, reviewer and metrics read-only; a text fix saved here is re-indexed for search."""

from __future__ import annotations

from django.contrib import admin

from servicedesk.admin import AuditedAdmin

from . import services
from .models import Article, ArticleVersion, Deflection, Tag


class VersionInline(admin.TabularInline):
    model = ArticleVersion
    extra = 0
    can_delete = False
    fields = ["number", "title", "editor", "note", "created_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Article)
class ArticleAdmin(AuditedAdmin):
    list_display = ["title", "category", "audience", "status", "author", "view_count", "updated_at"]
    list_filter = ["status", "audience", "category"]
    list_select_related = ["category__parent", "author"]
    search_fields = ["title", "body"]
    autocomplete_fields = ["author", "category"]
    filter_horizontal = ["tags"]
    date_hierarchy = "updated_at"
    ordering = ["-updated_at"]
    readonly_fields = [
        "status",
        "reviewer",
        "version",
        "submitted_at",
        "approved_at",
        "published_at",
        "archived_at",
        "last_reviewed_at",
        "view_count",
        "helpful_yes",
        "helpful_no",
        "deflection_count",
        "created_from_ticket",
    ]
    inlines = [VersionInline]

    def save_related(self, request, form, formsets, change) -> None:
        super().save_related(request, form, formsets, change)
        services.article_reindex(form.instance)  # tags are saved by now


@admin.register(Tag)
class TagAdmin(admin.ModelAdmin):
    search_fields = ["name"]


@admin.register(Deflection)
class DeflectionAdmin(admin.ModelAdmin):
    list_display = ["created_at", "article", "user", "query"]
    list_select_related = ["article", "user"]
    date_hierarchy = "created_at"
    readonly_fields = ["article", "user", "session_key", "query", "created_at"]

    def has_add_permission(self, request) -> bool:
        return False
