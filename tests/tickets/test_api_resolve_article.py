"""Resolving with a knowledge article: only a published article can be the answer."""

from __future__ import annotations

from knowledge import services as kb


def test_resolve_accepts_a_published_article_and_refuses_a_draft(as_user, alice, sam, bob, make_ticket):
    draft = kb.article_create(actor=alice, title="VPN reset", body="Reset the VPN profile.", audience="public")
    published = kb.article_create(actor=alice, title="Printer queue", body="Clear the queue.", audience="public")
    kb.article_submit(article=published, actor=alice)
    kb.article_approve(article=published, actor=sam)
    kb.article_publish(article=published, actor=sam)
    api = as_user(alice)

    first = make_ticket(bob)
    r = api.post(f"/api/v1/tickets/{first.number}/resolve/", {"resolution": "See article", "article": draft.pk})
    assert r.status_code == 400 and "article" in r.json()
    first.refresh_from_db()
    assert first.status == "new"

    r = api.post(
        f"/api/v1/tickets/{first.number}/resolve/",
        {"resolution": "See article", "article": published.pk, "first_contact": True},
    )
    assert r.status_code == 200, r.content
    assert r.json()["resolution_article"] == published.pk
    assert r.json()["first_contact_resolution"] is True
