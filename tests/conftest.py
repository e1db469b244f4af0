import os

# scikit-learn runs its array-API check of the estimators (check_array_api_input, NumPy
# namespace: array-API dispatch on must not change results) only in SciPy's array-API
# mode, read when SciPy is first imported -- which happens after this line
os.environ.setdefault("SCIPY_ARRAY_API", "1")

from pathlib import Path

import numpy as np
import pytest
from hypothesis import settings

import sys

from click.testing import CliRunner

from nnplug import hookimpl
from nnplug.base import Layer
from nnplug.cli import main
from nnplug.registry import Registry, get_registry, set_registry
from nnplug.runtime.backends import get_backend, use_backend

# helpers shared by several test folders (fake distributions, IDX files, a local HTTP
# server, the README's snippets) are plain modules in tests/support
sys.path.insert(0, str(Path(__file__).resolve().parent / "support"))

# The suite sees the built-in plugins only, whatever else is installed next to nnplug (the
# example plugin, a broken or a clashing one: tests/registry/test_installed_plugins.py
# proves it). Tests that need a third-party plugin add it themselves, or list it in
# NNPLUG_LOAD_PLUGINS with monkeypatch. Subprocesses inherit the same environment.
os.environ["NNPLUG_LOAD_PLUGINS"] = ""
for _variable in ("NNPLUG_DISABLE_PLUGINS", "NNPLUG_TRACE_PLUGINS", "NNPLUG_DEBUG"):
    os.environ.pop(_variable, None)

# Hypothesis profiles of the fuzz suite (tests/reliability/test_fuzz.py). They are
# registered here, before the plugin reads --hypothesis-profile: "fast" (default, CI: a
# few deterministic examples per reader) and "long" (pytest --hypothesis-profile=long).
settings.register_profile("fast", max_examples=25, deadline=None, derandomize=True,
                          database=None)
settings.register_profile("long", max_examples=1000, deadline=None, database=None)
settings.load_profile("fast")


def available_backends():
    out = []
    for comp in get_registry().components("backend"):
        ok, _ = comp.cls.availability()
        if ok:
            out.append(comp.name)
    return out


@pytest.fixture(params=available_backends())
def backend(request):
    """Run the test once per available compute backend."""
    with use_backend(request.param) as b:
        yield b


@pytest.fixture
def registry():
    return get_registry()


@pytest.fixture
def rng():
    return np.random.default_rng(0)


@pytest.fixture(autouse=True)
def _default_logs_in_tmp(tmp_path_factory, monkeypatch):
    """`nnplug train` logs under ./logs by default; tests must not litter the checkout."""
    monkeypatch.setenv("NNPLUG_LOG_DIR", str(tmp_path_factory.getbasetemp() / "default-logs"))


EXAMPLE_DIR = Path(__file__).resolve().parents[1] / "plugins" / "nnplug-leaky-relu"


@pytest.fixture
def example(monkeypatch):
    """The example plugin's package, importable from the source tree (not installed)."""
    monkeypatch.syspath_prepend(str(EXAMPLE_DIR))
    import nnplug_leaky_relu.plugin

    return nnplug_leaky_relu


@pytest.fixture
def example_registry(example):
    """The installed plugins plus the example, registered as pip would (dist and version)."""
    reg = Registry()
    reg.add_plugin(example.plugin, "leaky_relu", dist="nnplug-leaky-relu", version="0.2.0")
    return reg


@pytest.fixture
def cli():
    """Run ``nnplug ARGS`` in-process; stdout and stderr kept apart (``res.stdout`` /
    ``res.stderr``; ``res.output`` holds both): one fixture for every folder."""
    from click.testing import CliRunner

    from nnplug.cli import main

    runner = CliRunner()

    def invoke(*args, **kwargs):
        return runner.invoke(main, [str(a) for a in args], **kwargs)

    return invoke


@pytest.fixture
def use_registry():
    """Make a registry process-wide for one test (the CLI calls ``get_registry()``)."""
    previous = get_registry()

    def use(reg: Registry) -> Registry:
        set_registry(reg)
        return reg

    yield use
    set_registry(previous)


@pytest.fixture
def bench_plugin(use_registry):
    """The built-in plugins plus nnplug-bench's (``benchmarks/nnplug_bench``, imported from
    the source tree through pyproject's pytest ``pythonpath``: not installed), registered
    process-wide as its entry point would be: ``nnplug bench`` then comes through the
    ``nnplug_register_commands`` hook, as it does once ``pip install benchmarks/`` ran."""
    import nnplug_bench.plugin

    reg = Registry()
    reg.add_plugin(nnplug_bench.plugin, "bench", dist="nnplug-bench", version="0.1.0")
    return use_registry(reg)


#: small and quick: digits, 32 wide, float32
SMALL = ["--hidden", "32", "--epochs", "3", "--quiet"]


class NanAfter(Layer):
    """Identity that outputs NaN from its ``after``-th training forward on (tests only)."""

    name = "nan_after"
    transparent_for_init = True

    def __init__(self, after: int = 10):
        super().__init__()
        self.after, self.calls = int(after), 0

    def options(self):
        return {"after": self.after}

    def forward(self, x):
        if self.training:
            self.calls += 1
            if self.calls >= self.after:
                return x * np.nan
        return x

    def backward(self, dy):
        return dy


class NanPlugin:
    @hookimpl
    def nnplug_register_layers(self, register):
        register(NanAfter)


@pytest.fixture
def log_dir(tmp_path, monkeypatch):
    """Default log files go to a temporary directory, not ``./logs``."""
    path = tmp_path / "logs"
    monkeypatch.setenv("NNPLUG_LOG_DIR", str(path))
    return path


@pytest.fixture
def nanplug():
    """The process registry plus the ``nanplug`` test plugin (restored afterwards)."""
    before = get_registry()
    reg = Registry()
    reg.add_plugin(NanPlugin(), "nanplug", dist="nnplug-nanplug", version="9.9")
    set_registry(reg)
    yield reg
    set_registry(before)



@pytest.fixture(scope="session")
def trained(tmp_path_factory):
    """A small digits model saved with ``--save`` plus its metrics and checkpoint dir."""
    d = tmp_path_factory.mktemp("trained")
    res = CliRunner().invoke(main, ["train", *SMALL, "--save", str(d / "model.npz"),
                                    "--metrics-out", str(d / "metrics.json"),
                                    "--checkpoint-dir", str(d / "ck"),
                                    "--log-file", str(d / "train.log")])
    assert res.exit_code == 0, res.output
    return d


def numba_available() -> bool:
    return get_registry().get("backend", "numba").cls.availability()[0]


@pytest.fixture
def pair():
    """(reference numpy backend, numba backend); skipped where numba cannot import."""
    if not numba_available():
        pytest.skip("numba backend unavailable here: "
                    + get_registry().get("backend", "numba").cls.availability()[1])
    return get_backend("numpy"), get_backend("numba")

