"""nnplug_numba.fastmath: the float32 functions within their stated error bounds against
float64 references (NumPy; SciPy for erf, which NumPy lacks) over dense grids, compiled in
a plain ``@njit`` loop and in the toolkit's ``kernel`` (fast-math); the edges (limits at
+-inf and large |x|, NaN in -> NaN out, -0.0 kept by the odd functions, inf only where the
true value overflows float32); the dtype kept; the float64 path within 1e-12; loops that
compile to SIMD code with no libm call; and the pure-Python path (NUMBA_DISABLE_JIT=1, on
NumPy scalars) within the same bounds.

Errors are in ulps of the true value: |result - exact| / 2^(e - 24) for an exact value in
[2^(e-1), 2^e), 2^-149 for subnormal ones. The bounds are the module docstring's
measurements plus a margin for other CPUs (FMA or not, vector width): the roundings differ
between compiled contexts, so no comparison here is exact except at the limits.
"""

import importlib
import math
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import special

from nnplug.registry import get_registry

HERE = str(Path(__file__).resolve())
REPO = Path(__file__).resolve().parents[3]
NAMES = ("exp", "tanh", "sigmoid", "erf", "gelu")
#: max ulps (float32) asserted (gelu: for x >= 0); measured: see fastmath's docstring
ULPS = {"exp": 1.75, "tanh": 2.0, "sigmoid": 3.5, "erf": 2.0, "gelu": 2.0}
#: gelu for x < 0: an absolute bound (its relative error grows as gelu -> 0)
GELU_NEGATIVE_ABS = 1e-7
F32_MAX = float(np.finfo(np.float32).max)


def fastmath():
    if not get_registry().get("backend", "numba").cls.availability()[0]:
        pytest.skip("numba backend unavailable here: "
                    + get_registry().get("backend", "numba").cls.availability()[1])
    return importlib.import_module("nnplug_numba.fastmath")


def jit_enabled() -> bool:
    fastmath()  # skips where numba cannot import
    import numba

    return not numba.config.DISABLE_JIT


# -- references (float64) ----------------------------------------------------------------------
def sigmoid64(x):
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0, e) / (1.0 + e)


def gelu64(x):
    return x * 0.5 * special.erfc(-x / math.sqrt(2.0))


REFERENCE = {"exp": np.exp, "tanh": np.tanh, "sigmoid": sigmoid64, "erf": special.erf,
             "gelu": gelu64}


def ulps(out32, exact):
    """|out - exact| in float32 ulps of the exact (float64) value."""
    _, e = np.frexp(exact)
    unit = np.maximum(np.ldexp(1.0, e - 24), 2.0**-149)
    return np.abs(out32.astype(np.float64) - exact) / unit


# -- inputs --------------------------------------------------------------------------------------
def grid(name: str, sparse: bool = False) -> np.ndarray:
    """Every multiple of 2^-15 in [-20, 20] (exp: of 2^-13 in [-104, 89], sigmoid: in
    [-110, 30]; sparse: 2^-7 everywhere), 2 x 20000 (sparse: 2 x 500) magnitudes from 1e-38
    to 20, and the range's ends, as float32."""
    lo, hi, step = {"exp": (-104, 89, 2.0**-13), "sigmoid": (-110, 30, 2.0**-13)}.get(
        name, (-20, 20, 2.0**-15))
    step = 2.0**-7 if sparse else step
    mags = np.geomspace(1e-38, 20, 500 if sparse else 20000)
    x = np.concatenate([np.arange(lo, hi + step, step), mags, -mags, [lo, hi]])
    return np.unique(x.astype(np.float32))


def specials(dtype) -> np.ndarray:
    big = float(np.finfo(dtype).max)
    return np.array([0.0, -0.0, np.nan, np.inf, -np.inf, big, -big, 1e30, -1e30], dtype)


# -- evaluation ----------------------------------------------------------------------------------
_loops: dict = {}


def loop(name: str, context: str):
    """``out[i] = fast_<name>(x[i])`` compiled with plain ``njit`` or as a ``kernel``."""
    key = (name, context)
    if key not in _loops:
        f = getattr(fastmath(), f"fast_{name}")  # first: skips where numba cannot import
        from numba import njit

        from nnplug_numba.toolkit import kernel


        def run(x, out):
            for i in range(x.size):
                out[i] = f(x[i])

        _loops[key] = (njit if context == "njit" else kernel)(run)
    return _loops[key]


def evaluate(name: str, x: np.ndarray, context: str = "njit") -> np.ndarray:
    out = np.empty_like(x)
    with np.errstate(all="ignore"):  # the pure-Python path overflows as NumPy scalars do
        loop(name, context)(x, out)
    return out


def check_bounds(name: str, x: np.ndarray, out: np.ndarray) -> None:
    exact = REFERENCE[name](x.astype(np.float64))
    with np.errstate(over="ignore"):
        finite = np.isfinite(exact.astype(np.float32))
    # inf exactly where the true value overflows float32 (only exp does); NaN nowhere
    assert np.array_equal(np.isfinite(out), finite), x[np.isfinite(out) != finite][:5]
    assert np.all(out[~finite] == np.float32(np.inf))
    err = ulps(out[finite], exact[finite])
    xs = x[finite]
    if name == "gelu":
        negative = xs < 0
        worst = np.abs(out[finite][negative] - exact[finite][negative]).max()
        assert worst <= GELU_NEGATIVE_ABS, worst
        err, xs = err[~negative], xs[~negative]
    assert err.max() <= ULPS[name], (name, float(err.max()), xs[np.argmax(err)])


# -- float32 accuracy ----------------------------------------------------------------------------
@pytest.mark.parametrize("context", ["njit", "kernel"])
@pytest.mark.parametrize("name", NAMES)
def test_float32_error_within_the_stated_bound_over_a_dense_grid(name, context):
    x = grid(name, sparse=not jit_enabled())  # pure Python: a sparser grid, same bounds
    out = evaluate(name, x, context)
    assert out.dtype == np.float32
    check_bounds(name, x, out)


def test_the_bound_check_fails_on_a_two_ulp_error():
    x = grid("tanh", sparse=True)
    out = np.tanh(x.astype(np.float64)).astype(np.float32)
    check_bounds("tanh", x, out)
    with pytest.raises(AssertionError):
        check_bounds("tanh", x, out * np.float32(1 + 2.5 * 2.0**-23))
    with pytest.raises(AssertionError):  # a NaN where the true value is finite
        check_bounds("tanh", x, np.where(x == 1, np.float32(np.nan), out))


# -- edges -------------------------------------------------------------------------------------
#: f(x) for x: +-0, NaN, +-inf, +-max, +-1e30 (the order of specials())
LIMITS = {
    "exp": [1, 1, np.nan, np.inf, 0, np.inf, 0, np.inf, 0],
    "tanh": [0.0, -0.0, np.nan, 1, -1, 1, -1, 1, -1],
    "sigmoid": [0.5, 0.5, np.nan, 1, 0, 1, 0, 1, 0],
    "erf": [0.0, -0.0, np.nan, 1, -1, 1, -1, 1, -1],
    "gelu": [0.0, -0.0, np.nan, np.inf, -0.0, "max", -0.0, 1e30, -0.0],
}
#: where the float32 result saturates (exactly: the true value rounds to it)
SATURATED = {"exp": [(-104.0, 0.0)], "tanh": [(9.1, 1), (-9.1, -1)],
             "sigmoid": [(17.5, 1), (-104.0, 0.0)], "erf": [(3.95, 1), (-3.95, -1)],
             "gelu": [(20.0, 20.0)]}


def expected_limits(name, dtype):
    values = [np.finfo(dtype).max if v == "max" else v for v in LIMITS[name]]
    return np.array(values, dtype)


def same(out, want) -> bool:
    """Equal values, NaN where NaN (of either sign), and the same sign of zero."""
    number = ~np.isnan(want)
    return bool(np.array_equal(out, want, equal_nan=True)
                and np.array_equal(np.signbit(out[number]), np.signbit(want[number])))


@pytest.mark.parametrize("dtype", [np.float32, np.float64], ids=["f32", "f64"])
@pytest.mark.parametrize("name", NAMES)
def test_limits_nan_and_signed_zero(name, dtype):
    out = evaluate(name, specials(dtype))
    assert out.dtype == dtype
    want = expected_limits(name, dtype)
    assert same(out, want), (out, want)


@pytest.mark.parametrize("name", NAMES)
def test_in_a_kernel_nan_and_limits_hold_and_zero_may_lose_its_sign(name):
    """fast-math without nnan/ninf: NaN and inf behave; nsz allows +0.0 for -0.0."""
    out = evaluate(name, specials(np.float32), "kernel")
    want = expected_limits(name, np.float32)
    assert np.array_equal(out, want, equal_nan=True), (out, want)


@pytest.mark.parametrize("name", NAMES)
def test_saturation_and_the_exp_overflow_threshold(name):
    x, want = (np.array(v, np.float32) for v in zip(*SATURATED[name], strict=True))
    assert same(evaluate(name, x), want)
    if name == "exp":  # the float32 neighbours around log(FLT_MAX) = 88.7228391
        below = np.float32(88.72283)
        above = np.nextafter(below, np.float32(np.inf))
        assert np.exp(np.float64(below)) < F32_MAX < np.exp(np.float64(above))
        out = evaluate("exp", np.array([below, above]))
        assert np.isfinite(out[0]) and out[1] == np.inf


# -- float64 -------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_float64_path_is_accurate(name):
    rng = np.random.default_rng(0)
    span = {"exp": 700.0, "sigmoid": 700.0}.get(name, 30.0)
    n = 20000 if jit_enabled() else 500
    x = np.concatenate([rng.uniform(-span, span, n), np.geomspace(1e-300, 1, 200),
                        -np.geomspace(1e-300, 1, 200)])
    out = evaluate(name, x)
    assert out.dtype == np.float64
    exact = REFERENCE[name](x)
    assert np.all(np.abs(out - exact) <= 1e-12 * np.abs(exact)), name


# -- dtype, compiled code, pure Python ----------------------------------------------------------
@pytest.mark.parametrize("name", NAMES)
def test_dtype_kept(name):
    """float32 in, float32 out (the compiled signature: a loop's ``out[i] = ...`` would
    cast a float64 result silently); float64 in, float64 out."""
    f = getattr(fastmath(), f"fast_{name}")
    results = [f(np.float32(-1.5)), f(np.float64(-1.5))]
    if jit_enabled():  # a compiled call returns a Python float: the signatures say more
        from numba import types

        signatures = {(s.args, s.return_type) for s in f.nopython_signatures}
        assert signatures >= {((t,), t) for t in (types.float32, types.float64)}
        assert all(args == (ret,) for args, ret in signatures), signatures
    else:
        assert [np.asarray(r).dtype for r in results] == [np.float32, np.float64]


def ir_facts() -> dict[str, np.ndarray]:
    """For each function's float32 loop (plain ``njit`` and ``kernel``): whether its
    optimised LLVM IR has vector float arithmetic, and the functions it calls that are not
    numba's runtime, CPython's or LLVM intrinsics (libm, if anything)."""
    facts = {}
    for name in NAMES:
        for context in ("njit", "kernel"):
            run = loop(name, context)
            x = np.ones(4, np.float32)
            run(x, x.copy())
            ir = run.inspect_llvm(run.signatures[0])
            vector = re.search(r"= f(?:add|sub|mul|div)\b[^\n]*<\d+ x float>", ir) is not None
            calls = set(re.findall(r"call [^@\n]*@([\w.]+)\(", ir))
            foreign = sorted(c for c in calls if not c.startswith(("NRT_", "Py", "_ZN", "llvm.")))
            facts[f"{name}-{context}"] = np.array([str(vector), *foreign])
    return facts


def in_mode(jit: bool, func: str, tmp_path) -> dict[str, np.ndarray]:
    """``func()`` of this module, here if numba's JIT is ``jit`` here, else in a child
    process with NUMBA_DISABLE_JIT set accordingly (its arrays through an npz file)."""
    fastmath()
    if jit_enabled() == jit:
        return globals()[func]()
    out = tmp_path / f"{func}.npz"
    code = ("import importlib.util, numpy as np\n"
            f"spec = importlib.util.spec_from_file_location('fastmath_tests', {HERE!r})\n"
            "m = importlib.util.module_from_spec(spec)\nspec.loader.exec_module(m)\n"
            f"np.savez({str(out)!r}, **m.{func}())\n")
    env = {**os.environ, "NUMBA_DISABLE_JIT": "0" if jit else "1"}
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=env, cwd=REPO, timeout=900)
    assert res.returncode == 0, res.stderr[-3000:]
    with np.load(out) as data:
        return dict(data)


def test_loops_compile_to_simd_with_no_libm_call(tmp_path):
    for key, fact in in_mode(True, "ir_facts", tmp_path).items():
        assert fact[0] == "True", f"{key}: no vector float arithmetic"
        assert list(fact[1:]) == [], f"{key} calls {list(fact[1:])}"


def pure_python_values() -> dict[str, np.ndarray]:
    """Each function called from Python on NumPy scalars (NUMBA_DISABLE_JIT=1: plain Python),
    over the sparse grid (float32) and the specials (both dtypes)."""
    fm = fastmath()
    out = {}
    with np.errstate(all="ignore"):
        for name in NAMES:
            f = getattr(fm, f"fast_{name}")
            x = grid(name, sparse=True)
            out[name] = np.array([f(v) for v in x])
            out[f"{name}-types"] = np.array([type(f(v)).__name__ for v in x[:3]])
            for dtype in (np.float32, np.float64):
                values = [f(v) for v in specials(dtype)]
                out[f"{name}-{dtype.__name__}"] = np.array(values, np.asarray(values[0]).dtype)
    return out


def test_pure_python_path_on_numpy_scalars(tmp_path):
    values = in_mode(False, "pure_python_values", tmp_path)
    for name in NAMES:
        assert set(values[f"{name}-types"]) == {"float32"}, name
        x = grid(name, sparse=True)
        assert values[name].dtype == np.float32
        check_bounds(name, x, values[name])
        for dtype in (np.float32, np.float64):
            got = values[f"{name}-{dtype.__name__}"]
            assert got.dtype == dtype and same(got, expected_limits(name, dtype)), (name, got)
