"""Every write to the knowledge base. Each service takes the acting user, locks the article, checks the review
workflow, writes named columns, records an audit event and keeps the search document up to date.

The workflow (API.md): draft → in_review (submit) → approved (approve, by someone other than the author) →
published (publish) → archived (archive); a reviewer may send an article back (reject: in_review → draft).
Any other step is a 409 (InvalidTransition), and so is approving one's own article: it is an illegal step of
the review, not a missing permission. A person who is not support staff may take no step at all (403).
Every edit of a published article, and the publication itself, stores a version (diff and restore)."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from servicedesk.errors import InvalidTransition, NotAllowed, ValidationFailed
from servicedesk.models import Category, User
from servicedesk.services import audit

from . import search
from .models import Article, ArticleAttachment, ArticleFeedback, ArticleVersion, Deflection, Tag

logger = logging.getLogger(__name__)

S = Article.Status
A = Article.Audience

MAX_TAGS = 10
MAX_BODY_CHARS = 100_000

# action -> statuses it may start from
TRANSITIONS: dict[str, tuple[str, ...]] = {
    "submit": (S.DRAFT,),
    "approve": (S.IN_REVIEW,),
    "reject": (S.IN_REVIEW,),
    "publish": (S.APPROVED,),
    "archive": (S.DRAFT, S.IN_REVIEW, S.APPROVED, S.PUBLISHED),
    "mark_reviewed": (S.PUBLISHED,),
}


def may_edit(user: User | None) -> bool:
    """Support staff write and review articles; end users and anonymous visitors only read them."""
    return user is not None and user.is_authenticated and user.is_staff_member


def can(user: User | None, action: str, article: Article) -> bool:
    """May `user` take `action` on `article` now (offered on the pages only when it will work)."""
    if not may_edit(user):
        return False
    if article.status not in TRANSITIONS.get(action, ()):
        return False
    return not (action == "approve" and article.author_id == user.pk)


def available_actions(user: User | None, article: Article) -> list[str]:
    return [action for action in TRANSITIONS if can(user, action, article)]


def _require_staff(actor: User | None) -> None:
    if not may_edit(actor):
        raise NotAllowed(_("Only support staff can write or review knowledge articles."))


ACTION_LABELS = {
    "submit": lambda: _("submit for review"),
    "approve": lambda: _("approve"),
    "reject": lambda: _("send back"),
    "publish": lambda: _("publish"),
    "archive": lambda: _("archive"),
    "mark_reviewed": lambda: _("confirm as reviewed"),
    "edit": lambda: _("edit"),
}


def _require_state(article: Article, action: str) -> None:
    if article.status not in TRANSITIONS[action]:
        raise InvalidTransition(
            _("Cannot %(action)s this article while it is %(status)s.")
            % {"action": ACTION_LABELS[action](), "status": article.get_status_display()}
        )


def _lock(article: Article) -> Article:
    """Re-read the row under FOR UPDATE: two reviewers (or an editor and a reviewer) serialise here."""
    return Article.objects.select_for_update(of=("self",)).get(pk=article.pk)


# --- input -------------------------------------------------------------------------------------------------

_SPACE = re.compile(r"\s+")


def clean_tags(names: Iterable[str] | str | None) -> list[str]:
    """Tag names: trimmed, single-spaced, at most 50 characters, without duplicates (case-insensitive)."""
    if names is None:
        return []
    if isinstance(names, str):
        names = re.split(r"[,，;；\n]", names)
    out: dict[str, str] = {}
    for name in names:
        name = _SPACE.sub(" ", str(name or "")).strip()[:50]
        if name:
            out.setdefault(name.lower(), name)
    if len(out) > MAX_TAGS:
        raise ValidationFailed({"tags": [_("At most %(n)d tags.") % {"n": MAX_TAGS}]})
    return list(out.values())


def _tags(names: list[str]) -> list[Tag]:
    tags = []
    for name in names:
        tag = Tag.objects.filter(name__iexact=name).first()
        if tag is None:
            try:
                with transaction.atomic():
                    tag = Tag.objects.create(name=name)
            except IntegrityError:  # created concurrently
                tag = Tag.objects.get(name__iexact=name)
        tags.append(tag)
    return tags


def _validate(title: str, body: str, summary: str, audience: str) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not title:
        errors["title"] = [_("Give the article a title.")]
    elif len(title) > 200:
        errors["title"] = [_("The title is too long (at most 200 characters).")]
    if len(body) > MAX_BODY_CHARS:
        errors["body"] = [_("The body is too long (at most 100,000 characters).")]
    if len(summary) > 500:
        errors["summary"] = [_("The short answer is too long (at most 500 characters).")]
    if audience not in A.values:
        errors["audience"] = [_("Audience must be public or internal.")]
    return errors


# --- search documents ---------------------------------------------------------------------------------------

ARTICLE_VECTOR_SQL = (
    "setweight(to_tsvector('simple', %s), 'A') || setweight(to_tsvector('simple', %s), 'B') "
    "|| setweight(to_tsvector('simple', %s), 'C')"
)


def article_document(article: Article, tag_names: Iterable[str] | None = None) -> tuple[str, str, str]:
    """(title + tags, short answer + body, category) as segmented text: the A, B and C parts of the vector."""
    if tag_names is None:
        tag_names = [t.name for t in article.tags.all()]
    category = str(article.category) if article.category_id else ""
    return (
        search.index_text(" ".join([article.title, *tag_names])),
        search.index_text(f"{article.summary}\n{article.body}"),
        search.index_text(category),
    )


def article_reindex(article: Article) -> None:
    """Recompute the article's search vector. On SQLite (the demo) search reads the columns directly."""
    if connection.vendor != "postgresql":
        return
    a, b, c = article_document(article)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE knowledge_article SET search_vector = {ARTICLE_VECTOR_SQL} WHERE id = %s",  # noqa: S608
            [a, b, c, article.pk],
        )


TICKET_VECTOR_SQL = "setweight(to_tsvector('simple', %s), 'A') || setweight(to_tsvector('simple', %s), 'B')"


def ticket_index(*, ticket_id: int, title: str, description: str, created_at: datetime) -> None:
    """Upsert a ticket's search document (duplicate detection at intake). Called when a ticket is created or its
    text changes; cheap (one statement), so it runs inside the ticket's own transaction."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO knowledge_ticketsearch (ticket_id, created_at, document)
            VALUES (%s, %s, {TICKET_VECTOR_SQL})
            ON CONFLICT (ticket_id) DO UPDATE SET document = EXCLUDED.document, created_at = EXCLUDED.created_at
            """,  # noqa: S608
            [ticket_id, created_at, search.index_text(title), search.index_text(description, limit=4000)],
        )


def tickets_reindex(*, since: datetime | None = None) -> int:
    """Rebuild the ticket search documents (all, or those created since `since`); returns how many."""
    from tickets.models import Ticket

    qs = Ticket.objects.all()
    if since is not None:
        qs = qs.filter(created_at__gte=since)
    n = 0
    for pk, title, description, created_at in qs.values_list("pk", "title", "description", "created_at").iterator(
        chunk_size=2000
    ):
        ticket_index(ticket_id=pk, title=title, description=description, created_at=created_at)
        n += 1
    # Rows whose ticket was back-dated after indexing (imports, the demo) take the ticket's date.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "UPDATE knowledge_ticketsearch s SET created_at = t.created_at FROM tickets_ticket t "
                "WHERE t.id = s.ticket_id AND s.created_at <> t.created_at"
            )
    return n


# --- writing -------------------------------------------------------------------------------------------------


@transaction.atomic
def article_create(
    *,
    actor: User,
    title: str,
    body: str = "",
    summary: str = "",
    category: Category | None = None,
    tags: Iterable[str] | str | None = None,
    audience: str = A.PUBLIC,
    created_from_ticket: Any = None,
) -> Article:
    """A new draft by a staff member (optionally written up from a resolved ticket)."""
    _require_staff(actor)
    title, body, summary = (title or "").strip(), body or "", (summary or "").strip()
    errors = _validate(title, body, summary, audience)
    try:
        tag_names = clean_tags(tags)
    except ValidationFailed as exc:
        errors.update(exc.errors)
    if errors:
        raise ValidationFailed(errors)
    article = Article.objects.create(
        title=title,
        body=body,
        summary=summary,
        category=category,
        audience=audience,
        status=S.DRAFT,
        author=actor,
        created_from_ticket=created_from_ticket,
    )
    if tag_names:
        article.tags.set(_tags(tag_names))
    article_reindex(article)
    audit(
        actor,
        "article_created",
        article,
        {"title": title, "from_ticket": created_from_ticket.number if created_from_ticket else None},
    )
    return article


def _snapshot(article: Article, actor: User | None, note: str = "") -> ArticleVersion:
    article.version += 1
    return ArticleVersion.objects.create(
        article=article,
        number=article.version,
        title=article.title,
        summary=article.summary,
        body=article.body,
        editor=actor if actor is not None and actor.pk else None,
        note=note[:200],
    )


UNSET: Any = object()


@transaction.atomic
def article_update(
    *,
    actor: User,
    article: Article,
    title: str | None = None,
    body: str | None = None,
    summary: str | None = None,
    category: Category | None = UNSET,
    tags: Iterable[str] | str | None = None,
    audience: str | None = None,
    note: str = "",
) -> Article:
    """Edit an article (any field left None/UNSET stays). An archived article is read-only (409).
    Editing a published article stores the new text as the next version, so the change can be diffed and undone."""
    _require_staff(actor)
    article = _lock(article)
    if article.status == S.ARCHIVED:
        raise InvalidTransition(_("An archived article cannot be edited."))
    new_title = article.title if title is None else title.strip()
    new_body = article.body if body is None else body
    new_summary = article.summary if summary is None else summary.strip()
    new_audience = article.audience if audience is None else audience
    errors = _validate(new_title, new_body, new_summary, new_audience)
    tag_names = None
    if tags is not None:
        try:
            tag_names = clean_tags(tags)
        except ValidationFailed as exc:
            errors.update(exc.errors)
    if errors:
        raise ValidationFailed(errors)

    changed: list[str] = []
    for name, value in (
        ("title", new_title),
        ("body", new_body),
        ("summary", new_summary),
        ("audience", new_audience),
    ):
        if getattr(article, name) != value:
            setattr(article, name, value)
            changed.append(name)
    if category is not UNSET and (category.pk if category else None) != article.category_id:
        article.category = category
        changed.append("category")
    old_tags = sorted(t.name for t in article.tags.all())
    if tag_names is not None and sorted(tag_names) != old_tags:
        article.tags.set(_tags(tag_names))
        changed.append("tags")
    if not changed:
        return article
    fields = [f for f in changed if f != "tags"]
    if article.status == S.PUBLISHED and {"title", "body", "summary"} & set(changed):
        _snapshot(article, actor, note or _("Edited"))
        fields.append("version")
    article.save(update_fields=[*fields, "updated_at"])
    article_reindex(article)
    audit(actor, "article_updated", article, {"fields": changed, "version": article.version})
    return article


@transaction.atomic
def article_submit(*, article: Article, actor: User) -> Article:
    """DRAFT → IN_REVIEW: the author (or a colleague) asks for a review."""
    _require_staff(actor)
    article = _lock(article)
    _require_state(article, "submit")
    if not article.body.strip() and not article.summary.strip():
        raise ValidationFailed({"body": [_("Write the article before submitting it for review.")]})
    article.status = S.IN_REVIEW
    article.submitted_at = timezone.now()
    article.save(update_fields=["status", "submitted_at", "updated_at"])
    audit(actor, "article_submitted", article, {"from": S.DRAFT, "to": S.IN_REVIEW})
    return article


@transaction.atomic
def article_approve(*, article: Article, actor: User) -> Article:
    """IN_REVIEW → APPROVED by a reviewer who is not the author (the four-eyes rule; self-approval is a 409)."""
    _require_staff(actor)
    article = _lock(article)
    _require_state(article, "approve")
    if article.author_id == actor.pk:
        raise InvalidTransition(_("The author cannot approve their own article: another colleague must review it."))
    now = timezone.now()
    article.status = S.APPROVED
    article.reviewer = actor
    article.approved_at = now
    article.last_reviewed_at = now
    article.save(update_fields=["status", "reviewer", "approved_at", "last_reviewed_at", "updated_at"])
    audit(actor, "article_approved", article, {"from": S.IN_REVIEW, "to": S.APPROVED})
    return article


@transaction.atomic
def article_reject(*, article: Article, actor: User, reason: str = "") -> Article:
    """IN_REVIEW → DRAFT: the reviewer sends it back with what to fix."""
    _require_staff(actor)
    article = _lock(article)
    _require_state(article, "reject")
    article.status = S.DRAFT
    article.save(update_fields=["status", "updated_at"])
    audit(actor, "article_rejected", article, {"from": S.IN_REVIEW, "to": S.DRAFT, "reason": (reason or "")[:500]})
    return article


@transaction.atomic
def article_publish(*, article: Article, actor: User) -> Article:
    """APPROVED → PUBLISHED: visible to its audience and findable; the published text becomes a version."""
    _require_staff(actor)
    article = _lock(article)
    _require_state(article, "publish")
    article.status = S.PUBLISHED
    article.published_at = timezone.now()
    article.archived_at = None
    _snapshot(article, actor, _("Published"))
    article.save(update_fields=["status", "published_at", "archived_at", "version", "updated_at"])
    audit(actor, "article_published", article, {"from": S.APPROVED, "to": S.PUBLISHED, "version": article.version})
    return article


@transaction.atomic
def article_archive(*, article: Article, actor: User) -> Article:
    """Any live state → ARCHIVED (final): no longer shown or found; tickets that used it keep their link."""
    _require_staff(actor)
    article = _lock(article)
    _require_state(article, "archive")
    old = article.status
    article.status = S.ARCHIVED
    article.archived_at = timezone.now()
    article.save(update_fields=["status", "archived_at", "updated_at"])
    audit(actor, "article_archived", article, {"from": old, "to": S.ARCHIVED})
    return article


@transaction.atomic
def article_mark_reviewed(*, article: Article, actor: User) -> Article:
    """PUBLISHED stays PUBLISHED: someone checked the content is still right, which clears the stale flag."""
    _require_staff(actor)
    article = _lock(article)
    _require_state(article, "mark_reviewed")
    article.last_reviewed_at = timezone.now()
    article.reviewer = actor
    article.save(update_fields=["last_reviewed_at", "reviewer", "updated_at"])
    audit(actor, "article_reviewed", article, {})
    return article


@transaction.atomic
def article_restore(*, article: Article, actor: User, number: int) -> Article:
    """Bring back the text of version `number`; for a published article that is itself a new version."""
    version = ArticleVersion.objects.filter(article=article, number=number).first()
    if version is None:
        raise ValidationFailed({"version": [_("No such version.")]})
    return article_update(
        actor=actor,
        article=article,
        title=version.title,
        body=version.body,
        summary=version.summary,
        note=_("Restored version %(n)d") % {"n": number},
    )


@transaction.atomic
def article_attachment_add(*, article: Article, actor: User, upload: UploadedFile) -> ArticleAttachment:
    """An image or file for the article, checked like ticket uploads (size, sniffed type; no HTML or SVG)."""
    from tickets.uploads import inspect_upload

    _require_staff(actor)
    article = _lock(article)
    if article.status == S.ARCHIVED:
        raise InvalidTransition(_("An archived article cannot be edited."))
    name, content_type = inspect_upload(upload, max_bytes=settings.ATTACHMENT_MAX_BYTES)
    attachment = ArticleAttachment(
        article=article, name=name, size=upload.size, content_type=content_type, uploaded_by=actor
    )
    attachment.file.save(name, upload, save=False)
    attachment.save()
    audit(actor, "article_attachment_added", article, {"attachment": attachment.pk, "name": name})
    return attachment


# --- metrics ---------------------------------------------------------------------------------------------------


def article_record_view(*, article: Article) -> None:
    """Count a view: one UPDATE, no lock (a lost race costs nothing but F() cannot lose one)."""
    Article.objects.filter(pk=article.pk).update(view_count=F("view_count") + 1)


@transaction.atomic
def article_vote(*, article: Article, helpful: bool, user: User | None = None, session_key: str = "") -> bool:
    """'Was this helpful?': one vote per person (or anonymous session) and article; voting again changes it.
    Returns True when the counters changed."""
    user = user if user is not None and user.is_authenticated else None
    if user is None and not session_key:
        return False
    lookup: dict[str, Any] = {"article": article, "user": user}
    if user is None:
        lookup["session_key"] = session_key[:64]
    Article.objects.select_for_update().filter(pk=article.pk).values_list("pk").first()  # serialise the counters
    existing = ArticleFeedback.objects.filter(**lookup).first()
    if existing is not None and existing.helpful == helpful:
        return False
    if existing is None:
        ArticleFeedback.objects.create(**lookup, helpful=helpful)
        delta = {"helpful_yes": F("helpful_yes") + 1} if helpful else {"helpful_no": F("helpful_no") + 1}
    else:
        existing.helpful = helpful
        existing.save(update_fields=["helpful"])
        if helpful:
            delta = {"helpful_yes": F("helpful_yes") + 1, "helpful_no": F("helpful_no") - 1}
        else:
            delta = {"helpful_yes": F("helpful_yes") - 1, "helpful_no": F("helpful_no") + 1}
    Article.objects.filter(pk=article.pk).update(**delta)
    return True


@transaction.atomic
def deflection_record(
    *, article: Article, user: User | None = None, session_key: str = "", query: str = ""
) -> Deflection | None:
    """'Did this solve your problem?' — yes, before a report was filed: a deflected report, counted once per
    person (or session) and article. It is also a helpful vote."""
    user = user if user is not None and user.is_authenticated else None
    if user is None and not session_key:
        return None
    lookup: dict[str, Any] = {"article": article, "user": user}
    if user is None:
        lookup["session_key"] = session_key[:64]
    Article.objects.select_for_update().filter(pk=article.pk).values_list("pk").first()
    if Deflection.objects.filter(**lookup).exists():
        return None
    deflection = Deflection.objects.create(**lookup, query=(query or "")[:500])
    Article.objects.filter(pk=article.pk).update(deflection_count=F("deflection_count") + 1)
    article_vote(article=article, helpful=True, user=user, session_key=session_key)
    return deflection


# --- tickets ---------------------------------------------------------------------------------------------------


def article_answer(article: Article) -> str:
    """The text an agent pastes into a reply or a resolution: the short answer, else the body as plain text."""
    text = article.summary.strip() or search.plain_text(article.body)
    return text[:4000]


def ticket_resolve_with_article(
    *, ticket: Any, actor: User, article: Article, expected_version: int | None = None
) -> Any:
    """Resolve a ticket with a published article's answer, on first contact (the ticket service decides whether
    it still counts as first contact: only a ticket never dispatched or reopened does)."""
    from tickets import services as ticket_services

    if article.status != S.PUBLISHED:
        raise ValidationFailed({"article": [_("Only a published article can resolve a ticket.")]})
    resolution = _("Resolved with knowledge article “%(title)s”:") % {"title": article.title}
    return ticket_services.ticket_resolve(
        ticket=ticket,
        actor=actor,
        resolution=f"{resolution}\n{article_answer(article)}",
        first_contact=True,
        article=article,
        expected_version=expected_version,
    )


# --- stale content ---------------------------------------------------------------------------------------------


def stale_cutoff(now: datetime | None = None) -> datetime:
    return (now or timezone.now()) - relativedelta(months=settings.KB_STALE_MONTHS)


def stale_articles(now: datetime | None = None):
    """Published articles nobody has reviewed for KB_STALE_MONTHS months (default 6)."""
    return Article.objects.annotate(reviewed=Coalesce("last_reviewed_at", "published_at", "created_at")).filter(
        status=S.PUBLISHED, reviewed__lt=stale_cutoff(now)
    )


def stale_articles_notify(now: datetime | None = None) -> int:
    """Tell each stale article's owner (its author), once per article per calendar month: the notification key
    names the month, and notify() is idempotent per key, so re-runs and concurrent runs notify once."""
    from servicedesk.notifications import notify

    now = now or timezone.now()
    month = timezone.localtime(now).strftime("%Y-%m")
    sent = 0
    for article in stale_articles(now).select_related("author").order_by("pk").iterator(chunk_size=500):
        if not article.author.is_active:
            continue

        def message(article: Article = article) -> tuple[str, str]:
            subject = _("Knowledge article needs a review: %(title)s") % {"title": article.title}
            text = _(
                "“%(title)s” has not been reviewed for %(months)d months. Check it is still right, then confirm "
                "it as reviewed, edit it, or archive it."
            ) % {"title": article.title, "months": settings.KB_STALE_MONTHS}
            return subject, text

        created = notify(
            recipient=article.author,
            key=f"kb-stale:{article.pk}:{month}",
            verb="kb_stale",
            message_factory=message,
            url=reverse("knowledge:detail", args=[article.pk]),
        )
        sent += created is not None
    return sent
