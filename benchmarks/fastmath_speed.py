"""Speed of ``nnplug_numba.fastmath`` inside a compiled loop, against what a kernel would
otherwise call (libm's scalar ``math.tanh``/``np.tanh``... inside ``@njit``) and against
NumPy's (or SciPy's) vectorised ufunc outside numba.

    python benchmarks/fastmath_speed.py                 # 1e6 float32, 15 rounds
    python benchmarks/fastmath_speed.py --repeats 31 --only tanh,gelu

Each variant fills one float32 output from one float32 input of ``--size`` elements
(uniform in [-8, 8], seed 0). The compiled loops are the toolkit's ``kernel`` (fast-math
without nnan/ninf, numpy error model), as in a plugin's kernel module. Every variant
runs once per round, the order rotating, so a busy spell of the (shared) machine hits
each variant alike; reported are the min and the median ns/element over the rounds and
the median of the per-round ratios to the fastmath variant. The load average before and
after is printed with the figures. Nothing here is asserted: a measurement, not a test.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import re
import statistics
import time
from collections.abc import Callable

import numpy as np
from scipy import special

from nnplug_numba.fastmath import fast_erf, fast_exp, fast_gelu, fast_sigmoid, fast_tanh
from nnplug_numba.toolkit import kernel

RSQRT2 = 0.7071067811865476
#: float32 constants: a Python number would promote each float32 element to float64
ONE, HALF, R2 = np.float32(1), np.float32(0.5), np.float32(RSQRT2)


def loop(f: Callable) -> Callable:
    """``out[i] = f(x[i])`` compiled as a kernel."""

    @kernel
    def run(x, out):
        for i in range(x.size):
            out[i] = f(x[i])

    return run


@kernel
def _libm_sigmoid(v):
    if v >= 0:
        return ONE / (ONE + math.exp(-v))
    e = math.exp(v)
    return e / (ONE + e)


@kernel
def _libm_gelu(v):
    return v * HALF * (ONE + math.erf(v * R2))


def _numpy_gelu(x, out):
    np.multiply(x, R2, out=out)
    special.erf(out, out=out)
    out += ONE
    out *= x
    out *= HALF


#: function -> (fastmath variant, [(name, compiled scalar or vectorised call)])
def variants() -> dict[str, list[tuple[str, Callable, bool]]]:
    """name -> [(variant, callable, compiled)]; the first variant is nnplug's."""
    return {
        "tanh": [
            ("fast_tanh in @njit", fast_tanh, True),
            ("math.tanh in @njit", math.tanh, True),
            ("np.tanh in @njit", np.tanh, True),
            ("NumPy np.tanh(x)", lambda x, out: np.tanh(x, out=out), False),
        ],
        "exp": [
            ("fast_exp in @njit", fast_exp, True),
            ("math.exp in @njit", math.exp, True),
            ("np.exp in @njit", np.exp, True),
            ("NumPy np.exp(x)", lambda x, out: np.exp(x, out=out), False),
        ],
        "sigmoid": [
            ("fast_sigmoid in @njit", fast_sigmoid, True),
            ("1/(1+math.exp(-x)) in @njit", _libm_sigmoid, True),
            ("SciPy expit(x)", lambda x, out: special.expit(x, out=out), False),
        ],
        "erf": [
            ("fast_erf in @njit", fast_erf, True),
            ("math.erf in @njit", math.erf, True),
            ("SciPy erf(x)", lambda x, out: special.erf(x, out=out), False),
        ],
        "gelu": [
            ("fast_gelu in @njit", fast_gelu, True),
            ("x/2 (1 + math.erf(x/sqrt2)) in @njit", _libm_gelu, True),
            ("NumPy/SciPy x/2 (1 + erf(x/sqrt2))", _numpy_gelu, False),
        ],
    }


def code_shape(run: Callable) -> str:
    """What the compiled loop does per element, from its assembly: the libm functions it
    calls, or the widest SIMD register its float arithmetic uses."""
    asm = run.inspect_asm(run.signatures[0])
    symbols = set(re.findall(r"movabsq\s+\$([A-Za-z_]\w*)", asm))
    libm = sorted(s for s in symbols if not s.startswith(("Py", "_Py", "_ZN", "NRT", "numba")))
    if libm:
        return "calls " + ", ".join(libm)
    for reg, bits in (("zmm", 512), ("ymm", 256), ("xmm", 128)):
        if re.search(rf"\bv\w+ps\s[^\n]*%{reg}", asm):
            return f"SIMD {bits}-bit, {bits // 32} floats"
    return "scalar"


def measure(name, entries, x, repeats):
    out = np.empty_like(x)
    calls = []
    for label, f, compiled in entries:
        call = loop(f) if compiled else f
        call(x, out)  # compile, warm
        calls.append((label, call, compiled))
    times: list[list[float]] = [[] for _ in calls]
    for r in range(repeats):
        order = list(range(len(calls)))
        order = order[r % len(order) :] + order[: r % len(order)]
        for i in order:
            start = time.perf_counter()
            calls[i][1](x, out)
            times[i].append((time.perf_counter() - start) / x.size * 1e9)
    print(f"\n{name}")
    print(f"  {'variant':40s} {'min ns/el':>10s} {'median':>8s} {'x fast (median ratio)':>22s}")
    for (label, call, compiled), t in zip(calls, times, strict=True):
        ratio = statistics.median(a / b for a, b in zip(t, times[0], strict=True))
        simd = f"  [{code_shape(call)}]" if compiled else ""
        print(f"  {label:40s} {min(t):10.3f} {statistics.median(t):8.3f} {ratio:22.2f}{simd}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--only", default="", help="comma-separated: tanh,exp,sigmoid,erf,gelu")
    args = parser.parse_args()
    import numba

    x = np.random.default_rng(0).uniform(-8, 8, args.size).astype(np.float32)
    chosen = variants()
    if args.only:
        chosen = {k: v for k, v in chosen.items() if k in args.only.split(",")}
    cpu = platform.processor() or platform.machine()
    print(f"numba {numba.__version__}, NumPy {np.__version__}, {cpu}")
    print(f"SVML: {numba.config.USING_SVML}; {args.size} float32, {args.repeats} rounds")
    print(f"load average before: {' '.join(map(str, os.getloadavg()))}")
    for name, entries in chosen.items():
        measure(name, entries, x, args.repeats)
    print(f"\nload average after: {' '.join(map(str, os.getloadavg()))}")


if __name__ == "__main__":
    main()
