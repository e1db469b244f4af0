"""Unchecked array views for the driver: a 1-d/2-d window of a flat arena, and the raw
bytes of an input table seen as float32/float64 rows.

``arena[o:o + n * m].reshape((n, m))`` and ``bytes.view(np.float32)`` compile their error
paths (string formatting of shapes) into every caller -- seconds of compile per call
site. These intrinsics build the view directly (the caller guarantees the bounds: the
offsets come from :mod:`nnplug_numba.trainer`, which sized the arenas) and share the
arena's memory reference, so the view keeps it alive like any NumPy view.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from numba import config, types
from numba.core.imputils import impl_ret_borrowed
from numba.extending import intrinsic as _intrinsic
from numba.np.arrayobj import populate_array

#: numba's stubs give an intrinsic the signature of its typing function, the typing
#: context included, which compiled callers do not pass: typed as returning Any here
intrinsic: Callable[..., Any] = _intrinsic


def _window(context, builder, src_type, src, offset, shape, dst_type):
    """An array of ``dst_type`` over ``src``'s data from element ``offset``."""
    arr = context.make_array(src_type)(context, builder, src)
    out = context.make_array(dst_type)(context, builder)
    intp = context.get_value_type(types.intp)
    itemsize = context.get_constant(
        types.intp, context.get_abi_sizeof(context.get_data_type(dst_type.dtype))
    )
    data = builder.gep(
        arr.data, [builder.sext(offset, intp) if offset.type.width < intp.width else offset]
    )
    data = builder.bitcast(data, context.get_data_type(dst_type.dtype).as_pointer())
    dims = [builder.sext(d, intp) if d.type.width < intp.width else d for d in shape]
    strides: list[Any] = []
    step = itemsize
    for d in reversed(dims):
        strides.insert(0, step)
        step = builder.mul(step, d)
    populate_array(
        out,
        data=data,
        shape=dims,
        strides=strides,
        itemsize=itemsize,
        meminfo=arr.meminfo,
        parent=None,
    )
    return impl_ret_borrowed(context, builder, dst_type, out._getvalue())


@intrinsic
def view1(typingctx, arena, offset, n):
    """``arena[offset:offset + n]`` (1-d, C-contiguous, no checks)."""
    if not isinstance(arena, types.Array) or arena.ndim != 1:
        return None
    ret = types.Array(arena.dtype, 1, "C")

    def codegen(context, builder, sig, args):
        return _window(context, builder, sig.args[0], args[0], args[1], [args[2]], ret)

    return ret(arena, offset, n), codegen


@intrinsic
def view2(typingctx, arena, offset, n, m):
    """``arena[offset:offset + n * m].reshape((n, m))`` (no checks)."""
    if not isinstance(arena, types.Array) or arena.ndim != 1:
        return None
    ret = types.Array(arena.dtype, 2, "C")

    def codegen(context, builder, sig, args):
        return _window(context, builder, sig.args[0], args[0], args[1], args[2:], ret)

    return ret(arena, offset, n, m), codegen


def _typed_rows(dtype):
    @intrinsic
    def rows(typingctx, raw):
        """The uint8 rows of ``raw`` (n, bytes) seen as (n, bytes / itemsize) ``dtype``."""
        if not isinstance(raw, types.Array) or raw.ndim != 2:
            return None
        ret = types.Array(dtype, 2, "C")

        def codegen(context, builder, sig, args):
            arr = context.make_array(sig.args[0])(context, builder, args[0])
            shape = [
                builder.extract_value(arr.shape, 0),
                builder.udiv(
                    builder.extract_value(arr.shape, 1),
                    context.get_constant(types.intp, dtype.bitwidth // 8),
                ),
            ]
            return _window(
                context,
                builder,
                sig.args[0],
                args[0],
                context.get_constant(types.intp, 0),
                shape,
                ret,
            )

        return ret(raw), codegen

    return rows


as_float32_rows = _typed_rows(types.float32)
as_float64_rows = _typed_rows(types.float64)


@intrinsic
def flat(typingctx, a):
    """The 1-d view of a C-contiguous array's elements (no checks, no copy)."""
    if not isinstance(a, types.Array) or a.layout != "C":
        return None
    ret = types.Array(a.dtype, 1, "C")

    def codegen(context, builder, sig, args):
        arr = context.make_array(sig.args[0])(context, builder, args[0])
        return _window(
            context,
            builder,
            sig.args[0],
            args[0],
            context.get_constant(types.intp, 0),
            [arr.nitems],
            ret,
        )

    return ret(a), codegen


# NUMBA_DISABLE_JIT=1: kernels run as Python; so do these (numba.config's settings are
# module attributes set at import, unknown to mypy)
if config.DISABLE_JIT:  # type: ignore[attr-defined]
    import numpy as _np

    def view1(arena, offset, n):
        return arena[offset : offset + n]

    def view2(arena, offset, n, m):
        return arena[offset : offset + n * m].reshape(n, m)

    def flat(a):
        return a.reshape(-1)

    def as_float32_rows(raw):
        return raw.view(_np.float32)

    def as_float64_rows(raw):
        return raw.view(_np.float64)
