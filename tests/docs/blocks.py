"""The code blocks of the site's pages, as a reader sees them (included files expanded)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
DOCS = ROOT / "docs"
#: `<!-- example: hardware -->` on the line before a fence: needs a Pi or another host, so the
#: block is compiled or parsed but not run.
DIRECTIVE = re.compile(r"<!--\s*example:\s*(\w[\w-]*)\s*-->")
FENCE = re.compile(r"^```(\w*)\s*$")
SNIPPET = re.compile(r'^--8<-- "([^"]+)"$')
KINDS = ("hardware",)


@dataclass(frozen=True)
class Block:
    """One fenced code block of a page."""

    page: Path
    line: int
    language: str
    text: str
    kind: str = ""

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(DOCS)}:{self.line}"

    @property
    def runnable(self) -> bool:
        """False for a block marked as needing real hardware."""
        return self.kind != "hardware"


def page_blocks(page: Path) -> list[Block]:
    """Every fenced block of one page, with the directive before it, if any."""
    lines = page.read_text().splitlines()
    blocks, index = [], 0
    while index < len(lines):
        opened = FENCE.match(lines[index])
        if opened is None:
            index += 1
            continue
        start, body = index, []
        index += 1
        while index < len(lines) and lines[index] != "```":
            body.append(lines[index])
            index += 1
        index += 1
        before = lines[start - 1] if start else ""
        directive = DIRECTIVE.search(before)
        kind = directive.group(1) if directive else ""
        if kind and kind not in KINDS:
            raise ValueError(f"{page}:{start}: example kind {kind!r}: expected one of {KINDS}")
        blocks.append(Block(page, start + 1, opened.group(1), expand("\n".join(body)) + "\n",
                            kind))
    return blocks


def expand(text: str) -> str:
    """Replace `--8<-- "path"` lines by the file they include, as pymdownx.snippets does."""
    out = []
    for line in text.splitlines():
        included = SNIPPET.match(line.strip())
        out.append((ROOT / included.group(1)).read_text().rstrip("\n") if included else line)
    return "\n".join(out)


def site_blocks(*languages: str) -> list[Block]:
    """Every block of docs/**/*.md in one of the languages, in page order."""
    return [block for page in sorted(DOCS.rglob("*.md")) for block in page_blocks(page)
            if block.language in languages]
