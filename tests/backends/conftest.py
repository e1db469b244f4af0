import pytest

from nnplug.runtime.backends import get_backend
from nnplug.registry import get_registry


def numba_available() -> bool:
    return get_registry().get("backend", "numba").cls.availability()[0]


@pytest.fixture
def pair():
    """(reference numpy backend, numba backend); skipped where numba cannot import."""
    if not numba_available():
        pytest.skip("numba backend unavailable here: "
                    + get_registry().get("backend", "numba").cls.availability()[1])
    return get_backend("numpy"), get_backend("numba")
