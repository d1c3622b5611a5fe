"""The Django admin for knowledge articles: a basic editor until the review workflow lands with the knowledge
issue (then status changes go through its services, as ticket changes do)."""

from __future__ import annotations

from django.contrib import admin

from servicedesk.admin import AuditedAdmin

from .models import Article


@admin.register(Article)
class ArticleAdmin(AuditedAdmin):
    list_display = ["title", "category", "audience", "status", "author", "updated_at"]
    list_filter = ["status", "audience", "category"]
    list_select_related = ["category__parent", "author"]
    search_fields = ["title", "body"]
    autocomplete_fields = ["author", "category"]
    date_hierarchy = "updated_at"
    ordering = ["-updated_at"]
