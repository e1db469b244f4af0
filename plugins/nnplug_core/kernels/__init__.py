"""Compiled (Numba) kernels of the built-in components, one module per component, in
the signatures of :mod:`nnplug.kernels`. Imported only when a backend compiles: these
modules import numba (through :mod:`nnplug_numba.toolkit`)."""
