"""Fixtures of the sweep tests; helpers in ``sweeprun``."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))


@pytest.fixture(autouse=True)
def _quiet_logs(tmp_path, monkeypatch):
    monkeypatch.setenv("NNPLUG_LOG_DIR", str(tmp_path / "logs"))
    monkeypatch.delenv("NNPLUG_THREADS", raising=False)

