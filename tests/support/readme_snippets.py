"""The README's "Writing a plugin" snippets: find them, and build a plugin from them."""

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
FENCE = re.compile(r"^```(\w+)\n(.*?)^```", re.S | re.M)
#: snippets that are whole files (a copy of the README builds the plugin); layer.py may
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


def section(title: str) -> str:
    text = (REPO / "README.md").read_text()
    start = text.index(f"## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end > 0 else None]


def sourced_blocks() -> list[tuple[str, list[str]]]:
    """``(path, lines)`` for every block whose first line is ``# plugins/...``."""
    out = []
    for _, body in FENCE.findall(section("Writing a plugin")):
        first, *rest = body.splitlines()
        m = re.fullmatch(r"# (plugins/\S+)", first)
        if m:
            out.append((m.group(1), rest))
    return out


def build_from_readme(dest: Path) -> Path:
    """The example plugin as the README shows it: every snippet written to its path under
    ``dest``; the files the README does not show (huber.py, rmsprop.py, __init__.py, the
    plugin's other tests) copied from the example. Returns the plugin's folder."""
    root = dest / EXAMPLE
    shutil.copytree(
        REPO / EXAMPLE,
        root,
        ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "build", ".pytest_cache"),
    )
    for path, lines in sourced_blocks():
        if path in WHOLE:
            (dest / path).write_text("\n".join(lines) + "\n")
    return root


def project(root: Path) -> dict:
    """``[project]`` of the plugin's pyproject.toml."""
    assert tomllib is not None
    return tomllib.loads((root / "pyproject.toml").read_text())["project"]
