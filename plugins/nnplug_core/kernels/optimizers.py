"""``sgd``, ``momentum``/``nesterov``, ``adam``/``adamw`` updates over flat views, with
the NumPy reference's arithmetic (no fast-math: the same roundings). ``wd`` is 0 for
parameters without weight decay (biases, BatchNorm).

The kernels are :mod:`nnplug_numba.fused`'s routines (the numba backend's per-op updates
call the same ones); a plugin's optimizer kernel is a function of the same signature in
its own module (the example plugin's ``rmsprop``)."""

from nnplug_numba.fused import adam, momentum, sgd

__all__ = ["adam", "momentum", "sgd"]
