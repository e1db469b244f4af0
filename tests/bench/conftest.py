import pytest
from benchfakes import FakeClock

from nnplug.runtime import threads


@pytest.fixture(autouse=True)
def _policy_threads(monkeypatch):
    """The bench tests assert the thread policy's own choice (1 for their small workloads):
    a user's NNPLUG_THREADS would override it, so it is cleared here (child processes too)."""
    monkeypatch.delenv(threads.THREADS_ENV, raising=False)


@pytest.fixture
def clock():
    """A clock that moves only when a fake engine trains."""
    return FakeClock()
