"""End to end: pip-install nnplug and the example plugin into a fresh venv, use it by name,
uninstall it. Offline: ``--no-index --no-build-isolation`` (the venv: tests/support/pip_env.py).
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from pip_env import REPO, Env, copy_checkout
from readme_snippets import build_from_readme

pytestmark = [pytest.mark.pip, pytest.mark.slow]

EXAMPLE = Path("plugins") / "nnplug-leaky-relu"


def _example_version() -> str:
    text = (REPO / EXAMPLE / "pyproject.toml").read_text()
    return re.search(r'^version = "([^"]+)"', text, re.M).group(1)


def test_pip_install_use_and_uninstall_the_example_plugin(tmp_path):
    src = copy_checkout(tmp_path / "src")  # pip's in-tree build must not write into the repo
    env = Env(tmp_path)
    assert "nnplug" not in env.deps and {"numpy", "setuptools"} <= set(env.deps)
    no_nnplug = env.run(str(env.python), "-c", "import nnplug", check=False)
    assert no_nnplug.returncode != 0 and "No module named 'nnplug'" in no_nnplug.stderr

    env.pip("install", "--no-index", "--no-build-isolation", str(src))
    before = env.components()
    assert before[("layer", "linear")]["distribution"] == "nnplug"
    assert ("layer", "leaky_relu") not in before and ("loss", "huber") not in before
    # the main distribution must not have swallowed the example's package
    files = env.run(str(env.python), "-c", "from importlib import metadata; "
                    "print('\\n'.join(str(f) for f in metadata.files('nnplug')))").stdout
    assert "nnplug_core/plugin.py" in files and "leaky" not in files

    env.pip("install", "--no-index", "--no-build-isolation", str(src / EXAMPLE))
    version = _example_version()
    after = env.components()
    for key in [("layer", "leaky_relu"), ("loss", "huber"), ("optimizer", "rmsprop")]:
        comp = after[key]
        assert (comp["distribution"], comp["version"]) == ("nnplug-leaky-relu", version)
        assert comp["qualified_name"] == f"leaky_relu/{key[1]}"
    text = env.nnplug("plugins").stdout
    assert re.search(rf"leaky_relu\s+nnplug-leaky-relu {re.escape(version)}\s+kernels\s+onnx\s+"
                     r"Leaky ReLU", text)
    assert f"leaky_relu (nnplug-leaky-relu {version})" in text

    metrics = tmp_path / "m.json"
    res = env.nnplug("train", "--layers", "linear,leaky_relu", "--epochs", "2",
                     "--metrics-out", str(metrics))
    assert "test_accuracy" in res.stdout
    m = json.loads(metrics.read_text())
    assert "leaky_relu" in m["model"] and m["epochs_run"] == 2
    assert m["test_accuracy"] > 0.85, m["test_accuracy"]
    grad = env.nnplug("gradcheck", "--layers", "leaky_relu", "--losses", "huber").stdout
    # leaky_relu per op and its compiled kernels, huber per op (it declares no kernels)
    assert grad.count("PASS") == 3 and "FAIL" not in grad and "nnplug-leaky-relu" in grad
    assert "numba kernels" in grad
    demo = env.nnplug("leaky-relu-demo", "--alpha", "0.2").stdout  # the command it adds
    assert demo.startswith("leaky_relu:alpha=0.2\n") and demo.rstrip().endswith("PASS")
    assert "leaky-relu-demo" not in env.nnplug("--help").stdout  # --help loads no plugin

    disabled = env.nnplug("train", "--layers", "linear,leaky_relu", "--epochs", "1",
                          check=False, NNPLUG_DISABLE_PLUGINS="nnplug-leaky-relu")
    assert disabled.returncode == 2 and "unknown layer 'leaky_relu'" in disabled.stderr

    env.pip("uninstall", "-y", "nnplug-leaky-relu")
    gone = env.components()
    assert not {("layer", "leaky_relu"), ("loss", "huber"), ("optimizer", "rmsprop")} & set(gone)
    assert set(gone) == set(before)
    res = env.nnplug("train", "--layers", "linear,leaky_relu", "--epochs", "1", check=False)
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert res.stderr.startswith("Error: unknown layer 'leaky_relu'")

    # the plugin as the README shows it builds with pip and works the same
    readme = build_from_readme(tmp_path / "readme")
    env.pip("install", "--no-index", "--no-build-isolation", str(readme))
    built = env.components()
    assert built[("layer", "leaky_relu")]["distribution"] == "nnplug-leaky-relu"
    assert env.nnplug("leaky-relu-demo").stdout.rstrip().endswith("PASS")
    env.pip("uninstall", "-y", "nnplug-leaky-relu")
