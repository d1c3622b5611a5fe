"""The desk's main journey in a browser: a phone report is logged and dispatched by a desk agent, accepted and
resolved by the technician on a phone, and the end user sees it resolved on the portal."""

from __future__ import annotations

import re

import pytest

from servicedesk import services as people
from servicedesk.models import Role
from tests.conftest import make_user
from tickets.models import Ticket

from .conftest import PHONE, sign_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NUMBER = re.compile(r"/tickets/([A-Z]{3}-\d{4}-\d{6,})/")


@pytest.fixture
def desk():
    """alice at the desk, bob who calls, tom in Desktop support (lena leads it), Hardware routed there."""
    alice = make_user("alice", Role.AGENT, display_name="Alice Agent")
    bob = make_user("bob", Role.END_USER, display_name="Bob Wang", phone="13800000001", email="bob@example.com")
    tom = make_user("tom", Role.TECHNICIAN, display_name="Tom Tech")
    lena = make_user("lena", Role.TECHNICIAN, display_name="Lena Lead")
    desktop = people.support_group_create(actor=None, name="Desktop support", members=[tom], lead=lena)
    people.support_group_create(actor=None, name="Network", members=[lena], lead=lena)
    people.category_create(actor=None, name="Hardware", default_group=desktop)
    return {"alice": alice, "bob": bob, "tom": tom, "desktop": desktop}


def test_phone_report_is_dispatched_accepted_resolved_and_seen_resolved_on_the_portal(open_page, desk):
    # --- the desk agent logs bob's call and dispatches it to tom ---
    agent = open_page("alice")
    sign_in(agent, "alice")
    page = agent.page
    assert page.url.endswith("/desk/")  # a desk agent starts on the queues
    agent.shot("journey-01-agent-queue")

    page.get_by_role("link", name="New report").first.click()
    page.wait_for_url(re.compile(r"/desk/new/$"))
    page.get_by_label("Find the requester").fill("bob")
    pick = page.get_by_role("button", name=re.compile("Bob Wang"))
    pick.click()  # htmx brought the matching people; picking one fills the requester
    assert page.locator("#requester-chosen").is_visible()
    assert page.locator("#id_requester").input_value() == str(desk["bob"].pk)

    page.get_by_label("Channel").select_option("phone")
    page.get_by_label("Title").fill("Laptop will not start after update")
    page.get_by_label("Description").fill("Black screen since this morning's update. Power light is on.")
    page.get_by_label("Category").select_option(label="Hardware")
    page.get_by_label("Dispatch now").check()
    page.get_by_label("Support group").select_option(label="Desktop support")
    page.get_by_label("Assignee", exact=True).select_option(label="Tom Tech")
    agent.assert_clean()
    agent.shot("journey-02-intake-filled")

    with page.expect_navigation():
        page.get_by_role("button", name="Record the report").click()
    match = NUMBER.search(page.url)
    assert match, f"intake did not open the new ticket: {page.url}"
    number = match.group(1)
    assert "dispatched to Desktop support" in page.locator(".messages").inner_text()
    agent.assert_clean()
    agent.shot("journey-03-ticket-dispatched")

    ticket = Ticket.objects.get(number=number)
    assert (ticket.requester, ticket.channel, ticket.status) == (desk["bob"], "phone", Ticket.Status.ASSIGNED)
    assert (ticket.group, ticket.assignee) == (desk["desktop"], desk["tom"])

    # --- the technician, on a phone: my work, accept, resolve ---
    tech = open_page("tom", PHONE)
    sign_in(tech, "tom")
    page = tech.page
    assert page.url.endswith("/work/")  # a technician starts on their work list
    card = page.locator("article.work-card", has_text=number)
    assert card.is_visible()
    assert _fits_width(page), "my work overflows a 390 px screen"
    tech.shot("journey-04-tech-my-work")

    with page.expect_navigation():
        card.get_by_role("button", name="Accept").click()
    assert page.url.endswith("/work/")
    assert "accepted" in page.locator(".messages").inner_text()
    tech.assert_clean()
    tech.shot("journey-05-tech-accepted")

    page.locator("article.work-card", has_text=number).get_by_role("link").first.click()
    page.wait_for_url(re.compile(rf"/tickets/{number}/$"))
    page.locator("summary", has_text="Resolve").click()
    page.get_by_label("Resolution").fill("Rolled back the display driver; the laptop starts again.")
    with page.expect_navigation():
        page.locator("form[data-action=resolve]").get_by_role("button", name="Resolve").click()
    assert "resolved" in page.locator(".messages").inner_text()
    assert _fits_width(page), "the ticket page overflows a 390 px screen"
    tech.assert_clean()
    tech.shot("journey-06-tech-resolved")

    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee) == (Ticket.Status.RESOLVED, desk["tom"])
    assert ticket.first_response_at is not None and ticket.resolved_at is not None

    # --- the end user sees it resolved on the portal ---
    user = open_page("bob")
    sign_in(user, "bob")
    page = user.page
    assert page.url.endswith("/portal/")  # an end user starts on their tickets
    card = page.locator("article.work-card", has_text=number)
    assert "Resolved" in card.inner_text()
    user.shot("journey-07-portal-list")

    card.get_by_role("link").first.click()
    page.wait_for_url(re.compile(rf"/tickets/{number}/$"))
    box = page.locator(".resolution-box")
    assert "Rolled back the display driver" in box.inner_text()
    user.assert_clean()
    user.shot("journey-08-portal-ticket-resolved")


def _fits_width(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
