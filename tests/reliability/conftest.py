"""Fixtures of the reliability suite: a small trained model, the CLI in-process, and the
real ``nnplug`` command in a child process under a memory ceiling (``childrun.nnplug``)."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from nnplug.cli import main

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1] / "support"))  # idxfiles

from childrun import nnplug  # noqa: E402


@pytest.fixture(autouse=True)
def _quiet_logs(tmp_path, monkeypatch):
    monkeypatch.setenv("NNPLUG_LOG_DIR", str(tmp_path / "logs"))
    monkeypatch.delenv("NNPLUG_MAX_BYTES", raising=False)
    monkeypatch.delenv("NNPLUG_DATA", raising=False)



@pytest.fixture(scope="session")
def model_dir(tmp_path_factory):
    """A small digits model (``model.npz``), its checkpoint dir ``ck`` and metrics."""
    d = tmp_path_factory.mktemp("model")
    res = CliRunner().invoke(main, ["train", "--hidden", "16", "--epochs", "2", "--quiet",
                                    "--save", str(d / "model.npz"), "--log-file", "",
                                    "--checkpoint-dir", str(d / "ck"),
                                    "--metrics-out", str(d / "metrics.json")])
    assert res.exit_code == 0, res.output
    return d


@pytest.fixture
def run():
    return nnplug
