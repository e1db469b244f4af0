"""``nnplug bench`` is the nnplug-bench distribution's (benchmarks/), not nnplug's: nnplug
ships no benchmark code and has no ``bench`` command of its own; the plugin adds it through
the ``nnplug_register_commands`` hook -- registered here from the source tree, and
pip-installed for real into a fresh venv (marked pip and slow)."""
from __future__ import annotations

import importlib.util
import json
import re

import pytest
from pip_env import REPO, Env, copy_checkout

from nnplug.cli import COMMANDS, SHORT_HELP

BENCH = REPO / "benchmarks"
#: what moved out of nnplug into nnplug_bench
MOVED = ["nnplug.benchmarking", "nnplug.peers", "nnplug.quality", "nnplug.cli.bench"]


def test_nnplug_ships_no_benchmark_code():
    for module in MOVED:
        assert importlib.util.find_spec(module) is None, module
    assert "bench" not in COMMANDS and "bench" not in SHORT_HELP
    # nothing under nnplug/ or the built-in plugins names the bench package (import-linter's
    # "no-bench" contract says the same of imports)
    for top in ("nnplug", "plugins/nnplug_core", "plugins/nnplug_datasets",
                "plugins/nnplug_numba"):
        for path in (REPO / top).rglob("*.py"):
            assert "nnplug_bench" not in path.read_text(), path


def test_without_the_plugin_there_is_no_bench_command(cli):
    """The suite's registry holds the built-in plugins only, as an install of nnplug alone."""
    # first: asking for a command that is not built in (re)loads the plugins' commands for
    # this registry (the in-process group may still hold an earlier test's)
    res = cli("bench", "--help")
    assert res.exit_code == 2 and "No such command 'bench'" in res.output
    assert json.loads(cli("plugins", "--json").stdout)["commands"] == []
    help_text = cli("--help").output
    assert re.search(r"^\s+train\s", help_text, re.M)
    assert not re.search(r"^\s+bench\s", help_text, re.M)


def test_the_plugin_adds_bench_through_the_commands_hook(cli, bench_plugin):
    data = json.loads(cli("plugins", "--json").stdout)
    assert data["errors"] == []
    (command,) = data["commands"]
    assert (command["name"], command["plugin"], command["distribution"]) == (
        "bench", "bench", "nnplug-bench")
    res = cli("bench", "--help")
    assert res.exit_code == 0, res.output
    assert res.stdout.startswith("Usage: main bench [OPTIONS]")  # "main": in-process
    for option in ("--workload", "--backend", "--peers / --no-peers", "--rounds", "--seconds",
                   "--threads", "--concurrent", "--profile", "--json", "--quality",
                   "--data-dir", "--seeds", "--rows"):
        assert option in res.stdout, option


def test_the_distribution_declares_the_plugin():
    tomllib = pytest.importorskip("tomllib")
    meta = tomllib.loads((BENCH / "pyproject.toml").read_text())
    project = meta["project"]
    assert (project["name"], project["version"]) == ("nnplug-bench", "0.1.0")
    assert project["entry-points"]["nnplug"] == {"bench": "nnplug_bench.plugin"}
    deps = [re.split(r"[<>=! \[]", d)[0] for d in project["dependencies"]]
    assert deps == ["nnplug", "pytest-benchmark"]  # PyTorch stays optional
    assert meta["tool"]["setuptools"]["packages"] == ["nnplug_bench"]


@pytest.mark.pip
@pytest.mark.slow
def test_pip_install_the_bench_distribution(tmp_path):
    """nnplug alone has no bench command and no benchmark code in its files; installing
    benchmarks/ adds ``nnplug bench`` (the worker subprocesses of --concurrent included);
    uninstalling it takes the command away again."""
    src = copy_checkout(tmp_path / "src", benchmarks=True)
    env = Env(tmp_path)
    env.pip("install", "--no-index", "--no-build-isolation", str(src))
    files = env.run(str(env.python), "-c", "from importlib import metadata; "
                    "print('\\n'.join(str(f) for f in metadata.files('nnplug')))").stdout
    assert "nnplug/cli/train.py" in files
    for moved in ("benchmarking", "nnplug_bench", "nnplug/peers.py", "nnplug/quality.py",
                  "nnplug/cli/bench.py"):
        assert moved not in files, moved
    absent = env.nnplug("bench", "--help", check=False)
    assert absent.returncode == 2 and "No such command 'bench'" in absent.stderr

    env.pip("install", "--no-index", "--no-deps", "--no-build-isolation", str(src / "benchmarks"))
    usage = env.nnplug("bench", "--help").stdout
    assert usage.startswith("Usage: nnplug bench [OPTIONS]") and "--quality" in usage
    assert not re.search(r"^\s+bench\s", env.nnplug("--help").stdout, re.M)  # --help loads no plugin
    (command,) = json.loads(env.nnplug("plugins", "--json").stdout)["commands"]
    assert (command["name"], command["distribution"], command["version"]) == (
        "bench", "nnplug-bench", "0.1.0")
    res = env.nnplug("bench", "--workload", "R1", "--rounds", "1", "--seconds", "0.01",
                     "--no-peers", "--backend", "numpy", "--concurrent")
    assert res.stdout.startswith("nnplug bench: ") and "Two runs at once" in res.stdout

    env.pip("uninstall", "-y", "nnplug-bench")
    gone = env.nnplug("bench", "--help", check=False)
    assert gone.returncode == 2 and "No such command 'bench'" in gone.stderr
