"""Knowledge API serializers. Output is read-only; input serializers list their writable fields, so nobody sets
status, author, reviewer, counters or timestamps by posting them. Every text field is returned as stored (JSON
is not HTML); the two HTML fields — `snippet` and `body_html` — are escaped or sanitised, so a consumer that
inserts them into a page gets inert markup (only <mark> in a snippet; nh3's allow-list in a body)."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from servicedesk.models import Category

from ..models import Article, ArticleVersion
from ..rendering import render_markdown


def _category(article: Article) -> dict | None:
    if not article.category_id:
        return None
    return {"id": article.category_id, "name": str(article.category)}


class CategoryRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ArticleHitSerializer(serializers.Serializer):
    """One search result (or one row of a list)."""

    id = serializers.IntegerField(source="article.pk")
    title = serializers.CharField(source="article.title")
    snippet = serializers.CharField(help_text=_("Escaped text around the match; query words in <mark>."))
    summary = serializers.CharField(source="article.summary")
    status = serializers.CharField(source="article.status")
    audience = serializers.CharField(source="article.audience")
    category = serializers.SerializerMethodField()
    tags = serializers.SerializerMethodField()
    url = serializers.SerializerMethodField()
    published_at = serializers.DateTimeField(source="article.published_at")
    updated_at = serializers.DateTimeField(source="article.updated_at")

    @extend_schema_field(CategoryRefSerializer(allow_null=True))
    def get_category(self, hit) -> dict | None:
        return _category(hit.article)

    def get_tags(self, hit) -> list[str]:
        return [t.name for t in hit.article.tags.all()]

    def get_url(self, hit) -> str:
        return reverse("knowledge:detail", args=[hit.article.pk])


class ArticleSerializer(serializers.ModelSerializer):
    category = serializers.SerializerMethodField()
    tags = serializers.SerializerMethodField()
    body_html = serializers.SerializerMethodField()
    author = serializers.SerializerMethodField()
    reviewer = serializers.SerializerMethodField()
    created_from_ticket = serializers.SlugRelatedField(slug_field="number", read_only=True)
    url = serializers.SerializerMethodField()
    metrics = serializers.SerializerMethodField()

    class Meta:
        model = Article
        fields = [
            "id",
            "title",
            "summary",
            "body",
            "body_html",
            "category",
            "tags",
            "audience",
            "status",
            "version",
            "author",
            "reviewer",
            "created_from_ticket",
            "created_at",
            "updated_at",
            "submitted_at",
            "approved_at",
            "published_at",
            "archived_at",
            "last_reviewed_at",
            "url",
            "metrics",
        ]
        read_only_fields = fields

    @extend_schema_field(CategoryRefSerializer(allow_null=True))
    def get_category(self, article: Article) -> dict | None:
        return _category(article)

    def get_tags(self, article: Article) -> list[str]:
        return [t.name for t in article.tags.all()]

    def get_body_html(self, article: Article) -> str:
        return str(render_markdown(article.body))

    def _person(self, user) -> dict | None:
        return {"id": user.pk, "username": user.username, "name": str(user)} if user is not None else None

    def get_author(self, article: Article) -> dict | None:
        return self._person(article.author)

    def get_reviewer(self, article: Article) -> dict | None:
        return self._person(article.reviewer)

    def get_url(self, article: Article) -> str:
        return reverse("knowledge:detail", args=[article.pk])

    def get_metrics(self, article: Article) -> dict:
        return {
            "views": article.view_count,
            "helpful_yes": article.helpful_yes,
            "helpful_no": article.helpful_no,
            "deflections": article.deflection_count,
        }


class TagsField(serializers.ListField):
    """Tag names as a JSON list, or as one comma-separated string (form posts, scripts)."""

    child = serializers.CharField(max_length=50)

    def to_internal_value(self, data):
        if isinstance(data, str):
            data = [part for part in data.replace("，", ",").split(",") if part.strip()]
        return super().to_internal_value(data)


class ArticleWriteSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    body = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False, max_length=100_000)
    summary = serializers.CharField(required=False, allow_blank=True, max_length=500)
    category = serializers.PrimaryKeyRelatedField(
        queryset=Category.objects.filter(is_active=True), required=False, allow_null=True
    )
    tags = TagsField(required=False, help_text=_("A list of tag names (or one comma-separated string)."))
    audience = serializers.ChoiceField(choices=Article.Audience.choices, required=False)
    created_from_ticket = serializers.CharField(
        required=False, allow_blank=True, max_length=32, help_text=_("Number of the ticket it was written from.")
    )


class ArticleUpdateSerializer(ArticleWriteSerializer):
    title = serializers.CharField(max_length=200, required=False)
    note = serializers.CharField(required=False, allow_blank=True, max_length=200)


class RejectSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=500)


class RestoreSerializer(serializers.Serializer):
    version = serializers.IntegerField(min_value=1)


class VersionSerializer(serializers.ModelSerializer):
    editor = serializers.SerializerMethodField()

    class Meta:
        model = ArticleVersion
        fields = ["number", "title", "summary", "body", "editor", "note", "created_at"]
        read_only_fields = fields

    def get_editor(self, version: ArticleVersion) -> dict | None:
        user = version.editor
        return {"id": user.pk, "username": user.username} if user is not None else None
