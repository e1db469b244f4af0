"""Fixtures of the sweep tests; helpers in ``sweeprun``."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from nnplug.cli import main

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(autouse=True)
def _quiet_logs(tmp_path, monkeypatch):
    monkeypatch.setenv("NNPLUG_LOG_DIR", str(tmp_path / "logs"))
    monkeypatch.delenv("NNPLUG_THREADS", raising=False)


@pytest.fixture
def cli():
    """``nnplug ARGS`` in-process: for what fails before any worker starts."""
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(main, [str(a) for a in args])

    return invoke
