"""Screenshots tests take and the repository keeps: refreshed only when asked, so a test run
leaves the tree clean (TETHER_UPDATE_SCREENSHOTS=1 pytest ... writes them into docs/)."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

UPDATE = "TETHER_UPDATE_SCREENSHOTS"


def keep_screenshot(page: Any, kept: Path, *, min_bytes: int = 10_000) -> Path:
    """Take the tab's screenshot, check it is not blank, and replace `kept` only when asked;
    the committed one must exist either way. Returns the fresh file."""
    fresh = Path(tempfile.mkdtemp(prefix="tether-shot-")) / kept.name
    page.screenshot(path=str(fresh))
    assert fresh.stat().st_size > min_bytes, f"{fresh} is nearly empty"
    if os.environ.get(UPDATE):
        kept.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(fresh, kept)
    assert kept.exists(), f"{kept} is missing: run the test with {UPDATE}=1 and commit it"
    return fresh
