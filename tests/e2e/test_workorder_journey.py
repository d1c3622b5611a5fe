"""Browser journey on a phone (390×844): Tom accepts a work order, arrives, quotes, repairs, the customer signs
with a finger on the pad (drawn with the mouse here) and the order completes. Headless Debian chromium, no
download; fails on any CSP violation or JavaScript error."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from django.conf import settings

from servicedesk import services as people
from servicedesk.models import Role
from tests.conftest import make_user
from tests.e2e.conftest import sign_in_page, watch_csp
from tickets import services
from tickets import workorders as wo
from tickets.models import TicketEvent, WorkOrder

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Playwright's sync API runs an event loop in this thread; the ORM calls in the test are still synchronous.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

ARTIFACTS = Path(settings.BASE_DIR) / "artifacts" / "e2e"
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(browser, live_server):
    problems: list[str] = []
    context = browser.new_context(viewport=PHONE, base_url=live_server.url, has_touch=True, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(15000)
    watch_csp(page, problems)
    yield page
    context.close()
    assert not problems, problems


@pytest.fixture
def story():
    alice = make_user("alice", Role.AGENT, display_name="Alice Agent")
    bob = make_user("bob", Role.END_USER, display_name="Bob Wang", phone="13800000001")
    tom = make_user("tom", Role.TECHNICIAN, display_name="Tom Tech")
    lena = make_user("lena", Role.TECHNICIAN, display_name="Lena Lead")
    desktop = people.support_group_create(
        actor=None, name="Desktop support", members=[tom], lead=lena, is_field_team=True
    )
    ticket = services.ticket_create(
        actor=alice,
        data=services.TicketInput(type="incident", title="Laptop will not boot", requester=bob, channel="phone"),
    )
    ticket = services.ticket_assign(ticket=ticket, actor=alice, group=desktop, assignee=tom)
    order = wo.workorder_create(
        ticket=ticket,
        actor=alice,
        technician=tom,
        site_address="3F Finance, Building A, Room 301",
        contact_name="Bob Wang",
        contact_phone="13800000001",
    )
    return {"ticket": ticket, "order": order}


def _tap(page, name: str) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name=name, exact=True).click()


def _no_sideways_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0


def test_accept_arrive_quote_repair_sign_complete_on_a_phone(phone, story):
    order = story["order"]
    page = phone
    sign_in_page(page, "tom")

    page.goto("/work/")
    card = page.locator(".wo-card", has_text=f"WO-{order.pk}")
    assert "Room 301" in card.inner_text()
    card.get_by_role("link", name=re.compile(rf"WO-{order.pk}")).click()
    page.wait_for_url(re.compile(rf"/work-orders/{order.pk}/$"))
    _no_sideways_scroll(page)

    accept = page.get_by_role("button", name="Accept", exact=True)
    assert accept.bounding_box()["height"] >= 48  # a thumb-sized target
    _tap(page, "Accept")
    assert "Accepted." in page.content()
    assert re.search(r"(29|30) min to arrive", page.locator("[data-wo-countdown]").inner_text())

    _tap(page, "I'm on my way")
    _tap(page, "I've arrived")
    assert "Arrival recorded." in page.content()

    page.fill("textarea[name=diagnosis]", "The SSD has failed; data backed up to USB first")
    page.fill("input[name=quote_amount]", "450.00")
    page.fill("textarea[name=quote_notes]", "New 512 GB SSD and reinstall")
    _tap(page, "Show the quote to the customer")
    assert "450.00" in page.content()

    _tap(page, "Customer approves the quote")
    page.fill("textarea[name=notes]", "Replaced the SSD, restored the data")
    _tap(page, "Repaired on site")
    assert "Ask the customer to sign off." in page.content()
    _no_sideways_scroll(page)

    # An empty pad is refused in the page before anything is sent.
    page.fill("input[name=signer_name]", "Bob Wang")
    page.get_by_role("button", name="Sign off and complete").click()
    assert page.locator("[data-signature-empty]").is_visible()

    canvas = page.locator("canvas[data-signature-canvas]")
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    page.mouse.move(box["x"] + 20, box["y"] + box["height"] * 0.6)
    page.mouse.down()
    for i in range(1, 12):
        page.mouse.move(box["x"] + 20 + i * 25, box["y"] + box["height"] * (0.3 if i % 2 else 0.7), steps=3)
    page.mouse.up()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "workorder-signature-phone.png"), full_page=True)
    _tap(page, "Sign off and complete")

    assert "Signed off. The work order is complete." in page.content()
    assert page.locator("img.wo-signature-img").is_visible()
    assert page.evaluate("document.querySelector('img.wo-signature-img').naturalWidth") > 0
    page.screenshot(path=str(ARTIFACTS / "workorder-completed-phone.png"), full_page=True)

    done = WorkOrder.objects.get(pk=order.pk)
    assert done.state == WorkOrder.State.COMPLETED and done.signer_name == "Bob Wang"
    with done.signature.open("rb") as f:
        assert f.read(8) == b"\x89PNG\r\n\x1a\n"
    actions = [
        e.data["action"]
        for e in TicketEvent.objects.filter(ticket=story["ticket"], kind=TicketEvent.Kind.WORK_ORDER).order_by("id")
    ]
    assert actions == ["create", "accept", "depart", "arrive", "diagnose", "approve_quote", "repair", "complete"]

    # The printable sheet, and the ticket's timeline shows the visit.
    page.goto(f"/work-orders/{order.pk}/sheet/")
    assert "Bob Wang" in page.content()
    page.goto(f"/tickets/{story['ticket'].number}/")
    assert f"Work order WO-{order.pk}" in page.content()
