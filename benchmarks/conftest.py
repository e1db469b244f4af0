"""Benchmark fixtures: every benchmark runs once per available compute backend.

Run with ``tox -e bench`` (``nnplug bench``'s interleaved summary, then these kernel
tables), or ``pytest benchmarks --benchmark-json=bench-results/x.json`` then
``python benchmarks/compare.py bench-results/x.json``. Workspaces are preallocated and
reused as in training (the "steady state" regime). Timing is never asserted.
"""
import numpy as np
import pytest

from nnplug.runtime.backends import get_backend
from nnplug_bench.engines import backend_names


@pytest.fixture(params=backend_names("all"))
def backend(request):
    """A backend instance; each benchmark warms its op up (numba compiles) first."""
    return get_backend(request.param)


@pytest.fixture
def rng():
    return np.random.default_rng(0)
