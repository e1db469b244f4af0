"""``softmax_ce`` and ``mse``: the mean loss, and grad = d loss / d out, in one pass.

The kernels are :mod:`nnplug_numba.fused`'s routines (the numba backend's per-op losses
call the same ones); a plugin's loss kernel is a function of the same signature in its own
module (see the example plugin ``plugins/nnplug-leaky-relu``)."""

from nnplug_numba.fused import mse, softmax_ce

__all__ = ["mse", "softmax_ce"]
