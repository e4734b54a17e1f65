"""MkDocs hooks: the site shows bench/REPORT.md and its plot as bench/report.py wrote them.

The report lives beside the benches that write it; copying it into docs/ would leave a second
copy to drift, so the site adds both files at build time under performance/.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mkdocs.structure.files import File, Files

ROOT = Path(__file__).resolve().parent.parent
#: Site path -> the file it is built from.
GENERATED = {
    "performance/report.md": ROOT / "bench" / "REPORT.md",
    "performance/stop_delays.png": ROOT / "bench" / "stop_delays.png",
}


def on_files(files: Files, *, config: Any) -> Files:
    """Add the bench report and its plot to the site's files."""
    for src_uri, path in GENERATED.items():
        files.append(File.generated(config, src_uri, abs_src_path=str(path)))
    return files
