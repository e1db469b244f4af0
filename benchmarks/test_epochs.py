"""End-to-end epoch benchmarks: W1 and W2 (MNIST-shaped random float32 data, SGD
momentum) through the real Solver, per backend; the same epoch in PyTorch when torch is
importable (an optional peer, never a dependency); and the sgemm rate that bounds them.

Samples per epoch: ``NNPLUG_BENCH_SAMPLES`` (default 8192). ``compare.py`` turns the
JSON into samples/s and ratios.
"""
import os
import time

import numpy as np
import pytest

from nnplug.backend import use_backend
from nnplug.cli.bench import (WORKLOADS, gemm_limit, make_solver, n_weights, random_data,
                              sgemm_gflops)

SAMPLES = int(os.environ.get("NNPLUG_BENCH_SAMPLES", "8192"))
ROUNDS = int(os.environ.get("NNPLUG_BENCH_ROUNDS", "5"))


def _record(benchmark, workload, engine):
    benchmark.group = f"epoch {workload}"
    benchmark.extra_info.update(workload=workload, backend=engine, samples=SAMPLES,
                                batch=WORKLOADS[workload][1])


@pytest.mark.parametrize("workload", ["W1", "W2"])
def test_epoch(benchmark, backend, workload):
    data = random_data(SAMPLES)
    with use_backend(backend):
        solver = make_solver(workload)
        solver.fit(random_data(4 * WORKLOADS[workload][1]))  # compile + allocate workspaces
        _record(benchmark, workload, backend.name)
        result = benchmark.pedantic(solver.fit, args=(data,), rounds=ROUNDS, iterations=1,
                                    warmup_rounds=1)
    assert result.samples_seen == SAMPLES


@pytest.mark.parametrize("workload", ["W1", "W2"])
def test_epoch_torch(benchmark, workload):
    """The same network, optimizer, batch and data in PyTorch (CPU, default threads)."""
    torch = pytest.importorskip("torch")
    spec, batch = WORKLOADS[workload]
    widths = [int(t.split(":")[1]) for t in spec.split(",") if t.startswith("linear:")]
    layers, fan_in = [], 784
    for w in widths:
        layers += [torch.nn.Linear(fan_in, w), torch.nn.BatchNorm1d(w), torch.nn.ReLU()]
        fan_in = w
    model = torch.nn.Sequential(*layers, torch.nn.Linear(fan_in, 10))
    opt = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = torch.nn.CrossEntropyLoss()
    data = random_data(SAMPLES)
    X, y = torch.from_numpy(data.X_train), torch.from_numpy(data.y_train)
    gen = torch.Generator().manual_seed(0)

    def epoch():
        model.train()
        order = torch.randperm(SAMPLES, generator=gen)
        for start in range(0, SAMPLES, batch):
            idx = order[start:start + batch]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(X[idx]), y[idx])
            loss.backward()
            opt.step()
        return float(loss)

    epoch()
    _record(benchmark, workload, f"torch {torch.__version__}")
    benchmark.extra_info["torch_threads"] = torch.get_num_threads()
    assert np.isfinite(benchmark.pedantic(epoch, rounds=ROUNDS, iterations=1, warmup_rounds=1))


@pytest.mark.parametrize("workload", ["W1", "W2"])
def test_sgemm_limit(benchmark, workload):
    """sgemm on the first layer's shape; the GEMM-bound limit = GFLOP/s / (6 x weights)."""
    _, batch = WORKLOADS[workload]
    width = int(WORKLOADS[workload][0].split(",")[0].split(":")[1])
    rng = np.random.default_rng(0)
    a = rng.random((batch, 784), dtype=np.float32)
    b = rng.random((784, width), dtype=np.float32)
    out = np.empty((batch, width), np.float32)
    benchmark.group = f"sgemm {workload}"
    benchmark(np.matmul, a, b, out=out)
    gflops = 2.0 * batch * 784 * width / benchmark.stats.stats.min / 1e9
    benchmark.extra_info.update(workload=workload, gflops=gflops, weights=n_weights(workload),
                                gemm_limit_samples_per_s=gemm_limit(workload, gflops),
                                gemm_limit_no_input_grad=gemm_limit(workload, gflops,
                                                                    input_grad=False),
                                sgemm_gflops_quick=sgemm_gflops(workload))
    assert gflops > 0 and time.perf_counter() > 0
