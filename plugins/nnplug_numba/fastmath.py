"""Fast element-wise maths for kernels: ``fast_exp``, ``fast_tanh``, ``fast_sigmoid``,
``fast_erf``, ``fast_gelu`` -- scalar functions that LLVM vectorises in a kernel's loop.

Why: numba has no SVML here, so ``np.tanh``/``math.exp``/``math.erf`` in a kernel are one
scalar libm call per element, and the call keeps LLVM from vectorising the loop (~15 ns
per float32 ``tanh`` against 0.2-0.5 ns for NumPy's ufunc). These use only arithmetic,
selects and integer/bit conversions (no libm, no branch): ``out[i] = fast_tanh(x[i])``
compiles to SIMD code, ~20x faster than ``math.tanh`` (``benchmarks/fastmath_speed.py``,
figures in docs/kernels.md). The dtype is kept: float32 in, float32 arithmetic (the
constants are float32); float64 in, libm's float64 functions (accurate, not fast: that
path is for gradient checks). With ``NUMBA_DISABLE_JIT=1`` the same code runs as Python
on NumPy scalars.

How (float32), with the largest errors measured against float64 references (NumPy, SciPy's
erf) on every multiple of 2^-15 in [-20, 20] (2^-13 in [-104, 89] for exp, [-110, 30] for
sigmoid), 40000 magnitudes from 1e-38 to 20 and the special values, in an ``@njit`` loop
and (in brackets) in the toolkit's ``kernel``; in float32 ulps of the true value
(tests/plugins/numba/test_fastmath.py asserts them with a margin):

* ``fast_exp``: Cody-Waite -- k = round(x / ln 2) by truncating a positive shift, r = x -
  k ln 2 with ln 2 in two parts, exp(r) = 1 + r + r^2 P(r), P of degree 5 fitted by
  Lawson's minimax on |r| <= 0.35, times 2^(k/2) 2^(k - k/2) built from exponent bits
  (so exp(88.7) and the subnormal results are right). 0.96 ulp (1.21), relative 7.9e-8;
  NumPy's float32 ``np.exp``: 2.5 ulp. inf from 88.7228, 0 below -103.97.
* ``fast_tanh``: Cephes' ``tanhf`` scheme -- x for |x| < 2^-12, x + x z P(z) (z = x^2,
  degree 4, Cephes' coefficients, which the fit reproduces) up to 0.625, above it
  1 - 2 / (exp(2|x|) + 1), where tanh >= 0.55 (no cancellation). 1.22 ulp (1.25);
  NumPy's float32 ``np.tanh``: 1.36 ulp.
* ``fast_sigmoid``: e = exp(-|x|), then 1 / (1 + e) or e / (1 + e) by the sign (no
  overflow, no cancellation). 2.18 ulp (2.57), relative 2.0e-7.
* ``fast_erf``: x + x Q(x^2) for |x| < 1 (degree 6 fitted, Cephes' ``erff`` form; the
  float32 rounding of 2/sqrt(pi) in x P(x^2) alone costs 0.5 ulp), 1 - exp(-x^2)
  G(|x| - 2.5) above, G of degree 8 fitted on [1, 4] for the absolute error of erfc
  (erf(4) is 1 in float32). 1.10 ulp (0.84). Abramowitz-Stegun 7.1.26 was not enough:
  absolute 1.5e-7 (2.5 ulp at 1) and relative 1e-4 near 0.
* ``fast_gelu``: x (1 + erf(x / sqrt 2)) / 2 from ``fast_erf``'s pieces, with erfc taken
  directly where x / sqrt 2 <= -1. 1.52 ulp for x >= 0 (1.52); for x < 0 an absolute
  5.3e-8 (4.5e-8): there the relative error grows as gelu -> 0, as it must for any
  float32 evaluation (rounding x / sqrt 2 alone costs x^2 / 2 ulps).

Edges: NaN in, NaN out; +-inf give the limits (gelu(-inf) = -0.0); no finite input gives
NaN, nor inf unless the true value overflows float32 (exp from 88.7228); -0.0 stays -0.0
(tanh, erf, gelu); subnormal results within 0.77 x 2^-149. In a ``kernel`` (fast-math
``nsz``, ``reassoc``, ...) the bounds hold, but not the sign of a zero; ``fast_exp``'s
reduction and scaling carry their own flags so fast-math cannot regroup them. With
``fastmath=True`` (``nnan``, ``ninf``) NaN and inf are not promised either.

Use: ``from nnplug_numba.fastmath import fast_tanh``, then ``y[i] = fast_tanh(x[i])`` in a
kernel's loop (the function is inlined there); docs/kernels.md has an example.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
from numba import config, njit, types
from numba.extending import intrinsic as _intrinsic

#: numba's stubs give an intrinsic the signature of its typing function, the typing
#: context included, which compiled callers do not pass: typed as returning Any here
intrinsic: Callable[..., Any] = _intrinsic

__all__ = ["fast_erf", "fast_exp", "fast_gelu", "fast_sigmoid", "fast_tanh"]

_f = np.float32
_ZERO, _HALF, _ONE, _TWO, _NEG_ZERO = _f(0.0), _f(0.5), _f(1.0), _f(2.0), _f(-0.0)
# exp
_EXP_MAX, _EXP_MIN = _f(89.0), _f(-104.0)  # beyond: inf (from 88.7228) and 0 (-103.9721)
_LOG2E = _f(1.4426950408889634)
_SHIFT, _UNSHIFT = _f(256.5), _f(256.0)  # trunc(y + 256.5) - 256 = round(y), y > -256.5
_LN2_HI = _f(0.693359375)  # 355/512: k * _LN2_HI is exact for |k| < 2^15
_LN2_LO = _f(-2.1219444005469058e-4)  # ln 2 - _LN2_HI
_E5, _E4, _E3 = _f(1.978925429284572e-4), _f(1.394576160237193e-3), _f(8.33350419998169e-3)
_E2, _E1, _E0 = _f(4.166628047823906e-2), _f(0.1666666567325592), _f(0.5)
# tanh
_TANH_TINY, _TANH_SMALL = _f(2.0**-12), _f(0.625)
_T4, _T3, _T2 = _f(-5.704978946596384e-3), _f(2.0639080554246902e-2), _f(-5.373971164226532e-2)
_T1, _T0 = _f(0.13331441581249237), _f(-0.3333328068256378)
# erf: P for |x| < 1 (_P0 is 2 / sqrt(pi) - 1), G(t) = exp(a^2) erfc(a), t = a - 2.5
_P6, _P5 = _f(7.853852730477229e-05), _f(-8.01019137725234e-4)
_P4, _P3 = _f(5.18832728266716e-3), _f(-2.6853810995817184e-2)
_P2, _P1, _P0 = _f(0.1128358542919159), _f(-0.3761262595653534), _f(0.1283791657266733)
_G8, _G7, _G6 = _f(1.0684406879590824e-4), _f(2.2506726963911206e-4), _f(5.43328351341188e-4)
_G5, _G4, _G3 = _f(-6.611149292439222e-4), _f(2.3025015834718943e-3), _f(-8.132255636155605e-3)
_G2, _G1, _G0 = _f(2.491462416946888e-2), _f(-7.434218376874924e-2), _f(0.21080760657787323)
_G_MID, _G_MAX = _f(2.5), _f(4.0)
_RSQRT2 = _f(0.7071067811865476)
#: a flag on an instruction keeps numba's fast-math pass from adding its own: ``reassoc``
#: would let LLVM regroup ``(e 2^k1) 2^k2`` as ``e 2^k`` (which overflows) and join the
#: two parts of ``k ln 2`` (which loses the low one)
_KEEP = ("contract",)


def _float_type(*args):
    """The widest float type of ``args`` (a float64 call's dead float32 path mixes them)."""
    if all(isinstance(a, types.Float) for a in args):
        return max(args, key=lambda a: a.bitwidth)
    return None


def _cast_all(context, builder, sig, args):
    out = sig.return_type
    return [context.cast(builder, v, t, out) for v, t in zip(args, sig.args, strict=True)]


@intrinsic
def _is_single(typingctx, x):
    """True (a compile-time constant LLVM folds) if ``x`` is float32."""
    if not isinstance(x, types.Float):
        return None

    def codegen(context, builder, sig, args):
        return context.get_constant(types.boolean, x == types.float32)

    return types.boolean(x), codegen


@intrinsic
def _as(typingctx, like, v):
    """``v`` in the float type of ``like`` (a Python float constant would be float64)."""
    if not isinstance(like, types.Float) or not isinstance(v, types.Number):
        return None

    def codegen(context, builder, sig, args):
        return context.cast(builder, args[1], v, like)

    return like(like, v), codegen


@intrinsic
def _trunc(typingctx, y):
    """``y`` rounded toward zero through an integer (|y| < 2^31): no libm ``trunc``."""
    if _float_type(y) is None:
        return None

    def codegen(context, builder, sig, args):
        ity = context.get_value_type(types.int32 if y == types.float32 else types.int64)
        return builder.sitofp(builder.fptosi(args[0], ity), context.get_value_type(y))

    return y(y), codegen


@intrinsic
def _reduce(typingctx, t, k, hi, lo):
    """``(t - k hi) - k lo``, as written whatever the caller's fast-math."""
    out = _float_type(t, k, hi, lo)
    if out is None:
        return None

    def codegen(context, builder, sig, args):
        t_, k_, hi_, lo_ = _cast_all(context, builder, sig, args)
        r = builder.fsub(t_, builder.fmul(k_, hi_, flags=_KEEP), flags=_KEEP)
        return builder.fsub(r, builder.fmul(k_, lo_, flags=_KEEP), flags=_KEEP)

    return out(t, k, hi, lo), codegen


@intrinsic
def _scale(typingctx, e, k):
    """``e 2^k`` for an integral ``k`` in [-252, 254]: ``(e 2^(k/2)) 2^(k - k/2)``, the
    powers of two made from their exponent bits, multiplied in that order."""
    out = _float_type(e, k)
    if out is None:
        return None

    def codegen(context, builder, sig, args):
        e_, k_ = _cast_all(context, builder, sig, args)
        single = out == types.float32
        ity = context.get_value_type(types.int32 if single else types.int64)
        bias, shift = (127, 23) if single else (1023, 52)
        n = builder.fptosi(k_, ity)
        half = builder.sdiv(n, ity(2))
        for part in (half, builder.sub(n, half)):
            bits = builder.shl(builder.add(part, ity(bias)), ity(shift))
            power = builder.bitcast(bits, context.get_value_type(out))
            e_ = builder.fmul(e_, power, flags=_KEEP)
        return e_

    return out(e, k), codegen


@intrinsic
def _div(typingctx, a, b):
    """``a / b`` without the zero check of numba's default error model (a branch: no SIMD)."""
    out = _float_type(a, b)
    if out is None:
        return None

    def codegen(context, builder, sig, args):
        return builder.fdiv(*_cast_all(context, builder, sig, args))

    return out(a, b), codegen


@njit(inline="always")
def _exp32(x):
    t = x if x < _EXP_MAX else _EXP_MAX  # NaN -> _EXP_MAX: the integer part stays defined
    t = t if t > _EXP_MIN else _EXP_MIN
    k = _trunc(t * _LOG2E + _SHIFT) - _UNSHIFT
    r = _reduce(t, k, _LN2_HI, _LN2_LO)
    p = ((((_E5 * r + _E4) * r + _E3) * r + _E2) * r + _E1) * r + _E0
    y = _scale((r * r * p + r) + _ONE, k)
    return y if x == x else x


@njit(inline="always")
def _tanh32(x):
    a = abs(x)
    z = x * x
    small = x + x * z * ((((_T4 * z + _T3) * z + _T2) * z + _T1) * z + _T0)
    big = _ONE - _div(_TWO, _exp32(a + a) + _ONE)
    y = small if a < _TANH_SMALL else (big if x >= _ZERO else -big)
    return y if a >= _TANH_TINY else x  # tanh(x) rounds to x; -0.0 stays -0.0


@njit(inline="always")
def _erf_q(z):
    """Q(z), erf(x) = x + x Q(x^2) for |x| < 1."""
    return (((((_P6 * z + _P5) * z + _P4) * z + _P3) * z + _P2) * z + _P1) * z + _P0


@njit(inline="always")
def _erfc_big(a):
    """erfc(a) for a >= 1 (exp(a^2) erfc(a) taken as G(4) beyond 4)."""
    t = (a if a < _G_MAX else _G_MAX) - _G_MID
    g = (((_G8 * t + _G7) * t + _G6) * t + _G5) * t + _G4
    g = (((g * t + _G3) * t + _G2) * t + _G1) * t + _G0
    return _exp32(-(a * a)) * g


@njit(inline="always")
def fast_exp(x):
    """exp(x) (float32: vectorisable, <= 1.21 ulp; float64: libm)."""
    if _is_single(x):
        return _exp32(x)
    return np.exp(x)


@njit(inline="always")
def fast_tanh(x):
    """tanh(x) (float32: vectorisable, <= 1.25 ulp; float64: libm)."""
    if _is_single(x):
        return _tanh32(x)
    return np.tanh(x)


@njit(inline="always")
def fast_sigmoid(x):
    """1 / (1 + exp(-x)), no overflow (float32: vectorisable, <= 2.57 ulp; float64: libm)."""
    e = fast_exp(-abs(x))
    return _div(_ONE if x >= _ZERO else e, _ONE + e)


@njit(inline="always")
def fast_erf(x):
    """erf(x) (float32: vectorisable, <= 1.10 ulp; float64: libm)."""
    if _is_single(x):
        big = _ONE - _erfc_big(abs(x))
        small = x + x * _erf_q(x * x)
        return small if abs(x) < _ONE else (big if x >= _ZERO else -big)
    return math.erf(x)


@njit(inline="always")
def fast_gelu(x):
    """x Phi(x), Phi the normal CDF (float32: vectorisable, <= 1.52 ulp for x >= 0,
    absolute 5.3e-8 below; float64: libm)."""
    if _is_single(x):
        u = x * _RSQRT2
        tail = _HALF * _erfc_big(abs(u))
        phi = _HALF + _HALF * (u + u * _erf_q(u * u))
        phi = phi if abs(u) < _ONE else (_ONE - tail if u >= _ZERO else tail)
    else:
        phi = _as(x, 0.5) * math.erfc(-x * _as(x, 0.7071067811865476))
    return x * phi if phi != _ZERO else _NEG_ZERO  # x = -inf: -0.0, not -inf * 0


if config.DISABLE_JIT:  # type: ignore[attr-defined]  # set at import: unknown to mypy
    # NUMBA_DISABLE_JIT=1: the functions above run as Python, and these with them

    def _is_single(x):
        return isinstance(x, np.float32)

    def _as(like, v):
        return type(like)(v)

    def _trunc(y):
        return type(y)(int(y))

    def _reduce(t, k, hi, lo):
        return (t - k * hi) - k * lo

    def _scale(e, k):
        half = int(k / 2)
        return e * type(e)(2.0**half) * type(e)(2.0 ** (int(k) - half))

    def _div(a, b):
        return a / b
