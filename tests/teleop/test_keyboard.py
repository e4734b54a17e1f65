"""Keyboard teleop: keys as pad events, and the real thing driven in tmux against the daemon."""

from __future__ import annotations

import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.teleop.rigs import MARGIN, PERIOD, wait_for
from tether.demo_configs import demo_config
from tether.input import AxisMoved, ButtonChanged, Connected
from tether.server.background import BackgroundDaemon
from tether.session import SessionManager
from tether.teleop.keyboard import KeyboardPad

ROOT = Path(__file__).resolve().parent.parent.parent
KEY_TIMEOUT = 1.0  # longer than the space-bar bound below, so the two stops are told apart


class Keys:
    """A curses window stand-in: getch() hands out queued keys, then -1."""

    def __init__(self, *keys: str) -> None:
        self.keys = [ord(k) for k in keys]

    def timeout(self, _ms: int) -> None:
        pass

    def getch(self) -> int:
        return self.keys.pop(0) if self.keys else -1


def test_a_key_holds_the_deadman_until_space_or_the_key_timeout() -> None:
    now = [10.0]
    pad = KeyboardPad(Keys(), key_timeout=KEY_TIMEOUT, clock=lambda: now[0])
    assert isinstance(pad.read(0)[0], Connected)
    pad.window = Keys("w")
    assert pad.read(0) == [AxisMoved(10.0, "left_y", 1.0), AxisMoved(10.0, "left_x", 0.0),
                           ButtonChanged(10.0, "deadman", True)]
    pad.window = Keys("D")
    assert pad.read(0) == [AxisMoved(10.0, "left_y", 0.0), AxisMoved(10.0, "left_x", 1.0),
                           ButtonChanged(10.0, "turbo", True)]
    now[0] += KEY_TIMEOUT
    released = pad.read(0)
    assert ButtonChanged(now[0], "deadman", False) in released, "no key for key_timeout"
    pad.window = Keys("s", " ")
    events = pad.read(0)
    assert events[-3:] == [ButtonChanged(now[0], "deadman", False),
                           AxisMoved(now[0], "left_y", 0.0), AxisMoved(now[0], "left_x", 0.0)]
    pad.window = Keys("q")
    pad.read(0)
    assert pad.quit_requested


class Tmux:
    """A private tmux server (its own socket) with one pane running a command."""

    def __init__(self, command: str) -> None:
        self.socket = f"tether-test-{uuid.uuid4().hex[:8]}"
        self.run("-f", "/dev/null", "new-session", "-d", "-s", "drive", "-x", "100", "-y", "20",
                 "-c", str(ROOT), command)

    def run(self, *args: str) -> str:
        done = subprocess.run(["tmux", "-L", self.socket, *args], capture_output=True,
                              text=True, timeout=10, check=True)
        return done.stdout

    def keys(self, *keys: str) -> None:
        self.run("send-keys", "-t", "drive", *keys)

    def screen(self) -> str:
        return self.run("capture-pane", "-p", "-t", "drive")

    def wait_for_text(self, text: str, timeout: float = 15.0) -> str:
        until = time.monotonic() + timeout
        screen = ""
        while time.monotonic() < until:
            screen = self.screen()
            if text in screen:
                return screen
            time.sleep(0.05)
        raise AssertionError(f"{text!r} never appeared; the pane shows:\n{screen}")

    def hold(self, key: str, seconds: float) -> float:
        """Send key every 50 ms (terminal auto-repeat) for seconds; the time of the last one."""
        until = time.monotonic() + seconds
        while time.monotonic() < until:
            self.keys(key)
            time.sleep(0.05)
        return time.monotonic()

    def kill(self) -> None:
        subprocess.run(["tmux", "-L", self.socket, "kill-server"], capture_output=True,
                       timeout=10, check=False)


@pytest.fixture
def daemon() -> Iterator[BackgroundDaemon]:
    running = BackgroundDaemon(demo_config("gpio", 0.5), sim=True, listen="127.0.0.1:0")
    yield running
    running.close()


@pytest.fixture
def tmux(daemon: BackgroundDaemon) -> Iterator[Tmux]:
    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed (apt-get install -y tmux) so the terminal UI can't "
                    "be driven; the keyboard's pad logic is tested above")
    command = (f"{sys.executable} -m tether.teleop drive --keyboard --address {daemon.address} "
               f"--window 0.5 --key-timeout {KEY_TIMEOUT}; echo teleop exited with $?; sleep 30")
    pane = Tmux(command)
    yield pane
    pane.kill()


def test_keyboard_teleop_in_tmux_drives_the_simulated_rover(
    tmux: Tmux, daemon: BackgroundDaemon
) -> None:
    rover = daemon.sim.rovers["base"]
    screen = tmux.wait_for_text("STOPPED  an arrow key or WASD drives")
    assert "arrows/WASD drive" in screen and daemon.address in screen
    assert not daemon.moving()

    tmux.hold("w", 0.8)
    assert daemon.moving(), "w drives while it repeats"
    assert "DRIVING  linear +0.50  angular +0.00" in tmux.screen()
    space = time.monotonic()
    tmux.keys("Space")
    stopped = wait_for(lambda: not daemon.moving(), 2.0)
    assert stopped - space < PERIOD + 2 * MARGIN, "space stops at once"
    forward = rover.state()
    assert forward.x_mm > 100 and abs(forward.y_mm) < 20

    last = tmux.hold("d", 0.5)
    stopped = wait_for(lambda: not daemon.moving(), 2.0)
    assert stopped - last < KEY_TIMEOUT + PERIOD + 2 * MARGIN, "no key for key_timeout: stop"
    time.sleep(0.2)
    assert rover.state().heading_rad < -0.3, "d turned right"

    tmux.hold("W", 0.3)
    assert max(abs(d) for d in daemon.duties().values()) == pytest.approx(1.0), "Shift = turbo"
    assert "TURBO" in tmux.screen()
    tmux.keys("q")
    tmux.wait_for_text("teleop exited with 0", 10)
    assert not daemon.moving()
    sessions: SessionManager = daemon.daemon.api.sessions  # type: ignore[union-attr]
    assert sessions.sessions() == [], "q ended the session"
