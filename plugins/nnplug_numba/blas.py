"""BLAS matrix products callable from compiled kernels: :func:`gemm`.

Numba's own ``np.dot`` costs seconds of compile per kernel (measured here: 3.9 s for the
first ``np.dot`` in a kernel, 1.3 s for the next) and needs contiguous copies for
transposes. Instead, the Fortran ``sgemm``/``dgemm`` that SciPy exports (the same BLAS
numba's ``np.dot`` calls: ``scipy.linalg.cython_blas``, always present beside numba) is
registered with LLVM under a symbol name, and an intrinsic emits one call to it: cheap to
compile, resolved by name when a cached kernel is loaded (no address baked in), and it
takes transposes and ``beta`` (accumulate) for free.

Import this module only after numba is configured (:mod:`nnplug_numba.jit`).
"""

from __future__ import annotations

import ctypes
import importlib.machinery
import importlib.util
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import llvmlite.binding as ll
from llvmlite import ir
from numba import config, njit, types
from numba.core import cgutils
from numba.extending import get_cython_function_address
from numba.extending import intrinsic as _intrinsic

#: numba's stubs give an intrinsic the signature of its typing function, the typing
#: context included, which compiled callers do not pass: typed as returning Any here
intrinsic: Callable[..., Any] = _intrinsic

_SYMBOLS = {"float32": "nnplug_blas_sgemm", "float64": "nnplug_blas_dgemm"}


_CYTHON_BLAS = "scipy.linalg.cython_blas"


def _capsule_address(module: Any, name: str) -> int:
    """The C address in a Cython module's exported capsule ``__pyx_capi__[name]``."""
    api = ctypes.pythonapi
    api.PyCapsule_GetName.restype = ctypes.c_char_p
    api.PyCapsule_GetName.argtypes = [ctypes.py_object]
    api.PyCapsule_GetPointer.restype = ctypes.c_void_p
    api.PyCapsule_GetPointer.argtypes = [ctypes.py_object, ctypes.c_char_p]
    capsule = module.__pyx_capi__[name]
    address = api.PyCapsule_GetPointer(capsule, api.PyCapsule_GetName(capsule))
    if not address:
        raise ValueError(f"{_CYTHON_BLAS}.{name}: null address")
    return int(address)


def _blas_address(name: str) -> int:
    """Address of SciPy's Fortran ``name`` (``sgemm``/``dgemm``).

    Importing ``scipy.linalg`` (what numba's ``get_cython_function_address`` does) costs
    about 0.1-0.2 s of every warm start; the ``cython_blas`` extension alone loads in a few
    ms. It is loaded by file, without its package, unless ``scipy.linalg`` is already
    imported; any surprise falls back to numba's way."""
    if _CYTHON_BLAS not in sys.modules:
        try:
            scipy = importlib.util.find_spec("scipy")
            locations = scipy.submodule_search_locations if scipy else None
            folder = Path(next(iter(locations or ()))) / "linalg"
            for suffix in importlib.machinery.EXTENSION_SUFFIXES:
                path = folder / f"cython_blas{suffix}"
                if path.is_file():
                    loader = importlib.machinery.ExtensionFileLoader(_CYTHON_BLAS, str(path))
                    spec = importlib.util.spec_from_file_location(_CYTHON_BLAS, path, loader=loader)
                    if spec is None:
                        break
                    module = importlib.util.module_from_spec(spec)
                    loader.exec_module(module)
                    return _capsule_address(module, name)
        except Exception:  # noqa: BLE001 - any layout or loader surprise: numba's way
            pass
    return int(get_cython_function_address(_CYTHON_BLAS, name))


def register_symbols() -> None:
    """Point our symbol names at SciPy's ``sgemm``/``dgemm`` (idempotent)."""
    for dtype, symbol in _SYMBOLS.items():
        if not ll.address_of_symbol(symbol):
            ll.add_symbol(symbol, _blas_address("sgemm" if dtype == "float32" else "dgemm"))


register_symbols()


@intrinsic
def _fortran_gemm(typingctx, transa, transb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc):
    """?gemm on column-major data: C = alpha op(A) op(B) + beta C (Fortran ABI: every
    argument by pointer, 32-bit integers)."""
    if not (
        isinstance(c, types.Array) and str(c.dtype) in _SYMBOLS and a.dtype == c.dtype == b.dtype
    ):
        return None
    sig = types.void(transa, transb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc)
    dtype = c.dtype

    def codegen(context, builder, signature, args):
        ta, tb, m_, n_, k_, alpha_, a_, lda_, b_, ldb_, beta_, c_, ldc_ = args
        i8, i32 = ir.IntType(8), ir.IntType(32)
        fl = context.get_value_type(dtype)
        fnty = ir.FunctionType(
            ir.VoidType(),
            [
                i8.as_pointer(),
                i8.as_pointer(),
                i32.as_pointer(),
                i32.as_pointer(),
                i32.as_pointer(),
                fl.as_pointer(),
                fl.as_pointer(),
                i32.as_pointer(),
                fl.as_pointer(),
                i32.as_pointer(),
                fl.as_pointer(),
                fl.as_pointer(),
                i32.as_pointer(),
            ],
        )
        fn = cgutils.get_or_insert_function(builder.module, fnty, _SYMBOLS[str(dtype)])

        def by_ref(value, typ):
            slot = cgutils.alloca_once(builder, typ)
            builder.store(value, slot)
            return slot

        def integer(value):
            return by_ref(builder.trunc(value, i32), i32)

        def scalar(value, from_type):
            return by_ref(context.cast(builder, value, from_type, dtype), fl)

        def data(value, array_type):
            return context.make_array(array_type)(context, builder, value).data

        builder.call(
            fn,
            [
                by_ref(builder.trunc(ta, i8), i8),
                by_ref(builder.trunc(tb, i8), i8),
                integer(m_),
                integer(n_),
                integer(k_),
                scalar(alpha_, signature.args[5]),
                data(a_, signature.args[6]),
                integer(lda_),
                data(b_, signature.args[8]),
                integer(ldb_),
                scalar(beta_, signature.args[10]),
                data(c_, signature.args[11]),
                integer(ldc_),
            ],
        )
        return context.get_dummy_value()

    return sig, codegen


@njit(inline="always")
def gemm(a, b, c, trans_a=False, trans_b=False, beta=0.0):
    """c = op(a) @ op(b) + beta * c for C-contiguous 2-d arrays (op: transpose if asked).

    Row-major C = A B is column-major C^T = B^T A^T, hence the swapped operands."""
    m, n = c.shape
    k = a.shape[0] if trans_a else a.shape[1]
    if m == 0 or n == 0:
        return
    if k == 0:
        c[:, :] = c * beta if beta != 0.0 else 0.0
        return
    _fortran_gemm(
        _T if trans_b else _N,
        _T if trans_a else _N,
        n,
        m,
        k,
        1.0,
        b,
        b.shape[1],
        a,
        a.shape[1],
        beta,
        c,
        n,
    )


#: ?gemm's ``trans`` codes (read by :func:`gemm` when it compiles). Defined here rather
#: than before it: a redefinition right after a decorated function is taken by mypy for
#: a conditional overload it cannot merge, an error that ``type: ignore`` does not silence
_N, _T = ord("N"), ord("T")

# NUMBA_DISABLE_JIT=1: kernels run as Python; so does this (numba.config's settings are
# module attributes set at import, unknown to mypy)
if config.DISABLE_JIT:  # type: ignore[attr-defined]

    def gemm(a, b, c, trans_a=False, trans_b=False, beta=0.0):  # type: ignore[misc]
        c[...] = (a.T if trans_a else a) @ (b.T if trans_b else b) + (beta * c if beta else 0)
