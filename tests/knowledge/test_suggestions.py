"""Intake suggestions, duplicate linking and resolving with an article, deflections, stale reminders."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.utils import timezone

from knowledge import selectors, services
from knowledge.models import Article, Deflection, TicketSearch
from servicedesk.models import Notification
from tickets.models import Ticket


def test_tickets_are_indexed_when_created(make_ticket, bob):
    ticket = make_ticket(bob, title="打印机卡纸", description="三楼的打印机一直卡纸")
    assert TicketSearch.objects.filter(ticket=ticket, document__isnull=False).exists()


def test_similar_open_tickets_of_the_last_week_same_category_first(alice, bob, carol, make_ticket, hardware):
    other = make_ticket(carol, title="Printer on floor 3 jams paper")
    same = make_ticket(bob, title="Printer jams", category=hardware)
    closed = make_ticket(bob, title="Printer jams again")
    Ticket.objects.filter(pk=closed.pk).update(status="cancelled")
    with time_machine.travel(timezone.now() - timedelta(days=10)):
        make_ticket(bob, title="Printer jams (old)")
    found = selectors.similar_tickets(alice, "printer jam", category_id=hardware.pk)
    assert [t.pk for t in found] == [same.pk, other.pk]


def test_intake_panel_shows_articles_and_tickets(client, alice, bob, make_ticket, make_article):
    article = make_article(title="VPN 连接失败怎么办", body="重新登录 VPN 客户端")
    ticket = make_ticket(bob, title="VPN 连接失败")
    client.force_login(alice)
    html = client.get("/kb/suggest/", {"mode": "intake", "title": "vpn 连接失败"}).content.decode()
    assert article.title in html and ticket.number in html
    assert f'data-kb-use-article="{article.pk}"' in html and f'data-kb-duplicate="{ticket.number}"' in html


def test_intake_form_resolves_with_the_article_on_first_contact(client, alice, bob, make_article):
    article = make_article(title="Reset your password")
    client.force_login(alice)
    r = client.post(
        "/desk/new/",
        {
            "requester": bob.pk,
            "type": "inquiry",
            "channel": "phone",
            "title": "Forgot password",
            "impact": 3,
            "urgency": 3,
            "resolve_now": "on",
            "resolution": "Reset it on the portal",
            "kb_article": article.pk,
        },
    )
    assert r.status_code == 302, r.content.decode()[:2000]
    ticket = Ticket.objects.get(title="Forgot password")
    assert ticket.status == "resolved" and ticket.first_contact_resolution and ticket.resolution_article == article


def test_intake_form_links_a_duplicate(client, alice, bob, carol, make_ticket):
    original = make_ticket(carol, title="Email down for the whole floor")
    client.force_login(alice)
    r = client.post(
        "/desk/new/",
        {
            "requester": bob.pk,
            "type": "incident",
            "channel": "phone",
            "title": "Email down",
            "impact": 2,
            "urgency": 2,
            "duplicate_of": original.number,
        },
    )
    assert r.status_code == 302
    ticket = Ticket.objects.get(title="Email down")
    assert ticket.duplicate_of == original and ticket.status == "cancelled"


def test_ticket_page_panel_offers_insert_resolve_and_duplicate(client, alice, bob, carol, make_ticket, make_article):
    article = make_article(title="Printer jam", summary="Open the front cover and pull the sheet out.")
    ticket = make_ticket(bob, title="Printer jam on floor 2")
    other = make_ticket(carol, title="Printer jam on floor 3")
    client.force_login(alice)
    assert "/kb/suggest/?mode=ticket" in client.get(f"/tickets/{ticket.number}/").content.decode()
    html = client.get("/kb/suggest/", {"mode": "ticket", "ticket": ticket.number}).content.decode()
    assert 'data-kb-insert="Open the front cover and pull the sheet out."' in html
    assert f"/kb/tickets/{ticket.number}/resolve-with/{article.pk}/" in html
    assert other.number in html and ticket.number + "</span>" not in html  # not itself


def test_resolve_with_article_counts_as_first_contact(client, alice, bob, make_ticket, make_article):
    article = make_article(title="Printer jam", summary="Pull the sheet out.")
    ticket = make_ticket(bob, title="Printer jam")
    client.force_login(alice)
    r = client.post(f"/kb/tickets/{ticket.number}/resolve-with/{article.pk}/", {"expected_version": ticket.version})
    assert r.status_code == 302
    ticket.refresh_from_db()
    assert ticket.status == "resolved" and ticket.first_contact_resolution and ticket.resolution_article == article
    assert "Pull the sheet out." in ticket.resolution


def test_deflection_yes_counts_once_and_no_carries_the_text(client, bob, make_article):
    article = make_article(title="VPN guide")
    client.force_login(bob)
    data = {"answer": "yes", "title": "VPN broken", "description": "since today"}
    client.post(f"/kb/articles/{article.pk}/solved/", data)
    client.post(f"/kb/articles/{article.pk}/solved/", data)
    article.refresh_from_db()
    assert article.deflection_count == 1 and Deflection.objects.get().query == "VPN broken since today"
    assert article.helpful_yes == 1
    r = client.post(f"/kb/articles/{article.pk}/solved/", {**data, "answer": "no"})
    assert r.status_code == 302 and r["Location"].startswith("/portal/new/?title=VPN")
    html = client.get(r["Location"]).content.decode()
    assert 'value="VPN broken"' in html and "since today" in html


def test_anonymous_deflections_count_per_session(client, make_article):
    article = make_article()
    client.post(f"/kb/articles/{article.pk}/solved/", {"answer": "yes"})
    client.post(f"/kb/articles/{article.pk}/solved/", {"answer": "yes"})
    assert Article.objects.get(pk=article.pk).deflection_count == 1


def test_portal_form_panel_links_articles_with_the_text(client, bob, make_article):
    article = make_article(title="Outlook cannot send mail")
    client.force_login(bob)
    html = client.get("/kb/suggest/", {"mode": "portal", "title": "outlook send"}).content.decode()
    assert f"/kb/articles/{article.pk}/?title=outlook+send" in html


def test_stale_articles_notify_their_owner_once_a_month(alice, make_article):
    with time_machine.travel(timezone.now() - timedelta(days=220)):
        old = make_article(title="Old article")
    make_article(title="Fresh article")
    assert list(services.stale_articles()) == [old]
    services.stale_articles_notify()
    services.stale_articles_notify()
    assert Notification.objects.filter(recipient=alice, verb="kb_stale").count() == 1
    with time_machine.travel(timezone.now() + timedelta(days=32)):
        services.stale_articles_notify()
    assert Notification.objects.filter(recipient=alice, verb="kb_stale").count() == 2
    services.article_mark_reviewed(article=old, actor=alice)
    assert list(services.stale_articles()) == []


def test_stale_task_runs(make_article):
    from knowledge.tasks import kb_stale_sweep_task

    assert kb_stale_sweep_task.delay().get() == 0
