"""``nnplug bench``: epoch throughput of the W1/W2 workloads per backend, and where an
epoch's time goes by backend op. The workload helpers are reused by ``benchmarks/``."""
from __future__ import annotations

import time
from typing import Any

import click

from ..quality import quality_options

#: MNIST-shaped random data, float32, SGD momentum (the issue's W1 and W2)
WORKLOADS = {
    "W1": ("linear:256,batchnorm,relu,linear:256,batchnorm,relu", 128),
    "W2": ("linear:1024,batchnorm,relu,linear:1024,batchnorm,relu", 256),
}
N_FEATURES, N_CLASSES = 784, 10


def random_data(n: int, seed: int = 0):
    """``n`` MNIST-shaped samples: uniform [0, 1) float32 pixels, labels 0..9."""
    import numpy as np

    from ..base import Data

    rng = np.random.default_rng(seed)
    X = rng.random((n, N_FEATURES), dtype=np.float32)
    y = rng.integers(0, N_CLASSES, n)
    empty_X, empty_y = X[:0], y[:0]
    return Data(X, y, empty_X, empty_y, empty_X, empty_y,
                classes=[str(i) for i in range(N_CLASSES)])


def make_solver(workload: str, *, seed: int = 0, dtype: str = "float32"):
    """Sequential + softmax_ce + momentum(lr 0.01, 0.9) Solver for one epoch of ``workload``."""
    from ..model import Sequential
    from ..registry import get_registry
    from ..solver import Solver
    from ..training import make_optimizer

    spec, batch = WORKLOADS[workload]
    model = Sequential.from_spec(spec, N_FEATURES, N_CLASSES, rng=seed, dtype=dtype)
    model.input_grad = False  # as in nnplug train (and PyTorch: the data needs no grad)
    opt = make_optimizer("momentum", lr=0.01, momentum=0.9, weight_decay=0.0)
    loss = get_registry().create("loss", "softmax_ce")
    return Solver(model, loss, opt, epochs=1, batch_size=batch, seed=seed)


def n_weights(workload: str) -> int:
    """Multiply-accumulate weights per sample (the Linear matrices)."""
    dims = [N_FEATURES] + [int(t.split(":")[1]) for t in WORKLOADS[workload][0].split(",")
                           if t.startswith("linear:")] + [N_CLASSES]
    return sum(a * b for a, b in zip(dims, dims[1:]))


def sgemm_gflops(workload: str, repeat: int = 20) -> float:
    """Best measured float32 GEMM rate (GFLOP/s) on the workload's first-layer shape."""
    import numpy as np

    _, batch = WORKLOADS[workload]
    width = int(WORKLOADS[workload][0].split(",")[0].split(":")[1])
    rng = np.random.default_rng(0)
    a = rng.random((batch, N_FEATURES), dtype=np.float32)
    b = rng.random((N_FEATURES, width), dtype=np.float32)
    out = np.empty((batch, width), np.float32)
    np.matmul(a, b, out=out)
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        np.matmul(a, b, out=out)
        best = min(best, time.perf_counter() - t0)
    return 2.0 * batch * N_FEATURES * width / best / 1e9


def gemm_limit(workload: str, gflops: float, *, input_grad: bool = True) -> float:
    """Samples/s if an epoch were only its GEMMs: GFLOP/s / (6 x weights) FLOPs per sample;
    ``input_grad=False``: less the 2 x 784 x width of the skipped d loss / d input GEMM."""
    flops = 6 * n_weights(workload)
    if not input_grad:
        flops -= 2 * N_FEATURES * int(WORKLOADS[workload][0].split(",")[0].split(":")[1])
    return gflops * 1e9 / flops


def time_epoch(workload: str, backend: str, n: int, *, repeat: int = 3, seed: int = 0
               ) -> list[float]:
    """Seconds per epoch of ``n`` samples, ``repeat`` times, after one warm-up epoch."""
    from ..backend import use_backend

    data = random_data(n, seed)
    with use_backend(backend):
        solver = make_solver(workload, seed=seed)
        solver.fit(random_data(4 * WORKLOADS[workload][1], seed))  # warm-up: compile, buffers
        times = []
        for _ in range(repeat):
            t0 = time.perf_counter()
            solver.fit(data)
            times.append(time.perf_counter() - t0)
    return times


class OpTimer:
    """Times every public backend op, exclusive of the ops it calls itself (so a fused
    ``linear_act_forward`` shows its GEMM apart from the ``bias_act`` it delegates to)."""

    def __init__(self, inner: Any):
        self.seconds: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        stack: list[float] = []  # child time accumulated per open call
        me = self

        def wrap(name: str, fn: Any) -> Any:
            def timed(self_, *args, **kwargs):
                stack.append(0.0)
                t0 = time.perf_counter()
                try:
                    return fn(self_, *args, **kwargs)
                finally:
                    dt = time.perf_counter() - t0
                    child = stack.pop()
                    if stack:
                        stack[-1] += dt
                    me.seconds[name] = me.seconds.get(name, 0.0) + dt - child
                    me.calls[name] = me.calls.get(name, 0) + 1
            return timed

        cls = type(inner)
        methods = {name: wrap(name, getattr(cls, name)) for name in dir(cls)
                   if not name.startswith("_") and callable(getattr(cls, name))
                   and name != "availability"}
        timed_cls = type(f"Timed{cls.__name__}", (cls,), methods)
        self.backend = object.__new__(timed_cls)
        self.backend.__dict__.update(inner.__dict__)


def profile_epoch(workload: str, backend: str, n: int, seed: int = 0
                  ) -> tuple[float, OpTimer]:
    """One timed epoch with every backend op timed: ``(epoch seconds, timer)``."""
    from ..backend import get_backend, use_backend

    data = random_data(n, seed)
    timer = OpTimer(get_backend(backend))
    with use_backend(backend):
        solver = make_solver(workload, seed=seed)
        solver.fit(random_data(4 * WORKLOADS[workload][1], seed))
    with use_backend(timer.backend):
        t0 = time.perf_counter()
        solver.fit(data)
        total = time.perf_counter() - t0
    return total, timer


def _print_profile(total: float, timer: OpTimer, n: int) -> None:
    rows = sorted(timer.seconds.items(), key=lambda kv: -kv[1])
    click.echo(f"  {'op':<30} {'calls':>7} {'ms/epoch':>10} {'share':>7}")
    for op, sec in rows:
        click.echo(f"  {op:<30} {timer.calls[op]:>7} {sec * 1e3:>10.1f} {sec / total:>7.1%}")
    rest = total - sum(timer.seconds.values())
    click.echo(f"  {'(outside ops: batching, metrics, python)':<38} {rest * 1e3:>10.1f} "
               f"{rest / total:>7.1%}")
    click.echo(f"  epoch {total * 1e3:.1f} ms = {n / total:,.0f} samples/s (profiled; the "
               "timer adds ~1 us per op; an op's time excludes the ops it calls)")


@click.command()
@click.option("--workload", "workloads", type=click.Choice(["W1", "W2", "all"]),
              default="all", show_default=True,
              help="W1 = 784-256-BN-ReLU-256-BN-ReLU-10 batch 128; W2 = the same 1024 wide, "
                   "batch 256.")
@click.option("--backend", "backends", default="all", show_default=True,
              help="A backend name, or 'all' available ones.")
@click.option("--samples", default=8192, show_default=True, type=click.IntRange(512),
              help="Samples per timed epoch (MNIST-shaped random data).")
@click.option("--repeat", default=3, show_default=True, type=click.IntRange(1),
              help="Timed epochs per backend; the best is reported.")
@click.option("--blas-threads", default=None, type=click.IntRange(1),
              help="Limit BLAS threads (threadpoolctl) for the run.")
@click.option("--profile/--no-profile", default=True, show_default=True,
              help="Also print where one epoch's time goes, by backend op.")
@quality_options
def bench(workloads, backends, samples, repeat, blas_threads, profile, quality, **quality_opts):
    """Time training epochs per backend and show where the time goes by op.

    With --quality: test metrics of nnplug's defaults beside scikit-learn (and PyTorch)."""
    import contextlib

    if quality:
        from ..quality import run_quality

        return run_quality(**quality_opts)

    from ..backend import get_backend
    from ..registry import get_registry

    if backends == "all":
        names = [c.name for c in get_registry().components("backend")
                 if c.cls.availability()[0]]
    else:
        names = [b.strip() for b in backends.split(",") if b.strip()]
        for name in names:
            get_backend(name)  # one-line error if unknown or unavailable
    limit: contextlib.AbstractContextManager = contextlib.nullcontext()
    if blas_threads:
        from threadpoolctl import threadpool_limits

        limit = threadpool_limits(blas_threads, user_api="blas")
    with limit:
        for wl in (["W1", "W2"] if workloads == "all" else [workloads]):
            gf = sgemm_gflops(wl)
            click.echo(f"{wl}: {WORKLOADS[wl][0]} -> 10, batch {WORKLOADS[wl][1]}, "
                       f"{samples} samples/epoch; sgemm {gf:.0f} GFLOP/s -> GEMM-bound "
                       f"limit {gemm_limit(wl, gf):,.0f} samples/s ("
                       f"{gemm_limit(wl, gf, input_grad=False):,.0f} without the d/d input "
                       "GEMM that training skips)")
            rates = {}
            for name in names:
                times = time_epoch(wl, name, samples, repeat=repeat)
                rates[name] = samples / min(times)
                click.echo(f" {name:<8} {rates[name]:>10,.0f} samples/s (best of {repeat}: "
                           + ", ".join(f"{t * 1e3:.0f}" for t in times) + " ms)")
                if profile:
                    _print_profile(*profile_epoch(wl, name, samples), samples)
            if "numpy" in rates:
                for name, rate in rates.items():
                    if name != "numpy":
                        click.echo(f" {name} / numpy = {rate / rates['numpy']:.2f}x")
