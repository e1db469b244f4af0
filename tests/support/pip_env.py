"""A fresh virtual environment to pip-install into, offline (the pip end-to-end tests:
tests/plugins/example/, tests/bench/). ``--no-index --no-build-isolation``: the venv sees
nnplug's runtime dependencies (and setuptools, the build backend) through a ``.pth`` file
pointing at a directory of links to the running interpreter's copies -- nnplug itself is
not linked.
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

from packaging.requirements import Requirement

REPO = Path(__file__).resolve().parents[2]
#: left out of a copy of the checkout (pip's in-tree build must not write into the repo)
SKIP = (".git", ".venv", ".tox", "*.egg-info", "build", "dist", "__pycache__", "tests",
        "logs", ".benchmarks", "bench-results", ".pytest_cache")


def copy_checkout(dest: Path, *, benchmarks: bool = False) -> Path:
    """A copy of the checkout to build from; ``benchmarks/`` (the nnplug-bench
    distribution) only when asked for."""
    skip = SKIP if benchmarks else (*SKIP, "benchmarks")
    shutil.copytree(REPO, dest, ignore=shutil.ignore_patterns(*skip))
    return dest


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
