"""End to end: pip-install nnplug and the example plugin into a fresh venv, use it by name,
uninstall it. Offline: ``--no-index --no-build-isolation``; the venv sees nnplug's runtime
dependencies (and setuptools, the build backend) through a ``.pth`` file pointing at a
directory of links to the running interpreter's copies -- nnplug itself is not linked.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import venv
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from readme_snippets import build_from_readme

pytestmark = [pytest.mark.pip, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[3]
EXAMPLE = Path("plugins") / "nnplug-leaky-relu"
SKIP = shutil.ignore_patterns(".git", ".venv", ".tox", "*.egg-info", "build", "dist",
                              "__pycache__", "tests", "benchmarks", "logs", ".benchmarks",
                              "bench-results", ".pytest_cache")


def _closure(names: list[str]) -> dict[str, metadata.Distribution]:
    """The installed distributions ``names`` need at run time (extras not followed)."""
    found: dict[str, metadata.Distribution] = {}
    todo = list(names)
    while todo:
        req = Requirement(todo.pop())
        if req.marker is not None and not req.marker.evaluate({"extra": ""}):
            continue
        key = re.sub(r"[-_.]+", "-", req.name).lower()
        if key in found:
            continue
        found[key] = dist = metadata.distribution(req.name)
        todo += dist.requires or []
    return found


def _link_dependencies(dest: Path) -> list[str]:
    """Symlink every top-level file of nnplug's dependency closure (+ setuptools) into
    ``dest``; nnplug's own packages are deliberately absent."""
    deps = _closure([*metadata.requires("nnplug"), "setuptools>=70.1"])
    dest.mkdir()
    for dist in deps.values():
        for top in {f.parts[0] for f in dist.files or [] if f.parts[0] != ".."}:
            if not (dest / top).exists() and Path(dist.locate_file(top)).exists():
                (dest / top).symlink_to(Path(dist.locate_file(top)).resolve())
    return sorted(deps)


def _example_version() -> str:
    text = (REPO / EXAMPLE / "pyproject.toml").read_text()
    return re.search(r'^version = "([^"]+)"', text, re.M).group(1)


class Env:
    """A fresh venv (no pip of its own: the running pip installs into it with --python)."""

    def __init__(self, root: Path):
        self.root = root
        venv.create(root / "venv", with_pip=False, symlinks=True)
        self.bin = root / "venv" / "bin"
        self.python = self.bin / "python"
        self.env = {k: v for k, v in os.environ.items()
                    if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")
                    and not k.startswith(("PIP_", "NNPLUG_"))}
        self.env["PATH"] = f"{self.bin}{os.pathsep}{self.env.get('PATH', '')}"
        self.env["NNPLUG_LOG_DIR"] = str(root / "logs")  # not the user's log directory
        purelib = self.run(str(self.python), "-c",
                           "import sysconfig; print(sysconfig.get_paths()['purelib'])")
        self.deps = _link_dependencies(root / "deps")
        (Path(purelib.stdout.strip()) / "_test_deps.pth").write_text(f"{root / 'deps'}\n")

    def run(self, *args: str, check: bool = True, **env: str) -> subprocess.CompletedProcess:
        res = subprocess.run(list(args), capture_output=True, text=True, cwd=self.root,
                             env={**self.env, **env}, timeout=300)
        if check:
            assert res.returncode == 0, f"{args} -> {res.returncode}\n{res.stdout}\n{res.stderr}"
        return res

    def pip(self, *args: str) -> subprocess.CompletedProcess:
        return self.run(sys.executable, "-m", "pip", "--python", str(self.python),
                        "--disable-pip-version-check", "--no-input", *args)

    def nnplug(self, *args: str, check: bool = True, **env: str) -> subprocess.CompletedProcess:
        return self.run(str(self.bin / "nnplug"), *args, check=check, **env)

    def components(self) -> dict[tuple[str, str], dict]:
        data = json.loads(self.nnplug("plugins", "--json").stdout)
        assert data["errors"] == [], data["errors"]
        return {(c["kind"], c["name"]): c for c in data["components"]}


def test_pip_install_use_and_uninstall_the_example_plugin(tmp_path):
    src = tmp_path / "src"  # a copy: pip's in-tree build must not write into the repo
    shutil.copytree(REPO, src, ignore=SKIP)
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
    assert re.search(rf"leaky_relu\s+nnplug-leaky-relu {re.escape(version)}\s+Leaky ReLU", text)
    assert f"leaky_relu (nnplug-leaky-relu {version})" in text

    metrics = tmp_path / "m.json"
    res = env.nnplug("train", "--layers", "linear,leaky_relu", "--epochs", "2",
                     "--metrics-out", str(metrics))
    assert "test_accuracy" in res.stdout
    m = json.loads(metrics.read_text())
    assert "leaky_relu" in m["model"] and m["epochs_run"] == 2
    assert m["test_accuracy"] > 0.85, m["test_accuracy"]
    grad = env.nnplug("gradcheck", "--layers", "leaky_relu", "--losses", "huber").stdout
    assert grad.count("PASS") == 2 and "nnplug-leaky-relu" in grad
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
