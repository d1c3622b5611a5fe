"""Browser journey: a callback agent works the callback list and records a dissatisfied call with the keyboard;
the ticket goes back to the technician, who finds it on their work list. Headless Debian chromium, no download."""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone

from servicedesk.models import Role
from tests.conftest import make_user
from tests.e2e.conftest import sign_in_page, watch_csp
from tickets import services
from tickets.models import FollowUp, Ticket

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Playwright's sync API runs an event loop in this thread; the ORM calls in the test are still synchronous.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

ARTIFACTS = Path(settings.BASE_DIR) / "artifacts" / "e2e"


@pytest.fixture
def open_page(browser, live_server):
    """`open_page(viewport)` → a fresh page (own cookies) that fails the test on a CSP violation or JS error."""
    contexts = []
    problems: list[str] = []

    def _open(viewport=None):
        context = browser.new_context(viewport=viewport or {"width": 1280, "height": 900}, base_url=live_server.url)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15000)
        watch_csp(page, problems)
        return page

    yield _open
    for context in contexts:
        context.close()
    assert not problems, problems


@pytest.fixture
def story():
    """bob's printer ticket, worked by tom in Desktop support and resolved; cora has its callback due today."""
    from servicedesk import services as people

    alice = make_user("alice", Role.AGENT, display_name="Alice Agent")
    bob = make_user("bob", Role.END_USER, display_name="Bob Wang", phone="13800000001")
    tom = make_user("tom", Role.TECHNICIAN, display_name="Tom Tech")
    lena = make_user("lena", Role.TECHNICIAN, display_name="Lena Lead")
    cora = make_user("cora", Role.CALLBACK_AGENT, display_name="Cora Callback")
    make_user("sam", Role.SUPERVISOR, display_name="Sam Supervisor")
    desktop = people.support_group_create(actor=None, name="Desktop support", members=[tom], lead=lena)
    ticket = services.ticket_create(
        actor=alice,
        data=services.TicketInput(type="incident", title="Printer jams on every page", requester=bob, channel="phone"),
    )
    ticket = services.ticket_assign(ticket=ticket, actor=alice, group=desktop, assignee=tom)
    ticket = services.ticket_accept(ticket=ticket, actor=tom)
    ticket = services.ticket_resolve(ticket=ticket, actor=tom, resolution="Cleaned the rollers")
    followup = FollowUp.objects.get(ticket=ticket)
    assert followup.assignee == cora
    FollowUp.objects.filter(pk=followup.pk).update(due_at=timezone.now() - timedelta(minutes=5))
    return {"ticket": ticket, "followup": followup, "tom": tom}


def test_a_callback_agent_records_a_dissatisfied_call_and_the_ticket_goes_back_to_the_technician(open_page, story):
    ticket = story["ticket"]
    page = open_page()
    sign_in_page(page, "cora")
    assert page.url.endswith("/followups/")  # a callback agent's start page
    card = page.locator(f"#followup-{story['followup'].pk}")
    assert "Printer jams on every page" in card.inner_text()
    assert "13800000001" in card.inner_text() and "Cleaned the rollers" in card.inner_text()
    assert page.locator("#fu-overdue-h").is_visible()

    card.get_by_role("button", name="Open call page").click()
    page.wait_for_url(re.compile(rf"/followups/{story['followup'].pk}/"))
    assert "Hello Bob Wang, this is Cora Callback" in page.content()
    # The rating field has the focus: the whole call is recorded from the keyboard.
    assert page.evaluate("document.activeElement.name") == "satisfaction"
    page.keyboard.type("2")
    page.keyboard.press("Tab")  # to "does the fix hold?" (one stop for the radio group)
    page.keyboard.press("ArrowRight")  # "No, still broken"
    page.keyboard.press("Tab")  # to the comment
    page.keyboard.type("Still jams every morning")
    with page.expect_navigation():
        page.keyboard.press("Enter")  # the default button: record the call

    assert page.url.endswith("/followups/")
    assert "the ticket is reopened" in page.content()
    assert page.locator(f"#followup-{story['followup'].pk}").count() == 0
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "followup-worklist-after-call.png"), full_page=True)

    reopened = Ticket.objects.get(pk=ticket.pk)
    assert reopened.status == Ticket.Status.IN_PROGRESS and reopened.assignee == story["tom"]
    followup = FollowUp.objects.get(pk=story["followup"].pk)
    assert (followup.state, followup.satisfaction, followup.fix_confirmed) == ("done", 2, False)

    # tom finds it back on his work list, with the reason on the ticket.
    tom_page = open_page({"width": 390, "height": 844})
    sign_in_page(tom_page, "tom")
    tom_page.goto("/work/")
    assert ticket.number in tom_page.content()
    tom_page.goto(f"/tickets/{ticket.number}/")
    assert "Still jams every morning" in tom_page.content()


def test_the_callback_list_fits_a_phone(open_page, story):
    page = open_page({"width": 390, "height": 844})
    sign_in_page(page, "cora")
    page.goto("/followups/")
    page.locator("summary", has_text="Script and record").first.click()
    assert page.locator("input[name=satisfaction]").first.is_visible()
    overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
    assert overflow <= 0
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "followup-worklist-phone.png"), full_page=True)
