"""What ``nnplug --help`` and friends import, read from ``sys.modules`` in a fresh process
(timing belongs in benchmarks; the import set is what keeps start-up fast)."""
import json
import subprocess
import sys

import pytest

SCRIPT = """
import contextlib, io, json, sys
args = json.loads(sys.argv[1])
sys.argv = ["nnplug", *args]
from nnplug.cli import main
code = None
with contextlib.redirect_stdout(io.StringIO()) as out:
    try:
        main()
    except SystemExit as exc:
        code = exc.code
print(json.dumps({"code": code, "out": out.getvalue(), "modules": sorted(sys.modules)}))
"""

HEAVY = ("numba", "llvmlite", "sklearn", "scipy", "matplotlib")
PLUGIN_CODE = ("nnplug_core", "nnplug_datasets", "nnplug_numba")


def run(*args):
    res = subprocess.run([sys.executable, "-c", SCRIPT, json.dumps(args)], capture_output=True,
                         text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["code"] in (0, None), data["out"]
    tops = {m.split(".")[0] for m in data["modules"]}
    return tops, data["out"]


@pytest.mark.parametrize("args", [("--help",), ("--version",), ("plugins", "--help"),
                                  ("gradcheck", "--help")])
def test_help_imports_no_heavy_or_plugin_code(args):
    tops, out = run(*args)
    assert out
    assert not tops & {*HEAVY, *PLUGIN_CODE}, sorted(tops & {*HEAVY, *PLUGIN_CODE})


def test_top_level_help_lists_commands_without_importing_them():
    tops, out = run("--help")
    assert "gradcheck" in out and "plugins" in out and "train" in out
    _, out_full = run("gradcheck", "--help")
    assert "--layers" in out_full


def test_train_help_loads_no_heavy_module_and_no_dataset_code():
    tops, out = run("train", "--help")
    assert "--layers" in out
    assert not tops & {*HEAVY, "nnplug_datasets"}, sorted(tops & {*HEAVY, "nnplug_datasets"})


def test_plugins_listing_imports_no_heavy_module():
    tops, out = run("plugins")
    assert "linear" in out and "nnplug_core" in tops
    assert not tops & set(HEAVY), sorted(tops & set(HEAVY))
