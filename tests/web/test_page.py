"""The drive page in a real browser (Debian's chromium via Playwright) against the sim daemon."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.screenshots import keep_screenshot
from tests.web.conftest import (
    CHROMIUM,
    CHROMIUM_ARGS,
    KEY,
    NEEDS_AIOHTTP,
    Rover,
    RoverFactory,
    browser_missing,
)

pytest.importorskip("aiohttp", reason=NEEDS_AIOHTTP)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.skipif(browser_missing() is not None, reason=str(browser_missing()))

SCREENSHOT = Path(__file__).resolve().parent.parent.parent / "docs" / "drive-page.png"
LOST = "#lost.show"
DEADMAN = "() => {{ window.__pad.buttons[4] = {{ pressed: {held}, touched: {held}, value: 0 }}; }}"
GAMEPAD_STUB = """
window.__pad = { id: "stub pad", index: 0, connected: true, mapping: "standard", timestamp: 0,
  axes: [0, 0, 0, 0], buttons: Array.from({ length: 17 }, () => ({ pressed: false, touched: false,
  value: 0 })) };
Object.defineProperty(navigator, "getGamepads", { value: () => [window.__pad, null, null, null] });
"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


PAGE_ERRORS: dict[int, list[str]] = {}


def open_page(browser: Browser, rover: Rover, *, session: bool = True, script: str = "") -> Page:
    """A new tab on the drive page; with session, once the daemon has given it one."""
    page = browser.new_page(viewport={"width": 1100, "height": 720})
    errors = PAGE_ERRORS.setdefault(id(page), [])
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.set_default_timeout(10_000)
    if script:
        page.add_init_script(script)
    page.goto(rover.url)
    if session:
        page.wait_for_function("() => st.session !== null")
    return page


def why(page: Page) -> str:
    """The page's own account of its state, for a failure message."""
    return str(page.evaluate("""() => ({session: st.session, lost: st.lost,
        why: document.getElementById("lostwhy").textContent,
        error: document.getElementById("error").textContent,
        input: document.getElementById("input").textContent})"""))


def stopped(rover: Rover) -> bool:
    return not rover.moving()


def test_keyboard_drives_the_rover_and_releasing_stops_it(
    browser: Browser, start_rover: RoverFactory
) -> None:
    rover = start_rover(window=1.0)
    page = open_page(browser, rover)
    start = rover.daemon.robot.rovers["base"].state()
    page.keyboard.down("w")
    assert rover.wait_until(rover.forward) is not None, why(page)
    page.wait_for_function("() => document.getElementById('owner').textContent === 'this tab'")
    time.sleep(1.3)  # longer than the 1 s window: the page's 20 Hz commands keep it alive
    assert rover.forward(), "still driving after longer than the heartbeat window"
    moved = rover.daemon.robot.rovers["base"].state().x_mm - start.x_mm
    assert moved > 20, f"the simulated rover moved {moved:.1f} mm forward"
    page.wait_for_function("() => Number(document.getElementById('duty-left').textContent) > 0")
    keep_screenshot(page, SCREENSHOT, min_bytes=5_000)
    assert PAGE_ERRORS[id(page)] == [], "no script errors, nothing blocked by the page's CSP"
    page.keyboard.up("w")
    assert rover.wait_until(lambda: stopped(rover), 1.0) is not None
    assert rover.still_for(0.3), "released keys keep the rover still (heartbeats only)"
    page.keyboard.down("ArrowLeft")
    assert rover.wait_until(lambda: rover.duties()["right"] > 0 > rover.duties()["left"])
    page.keyboard.up("ArrowLeft")
    assert rover.wait_until(lambda: stopped(rover), 1.0) is not None
    page.close()


def test_closing_the_tab_stops_the_rover(browser: Browser, start_rover: RoverFactory) -> None:
    rover = start_rover(window=2.0)  # longer than the bound: only the close can stop it in time
    page = open_page(browser, rover)
    page.keyboard.down("w")
    assert rover.wait_until(rover.forward) is not None, why(page)
    closing = time.monotonic()
    page.close()
    assert rover.wait_until(lambda: stopped(rover), 2.0) is not None
    stopped_at = rover.daemon.stopped_at()
    assert stopped_at is not None
    delay = stopped_at - closing
    print(f"\ntab close -> every duty 0: {delay * 1000:.1f} ms (window 2 s)")
    assert delay < 1.0, f"stopped {delay:.3f} s after the tab closed"
    assert rover.owner_of_base() is None


def test_hiding_the_page_stops_the_rover(browser: Browser, start_rover: RoverFactory) -> None:
    rover = start_rover(window=2.0)
    page = open_page(browser, rover)
    page.keyboard.down("w")
    assert rover.wait_until(rover.forward) is not None, why(page)
    hiding = time.monotonic()
    page.evaluate("""() => {
        Object.defineProperty(document, "visibilityState", { value: "hidden", configurable: true });
        Object.defineProperty(document, "hidden", { value: true, configurable: true });
        document.dispatchEvent(new Event("visibilitychange"));
    }""")
    assert rover.wait_until(lambda: stopped(rover), 2.0) is not None
    stopped_at = rover.daemon.stopped_at()
    assert stopped_at is not None and stopped_at - hiding < 1.0
    page.wait_for_selector(LOST)
    assert "page hidden" in page.inner_text("#lostwhy")
    assert rover.still_for(0.3), "a hidden page sends nothing more, keys still held or not"
    page.close()


def test_stop_button_and_space_stop_the_rover(browser: Browser, start_rover: RoverFactory) -> None:
    rover = start_rover()
    page = open_page(browser, rover)
    page.keyboard.down("w")
    assert rover.wait_until(rover.forward) is not None, why(page)
    page.click("#stop")
    assert rover.wait_until(lambda: stopped(rover), 1.0) is not None
    assert rover.still_for(0.3), "STOP latches: W is still held, yet nothing moves"
    page.keyboard.up("w")
    page.keyboard.down("w")  # released and pressed again: drives again
    assert rover.wait_until(rover.forward) is not None, why(page)
    page.keyboard.press(" ")
    assert rover.wait_until(lambda: stopped(rover), 1.0) is not None
    assert rover.still_for(0.3)
    page.keyboard.up("w")
    page.close()


def test_second_tab_cannot_take_the_base(browser: Browser, start_rover: RoverFactory) -> None:
    rover = start_rover()
    first = open_page(browser, rover)
    first.keyboard.down("w")
    assert rover.wait_until(rover.forward) is not None, why(first)
    owner = rover.owner_of_base()
    second = open_page(browser, rover)
    second.keyboard.down("s")
    second.wait_for_function(
        "() => document.getElementById('error').textContent.includes('another session')"
    )
    assert rover.daemon.wait_until(lambda: not rover.forward(), 0.5) is None, "tab 2 took over"
    assert rover.owner_of_base() == owner
    assert second.inner_text("#owner") == "another client"
    second.keyboard.up("s")
    first.keyboard.up("w")
    assert rover.wait_until(lambda: stopped(rover), 1.0) is not None
    second.close()
    first.close()


def test_second_tab_takes_over_when_sharing_is_allowed(
    browser: Browser, start_rover: RoverFactory
) -> None:
    rover = start_rover(allow_shared_base=True)
    first = open_page(browser, rover)
    first.keyboard.down("w")
    assert rover.wait_until(rover.forward) is not None, why(first)
    first.keyboard.up("w")
    second = open_page(browser, rover)
    second.keyboard.down("s")
    assert rover.wait_until(rover.backward) is not None, why(second)
    assert rover.owner_of_base() == second.evaluate("() => st.session")
    second.close()  # the new owner's tab goes: the base stops
    assert rover.wait_until(lambda: stopped(rover), 2.0) is not None
    first.close()


def test_wrong_api_key_moves_nothing(browser: Browser, start_rover: RoverFactory) -> None:
    rover = start_rover(keys=True)
    page = open_page(browser, rover, session=False)
    page.wait_for_selector("#auth.show")
    page.fill("#keyid", KEY.id)
    page.fill("#secret", "not-the-secret")
    page.click("#auth button")
    page.wait_for_function(
        "() => document.getElementById('error').textContent.includes('wrong secret')"
    )
    page.keyboard.down("w")
    page.evaluate("() => st.ws.send(JSON.stringify("
                  "{type: 'drive', base: 'base', linear: 1, angular: 0}))")  # bypass the page
    page.wait_for_function(
        "() => document.getElementById('error').textContent.includes('before authenticating')"
    )
    assert rover.still_for(0.6), "commands without a valid key moved the rover"
    page.keyboard.up("w")
    page.fill("#keyid", KEY.id)
    page.fill("#secret", KEY.secret)
    page.click("#auth button")
    page.wait_for_function("() => st.session !== null")
    page.keyboard.down("w")
    assert rover.wait_until(rover.forward) is not None, "the right key drives"
    page.keyboard.up("w")
    assert rover.wait_until(lambda: stopped(rover), 1.0) is not None
    page.close()


def test_gamepad_drives_only_while_the_deadman_is_held(
    browser: Browser, start_rover: RoverFactory
) -> None:
    rover = start_rover()
    page = open_page(browser, rover, script=GAMEPAD_STUB)
    page.evaluate("() => { window.__pad.axes[1] = -1; }")  # stick fully forward, deadman up
    assert rover.still_for(0.5), "the stick alone moved the rover"
    page.evaluate(DEADMAN.format(held="true"))
    assert rover.wait_until(rover.forward) is not None, why(page)
    page.evaluate(DEADMAN.format(held="false"))
    assert rover.wait_until(lambda: stopped(rover), 1.0) is not None
    assert rover.still_for(0.4), "deadman released: heartbeats only"
    page.close()


def test_a_pad_that_appears_with_the_deadman_held_needs_a_fresh_press(
    browser: Browser, start_rover: RoverFactory
) -> None:
    rover = start_rover()
    held = "window.__pad.buttons[4] = { pressed: true, touched: true, value: 1 };"
    page = open_page(browser, rover, script=GAMEPAD_STUB + held + "window.__pad.axes[1] = -1;")
    assert rover.still_for(0.5), "a deadman held since before the page loaded moved the rover"
    page.evaluate(DEADMAN.format(held="false"))
    page.wait_for_timeout(150)  # a few ticks see it released
    page.evaluate(DEADMAN.format(held="true"))
    assert rover.wait_until(rover.forward) is not None, why(page)
    page.evaluate(DEADMAN.format(held="false"))
    assert rover.wait_until(lambda: stopped(rover), 1.0) is not None
    page.close()


def test_touch_joystick_drives_and_letting_go_stops(
    browser: Browser, start_rover: RoverFactory
) -> None:
    rover = start_rover()
    page = open_page(browser, rover)
    box = page.locator("#pad").bounding_box()
    assert box is not None
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(cx, cy)
    page.mouse.down()
    page.mouse.move(cx, cy - box["height"] * 0.45, steps=5)  # push the knob up: forward
    assert rover.wait_until(rover.forward) is not None, why(page)
    page.mouse.up()
    assert rover.wait_until(lambda: stopped(rover), 1.0) is not None
    page.close()


def test_speed_limit_scales_the_command(browser: Browser, start_rover: RoverFactory) -> None:
    rover = start_rover()
    page = open_page(browser, rover)
    page.fill("#speed", "20")
    page.keyboard.down("w")
    assert rover.wait_until(rover.forward) is not None, why(page)
    assert all(0 < d <= 0.21 for d in rover.duties().values()), rover.duties()
    page.keyboard.up("w")
    page.close()


def test_malformed_frames_from_the_page_move_nothing(
    browser: Browser, start_rover: RoverFactory
) -> None:
    rover = start_rover()
    page = open_page(browser, rover)
    for bad in ['"{not json"', '{"type": "drive", "base": "base", "linear": 5, "angular": 0}',
                '{"type": "drive", "base": "base", "linear": "fast", "angular": 0}']:
        page.evaluate(f"() => st.ws.send({bad!r})")
        page.wait_for_function(
            "() => document.getElementById('error').textContent.includes('expected')"
        )
        page.evaluate("() => { document.getElementById('error').textContent = ''; }")
        assert rover.still_for(0.2), f"{bad} moved the rover"
    assert not page.is_visible(LOST), "bad frames are refused, the socket stays open"
    page.close()


def test_lost_connection_shows_the_stopped_state(
    browser: Browser, start_rover: RoverFactory
) -> None:
    rover = start_rover(window=2.0)
    page = open_page(browser, rover)
    page.keyboard.down("w")
    assert rover.wait_until(rover.forward) is not None, why(page)
    rover.daemon.call(rover.web.close())  # the daemon side goes away
    assert rover.wait_until(lambda: stopped(rover), 1.0) is not None
    page.wait_for_selector(LOST)
    assert page.inner_text("#lost strong") == "STOPPED — connection lost"
    assert "shutting down" in page.inner_text("#lostwhy") or "closing" in page.inner_text(
        "#lostwhy"
    )
    page.keyboard.up("w")
    page.close()


def test_hung_tab_is_stopped_at_its_window(browser: Browser, start_rover: RoverFactory) -> None:
    rover = start_rover(window=0.5)
    page = open_page(browser, rover)
    page.keyboard.down("w")
    assert rover.wait_until(rover.forward) is not None, why(page)
    hung = time.monotonic()
    # The tab's script hangs for 2 s with its socket open: no frame goes out, as in a stuck tab.
    page.evaluate("() => { setTimeout(() => { const end = performance.now() + 2000; "
                  "while (performance.now() < end) {} }, 0); }")
    assert rover.wait_until(lambda: stopped(rover), 2.0) is not None
    stopped_at = rover.daemon.stopped_at()
    assert stopped_at is not None
    assert 0.3 < stopped_at - hung < 1.5, f"stopped {stopped_at - hung:.3f} s after the hang"
    page.wait_for_selector(LOST)
    assert "session expired" in page.inner_text("#lostwhy")
    page.keyboard.up("w")
    page.close()
