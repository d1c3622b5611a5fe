"""Knowledge fixtures: articles built through the services (the review workflow included)."""

from __future__ import annotations

import pytest

from knowledge import services
from knowledge.models import Article

from .corpus import ARTICLES


@pytest.fixture
def make_article(alice, sam):
    """`make_article(title=..., body=..., status="published")`: written by alice, reviewed by sam."""

    def _make(
        *,
        title="How to reset your password",
        body="Use the self-service portal.",
        status="published",
        author=None,
        reviewer=None,
        **fields,
    ) -> Article:
        author = author or alice
        reviewer = reviewer or sam
        article = services.article_create(actor=author, title=title, body=body, **fields)
        steps = ["draft", "in_review", "approved", "published", "archived"]
        target = steps.index(status)
        if target >= 1:
            article = services.article_submit(article=article, actor=author)
        if target >= 2:
            article = services.article_approve(article=article, actor=reviewer)
        if target >= 3:
            article = services.article_publish(article=article, actor=reviewer)
        if target >= 4:
            article = services.article_archive(article=article, actor=reviewer)
        return article

    return _make


@pytest.fixture
def corpus(make_article) -> dict[str, Article]:
    """The labelled corpus of tests/knowledge/corpus.py, published."""
    out = {}
    for key, (title, summary, body, tags, audience) in ARTICLES.items():
        out[key] = make_article(title=title, summary=summary, body=body, tags=tags, audience=audience)
    return out
