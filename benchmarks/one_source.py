"""Can one source serve both paths? leaky_relu forward/backward written (a) as loops (the
kernel style), (b) as NumPy array expressions writing into the output; each compiled by
numba and run as plain NumPy (py_func). Interleaved rounds, min and median microseconds."""
import statistics, time
import numpy as np
from numba import njit

FL = {"nsz", "arcp", "contract", "afn", "reassoc"}

def fwd_loop(x, y, alpha):
    xs, ys = x.reshape(-1), y.reshape(-1)
    for i in range(xs.size):
        ys[i] = xs[i] if xs[i] > 0 else xs[i] * alpha

def fwd_expr(x, y, alpha):
    y[...] = np.where(x > 0, x, x * alpha)

def bwd_loop(x, dy, dx, alpha):
    xs, g, o = x.reshape(-1), dy.reshape(-1), dx.reshape(-1)
    for i in range(xs.size):
        o[i] = g[i] if xs[i] > 0 else g[i] * alpha

def bwd_expr(x, dy, dx, alpha):
    dx[...] = np.where(x > 0, dy, dy * alpha)

jit = {f.__name__: njit(fastmath=FL)(f) for f in (fwd_loop, fwd_expr, bwd_loop, bwd_expr)}
rng = np.random.default_rng(0)
x = rng.standard_normal((128, 256)).astype(np.float32)
y, dy, dx = np.empty_like(x), rng.standard_normal(x.shape).astype(np.float32), np.empty_like(x)
alpha = np.float32(0.1)
cases = {
    "forward numba loop": lambda: jit["fwd_loop"](x, y, alpha),
    "forward numba expr": lambda: jit["fwd_expr"](x, y, alpha),
    "forward numpy expr (py_func)": lambda: fwd_expr(x, y, alpha),
    "forward python loop (py_func)": lambda: fwd_loop(x, y, alpha),
    "backward numba loop": lambda: jit["bwd_loop"](x, dy, dx, alpha),
    "backward numba expr": lambda: jit["bwd_expr"](x, dy, dx, alpha),
    "backward numpy expr (py_func)": lambda: bwd_expr(x, dy, dx, alpha),
}
t0 = time.perf_counter()
for f in cases.values(): f()   # compile
compile_s = time.perf_counter() - t0
times = {k: [] for k in cases}
for _ in range(15):
    for k, f in cases.items():
        n = 3 if "python loop" in k else 200
        t = time.perf_counter()
        for _ in range(n): f()
        times[k].append((time.perf_counter() - t) / n * 1e6)
print(f"128x256 float32; compile of the four numba versions {compile_s:.1f} s; load {open('/proc/loadavg').read().split()[:3]}")
for k, v in times.items():
    print(f"{k:32s} min {min(v):9.1f} us  median {statistics.median(v):9.1f} us")
