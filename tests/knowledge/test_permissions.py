"""Internal articles and unpublished drafts never reach end users or anonymous visitors — by page or API."""

from __future__ import annotations

import pytest


@pytest.fixture
def articles(make_article):
    return {
        "public": make_article(title="Public VPN guide", body="vpn steps"),
        "internal": make_article(title="Internal VPN procedure", body="vpn admin console", audience="internal"),
        "draft": make_article(title="Draft VPN note", body="vpn draft", status="draft"),
    }


def test_api_search_for_end_user_returns_public_published_only(as_user, bob, articles):
    r = as_user(bob).get("/api/v1/kb/articles/?q=vpn")
    assert r.status_code == 200
    body = r.json()
    assert {"count", "next", "previous", "results"} <= set(body)
    assert [x["id"] for x in body["results"]] == [articles["public"].pk]
    assert {"id", "title", "snippet"} <= set(body["results"][0])


def test_api_search_for_staff_includes_internal_but_not_drafts(as_user, tom, articles):
    ids = {x["id"] for x in as_user(tom).get("/api/v1/kb/articles/?q=vpn").json()["results"]}
    assert ids == {articles["public"].pk, articles["internal"].pk}


def test_api_detail_of_internal_or_draft_is_404_for_end_users(as_user, bob, articles):
    api = as_user(bob)
    assert api.get(f"/api/v1/kb/articles/{articles['public'].pk}/").status_code == 200
    assert api.get(f"/api/v1/kb/articles/{articles['internal'].pk}/").status_code == 404
    assert api.get(f"/api/v1/kb/articles/{articles['draft'].pk}/").status_code == 404
    assert api.post(f"/api/v1/kb/articles/{articles['draft'].pk}/submit/").status_code == 404


def test_api_without_credentials_is_401(api, articles):
    assert api.get("/api/v1/kb/articles/?q=vpn").status_code == 401


def test_staff_can_list_drafts_by_status(as_user, tom, bob, articles):
    r = as_user(tom).get("/api/v1/kb/articles/?status=draft")
    assert [x["id"] for x in r.json()["results"]] == [articles["draft"].pk]
    # an end user's status filter is ignored: still only public published ones
    ids = [x["id"] for x in as_user(bob).get("/api/v1/kb/articles/?status=draft").json()["results"]]
    assert ids == [articles["public"].pk]


def test_pages_hide_internal_and_drafts_from_anonymous_and_end_users(client, bob, articles):
    for who in (None, bob):
        if who:
            client.force_login(who)
        html = client.get("/kb/?q=vpn").content.decode()
        assert "Public VPN guide" in html
        assert "Internal VPN procedure" not in html and "Draft VPN note" not in html
        assert client.get(f"/kb/articles/{articles['internal'].pk}/").status_code == 404
        assert client.get(f"/kb/articles/{articles['draft'].pk}/").status_code == 404
        assert client.get(f"/kb/articles/{articles['public'].pk}/").status_code == 200


def test_staff_pages_are_refused_to_end_users(client, bob, articles):
    client.force_login(bob)
    assert client.get("/kb/manage/").status_code == 403
    assert client.get("/kb/new/").status_code == 403
    assert client.get(f"/kb/articles/{articles['public'].pk}/edit/").status_code == 403
    assert client.get(f"/kb/articles/{articles['public'].pk}/history/").status_code == 403


def test_suggestions_never_show_other_peoples_tickets_to_end_users(client, bob, carol, make_ticket, articles):
    make_ticket(carol, title="VPN cannot connect from home")
    mine = make_ticket(bob, title="VPN drops every hour")
    client.force_login(bob)
    html = client.get("/kb/suggest/?mode=portal&title=VPN").content.decode()
    assert mine.number in html
    assert "VPN cannot connect from home" not in html
    assert "Internal VPN procedure" not in html


def test_intake_and_ticket_suggestions_are_for_staff(client, bob, bob_ticket):
    client.force_login(bob)
    assert client.get("/kb/suggest/?mode=intake&title=printer").status_code == 403
    assert client.get(f"/kb/suggest/?mode=ticket&ticket={bob_ticket.number}").status_code == 403
