"""End-to-end epoch benchmarks of S0, W1, W2 and R1 (:mod:`nnplug_bench.workloads`)
through the real Solver, per backend (the numba backend on its compiled path); the same
epochs in PyTorch (when importable, never a dependency) and scikit-learn; and sgemm on
each workload's largest GEMM shape, for the GEMM-bound limit.

pytest-benchmark times each engine on its own, not interleaved: ``compare.py``'s epoch
ratios are of medians from separate runs. ``nnplug bench`` measures paired ratios in
interleaved rounds -- use it for claims. Timing is never asserted.
"""
import os

import pytest

from nnplug_bench.engines import NNPlugEngine, SgemmEngine
from nnplug_bench.peers import PEERS, importable
from nnplug_bench.workloads import WORKLOADS

ROUNDS = int(os.environ.get("NNPLUG_BENCH_ROUNDS", "5"))


def _time(benchmark, workload, engine, group="epoch", **info):
    """``ROUNDS`` epochs of a prepared engine (compilation and first touch not timed)."""
    engine.prepare()
    benchmark.group = f"{group} {workload}"
    benchmark.extra_info.update(workload=workload, engine=engine.name,
                                rows=WORKLOADS[workload].rows, **engine.describe(), **info)
    with engine.running():
        return benchmark.pedantic(engine.epoch, rounds=ROUNDS, iterations=1)


@pytest.mark.parametrize("workload", list(WORKLOADS))
def test_epoch(benchmark, backend, workload):
    engine = NNPlugEngine(workload, backend)
    samples = _time(benchmark, workload, engine)
    assert samples == WORKLOADS[workload].rows  # every row trained on


@pytest.mark.parametrize("peer", list(PEERS))
@pytest.mark.parametrize("workload", list(WORKLOADS))
def test_epoch_peer(benchmark, workload, peer):
    """The same workload in PyTorch / scikit-learn, with nnplug's BLAS threads."""
    if not importable(peer):
        pytest.skip(f"{peer} is not installed")
    from nnplug_bench.engines import make_engine

    engine = make_engine(peer, workload)
    samples = _time(benchmark, workload, engine, version=getattr(engine, "version", ""))
    assert samples == WORKLOADS[workload].rows


@pytest.mark.parametrize("workload", list(WORKLOADS))
def test_sgemm(benchmark, workload):
    """sgemm on the workload's largest GEMM shape (16 calls per round), nnplug's threads;
    ``compare.py`` turns it into the GEMM-bound limit."""
    engine = SgemmEngine(workload)
    m, k, n = engine.shape
    _time(benchmark, workload, engine, group="sgemm", shape=[m, k, n],
          flops=2 * m * k * n * engine.CALLS,
          flops_per_sample=WORKLOADS[workload].flops_per_sample())
