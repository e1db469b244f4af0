"""Engines: one way each to train a workload -- an nnplug backend through the real
:class:`~nnplug.nn.solver.Solver`, sgemm, or a peer library (:mod:`.peers`) -- behind the
small interface of :mod:`.engine` that the timing loop (:mod:`.rounds`) drives;
:func:`make_engine` makes any of them by name.
"""

from __future__ import annotations

import contextlib
import functools
from typing import TYPE_CHECKING, Any

import numpy as np

from nnplug_bench import peers
from nnplug_bench.engine import Engine
from nnplug_bench.workloads import WORKLOADS, Workload, make_data

if TYPE_CHECKING:
    from nnplug.nn.solver import Solver


def build_solver(wl: Workload, backend: Any, threads: int | None) -> Solver:
    """Model, loss and optimizer of ``wl`` on ``backend`` in a one-epoch Solver, set up as
    ``nnplug train`` sets them (no d loss / d input, the BLAS thread policy)."""
    from nnplug.nn.config import TrainConfig
    from nnplug.nn.recipes import DEFAULT_LOSSES
    from nnplug.nn.resolve import resolve_optimizer
    from nnplug.nn.sequential import Sequential
    from nnplug.nn.solver import Solver
    from nnplug.nn.training import make_optimizer
    from nnplug.registry.resolve import make_component
    from nnplug.spec import parse_token

    model = Sequential.from_spec(
        wl.qualified_layers(), wl.n_features, wl.n_outputs, rng=0, dtype=np.float32, backend=backend
    )
    model.input_grad = False
    model.threads = threads
    loss = make_component("loss", parse_token(DEFAULT_LOSSES[wl.task]))
    config = TrainConfig(
        optimizer=wl.qualified_optimizer(), lr=wl.lr, momentum=0.9, weight_decay=wl.weight_decay
    )
    resolve_optimizer(config, wl.task)
    opt = make_optimizer(config)
    return Solver(model, loss, opt, epochs=1, batch_size=wl.batch, seed=0, handle_sigint=False)


class NNPlugEngine(Engine):
    """A backend (name or instance) training the workload through the real Solver: the
    compiled path when the backend compiles the model, per op otherwise."""

    def __init__(self, workload: str, backend: Any, threads: int | None = None):
        self.workload = WORKLOADS[workload]
        self.data = make_data(workload)
        self.solver = build_solver(self.workload, backend, threads)
        self.name = self.solver.model.backend.name
        self.threads = self.solver.model.blas_threads(self.workload.batch)

    def prepare(self) -> None:
        super().prepare()
        self.compile_seconds = self.solver.state.result.compile_seconds

    def describe(self) -> dict[str, Any]:
        # why a compiling backend trained per op (one line), else None
        return {**super().describe(), "not_compiled": self.solver.not_compiled}

    def epoch(self) -> int:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            result = self.solver.fit(self.data)
        self.path, self.threads = result.path, result.blas_threads
        return result.samples_seen


@functools.cache
def nnplug_threads(workload: str, threads: int | None = None) -> int:
    """The BLAS threads nnplug uses for ``workload`` (the request, else the policy of
    :mod:`nnplug.runtime.threads`): what peers and sgemm are given so every engine gets the same."""
    from nnplug.nn.sequential import Sequential

    wl = WORKLOADS[workload]
    model = Sequential.from_spec(
        wl.qualified_layers(), wl.n_features, wl.n_outputs, rng=0, backend="numpy"
    )
    model.threads = threads
    return model.blas_threads(wl.batch)


class SgemmEngine(Engine):
    """float32 ``np.matmul(a, b, out=)`` on the workload's largest GEMM shape, with the
    same BLAS threads; an "epoch" is 16 calls and returns their FLOPs."""

    name = "sgemm"
    path = "np.matmul"
    CALLS = 16

    def __init__(self, workload: str, threads: int | None = None):
        m, k, n = self.shape = WORKLOADS[workload].largest_gemm()
        rng = np.random.default_rng(0)
        self.a = rng.random((m, k), dtype=np.float32)
        self.b = rng.random((k, n), dtype=np.float32)
        self.out = np.empty((m, n), np.float32)
        self.threads = nnplug_threads(workload, threads)

    def running(self) -> contextlib.AbstractContextManager[Any]:
        from nnplug.runtime import threads

        return threads.limit(self.threads)

    def epoch(self) -> int:
        for _ in range(self.CALLS):
            np.matmul(self.a, self.b, out=self.out)
        m, k, n = self.shape
        return 2 * m * k * n * self.CALLS


def backend_names(spec: str) -> list[str]:
    """``"all"`` -> every available backend; else the comma-separated names, each checked
    (one-line error if unknown or unavailable)."""
    from nnplug.registry.registry import get_registry
    from nnplug.runtime.backends import get_backend

    if spec.strip() == "all":
        return [c.name for c in get_registry().components("backend") if c.cls.availability()[0]]
    names = list(dict.fromkeys(b.strip() for b in spec.split(",") if b.strip()))
    for name in names:
        get_backend(name)
    return names


def make_engine(name: str, workload: str, threads: int | None = None) -> Engine:
    """An engine by name: ``torch``, ``sklearn``, ``sgemm`` or an nnplug backend."""
    if name in peers.PEERS:
        return peers.PEERS[name](workload, nnplug_threads(workload, threads))
    if name == "sgemm":
        return SgemmEngine(workload, threads)
    return NNPlugEngine(workload, name, threads)
