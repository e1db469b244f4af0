"""Fixtures for the training tests: a quiet log dir, a small trained model, a test plugin."""
from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner

from nnplug import hookimpl
from nnplug.base import Layer
from nnplug.cli import main
from nnplug.registry import Registry, get_registry, set_registry

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


@pytest.fixture(autouse=True)
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
