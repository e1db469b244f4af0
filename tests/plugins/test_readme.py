"""The README's "Writing a plugin" snippets are the example plugin's real files."""
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
FENCE = re.compile(r"^```(\w+)\n(.*?)^```", re.S | re.M)


def section(title):
    text = (REPO / "README.md").read_text()
    start = text.index(f"## {title}\n")
    end = text.find("\n## ", start + 1)
    return text[start:end if end > 0 else None]


def sourced_blocks():
    """``(path, lines)`` for every block whose first line is ``# plugins/...``."""
    out = []
    for _, body in FENCE.findall(section("Writing a plugin")):
        first, *rest = body.splitlines()
        m = re.fullmatch(r"# (plugins/\S+)", first)
        if m:
            out.append((m.group(1), rest))
    return out


def contains_run(haystack, needle):
    return any(haystack[i:i + len(needle)] == needle
               for i in range(len(haystack) - len(needle) + 1))


def test_the_section_shows_entry_point_hookimpl_layer_and_test_helper():
    paths = {path for path, _ in sourced_blocks()}
    example = "plugins/nnplug-leaky-relu/"
    assert {example + p for p in ("pyproject.toml", "nnplug_leaky_relu/plugin.py",
                                  "nnplug_leaky_relu/layer.py",
                                  "tests/test_conformance.py")} <= paths
    blocks = dict(sourced_blocks())
    assert "[project.entry-points.nnplug]" in blocks[example + "pyproject.toml"]
    assert "@hookimpl" in blocks[example + "nnplug_leaky_relu/plugin.py"]
    layer = blocks[example + "nnplug_leaky_relu/layer.py"]
    assert "class LeakyReLU(Layer):" in layer and len(layer) <= 30
    assert any("assert_layer_conforms(" in line
               for line in blocks[example + "tests/test_conformance.py"])


@pytest.mark.parametrize("path,lines", sourced_blocks(), ids=lambda v: str(v)[:60])
def test_snippet_is_verbatim_from_its_file(path, lines):
    assert lines, path
    assert contains_run((REPO / path).read_text().splitlines(), lines), (
        f"README snippet for {path} no longer matches the file; copy it again")


def test_the_entry_point_in_the_readme_is_the_one_pip_installs():
    text = (REPO / "plugins/nnplug-leaky-relu/pyproject.toml").read_text()
    assert 'leaky_relu = "nnplug_leaky_relu.plugin"' in text
    assert (REPO / "plugins/nnplug-leaky-relu/nnplug_leaky_relu/plugin.py").exists()
    version = re.search(r'^version = "([^"]+)"', text, re.M).group(1)
    assert f"nnplug-leaky-relu {version}" in section("Writing a plugin")
