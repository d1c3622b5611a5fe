"""Browser journey: a team drafts a maintenance notice, its responsible person approves it, the service desk
publishes it on the team's behalf, and an end user sees it in the banner. Headless Debian chromium, no download."""

from __future__ import annotations

import os
import re
from datetime import timedelta

import pytest
from django.utils import timezone

from notices.models import Notice
from servicedesk.models import Role
from tests.conftest import make_user
from tests.e2e.conftest import sign_in_page, watch_csp

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# Playwright's sync API runs an event loop in this thread; the ORM calls in the test are still synchronous.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"


@pytest.fixture
def open_page(browser, live_server):
    """`open_page()` → a fresh page (own cookies) that fails the test on a CSP violation or a JS error."""
    contexts = []
    problems: list[str] = []

    def _open():
        context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=live_server.url)
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
def people():
    from servicedesk import services

    finance = services.department_create(actor=None, name="Finance")
    tom = make_user("tom", Role.TECHNICIAN, display_name="Tom Tech")
    lena = make_user("lena", Role.TECHNICIAN, display_name="Lena Lead")
    make_user("alice", Role.AGENT, display_name="Alice Agent")
    make_user("bob", Role.END_USER, display_name="Bob Wang", department=finance)
    services.support_group_create(actor=None, name="Desktop support", members=[tom], lead=lena)


def local(delta: timedelta) -> str:
    return timezone.localtime(timezone.now() + delta).strftime("%Y-%m-%dT%H:%M")


def test_a_team_drafts_its_lead_approves_the_desk_publishes_and_an_end_user_sees_the_banner(open_page, people):
    # The team writes the notice.
    team = open_page()
    sign_in_page(team, "tom")
    team.goto("/notices/new/")
    team.select_option("select[name=type]", "maintenance")
    team.select_option("select[name=severity]", "major")
    team.select_option("select[name=owner_group]", label="Desktop support")
    team.fill("input[name=title]", "File server maintenance on Saturday")
    team.fill("textarea[name=body]", "The **file server** is offline from 22:00 to 02:00. Save your work.")
    team.fill("input[name=window_start]", local(timedelta(days=3)))
    team.fill("input[name=window_end]", local(timedelta(days=3, hours=4)))
    team.get_by_role("button", name="Save draft").click()
    team.wait_for_url(re.compile(r"/notices/\d+/$"))
    assert "Draft saved" in team.content()
    team.locator("[data-action=submit]").click()
    team.wait_for_load_state()
    assert "Submitted" in team.content()
    notice = Notice.objects.get()
    assert notice.status == "submitted"

    # Its responsible person finds it waiting for review and approves it.
    lead = open_page()
    sign_in_page(lead, "lena")
    lead.goto("/notices/manage/?status=review")
    lead.get_by_role("link", name="File server maintenance on Saturday").click()
    lead.wait_for_url(re.compile(rf"/notices/{notice.pk}/$"))
    lead.locator("[data-action=approve]").click()
    lead.wait_for_load_state()
    assert "Approved" in lead.content()

    # The desk publishes it on the team's behalf — it has no way to change the text.
    desk = open_page()
    sign_in_page(desk, "alice")
    desk.goto(f"/notices/{notice.pk}/")
    assert desk.locator("[data-action=edit]").count() == 0
    publish = desk.locator("[data-action=publish]")
    assert publish.inner_text() == "Publish on behalf of Desktop support"
    publish.click()
    desk.wait_for_load_state()
    assert "Published on behalf of Desktop support" in desk.content()
    notice.refresh_from_db()
    assert notice.status == "published" and notice.published_on_behalf and notice.publisher.username == "alice"

    # An end user sees it in the banner of the portal, opens it, and can hide it.
    user = open_page()
    sign_in_page(user, "bob")
    user.goto("/portal/")
    banner = user.locator(f"[data-notice-id='{notice.pk}']")
    assert banner.is_visible()
    assert "File server maintenance on Saturday" in banner.inner_text()
    banner.get_by_role("link", name="File server maintenance on Saturday").click()
    user.wait_for_url(re.compile(rf"/notices/{notice.pk}/$"))
    assert user.locator(".notice-body strong").inner_text() == "file server"
    assert user.locator("#delivery").count() == 0  # readers do not see the workflow
    user.locator(f"[data-dismiss-notice='{notice.pk}']").click()
    assert not user.locator(f"[data-notice-id='{notice.pk}']").is_visible()
    user.goto("/portal/")
    assert not user.locator(f"[data-notice-id='{notice.pk}']").is_visible()  # stays hidden in this browser
