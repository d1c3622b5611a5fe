"""The knowledge pages: editor, review steps, versions with diff and restore, metrics, constant query counts."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from knowledge import services
from knowledge.models import Article


def test_staff_writes_a_draft_on_the_page(client, alice, hardware):
    client.force_login(alice)
    r = client.post(
        "/kb/new/",
        {
            "title": "Wi-Fi 连不上",
            "body": "连接 CORP-WIFI",
            "tags": "wifi, 无线网",
            "audience": "public",
            "category": hardware.pk,
        },
    )
    article = Article.objects.get(title="Wi-Fi 连不上")
    assert r.status_code == 302 and article.status == "draft" and article.author == alice
    assert sorted(t.name for t in article.tags.all()) == ["wifi", "无线网"]


def test_new_article_from_a_resolved_ticket_is_prefilled(client, alice, bob_ticket):
    from tickets import services as tickets

    tickets.ticket_resolve(ticket=bob_ticket, actor=alice, resolution="Reseated the RAM.")
    client.force_login(alice)
    html = client.get(f"/kb/new/?from_ticket={bob_ticket.number}").content.decode()
    assert "Reseated the RAM." in html and bob_ticket.title.replace("'", "&#x27;") in html
    client.post(
        "/kb/new/",
        {
            "title": "Laptop will not boot",
            "body": "Reseat RAM",
            "audience": "internal",
            "from_ticket": bob_ticket.number,
        },
    )
    assert Article.objects.get(title="Laptop will not boot").created_from_ticket == bob_ticket
    # the ticket page offers it
    assert "/kb/new/?from_ticket=" in client.get(f"/tickets/{bob_ticket.number}/").content.decode()


def test_review_steps_on_the_page(client, alice, sam, make_article):
    article = make_article(status="in_review")
    client.force_login(alice)  # the author
    client.post(f"/kb/articles/{article.pk}/approve/")
    assert Article.objects.get(pk=article.pk).status == "in_review"
    client.force_login(sam)
    client.post(f"/kb/articles/{article.pk}/approve/")
    client.post(f"/kb/articles/{article.pk}/publish/")
    assert Article.objects.get(pk=article.pk).status == "published"


def test_versions_page_shows_a_diff_and_restores(client, alice, make_article):
    article = make_article(status="published", body="line one\nline two")
    services.article_update(actor=alice, article=article, body="line one\nline 2")
    client.force_login(alice)
    html = client.get(f"/kb/articles/{article.pk}/history/").content.decode()
    assert 'class="kb-diff-del">- line two' in html and 'class="kb-diff-add">+ line 2' in html
    client.post(f"/kb/articles/{article.pk}/restore/", {"version": 1})
    article.refresh_from_db()
    assert article.body == "line one\nline two" and article.version == 3


def test_views_votes_and_metrics(client, bob, alice, make_article):
    article = make_article()
    client.get(f"/kb/articles/{article.pk}/")
    client.force_login(bob)
    client.get(f"/kb/articles/{article.pk}/")
    client.post(f"/kb/articles/{article.pk}/feedback/", {"helpful": "yes"})
    client.post(f"/kb/articles/{article.pk}/feedback/", {"helpful": "yes"})  # once per person
    client.post(f"/kb/articles/{article.pk}/feedback/", {"helpful": "no"})  # changes the vote
    article.refresh_from_db()
    assert (article.view_count, article.helpful_yes, article.helpful_no) == (2, 0, 1)
    client.force_login(alice)
    html = client.get("/kb/manage/").content.decode()
    assert article.title in html


def test_manage_list_query_count_is_constant(client, alice, make_article):
    client.force_login(alice)
    make_article(title="One", tags="a")

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/kb/manage/").status_code == 200
        return len(ctx.captured_queries)

    count()  # warm-up: the first request of a session reads what later ones have cached
    few = count()
    for i in range(15):
        make_article(title=f"Article {i}", tags=f"t{i}, shared")
    assert count() == few


def test_search_page_and_api_query_counts_are_constant(client, as_user, bob, make_article):
    make_article(title="VPN one", tags="vpn")
    client.force_login(bob)
    api = as_user(bob)

    def count(fn) -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert fn().status_code == 200
        return len(ctx.captured_queries)

    count(lambda: client.get("/kb/", {"q": "vpn"}))  # warm-up
    page = count(lambda: client.get("/kb/", {"q": "vpn"}))
    count(lambda: api.get("/api/v1/kb/articles/", {"q": "vpn"}))  # warm-up (the user's roles are cached)
    # savepoint, SET LOCAL (use the GIN index), the ranked ids, release; the page's articles with category and
    # author joined; their tags
    api_n = count(lambda: api.get("/api/v1/kb/articles/", {"q": "vpn"}))
    assert api_n == 6
    for i in range(12):
        make_article(title=f"VPN {i}", tags=f"vpn, t{i}")
    assert count(lambda: client.get("/kb/", {"q": "vpn"})) == page
    assert count(lambda: api.get("/api/v1/kb/articles/", {"q": "vpn"})) == api_n


def test_edit_page_and_live_search_partial(client, alice, make_article):
    article = make_article(title="VPN guide", tags="vpn, remote")
    client.force_login(alice)
    html = client.get(f"/kb/articles/{article.pk}/edit/").content.decode()
    assert 'value="VPN guide"' in html and 'value="remote, vpn"' in html
    r = client.get("/kb/", {"q": "vpn"}, HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and "<html" not in r.content.decode() and "VPN guide" in r.content.decode()


def test_kb_reindex_command(make_article, make_ticket, bob):
    from django.core.management import call_command

    from knowledge.models import Article, TicketSearch

    article = make_article(title="Printer jam")
    ticket = make_ticket(bob, title="Printer jam")
    Article.objects.filter(pk=article.pk).update(search_vector=None)
    TicketSearch.objects.all().delete()
    call_command("kb_reindex", stdout=None)
    assert Article.objects.filter(pk=article.pk, search_vector__isnull=False).exists()
    assert TicketSearch.objects.filter(ticket=ticket).exists()
