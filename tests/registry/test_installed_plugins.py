"""The suite does not depend on what else is installed next to nnplug: with the example
plugin, a plugin that calls ``sys.exit()`` at import and a plugin whose names clash with the
built-ins all installed, tests/conftest.py's ``NNPLUG_LOAD_PLUGINS=''`` keeps the suite on
the built-ins -- and without it those installs are really seen (so the proof can fail)."""

import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
from fakedist import EXAMPLE_DIR, env_with, install_three

from nnplug.errors import PluginConflictError
from nnplug.registry import Registry

REPO = Path(__file__).resolve().parents[2]
BUILTINS = {"core", "datasets", "numba"}
CLASHING = {
    ("layer", "linear"),
    ("layer", "relu"),
    ("loss", "softmax_ce"),
    ("optimizer", "momentum"),
    ("dataset", "digits"),
}
THREE = {"leaky_relu", "broken", "clash"}


def others() -> set[str]:
    """Plugins installed here besides the built-ins and the three (nnplug-bench, once
    ``pip install -e benchmarks/`` ran -- its egg-info then sits on pytest's pythonpath):
    seen too, but not what these tests are about."""
    return {ep.name for ep in metadata.entry_points(group="nnplug")} - BUILTINS - THREE


@pytest.fixture
def three(tmp_path, monkeypatch):
    root = install_three(tmp_path / "site")
    monkeypatch.setattr(sys, "path", [*sys.path, str(root), str(EXAMPLE_DIR)])
    yield root
    for name in [m for m in sys.modules if m.startswith("nnplug_t_")]:
        del sys.modules[name]


def test_without_the_switch_all_three_are_seen(three, monkeypatch):
    monkeypatch.delenv("NNPLUG_LOAD_PLUGINS")
    reg = Registry()
    assert {p.name for p in reg.plugins()} - others() == BUILTINS | {"leaky_relu", "clash"}
    assert reg.get("layer", "leaky_relu").dist == "nnplug-leaky-relu"
    (failure,) = [f for f in reg.failures if f.plugin not in others()]
    assert (failure.plugin, failure.reason) == ("broken", "SystemExit: nnplug_t_broken: giving up")
    assert {(g[0].kind, g[0].name) for g in reg.conflicts()} == CLASHING
    with pytest.raises(PluginConflictError):  # what would break the zero-option train
        reg.get("layer", "linear")


def test_the_suites_switch_sees_the_builtins_only(three):
    reg = Registry()
    assert {p.name for p in reg.plugins()} == BUILTINS
    assert reg.failures == [] and reg.conflicts() == []
    assert sorted(set(reg.not_selected) - others()) == ["broken", "clash", "leaky_relu"]


@pytest.mark.slow
def test_the_suite_passes_with_the_three_installed(tmp_path):
    """The tests that assert 'no plugin failed', 'no conflict', the example's own tests and
    the zero-option train, in a fresh process that has all three installed."""
    root = install_three(tmp_path / "site")
    files = [
        "tests/registry/test_registry.py",
        "tests/plugins/example/test_example_plugin.py",
        "tests/registry/test_loading.py",
        "tests/cli/test_cli.py",
    ]
    res = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *files],
        cwd=REPO,
        env=env_with(root),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-2000:]
    assert " passed" in res.stdout and "failed" not in res.stdout
