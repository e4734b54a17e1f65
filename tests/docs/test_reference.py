"""Every public name of the four public packages is in the API reference, with its docstring."""

from __future__ import annotations

import ast
import html
import importlib
import inspect
import itertools
import re
from pathlib import Path

import pytest

PACKAGES = ("tether.session", "tether.drivers", "tether.client", "tether.fakes")
TAG = re.compile(r"<[^>]+>")


def public_names(package: str) -> list[str]:
    """The package's `__all__`, or its non-underscore names where it has none."""
    module = importlib.import_module(package)
    names = getattr(module, "__all__", None)
    return list(names) if names is not None else [n for n in vars(module) if n[0] != "_"]


def summary(package: str, name: str) -> str:
    """The first paragraph of the name's own docstring, as plain words."""
    obj = getattr(importlib.import_module(package), name)
    if inspect.isclass(obj) or inspect.isfunction(obj):
        doc = obj.__doc__
    else:
        doc = attribute_docstring(package, name)
    assert doc, f"{package}.{name} has no docstring of its own"
    first = inspect.cleandoc(doc).split("\n\n")[0]
    return plain(first.replace("``", "").replace("`", ""))


def attribute_docstring(package: str, name: str) -> str | None:
    """The string literal after a module-level assignment (`X = 1` then `\"\"\"...\"\"\"`),
    found in the module the package imports the name from."""
    source = inspect.getsource(importlib.import_module(package))
    home = next(node.module for node in ast.walk(ast.parse(source))
                if isinstance(node, ast.ImportFrom) and node.module
                and any(alias.name == name for alias in node.names))
    body = ast.parse(inspect.getsource(importlib.import_module(home))).body
    for statement, following in itertools.pairwise(body):
        targets = statement.targets if isinstance(statement, ast.Assign) else []
        if any(isinstance(t, ast.Name) and t.id == name for t in targets) and isinstance(
            following, ast.Expr
        ) and isinstance(following.value, ast.Constant):
            return str(following.value.value)
    return None


def plain(text: str) -> str:
    """Markup gone, entities decoded, whitespace dropped: the characters a reader reads (the
    rendering adds spaces around inline code, so spaces cannot be compared)."""
    return "".join(html.unescape(TAG.sub(" ", text)).split())


def sections(page: str, package: str, names: list[str]) -> dict[str, str]:
    """Each public name's part of its reference page, from its heading to the next name's."""
    starts = {}
    for name in names:
        found = page.find(f'id="{package}.{name}"')
        if found >= 0:
            starts[name] = found
    ordered = sorted(starts.items(), key=lambda item: item[1])
    ends = [start for _, start in ordered[1:]] + [len(page)] * bool(ordered)
    return {name: plain(page[start:end]) for (name, start), end in zip(ordered, ends, strict=True)}


@pytest.mark.parametrize("package", PACKAGES)
def test_every_public_name_is_in_the_reference_with_its_docstring(
    site: Path, package: str
) -> None:
    page = (site / "reference" / package.split(".")[1] / "index.html").read_text()
    names = public_names(package)
    assert names, f"{package} exports nothing"
    found = sections(page, package, names)
    assert sorted(set(names) - set(found)) == [], "public names missing from the reference"
    undocumented = [n for n in names if summary(package, n) not in found[n]]
    assert undocumented == [], "docstrings missing from the reference"


def test_the_reference_check_would_see_a_missing_name(site: Path) -> None:
    """Guard on the check itself: a name that is not public is not found on the page."""
    page = (site / "reference" / "session" / "index.html").read_text()
    assert "SessionManager" in sections(page, "tether.session", ["SessionManager"])
    assert sections(page, "tether.session", ["NoSuchName"]) == {}
    assert summary("tether.session", "MIN_WINDOW").startswith("Theshortestheartbeatwindow")
