"""What ``nnplug --help`` and friends import, read from ``sys.modules`` in a fresh process
(timing belongs in benchmarks; the import set is what keeps start-up fast)."""
import json
import subprocess
import sys

import pytest
from fakedist import EXAMPLE_DIR, env_with, write_dist

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

HEAVY = ("numba", "llvmlite", "sklearn", "scipy", "matplotlib", "onnx", "onnxruntime")
PLUGIN_CODE = ("nnplug_core", "nnplug_datasets", "nnplug_numba")


def run_modules(*args, env=None):
    """``(every module imported, stdout)`` of ``nnplug ARGS`` in a fresh process."""
    res = subprocess.run([sys.executable, "-c", SCRIPT, json.dumps(args)], capture_output=True,
                         text=True, timeout=60, env=env)
    assert res.returncode == 0, res.stderr
    data = json.loads(res.stdout)
    assert data["code"] in (0, None), data["out"]
    return set(data["modules"]), data["out"]


def run(*args, env=None):
    """``(top-level packages imported, stdout)``."""
    modules, out = run_modules(*args, env=env)
    return {m.split(".")[0] for m in modules}, out


@pytest.mark.parametrize("args", [("--help",), ("--version",), ("plugins", "--help"),
                                  ("gradcheck", "--help"), ("export", "--help")])
def test_help_imports_no_heavy_or_plugin_code(args):
    tops, out = run(*args)
    assert out
    assert not tops & {*HEAVY, *PLUGIN_CODE}, sorted(tops & {*HEAVY, *PLUGIN_CODE})


def test_import_nnplug_imports_no_heavy_module():
    code = "import sys, nnplug; print(sorted({m.split('.')[0] for m in sys.modules}))"
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=60, check=True)
    tops = set(json.loads(res.stdout.replace("'", '"')))
    assert not tops & {*HEAVY, *PLUGIN_CODE}, sorted(tops & {*HEAVY, *PLUGIN_CODE})


def test_top_level_help_lists_commands_without_importing_them():
    _, out = run("--help")
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


def test_top_level_help_reads_no_package_metadata_and_points_at_plugin_commands():
    modules, out = run_modules("--help")
    assert "importlib.metadata" not in modules  # the version is looked up for --version only
    assert "Plugins can add commands: 'nnplug plugins' lists them." in out


@pytest.fixture
def example_installed(tmp_path):
    """The example plugin installed (metadata + source on PYTHONPATH) and selected."""
    root = write_dist(tmp_path / "site", "nnplug-leaky-relu", "0.2.0",
                      {"leaky_relu": "nnplug_leaky_relu.plugin"})
    assert (EXAMPLE_DIR / "nnplug_leaky_relu" / "commands.py").is_file()
    return env_with(root, NNPLUG_LOAD_PLUGINS="leaky_relu")


def test_plugin_code_is_imported_only_for_a_plugin_command(example_installed):
    for args in [("--help",), ("train", "--help"), ("--version",)]:
        tops, _ = run(*args, env=example_installed)
        assert not tops & {"nnplug_leaky_relu", *PLUGIN_CODE}, (args, tops & {
            "nnplug_leaky_relu", *PLUGIN_CODE})
    tops, out = run("leaky-relu-demo", "--alpha", "0.3", env=example_installed)
    assert "nnplug_leaky_relu" in tops and out.startswith("leaky_relu:alpha=0.3\n")
    assert not tops & set(HEAVY), sorted(tops & set(HEAVY))
    _, out = run("leaky-relu-demo", "--help", env=example_installed)
    assert "--alpha" in out
