"""Dataset tests never touch the internet: mirrors and scikit-learn's fetch are replaced,
and the data root / user cache point into the test's tmp directory."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest
from httpserver import dead_url

sys.path.insert(0, str(Path(__file__).parent))

SHARED = Path(__file__).resolve().parents[3].parent / "shared" / "data"


@pytest.fixture(autouse=True)
def offline(monkeypatch, tmp_path):
    from nnplug_datasets import california
    from nnplug_datasets.mnist import FashionMNIST, MNIST

    dead = dead_url()
    monkeypatch.setattr(MNIST, "mirrors", (dead,))
    monkeypatch.setattr(FashionMNIST, "mirrors", (dead,))

    def no_network(data_home, download):
        raise OSError("network disabled in tests" if download else
                      "Data not found and `download_if_missing` is False")

    monkeypatch.setattr(california, "sklearn_fetch", no_network)
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
