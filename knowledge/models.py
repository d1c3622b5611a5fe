"""Knowledge articles (知识管理): reviewed content the desk uses at intake and users read for self-help.

Every write goes through knowledge.services; the search columns (`Article.search_vector`, `TicketSearch.document`)
are derived data the services keep up to date (jieba segmentation happens in Python, so no trigger could do it).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class Tag(models.Model):
    name = models.CharField(_("name"), max_length=50, unique=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("tag")
        verbose_name_plural = _("tags")

    def __str__(self) -> str:
        return self.name


class Article(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        IN_REVIEW = "in_review", _("In review")
        APPROVED = "approved", _("Approved")
        PUBLISHED = "published", _("Published")
        ARCHIVED = "archived", _("Archived")

    class Audience(models.TextChoices):
        PUBLIC = "public", _("Public")
        INTERNAL = "internal", _("Internal")

    title = models.CharField(_("title"), max_length=200)
    summary = models.CharField(
        _("short answer"),
        max_length=500,
        blank=True,
        help_text=_("One or two sentences an agent can read out or paste into a reply."),
    )
    body = models.TextField(_("body"), blank=True, help_text=_("Markdown."))
    category = models.ForeignKey(
        "servicedesk.Category", verbose_name=_("category"), null=True, blank=True, on_delete=models.SET_NULL
    )
    tags = models.ManyToManyField(Tag, verbose_name=_("tags"), blank=True, related_name="articles")
    audience = models.CharField(_("audience"), max_length=16, choices=Audience.choices, default=Audience.PUBLIC)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    # The author owns the article: stale-content reminders go to them.
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewer"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_from_ticket = models.ForeignKey(
        "tickets.Ticket",
        verbose_name=_("created from ticket"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    approved_at = models.DateTimeField(_("approved at"), null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    archived_at = models.DateTimeField(_("archived at"), null=True, blank=True)
    # Approval, and every later "still accurate" confirmation, count as a review; the stale flag reads this.
    last_reviewed_at = models.DateTimeField(_("last reviewed at"), null=True, blank=True)
    # The number of the latest published version (0: never published).
    version = models.PositiveIntegerField(_("version"), default=0)
    # Metrics, kept by the services with F() updates (cheap to show on every list).
    view_count = models.PositiveIntegerField(_("views"), default=0)
    helpful_yes = models.PositiveIntegerField(_("helpful votes"), default=0)
    helpful_no = models.PositiveIntegerField(_("not helpful votes"), default=0)
    deflection_count = models.PositiveIntegerField(_("deflections"), default=0)
    search_vector = SearchVectorField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-updated_at"]
        verbose_name = _("article")
        verbose_name_plural = _("articles")
        indexes = [
            # Full-text search (jieba-segmented, config 'simple'; title weight A, body weight B).
            GinIndex(fields=["search_vector"], name="article_search_idx"),
            # Typo-tolerant fallback for short queries (pg_trgm).
            GinIndex(fields=["title"], opclasses=["gin_trgm_ops"], name="article_title_trgm_idx"),
            models.Index(fields=["status", "audience", "-published_at"], name="article_status_idx"),
            models.Index(fields=["last_reviewed_at"], name="article_review_idx", condition=Q(status="published")),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_published(self) -> bool:
        return self.status == self.Status.PUBLISHED


class ArticleVersion(models.Model):
    """A snapshot of a published article: taken at publication and at every edit while published."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField(_("version"))
    title = models.CharField(_("title"), max_length=200)
    summary = models.CharField(_("short answer"), max_length=500, blank=True)
    body = models.TextField(_("body"), blank=True)
    editor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-number"]
        verbose_name = _("article version")
        verbose_name_plural = _("article versions")
        constraints = [models.UniqueConstraint(fields=["article", "number"], name="article_version_unique")]

    def __str__(self) -> str:
        return f"{self.article_id} v{self.number}"


def article_attachment_path(instance: ArticleAttachment, filename: str) -> str:
    # A random stored name: the uploader's file name is data only and never reaches the file system.
    return f"kb/{instance.article_id}/{uuid.uuid4().hex}"


class ArticleAttachment(models.Model):
    """An image or file of an article; served only through a view that checks the article is visible."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to=article_attachment_path, max_length=200)
    name = models.CharField(_("file name"), max_length=200)
    size = models.PositiveBigIntegerField(_("size"))
    content_type = models.CharField(_("content type"), max_length=100)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("article attachment")
        verbose_name_plural = _("article attachments")

    def __str__(self) -> str:
        return self.name

    @property
    def is_image(self) -> bool:
        return self.content_type in {"image/png", "image/jpeg", "image/gif", "image/webp"}


class ArticleFeedback(models.Model):
    """'Was this helpful?' — one vote per person (or per anonymous session) and article; a new vote replaces it."""

    article = models.ForeignKey(Article, on_delete=models.CASCADE, related_name="feedback")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    session_key = models.CharField(max_length=64, blank=True)
    helpful = models.BooleanField(_("helpful"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("article feedback")
        verbose_name_plural = _("article feedback")
        constraints = [
            models.UniqueConstraint(
                fields=["article", "user"], condition=Q(user__isnull=False), name="feedback_once_per_user"
            ),
            models.UniqueConstraint(
                fields=["article", "session_key"],
                condition=Q(user__isnull=True),
                name="feedback_once_per_session",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.article_id} {'+' if self.helpful else '-'}"


class Deflection(models.Model):
    """A report that was never filed: the user said an article solved their problem before submitting."""

    article = models.ForeignKey(Article, null=True, blank=True, on_delete=models.SET_NULL, related_name="deflections")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    session_key = models.CharField(max_length=64, blank=True)
    query = models.CharField(_("what the user was looking for"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("deflection")
        verbose_name_plural = _("deflections")
        constraints = [
            # Pressing "yes" twice (or reloading) counts once.
            models.UniqueConstraint(
                fields=["article", "user"], condition=Q(user__isnull=False), name="deflection_once_per_user"
            ),
            models.UniqueConstraint(
                fields=["article", "session_key"],
                condition=Q(user__isnull=True),
                name="deflection_once_per_session",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.article_id} {self.created_at:%Y-%m-%d}"


class TicketSearch(models.Model):
    """The search document of a ticket (title weight A, description weight B), for duplicate detection at intake.

    A side table rather than a column on tickets: the knowledge app owns it, the ticket table stays as it is,
    and the 7-day window plus the GIN index keep the similar-ticket query fast at millions of tickets."""

    ticket = models.OneToOneField(
        "tickets.Ticket", primary_key=True, on_delete=models.CASCADE, related_name="search_index"
    )
    created_at = models.DateTimeField()  # the ticket's, copied: the window filter needs no join
    document = SearchVectorField(null=True)

    class Meta:
        verbose_name = _("ticket search document")
        verbose_name_plural = _("ticket search documents")
        indexes = [
            GinIndex(fields=["document"], name="ticket_search_doc_idx"),
            models.Index(fields=["-created_at"], name="ticket_search_created_idx"),
        ]

    def __str__(self) -> str:
        return str(self.ticket_id)
