"""Three pages of the built site in a real browser (Debian's chromium via Playwright), served on
127.0.0.1; the screenshots are kept in docs/screenshots/ for a person to look at."""

from __future__ import annotations

import functools
import threading
from collections.abc import Iterator
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.docs.blocks import DOCS
from tests.screenshots import keep_screenshot
from tests.web.conftest import CHROMIUM, CHROMIUM_ARGS, browser_missing

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.skipif(browser_missing() is not None, reason=str(browser_missing()))

SHOTS = DOCS / "screenshots"
VIEWPORT = {"width": 1280, "height": 900}


class QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        """The test's output stays the test's."""


@pytest.fixture(scope="module")
def served(site: Path) -> Iterator[str]:
    """The built site over HTTP on 127.0.0.1 (an ephemeral port), as `mkdocs serve` shows it."""
    handler = functools.partial(QuietHandler, directory=str(site))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)


@pytest.fixture(scope="module")
def page() -> Iterator[Page]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        tab = browser.new_page(viewport=VIEWPORT)  # type: ignore[arg-type]
        tab.set_default_timeout(15_000)
        yield tab
        browser.close()


def shoot(page: Page, name: str) -> Path:
    """A screenshot of what the tab shows now (kept under docs/screenshots/ when asked)."""
    return keep_screenshot(page, SHOTS / name)


def test_getting_started_page(served: str, page: Page) -> None:
    page.goto(served + "getting-started/")
    assert page.locator("h1").first.inner_text().startswith("Getting started on the simulator")
    assert page.locator("nav.md-nav").first.is_visible(), "the site's navigation is drawn"
    assert page.locator("pre code").count() >= 4, "the page shows its examples"
    shoot(page, "getting-started.png")


def test_wiring_page_shows_its_diagram(served: str, page: Page) -> None:
    page.goto(served + "hardware/gpio/")
    diagram = page.locator('img[src$="gpio-l298n.svg"]')
    diagram.scroll_into_view_if_needed()
    width = diagram.evaluate("img => img.complete ? img.naturalWidth : 0")
    assert width > 500, "the SVG loaded and has its drawn size"
    box = diagram.bounding_box()
    assert box is not None and box["y"] >= 0 and box["y"] + 100 < VIEWPORT["height"]
    shoot(page, "wiring-gpio-l298n.png")


def test_api_reference_of_session_manager(served: str, page: Page) -> None:
    page.goto(served + "reference/session/#tether.session.SessionManager")
    heading = page.locator('[id="tether.session.SessionManager"]')
    assert heading.is_visible()
    text = page.locator("article").inner_text()
    assert "Live sessions, resource ownership and the watchdog" in text
    signature = page.locator('[id="tether.session.SessionManager"] ~ div pre').first.inner_text()
    assert "heartbeat_window" in signature, "the constructor's signature is shown"
    shoot(page, "reference-session-manager.png")
