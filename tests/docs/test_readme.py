"""The README's "Writing a plugin" snippets are the example plugin's real files, complete
enough to build a plugin from, and that plugin works: its own tests pass, nnplug finds it
when it is installed, trains with it and runs its command."""

import json
import subprocess
import sys

import pytest
from fakedist import env_with, write_dist
from readme_snippets import (
    EXAMPLE,
    REPO,
    WHOLE,
    build_from_readme,
    project,
    section,
    sourced_blocks,
    tomllib,
)

from nnplug.testing import assert_layer_conforms


def contains_run(haystack, needle):
    return any(
        haystack[i : i + len(needle)] == needle for i in range(len(haystack) - len(needle) + 1)
    )


def test_the_section_shows_project_file_hooks_layer_command_and_tests():
    blocks = dict(sourced_blocks())
    assert WHOLE | {EXAMPLE + "nnplug_leaky_relu/layer.py"} <= set(blocks)
    pyproject = blocks[EXAMPLE + "pyproject.toml"]
    for table in ("[build-system]", "[project]", "[project.entry-points.nnplug]"):
        assert table in pyproject
    assert "@hookimpl" in blocks[EXAMPLE + "nnplug_leaky_relu/plugin.py"]
    layer = blocks[EXAMPLE + "nnplug_leaky_relu/layer.py"]
    assert "class LeakyReLU(Layer):" in layer and len(layer) <= 45
    assert any("kernels = LayerKernels(" in line for line in layer)
    assert "@kernel" in blocks[EXAMPLE + "nnplug_leaky_relu/kernels.py"]
    tests = blocks[EXAMPLE + "tests/test_conformance.py"]
    assert "import pytest" in tests and any("assert_layer_conforms(" in t for t in tests)


@pytest.mark.parametrize("path,lines", sourced_blocks(), ids=lambda v: str(v)[:60])
def test_snippet_is_verbatim_from_its_file(path, lines):
    assert lines, path
    text = (REPO / path).read_text().splitlines()
    if path in WHOLE:
        assert lines == text, f"README snippet for {path} is not the whole file; copy it again"
    else:
        assert contains_run(text, lines), (
            f"README snippet for {path} no longer matches the file; copy it again"
        )


def test_the_entry_point_in_the_readme_is_the_one_pip_installs():
    text = (REPO / EXAMPLE / "pyproject.toml").read_text()
    assert 'leaky_relu = "nnplug_leaky_relu.plugin"' in text
    assert (REPO / EXAMPLE / "nnplug_leaky_relu/plugin.py").exists()
    version = next(
        line.split('"')[1] for line in text.splitlines() if line.startswith("version = ")
    )
    assert f"nnplug-leaky-relu {version}" in section("Writing a plugin")


def test_the_layer_snippet_runs_on_its_own():
    (lines,) = [lines for path, lines in sourced_blocks() if path.endswith("/layer.py")]
    namespace = {}
    exec(compile("\n".join(lines), "README: layer.py", "exec"), namespace)
    assert_layer_conforms(namespace["LeakyReLU"], {"alpha": 0.2})


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return build_from_readme(tmp_path_factory.mktemp("readme"))


def test_the_plugin_built_from_the_readme_passes_its_own_tests(built):
    env = env_with(built, PYTHONPATH=str(built))
    res = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=built,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert res.returncode == 0, res.stdout + res.stderr
    assert " passed" in res.stdout and "failed" not in res.stdout


@pytest.mark.skipif(tomllib is None, reason="tomllib: Python 3.11+")
def test_the_plugin_built_from_the_readme_works_once_installed(built, tmp_path):
    """Installed as its pyproject says (name, version, entry points), nnplug finds it,
    trains with it and runs its command. (test_pip_install.py pip-installs it for real.)"""
    meta = project(built)
    site = write_dist(
        tmp_path / "site", meta["name"], meta["version"], meta["entry-points"]["nnplug"]
    )
    env = env_with(site, NNPLUG_LOAD_PLUGINS=meta["name"])
    env["PYTHONPATH"] = f"{site}:{built}"

    def nnplug(*args):
        res = subprocess.run(
            [sys.executable, "-c", "from nnplug.cli import main; main()", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            cwd=tmp_path,
        )
        assert res.returncode == 0, res.stdout + res.stderr
        return res.stdout

    data = json.loads(nnplug("plugins", "--json"))
    assert data["errors"] == []
    ours = {
        (c["kind"], c["name"])
        for c in data["components"]
        if c["distribution"] == meta["name"] and c["version"] == meta["version"]
    }
    assert ours == {("layer", "leaky_relu"), ("loss", "huber"), ("optimizer", "rmsprop")}
    assert [c["name"] for c in data["commands"]] == ["leaky-relu-demo"]
    out = nnplug(
        "train",
        "--layers",
        "linear,leaky_relu",
        "--optimizer",
        "rmsprop",
        "--lr",
        "0.001",
        "--epochs",
        "2",
        "--quiet",
        "--log-file",
        "",
    )
    assert out.startswith("digits: test_accuracy")
    assert nnplug("leaky-relu-demo").rstrip().endswith("PASS")
