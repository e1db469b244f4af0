import pytest
from benchfakes import FakeClock


@pytest.fixture
def clock():
    """A clock that moves only when a fake engine trains."""
    return FakeClock()
