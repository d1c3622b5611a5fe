"""Browser journeys: Playwright (sync API) driving Debian's chromium against pytest-django's live_server.

`playwright install` is never needed (nor possible here): the browser is /usr/bin/chromium. Run with `make e2e`.
Every page a journey opens is checked for console errors and uncaught exceptions (a CSP violation is a console
error), and journeys save screenshots under artifacts/e2e/.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings

from tests.conftest import PASSWORD

# Playwright's sync API runs an event loop in the test's thread; the ORM calls in the tests stay synchronous.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = Path(settings.BASE_DIR) / "artifacts" / "e2e"
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


# Per module: a test module that starts its own sync_playwright() cannot while another one is still running.
@pytest.fixture(scope="module")
def browser() -> Iterator:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


class Watched:
    """A page plus what went wrong on it: console errors (CSP violations among them) and uncaught exceptions."""

    def __init__(self, page, name: str) -> None:
        self.page = page
        self.name = name
        self.problems: list[str] = []
        page.on("console", lambda msg: self.problems.append(f"console: {msg.text}") if msg.type == "error" else None)
        page.on("pageerror", lambda exc: self.problems.append(f"page error: {exc}"))

    def assert_clean(self) -> None:
        """No console error or exception since the last check (call it once each page has settled)."""
        problems, self.problems = self.problems, []
        assert not problems, f"{self.name} on {self.page.url}: {problems}"

    def shot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def open_page(browser, live_server) -> Iterator[Callable[..., Watched]]:
    """`open_page("tom", PHONE)` → a fresh browser context (its own cookies) at the live server, watched."""
    contexts = []
    pages: list[Watched] = []

    def _open(name: str, viewport: dict | None = None) -> Watched:
        context = browser.new_context(viewport=viewport or DESKTOP, base_url=live_server.url, locale="en-US")
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(15_000)
        watched = Watched(page, name)
        pages.append(watched)
        return watched

    yield _open
    try:
        for watched in pages:
            watched.assert_clean()
    finally:
        for context in contexts:
            context.close()


def sign_in(w: Watched, username: str, password: str = PASSWORD) -> None:
    """Through the real sign-in form; lands on the user's start page."""
    page = w.page
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    assert not re.search(r"/accounts/login/", page.url), f"{username} could not sign in"
    w.assert_clean()


def sign_in_page(page, username: str, password: str = PASSWORD) -> None:
    """The sign-in form on a bare Playwright page (for journeys that keep their own page fixtures)."""
    page.goto("/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    page.wait_for_load_state()


def watch_csp(page, problems: list[str]) -> None:
    """Collect uncaught exceptions and Content-Security-Policy violations of `page` into `problems`."""
    page.on("pageerror", lambda exc: problems.append(f"page error: {exc}"))
    page.on(
        "console",
        lambda msg: (
            problems.append(msg.text) if msg.type == "error" and "Content Security Policy" in msg.text else None
        ),
    )
