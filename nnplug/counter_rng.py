"""Counter-based random numbers for dropout: the same mask on every backend and in
compiled kernels, from a seed and a step count (the only state a checkpoint needs).

A unit ``i`` of training step ``step`` is kept when
``hash32(dropout_key(seed, step) + i) >= dropout_threshold(p)`` (uint32 arithmetic,
wrapping). Kernels written for the compiled path use the same three functions
(``nnplug_numba.toolkit`` has jitted twins).
"""

from __future__ import annotations

import numpy as np

_M32 = 0xFFFFFFFF


def hash32(x: np.ndarray) -> np.ndarray:
    """Chris Wellons' ``lowbias32`` integer hash of a uint32 array (wrapping arithmetic)."""
    x = np.asarray(x, dtype=np.uint32)
    x = x ^ (x >> np.uint32(16))
    x = x * np.uint32(0x7FEB352D)
    x = x ^ (x >> np.uint32(15))
    x = x * np.uint32(0x846CA68B)
    hashed: np.ndarray = x ^ (x >> np.uint32(16))
    return hashed


def _hash32_int(x: int) -> int:
    x &= _M32
    x ^= x >> 16
    x = (x * 0x7FEB352D) & _M32
    x ^= x >> 15
    x = (x * 0x846CA68B) & _M32
    return x ^ (x >> 16)


def dropout_key(seed: int, step: int) -> int:
    """The per-step key: hash32(seed + hash32(step)) (both taken mod 2^32)."""
    return _hash32_int((seed + _hash32_int(step & _M32)) & _M32)


def dropout_threshold(p: float) -> int:
    """Units whose hash is below ``p * 2^32`` are dropped."""
    return min(int(p * 4294967296.0), _M32)


__all__ = [
    "dropout_key",
    "dropout_threshold",
    "hash32",
]
