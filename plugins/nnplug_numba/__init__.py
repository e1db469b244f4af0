"""nnplug's Numba backend: fused, serial ``@njit`` kernels for the memory-bound ops.

Nothing here imports numba at module import time: the plugin registers the
``numba`` backend class, and numba is loaded only when that backend is created.
"""
