"""The wiring diagrams match the example configs they are drawn from, and every hardware page
shows one."""

from __future__ import annotations

import re
import subprocess
import sys

from tests.docs.blocks import DOCS, ROOT

HARDWARE = DOCS / "hardware"


def test_committed_diagrams_are_what_the_script_draws_from_the_examples() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "wiring_diagrams.py"), "--check"],
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert done.returncode == 0, done.stderr


def test_gpio_diagram_names_each_example_pin_with_its_header_pin() -> None:
    """examples/rover.toml's BCM pins, on the pins the Pi's header carries them on."""
    svg = (HARDWARE / "img" / "gpio-l298n.svg").read_text()
    labels = set(re.findall(r"GPIO(\d+) · pin (\d+)", svg))
    assert labels == {("5", "29"), ("6", "31"), ("12", "32"), ("20", "38"), ("21", "40"),
                      ("13", "33")}


def test_every_family_page_shows_its_wiring_diagram() -> None:
    pages = sorted(p for p in HARDWARE.glob("*.md") if p.name != "index.md")
    assert len(pages) >= 5
    for page in pages:
        images = re.findall(r"!\[[^\]]+\]\((img/[^)]+\.svg)\)", page.read_text())
        assert images, f"{page.name} has no wiring diagram"
        assert all((HARDWARE / image).exists() for image in images)
