"""Relevance on a labelled corpus: for every query the expected article is among the first three results."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser

from knowledge import selectors

from .corpus import QUERIES


def test_expected_article_in_top_three_for_every_query(corpus):
    assert len(QUERIES) >= 30
    misses = []
    for query, key in QUERIES:
        result = selectors.article_search(AnonymousUser(), query, limit=3)
        if corpus[key].pk not in result.ids:
            titles = [a for a, b in ((k, v.pk) for k, v in corpus.items()) if b in result.ids]
            misses.append(f"{query!r}: expected {key}, got {titles} ({result.method})")
    assert not misses, "\n".join(misses)


def test_title_match_outranks_body_match(make_article):
    in_body = make_article(title="Laptop docking station", body="Also see the VPN article.")
    in_title = make_article(title="VPN client setup", body="Install the client from Software Center.")
    result = selectors.article_search(AnonymousUser(), "vpn")
    assert result.ids[:2] == [in_title.pk, in_body.pk]


def test_articles_with_every_word_come_before_those_with_some(make_article):
    some = make_article(title="Printer toner", body="Replace the toner cartridge.")
    every = make_article(title="Printer paper jam", body="Open the cover.")
    result = selectors.article_search(AnonymousUser(), "printer jam")
    assert result.ids[0] == every.pk
    assert some.pk in result.ids


def test_filters_by_category_and_tag(make_article, hardware):
    tagged = make_article(title="VPN on a phone", tags="mobile, VPN")
    filed = make_article(title="VPN on a laptop", category=hardware)
    anon = AnonymousUser()
    assert selectors.article_search(anon, "vpn", tag="MOBILE").ids == [tagged.pk]
    assert selectors.article_search(anon, "vpn", category=hardware.pk).ids == [filed.pk]
