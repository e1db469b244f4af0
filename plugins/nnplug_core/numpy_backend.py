"""The ``numpy`` backend: the reference math of :class:`nnplug.backend.Backend`, as is.

Every operation is plain NumPy (GEMMs in BLAS); it is the test oracle every other
backend must reproduce, and it trains per op (no compiled path).
"""

from __future__ import annotations

from nnplug.backend import Backend


class NumpyBackend(Backend):
    """Reference implementation in plain NumPy (BLAS GEMMs, vectorised element-wise ops)."""

    name = "numpy"
