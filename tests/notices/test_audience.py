"""Audience filtering: a person outside a notice's audience never sees it — not in the banner, the list page,
the notice page, the API or the feed. Drafts and expired notices are nobody's current notices."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from notices import selectors, services
from servicedesk.models import Role

FEED = "/notices/feed/"


@pytest.fixture
def finance_notice(published, dept):
    return published(title="Finance closes the books", type="general", audience_departments=[dept])


def seen_by(client, user, notice) -> dict[str, bool]:
    """Where `user` sees `notice`: banner (portal page), list page, notice page, API list, API item, feed."""
    client.force_login(user)
    portal = client.get("/portal/").content.decode()
    listing = client.get("/notices/").content.decode()
    page = client.get(f"/notices/{notice.pk}/")
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(user)
    api_list = [n["id"] for n in api.get("/api/v1/notices/").json()["results"]]
    api_item = api.get(f"/api/v1/notices/{notice.pk}/").status_code
    feed = client.get(FEED).content.decode()
    return {
        "banner": f'data-notice-id="{notice.pk}"' in portal,
        "list": notice.title in listing,
        "page": page.status_code == 200,
        "api_list": notice.pk in api_list,
        "api_item": api_item == 200,
        "feed": notice.title in feed,
    }


def test_a_department_notice_reaches_only_that_department(client, finance_notice, bob, carol):
    assert seen_by(client, bob, finance_notice) == {
        "banner": True,
        "list": True,
        "page": True,
        "api_list": True,
        "api_item": True,
        "feed": False,  # the feed is public: it carries only notices for everyone
    }
    assert not any(seen_by(client, carol, finance_notice).values())


def test_a_role_notice_reaches_only_holders_of_the_role(client, published, tom, bob, nick):
    notice = published(title="New diagnostics tool for technicians", type="general", audience_roles=[Role.TECHNICIAN])
    seen = seen_by(client, nick, notice)
    assert seen["banner"] and seen["list"] and seen["api_list"] and seen["page"]
    assert not any(seen_by(client, bob, notice).values())


def test_a_notice_for_everyone_is_in_the_public_feed_and_shown_to_visitors(client, published, carol):
    notice = published(title="Email maintenance on Saturday")
    assert all(seen_by(client, carol, notice).values())
    client.logout()
    feed = client.get(FEED)
    assert feed.status_code == 200 and feed["Content-Type"].startswith("application/atom+xml")
    body = feed.content.decode()
    assert "Email maintenance on Saturday" in body and f"/notices/{notice.pk}/" in body
    assert "<strong>mail server</strong>" in body.replace("&lt;", "<").replace("&gt;", ">")
    login_page = client.get("/accounts/login/").content.decode()
    assert f'data-notice-id="{notice.pk}"' in login_page  # the banner greets visitors too
    assert client.get(f"/notices/{notice.pk}/").status_code == 200


def test_a_visitor_is_sent_to_sign_in_for_a_notice_that_is_not_public(client, finance_notice):
    response = client.get(f"/notices/{finance_notice.pk}/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_drafts_approved_and_withdrawn_notices_are_nobodys_current_notices(
    client, make_notice, approved, published, alice, bob
):
    draft = make_notice(title="A draft")
    waiting = approved(title="Approved, not published")
    gone = services.notice_withdraw(notice=published(title="Withdrawn one"), actor=alice)
    for notice in (draft, waiting, gone):
        assert not any(seen_by(client, bob, notice).values()), notice.title


def test_an_expired_notice_leaves_the_lists_but_its_page_still_opens_for_its_audience(client, published, bob):
    notice = published(title="Short one", expire_at=timezone.now() + timedelta(hours=1))
    services._expire(notice, timezone.now())
    seen = seen_by(client, bob, notice)
    assert not (seen["banner"] or seen["list"] or seen["api_list"] or seen["feed"])
    assert seen["page"] and seen["api_item"]


def test_the_banner_costs_no_query_once_cached(published, bob, django_assert_num_queries):
    notice = published()
    bob.role_names  # noqa: B018 - the layout has read them already
    assert [n["id"] for n in selectors.banner_for(bob)] == [notice.pk]
    with django_assert_num_queries(0):
        assert [n["id"] for n in selectors.banner_for(bob)] == [notice.pk]


def test_publishing_and_withdrawing_refresh_the_banner_at_once(
    approved, alice, bob, django_capture_on_commit_callbacks
):
    assert selectors.banner_for(bob) == []  # cached empty
    notice = approved()
    with django_capture_on_commit_callbacks(execute=True):
        services.notice_publish(notice=notice, actor=alice)
    assert [n["id"] for n in selectors.banner_for(bob)] == [notice.pk]
    with django_capture_on_commit_callbacks(execute=True):
        services.notice_withdraw(notice=notice, actor=alice)
    assert selectors.banner_for(bob) == []


def test_the_banner_is_cached_per_audience(published, dept, bob, carol):
    selectors.banner_for(carol)  # carol's audience cached first, without the Finance notice
    notice = published(audience_departments=[dept])
    selectors.invalidate_current()
    assert selectors.banner_for(carol) == []
    assert [n["id"] for n in selectors.banner_for(bob)] == [notice.pk]
