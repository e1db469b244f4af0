"""``nnplug bench --profile``: where a per-op epoch's time goes, by backend op.

Only per-op training calls backend ops one at a time -- the compiled path runs a whole
epoch in one call -- so the profile wraps the backend in an :class:`OpTimer` whose
``compile`` refuses: the Solver then trains that backend per op (the numba backend
with its fused per-op kernels), as it does for a model with a component without
kernels. The epoch rates here are per op and slower than the compiled ones above.
"""

from __future__ import annotations

import time
from typing import Any

from nnplug.kernels import NotCompiled
from nnplug_bench.engines import NNPlugEngine

#: Backend methods that are not ops
NOT_OPS = {"availability", "compile"}


class OpTimer:
    """Times every public backend op, exclusive of the ops it calls itself (the base
    ``linear_forward`` shows its GEMM apart from the ``activation_forward`` it calls)."""

    def __init__(self, inner: Any):
        self.seconds: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        stack: list[float] = []  # time of nested ops accumulated per open call
        me = self

        def wrap(name: str, fn: Any) -> Any:
            def timed(self_, *args, **kwargs):
                stack.append(0.0)
                t0 = time.perf_counter()
                try:
                    return fn(self_, *args, **kwargs)
                finally:
                    dt = time.perf_counter() - t0
                    nested = stack.pop()
                    if stack:
                        stack[-1] += dt
                    me.seconds[name] = me.seconds.get(name, 0.0) + dt - nested
                    me.calls[name] = me.calls.get(name, 0) + 1

            return timed

        def refuse(self_, *args, **kwargs):
            raise NotCompiled("profiling times the backend's ops one by one")

        cls = type(inner)
        methods = {
            name: wrap(name, getattr(cls, name))
            for name in dir(cls)
            if not name.startswith("_") and name not in NOT_OPS and callable(getattr(cls, name))
        }
        methods["compile"] = refuse
        timed_cls = type(f"Timed{cls.__name__}", (cls,), methods)
        self.backend: Any = object.__new__(timed_cls)
        self.backend.__dict__.update(inner.__dict__)

    def reset(self) -> None:
        self.seconds.clear()
        self.calls.clear()


def profile(workload: str, backend: str, threads: int | None = None) -> dict[str, Any]:
    """One warm-up epoch, then one timed per-op epoch with every backend op timed."""
    from nnplug.runtime.backends import get_backend

    timer = OpTimer(get_backend(backend))
    engine = NNPlugEngine(workload, timer.backend, threads)
    engine.prepare()
    timer.reset()
    t0 = time.perf_counter()
    samples = engine.epoch()
    total = time.perf_counter() - t0
    ops = sorted(timer.seconds, key=lambda op: -timer.seconds[op])
    return {
        "workload": workload,
        "backend": backend,
        "path": engine.path,
        "threads": engine.threads,
        "epoch_seconds": total,
        "samples": samples,
        "ops": [{"op": op, "calls": timer.calls[op], "seconds": timer.seconds[op]} for op in ops],
        "outside_ops_seconds": total - sum(timer.seconds.values()),
    }
