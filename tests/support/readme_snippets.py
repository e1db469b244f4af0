"""The documentation's code blocks (README.md and docs/*.md): find them, and build a plugin
from the plugin guide's snippets of the example plugin's files."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10: the build tests skip
    tomllib = None

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = "plugins/nnplug-leaky-relu/"
#: the page that shows the example plugin's files, in the order of its steps
PLUGIN_GUIDE = "docs/plugin-guide.md"
#: a fenced block: its language and its body
FENCE = re.compile(r"^```(\w*)\n(.*?)^```", re.S | re.M)
#: snippets that are whole files (a copy of the docs builds the plugin); layer.py may
#: show the start of a longer file
WHOLE = {
    EXAMPLE + p
    for p in (
        "pyproject.toml",
        "nnplug_leaky_relu/plugin.py",
        "nnplug_leaky_relu/commands.py",
        "nnplug_leaky_relu/kernels.py",
        "nnplug_leaky_relu/onnx.py",
        "tests/test_conformance.py",
    )
}


def pages() -> list[str]:
    """Every documentation page, relative to the repository: README.md, docs/*.md."""
    return ["README.md", *sorted(str(p.relative_to(REPO)) for p in (REPO / "docs").glob("*.md"))]


def read(page: str) -> str:
    return (REPO / page).read_text(encoding="utf-8")


def blocks(page: str) -> list[tuple[str, str]]:
    """``(language, body)`` of every fenced block of ``page``."""
    return FENCE.findall(read(page))


def source_of(body: str) -> str | None:
    """The repository file a block shows (its first line is ``# plugins/...``), or None."""
    first = body.splitlines()[0] if body else ""
    m = re.fullmatch(r"# (plugins/\S+)", first)
    return m.group(1) if m else None


def sourced_blocks(page: str | None = None) -> list[tuple[str, list[str]]]:
    """``(path, lines)`` for every block whose first line is ``# plugins/...``, on
    ``page`` or on every page."""
    out = []
    for p in [page] if page else pages():
        for _, body in blocks(p):
            path = source_of(body)
            if path:
                out.append((path, body.splitlines()[1:]))
    return out


def build_from_readme(dest: Path) -> Path:
    """The example plugin as the plugin guide shows it: every snippet written to its path
    under ``dest``; the files the guide does not show (huber.py, rmsprop.py, __init__.py,
    the plugin's other tests) copied from the example. Returns the plugin's folder."""
    root = dest / EXAMPLE
    shutil.copytree(
        REPO / EXAMPLE,
        root,
        ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "build", ".pytest_cache"),
    )
    for path, lines in sourced_blocks(PLUGIN_GUIDE):
        if path in WHOLE:
            (dest / path).write_text("\n".join(lines) + "\n")
    return root


def project(root: Path) -> dict:
    """``[project]`` of the plugin's pyproject.toml."""
    assert tomllib is not None
    return tomllib.loads((root / "pyproject.toml").read_text())["project"]
