"""Benchmark fixtures: every benchmark runs once per available compute backend.

Run with ``tox -e bench`` (or ``pytest benchmarks --benchmark-json=bench-results/x.json``
then ``python benchmarks/compare.py bench-results/x.json`` for the side-by-side table).
Workspaces are preallocated and reused as in training (the "steady state" regime).
"""
import numpy as np
import pytest

from nnplug.backend import get_backend
from nnplug.registry import get_registry


def available_backends():
    return [c.name for c in get_registry().components("backend") if c.cls.availability()[0]]


@pytest.fixture(params=available_backends())
def backend(request):
    """A backend instance, warmed up (numba kernels compiled) by the first call of each op."""
    return get_backend(request.param)


@pytest.fixture
def rng():
    return np.random.default_rng(0)
