"""Reads of the knowledge base: who may see which article, search (ranked, highlighted, typo-tolerant),
suggestions at intake (articles and similar open tickets) and the lists the pages render.

Visibility has one rule, used by pages and API alike: support staff see every article (drafts included, where a
page or the API asks for them); everyone else — end users and anonymous visitors — sees published public
articles only. Search and suggestions only ever return published articles."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.contrib.postgres.search import SearchQuery, SearchRank, TrigramWordSimilarity
from django.db import connection, transaction
from django.db.models import (
    BooleanField,
    Case,
    Count,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from servicedesk.models import Category

from . import search
from .models import Article, ArticleVersion, Tag

S = Article.Status

MAX_RESULTS = 200  # a search answers at most this many, best first (pages of 25 over them)
CANDIDATES = 1000  # matches ranked per query phase (see _fts)
WIDEN_BELOW = 25  # fewer articles than a page have every word: add those with some of them
TRIGRAM_MAX_CHARS = 40  # the typo-tolerant fallback is for short queries
TRIGRAM_THRESHOLD = 0.35
# ts_rank_cd weights for D, C, B, A: title (and tags) count most, then body, then category.
RANK_WEIGHTS = [0.05, 0.2, 0.4, 1.0]
RANK_NORMALIZATION = 1  # divide by 1 + log(document length): long bodies do not win by length alone
SIMILAR_TICKET_DAYS = 7


def is_staff(user: Any) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_staff_member)


def articles_visible_to(user: Any) -> QuerySet[Article]:
    """Every article a user may open: staff all of them; anyone else published public ones."""
    if is_staff(user):
        return Article.objects.all()
    return Article.objects.filter(status=S.PUBLISHED, audience=Article.Audience.PUBLIC)


def published_visible_to(user: Any) -> QuerySet[Article]:
    """Published articles of the audiences `user` may read (internal ones for staff only)."""
    qs = Article.objects.filter(status=S.PUBLISHED)
    if not is_staff(user):
        qs = qs.filter(audience=Article.Audience.PUBLIC)
    return qs


LIST_RELATED = ("category__parent", "author")


def with_list_related(qs: QuerySet[Article]) -> QuerySet[Article]:
    # The search vector is for the database only: never load it into Python.
    return (
        qs.defer("search_vector")
        .select_related(*LIST_RELATED)
        .prefetch_related(Prefetch("tags", queryset=Tag.objects.order_by("name")))
    )


def article_get(user: Any, pk: Any) -> Article | None:
    """One article if `user` may see it; anything else is simply not found."""
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return None
    return (
        with_list_related(articles_visible_to(user))
        .select_related("reviewer", "created_from_ticket")
        .filter(pk=pk)
        .first()
    )


def _filtered(qs: QuerySet[Article], category: Any = None, tag: str = "") -> QuerySet[Article]:
    if category:
        cid = category.pk if isinstance(category, Category) else category
        # A category includes its sub-categories (two levels, as the catalogue has).
        qs = qs.filter(Q(category_id=cid) | Q(category__parent_id=cid) | Q(category__parent__parent_id=cid))
    if tag:
        qs = qs.filter(tags__name__iexact=tag.strip()[:50])
    return qs


# --- search -----------------------------------------------------------------------------------------------


@dataclass
class SearchResult:
    """The ids of the matching articles, best first, and the query terms to highlight."""

    ids: list[int]
    terms: list[str] = field(default_factory=list)
    method: str = "browse"  # browse | fts | trigram | like


@dataclass
class Hit:
    article: Article
    snippet: str


def _fts(qs: QuerySet[Article], tsquery: str, limit: int, *, candidates: int = CANDIDATES) -> list[int]:
    """Match through the GIN index and rank with ts_rank_cd, in one scan.

    At most CANDIDATES matches are ranked: that bounds the cost of a query made only of very common words (ranking
    reads every candidate's vector), while a specific query has fewer matches than that and is ranked completely.
    The visibility and filter conditions come from `qs` (the selectors' one rule), compiled by the ORM."""
    query = SearchQuery(tsquery, search_type="raw", config="simple")
    inner = qs.filter(search_vector=query).order_by().values("pk", "published_at", "search_vector")[:candidates]
    sql, params = inner.query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cursor:
        # Take the candidates from the GIN index. With a LIMIT, the planner otherwise prefers scanning the table and
        # testing every row's vector (its cost model prices @@ as cheap), which reads thousands of vectors for a
        # common word instead of the posting list.
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(
            f"SELECT c.pk FROM ({sql}) c "  # noqa: S608 - the ORM's own SQL, everything else is a parameter
            "ORDER BY ts_rank_cd(%s::real[], c.search_vector, to_tsquery('simple', %s), %s) DESC, "
            "c.published_at DESC NULLS LAST, c.pk DESC LIMIT %s",
            [*params, RANK_WEIGHTS, tsquery, RANK_NORMALIZATION, limit],
        )
        return [row[0] for row in cursor.fetchall()]


def _trigram(qs: QuerySet[Article], text: str, limit: int) -> list[int]:
    """Titles that contain something close to `text` (a typo, a missing letter) — pg_trgm word similarity,
    through the GIN trigram index on the title."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL pg_trgm.word_similarity_threshold = %s", [TRIGRAM_THRESHOLD])
        return list(
            qs.extra(where=["%s <%% knowledge_article.title"], params=[text])
            .annotate(sim=TrigramWordSimilarity(Value(text), "title"))
            .order_by("-sim", "-published_at", "-pk")
            .values_list("pk", flat=True)[:limit]
        )


def _like(qs: QuerySet[Article], query: search.Query, limit: int) -> list[int]:
    """The SQLite demo: every word (or one of its parts) somewhere in the title, answer or body."""

    def unit_q(unit: list[str]) -> Q:
        q = Q()
        for token in unit:
            q |= Q(title__icontains=token) | Q(summary__icontains=token) | Q(body__icontains=token)
        return q

    title_hit = Q()
    for unit in query.units:
        title_hit |= Q(title__icontains=unit[0])
    ordered = qs.annotate(
        in_title=Case(When(title_hit, then=Value(1)), default=Value(0), output_field=IntegerField())
    ).order_by("-in_title", "-published_at", "-pk")
    all_words = Q()
    for unit in query.units:
        all_words &= unit_q(unit)
    ids = list(ordered.filter(all_words).values_list("pk", flat=True)[:limit])
    if len(ids) < limit and len(query.units) > 1:
        any_word = Q()
        for unit in query.units:
            any_word |= unit_q(unit)
        ids += list(ordered.filter(any_word).exclude(pk__in=ids).values_list("pk", flat=True)[: limit - len(ids)])
    return ids


def article_search(
    user: Any,
    text: str,
    *,
    category: Any = None,
    tag: str = "",
    limit: int = MAX_RESULTS,
    prefix: bool = False,
) -> SearchResult:
    """Published articles visible to `user` matching `text`, best first.

    Articles with every word of the query come first (ts_rank_cd, title above body), then those with some of
    them; when nothing matches a short query, titles close to it (pg_trgm) answer instead. An empty or
    punctuation-only query lists the newest articles (browse). `prefix` also matches the last word as a prefix
    (live suggestions while typing)."""
    base = _filtered(published_visible_to(user), category, tag)
    query = search.parse_query(text)
    if query.empty:
        return SearchResult(ids=list(base.order_by("-published_at", "-pk").values_list("pk", flat=True)[:limit]))
    if connection.vendor != "postgresql":
        return SearchResult(ids=_like(base, query, limit), terms=query.terms, method="like")
    ids = _fts(base, query.tsquery(mode="and", prefix_last=prefix), limit)
    if len(ids) < min(limit, WIDEN_BELOW) and len(query.units) > 1:
        # Too few articles have every word: widen to any of them, ranked after the complete matches.
        more = _fts(
            base.exclude(pk__in=ids),
            query.tsquery(mode="or", prefix_last=prefix),
            limit - len(ids),
            candidates=CANDIDATES // 4,
        )
        ids += more
    if ids:
        return SearchResult(ids=ids, terms=query.terms, method="fts")
    trigram_text = query.trigram_text
    if trigram_text and len(trigram_text) <= TRIGRAM_MAX_CHARS:
        ids = _trigram(base, trigram_text, limit)
    return SearchResult(ids=ids, terms=query.terms, method="trigram")


def load_hits(ids: list[int], terms: list[str], *, user: Any = None) -> list[Hit]:
    """The articles of one page of results, in result order, each with its highlighted snippet. One query for the
    articles (category and author joined) and one for their tags, whatever the page size."""
    articles = with_list_related(Article.objects.filter(pk__in=ids)).in_bulk()
    hits = []
    for pk in ids:
        article = articles.get(pk)
        if article is None:
            continue
        source = f"{article.summary}\n{article.body}" if article.summary else article.body
        hits.append(Hit(article=article, snippet=search.snippet(source, terms)))
    return hits


# --- suggestions at intake -------------------------------------------------------------------------------------


def similar_tickets(
    user: Any,
    text: str,
    *,
    category_id: int | None = None,
    exclude_pk: int | None = None,
    days: int = SIMILAR_TICKET_DAYS,
    limit: int = 5,
) -> list[Any]:
    """Open tickets of the last `days` days that `user` may see and that resemble `text` — same category first,
    then the closest. Uses the tickets' search documents (GIN) within the date window (btree), so the cost follows
    the recent matching tickets, not the size of the ticket table."""
    from tickets.models import Ticket
    from tickets.selectors import tickets_visible_to

    query = search.parse_query(text)
    if query.empty or user is None or not user.is_authenticated:
        return []
    since = timezone.now() - timedelta(days=days)
    qs = tickets_visible_to(user).filter(status__in=Ticket.OPEN_STATUSES, created_at__gte=since)
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    same_category = (
        Case(When(category_id=category_id, then=Value(True)), default=Value(False), output_field=BooleanField())
        if category_id
        else Value(False, output_field=BooleanField())
    )
    if connection.vendor == "postgresql":
        tsquery = SearchQuery(query.tsquery(mode="or"), search_type="raw", config="simple")
        qs = qs.filter(search_index__created_at__gte=since, search_index__document=tsquery).annotate(
            rank=SearchRank(F("search_index__document"), tsquery, cover_density=True),
            same_category=same_category,
        )
        ordering = ("-same_category", "-rank", "-created_at")
    else:
        words = Q()
        for unit in query.units:
            words |= Q(title__icontains=unit[0]) | Q(description__icontains=unit[0])
        qs = qs.filter(words).annotate(same_category=same_category)
        ordering = ("-same_category", "-created_at")
    return list(qs.select_related("requester", "category__parent").order_by(*ordering)[:limit])


@dataclass
class Suggestions:
    articles: list[Hit]
    tickets: list[Any]
    query: str


def intake_suggestions(
    user: Any,
    *,
    title: str = "",
    description: str = "",
    category_id: int | None = None,
    exclude_ticket: int | None = None,
    articles: int = 5,
    tickets: int = 5,
) -> Suggestions:
    """What to show while a report is typed: the best articles for the text and the most similar open tickets.
    The title leads (its words first); the description adds words up to the query cap."""
    text = f"{title or ''} {(description or '')[: search.MAX_QUERY_CHARS]}".strip()
    if not search.parse_query(text).units:
        return Suggestions(articles=[], tickets=[], query=text)
    result = article_search(user, text, limit=articles, prefix=True)
    hits = load_hits(result.ids, result.terms, user=user)
    similar = similar_tickets(user, text, category_id=category_id, exclude_pk=exclude_ticket, limit=tickets)
    return Suggestions(articles=hits, tickets=similar, query=text)


# --- management lists ----------------------------------------------------------------------------------------


def article_manage_list(user: Any, *, status: str = "", q: str = "", stale: bool = False) -> QuerySet[Article]:
    """The staff list: every article with its metrics (views, votes, deflections, tickets it resolved) and its
    stale flag, in a fixed number of queries whatever the page size."""
    from tickets.models import Ticket

    from .services import stale_cutoff

    linked = (
        Ticket.objects.filter(resolution_article=OuterRef("pk"))
        .order_by()
        .values("resolution_article")
        .annotate(n=Count("pk"))
        .values("n")
    )
    qs = (
        with_list_related(articles_visible_to(user))
        .select_related("reviewer")
        .annotate(
            linked_tickets=Coalesce(Subquery(linked, output_field=IntegerField()), Value(0)),
            reviewed=Coalesce("last_reviewed_at", "published_at", "created_at"),
        )
        .annotate(
            is_stale=Case(
                When(status=S.PUBLISHED, reviewed__lt=stale_cutoff(), then=Value(True)),
                default=Value(False),
                output_field=BooleanField(),
            )
        )
    )
    if status in S.values:
        qs = qs.filter(status=status)
    if stale:
        qs = qs.filter(is_stale=True)
    if q.strip():
        qs = qs.filter(title__icontains=q.strip()[: search.MAX_QUERY_CHARS])
    return qs.order_by("-updated_at", "-pk")


def article_versions(article: Article) -> QuerySet[ArticleVersion]:
    return article.versions.select_related("editor").order_by("-number")


def article_linked_tickets_count(article: Article) -> int:
    from tickets.models import Ticket

    return Ticket.objects.filter(resolution_article=article).count()


def categories_in_use() -> QuerySet[Category]:
    """Categories that have published articles, for the browse filter."""
    return (
        Category.objects.filter(article__status=S.PUBLISHED)
        .select_related("parent__parent")
        .distinct()
        .order_by("parent__name", "name")
    )


def tags_in_use(user: Any, limit: int = 30) -> list[Tag]:
    return list(
        Tag.objects.filter(articles__in=published_visible_to(user))
        .annotate(n=Count("articles"))
        .order_by("-n", "name")[:limit]
    )


def is_stale(article: Article) -> bool:
    from .services import stale_cutoff

    reviewed = article.last_reviewed_at or article.published_at or article.created_at
    return article.status == S.PUBLISHED and reviewed is not None and reviewed < stale_cutoff()
