import numpy as np
import pytest
from hypothesis import settings

from nnplug.backend import use_backend
from nnplug.registry import get_registry

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
