"""Dataset tests never touch the internet: every dataset's mirrors are replaced by a dead
local URL, and the data root / user cache point into the test's tmp directory."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest
from httpserver import dead_url

sys.path.insert(0, str(Path(__file__).parent))

SHARED = Path(__file__).resolve().parents[3].parent / "shared" / "data"


@pytest.fixture(autouse=True)
def offline(monkeypatch, tmp_path):
    from nnplug_datasets.california import California
    from nnplug_datasets.mnist import FashionMNIST, MNIST

    dead = dead_url()
    for dataset in (MNIST, FashionMNIST, California):
        monkeypatch.setattr(dataset, "mirrors", (dead,))
    monkeypatch.delenv("NNPLUG_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "user-cache"))
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    yield


@pytest.fixture
def shared_data():
    """The project's real development files, when present (read-only: copy before use)."""
    if not SHARED.is_dir():
        pytest.skip(f"no shared data at {SHARED}")
    return SHARED
