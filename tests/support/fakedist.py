"""Installed-looking distributions without pip: a ``NAME-VERSION.dist-info`` folder with
``METADATA`` and ``entry_points.txt`` in a folder that goes on ``sys.path``/``PYTHONPATH``
is what ``importlib.metadata`` (and so nnplug's registry) finds."""

from __future__ import annotations

import os
from pathlib import Path

EXAMPLE_DIR = Path(__file__).resolve().parents[2] / "plugins" / "nnplug-leaky-relu"

#: a plugin that ends the process at import (issue 13)
EXITS_AT_IMPORT = "import sys\nsys.exit('nnplug_t_broken: giving up')\n"

#: a plugin registering names the built-ins use, the default stack's included
CLASHES = '''
from nnplug import hookimpl
from nnplug.base import Dataset, Layer, Loss, Optimizer


class Linear(Layer):
    """Another linear."""

    name = "linear"


class ReLU(Layer):
    """Another relu."""

    name = "relu"


class SoftmaxCE(Loss):
    """Another softmax_ce."""

    name = "softmax_ce"


class Momentum(Optimizer):
    """Another momentum."""

    name = "momentum"


class Digits(Dataset):
    """Another digits."""

    name = "digits"


@hookimpl
def nnplug_register_layers(register):
    register(Linear)
    register(ReLU)


@hookimpl
def nnplug_register_losses(register):
    register(SoftmaxCE)


@hookimpl
def nnplug_register_optimizers(register):
    register(Momentum)


@hookimpl
def nnplug_register_datasets(register):
    register(Digits)
'''


def write_dist(
    root: Path,
    dist: str,
    version: str,
    entry_points: dict[str, str],
    modules: dict[str, str] | None = None,
) -> Path:
    """Put distribution ``dist`` (its ``nnplug`` entry points and module sources) in
    ``root``; returns ``root``."""
    root.mkdir(parents=True, exist_ok=True)
    info = root / f"{dist.replace('-', '_')}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
    lines = "".join(f"{name} = {target}\n" for name, target in entry_points.items())
    (info / "entry_points.txt").write_text(f"[nnplug]\n{lines}")
    for module, source in (modules or {}).items():
        (root / f"{module}.py").write_text(source)
    return root


def install_three(root: Path) -> Path:
    """The example plugin (metadata here, its source tree found through ``EXAMPLE_DIR`` on
    the path, as ``pip install -e`` would), a plugin that calls ``sys.exit()`` at import
    and one whose names clash with the built-ins."""
    version = next(
        line.split('"')[1]
        for line in (EXAMPLE_DIR / "pyproject.toml").read_text().splitlines()
        if line.startswith("version = ")
    )
    write_dist(root, "nnplug-leaky-relu", version, {"leaky_relu": "nnplug_leaky_relu.plugin"})
    write_dist(
        root,
        "nnplug-broken",
        "1.0",
        {"broken": "nnplug_t_broken"},
        {"nnplug_t_broken": EXITS_AT_IMPORT},
    )
    write_dist(
        root, "nnplug-clash", "1.0", {"clash": "nnplug_t_clash"}, {"nnplug_t_clash": CLASHES}
    )
    return root


def env_with(root: Path, **extra: str) -> dict[str, str]:
    """The current environment with ``root`` and the example's source on PYTHONPATH."""
    path = os.pathsep.join([str(root), str(EXAMPLE_DIR), os.environ.get("PYTHONPATH", "")])
    return {**os.environ, "PYTHONPATH": path.rstrip(os.pathsep), **extra}
