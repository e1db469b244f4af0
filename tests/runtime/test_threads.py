"""BLAS threads: one below a GEMM size, all cores above; --threads / NNPLUG_THREADS win;
the count holds for the whole run (threadpoolctl reports it) and is restored after."""
import os

import numpy as np
import pytest

from nnplug.runtime import threads
from nnplug.errors import NNPlugError
from nnplug.nn.training import TrainConfig, train


def no_limits(monkeypatch):
    for name in (threads.THREADS_ENV, *threads.LIMIT_ENVS):
        monkeypatch.delenv(name, raising=False)


def test_small_runs_use_one_thread_large_ones_every_core(monkeypatch):
    no_limits(monkeypatch)
    small = [(64, 256), (256, 10)]
    assert threads.choose(small, 32) == 1
    large = [(784, 2048), (2048, 2048), (2048, 10)]
    assert threads.largest_gemm_flops(large, 512) == 2 * 512 * 2048 * 2048
    assert threads.largest_gemm_flops(large, 512) >= threads.SINGLE_THREAD_BELOW
    assert threads.choose(large, 512) == threads.available()
    assert threads.available() <= len(os.sched_getaffinity(0))


@pytest.mark.parametrize(
    ("v2", "v1", "cores"),
    [
        ("100000 100000", None, 1),  # cgroup v2: one CPU
        ("150000 100000", None, 2),  # 1.5 CPUs: rounded up
        ("max 100000", None, None),  # no quota
        (None, ("50000", "100000"), 1),  # cgroup v1: half a CPU, at least one thread
        (None, ("-1", "100000"), None),  # v1 without a quota
        ("garbage", None, None),
        (None, None, None),  # neither readable
    ],
)
def test_a_containers_cpu_quota_caps_the_cores(tmp_path, monkeypatch, v2, v1, cores):
    """A container limited to one CPU sees every host core in its affinity mask; the quota
    (cgroup v2 cpu.max, else v1 cfs_quota_us / cfs_period_us) caps what nnplug uses."""
    v2_path, q_path, p_path = tmp_path / "cpu.max", tmp_path / "quota", tmp_path / "period"
    if v2 is not None:
        v2_path.write_text(v2 + "\n")
    if v1 is not None:
        q_path.write_text(v1[0] + "\n")
        p_path.write_text(v1[1] + "\n")
    monkeypatch.setattr(threads, "CGROUP_V2", str(v2_path))
    monkeypatch.setattr(threads, "CGROUP_V1", (str(q_path), str(p_path)))
    assert threads.cpu_quota() == cores
    affinity = len(os.sched_getaffinity(0))
    assert threads.available() == min(affinity, cores or affinity)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(64)))
    assert threads.available() == (cores or 64)


def test_a_blas_limit_in_the_environment_caps_the_choice(monkeypatch):
    """joblib's workers get OMP_NUM_THREADS etc. = cores // n_jobs: a large model there
    takes that many threads, not every core; an explicit request still wins."""
    no_limits(monkeypatch)
    large = [(2048, 2048)]
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(8)))
    assert threads.choose(large, 512) == 8
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "3")
    monkeypatch.setenv("OMP_NUM_THREADS", "2")
    assert threads.environment_cap() == 2
    assert threads.choose(large, 512) == 2
    assert threads.choose([(64, 256)], 32) == 1
    assert threads.choose(large, 512, threads=4) == 4  # --threads / NNPLUG_THREADS win
    monkeypatch.setenv("OMP_NUM_THREADS", "lots")  # ignored, as BLAS libraries ignore it
    monkeypatch.setenv("OPENBLAS_NUM_THREADS", "0")
    assert threads.environment_cap() is None and threads.choose(large, 512) == 8


def test_explicit_request_and_environment(monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(8)))
    monkeypatch.setenv(threads.THREADS_ENV, "3")
    assert threads.choose([(64, 256)], 32) == 3
    assert threads.choose([(64, 256)], 32, threads=2) == 2  # the option beats the env
    for bad in ("0", "-1", "two", "1.5"):
        monkeypatch.setenv(threads.THREADS_ENV, bad)
        with pytest.raises(NNPlugError, match="NNPLUG_THREADS|>= 1"):
            threads.choose([(64, 256)], 32)


class Observe:
    def __init__(self):
        self.seen = []

    def on_epoch_end(self, solver, record):
        self.seen.append(threads.current())


@pytest.mark.parametrize("asked", [1, 2])
def test_the_run_holds_the_thread_count_and_restores_it(backend, monkeypatch, asked):
    monkeypatch.delenv(threads.THREADS_ENV, raising=False)
    before = threads.current()
    observe = Observe()
    run = train(TrainConfig(backend=backend.name, epochs=2, threads=asked), [observe])
    used = min(asked, threads.available())  # a one-core machine runs one
    assert run.metrics["blas_threads"] == used
    assert observe.seen and all(counts and set(counts) == {used} for counts in observe.seen)
    assert threads.current() == before


def test_the_default_run_uses_one_thread(backend, monkeypatch):
    monkeypatch.delenv(threads.THREADS_ENV, raising=False)
    observe = Observe()
    run = train(TrainConfig(backend=backend.name, epochs=1), [observe])
    assert run.metrics["blas_threads"] == 1 and set(observe.seen[0]) == {1}


def test_bad_thread_options_are_one_line(cli):
    res = cli("train", "--threads", "0", "--epochs", "1")
    assert res.exit_code != 0
    assert res.output.strip().splitlines()[-1] == "Error: --threads must be >= 1"
    res = cli("train", "--epochs", "1", env={"NNPLUG_THREADS": "lots"})
    assert res.exit_code != 0 and "NNPLUG_THREADS must be a positive integer" in res.output
    assert "Traceback" not in res.output


def test_predictions_run_under_the_policy_too(backend):
    run = train(TrainConfig(backend=backend.name, epochs=1, threads=1))
    X = run.data.X_test
    assert np.array_equal(run.model.predict_raw(X), run.model.predict_raw(X))


def test_requests_are_capped_at_the_cores_available_saying_so_once(monkeypatch, caplog):
    """--threads 99999999 / NNPLUG_THREADS=99999999 were accepted: a 0.05 s digits epoch
    took 10-12 s with the threads spinning against each other."""
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1})
    monkeypatch.setattr(threads, "_capped", set())
    monkeypatch.delenv(threads.THREADS_ENV, raising=False)
    assert threads.choose([(64, 256)], 32, threads=99999999) == 2
    assert threads.choose([(64, 256)], 32, threads=99999999) == 2
    monkeypatch.setenv(threads.THREADS_ENV, "99999999")
    assert threads.choose([(64, 256)], 32) == 2
    assert threads.requested() == 2 and threads.choose([(64, 256)], 32, threads=2) == 2
    said = [r.getMessage() for r in caplog.records if r.name == "nnplug.runtime"]
    assert said == [
        "Warning: --threads 99999999 asks for more BLAS threads than the 2 core(s) "
        "available; using 2",
        "Warning: NNPLUG_THREADS 99999999 asks for more BLAS threads than the 2 core(s) "
        "available; using 2",
    ]


def test_a_capped_run_says_so_once(tmp_path):
    """The real command: one warning line on stderr, the run's threads at most the cores."""
    import json
    import subprocess
    import sys

    env = {**os.environ, "NNPLUG_LOG_DIR": str(tmp_path)}
    env.pop(threads.THREADS_ENV, None)
    done = subprocess.run(
        [sys.executable, "-c", "from nnplug.cli import main; main(prog_name='nnplug')", "train", "--threads", "99999999", "--epochs", "2",
         "--hidden", "8", "--quiet", "--log-file", "", "--metrics-out", "m.json"],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Warning: --threads 99999999 asks for"), lines
    metrics = json.loads((tmp_path / "m.json").read_text())
    assert 1 <= metrics["blas_threads"] <= threads.available()
