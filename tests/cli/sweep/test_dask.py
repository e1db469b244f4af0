"""``nnplug sweep --scheduler``: a real Dask scheduler and two worker processes on
127.0.0.1. A worker is killed in the middle of a trial; every trial still finishes exactly
once in the results (the killed one on another worker), or -- past the scheduler's allowed
failures -- is recorded ``lost`` and run again by ``--resume``."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import time

import pytest
from sweeprun import TINY, child_env, command, pid_of, records, sweep

distributed = pytest.importorskip("distributed")
cloudpickle = pytest.importorskip("cloudpickle")

import blocker  # noqa: E402

SEEDS = "seed=1,2,3,4,5,6"
pytestmark = pytest.mark.slow  # a cluster to start, trials on it: several seconds


@pytest.fixture(scope="module")
def cluster():
    """A scheduler and two single-threaded worker processes (each under a nanny, which
    starts a new worker process when one dies), and a client of the test's own."""
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None) as local, \
            distributed.Client(local, set_as_default=False) as client:
        yield local.scheduler_address, client


def worker_pids(client) -> dict[str, int]:
    client.wait_for_workers(2, timeout=120)
    return client.run(os.getpid)


def test_a_sweep_runs_its_trials_on_the_cluster_workers(cluster, tmp_path):
    address, client = cluster
    pids = set(worker_pids(client).values())
    res = sweep("--scheduler", address, "--grid", "seed=1,2,3,4", *TINY, "--out", "out",
                "--save-best", "best.npz", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "on the Dask cluster at " + address in res.stdout
    recs = records(tmp_path / "out")
    assert sorted(r["params"]["seed"] for r in recs) == [1, 2, 3, 4]
    assert all(r["status"] == "ok" for r in recs)
    assert {pid_of(r) for r in recs} <= pids  # trained on the workers, not by the sweep
    best = res.stdout.split("best: trial ")[1].split()[0]
    assert (tmp_path / "best.npz").read_bytes() == (tmp_path / "out" / "models" /
                                                    f"{best}.npz").read_bytes()


def start_with_a_hanging_worker(client, address, tmp_path, *args):
    """Start a sweep with one worker set to hang in its next trial; return the sweep's
    process, the worker's pid and what the hanging trial wrote, once it hangs."""
    pids = worker_pids(client)
    worker = sorted(pids)[0]
    marker = tmp_path / "hanging.json"
    cloudpickle.register_pickle_by_value(blocker)
    assert client.run(blocker.hang_next_trial, str(marker), workers=[worker]) == {
        worker: pids[worker]}
    proc = subprocess.Popen(command("--scheduler", address, "--grid", SEEDS, *TINY,
                                    "--out", "out", *args), cwd=tmp_path, env=child_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 180  # a bound on waiting, not a measurement
    while not marker.exists():
        assert proc.poll() is None, proc.communicate()
        assert time.monotonic() < deadline, "no trial reached the hanging worker"
        time.sleep(0.05)
    hanging = json.loads(marker.read_text())
    assert hanging["pid"] == pids[worker]
    return proc, pids[worker], hanging


def test_a_killed_workers_trial_runs_elsewhere_and_is_recorded_once(cluster, tmp_path):
    address, client = cluster
    proc, pid, hanging = start_with_a_hanging_worker(client, address, tmp_path)
    os.kill(pid, signal.SIGKILL)  # in the middle of a trial
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    recs = records(tmp_path / "out")
    assert sorted(r["params"]["seed"] for r in recs) == [1, 2, 3, 4, 5, 6]  # each once
    assert len({r["id"] for r in recs}) == 6
    assert all(r["status"] == "ok" for r in recs), [r["error"] for r in recs]
    again = next(r for r in recs if r["params"]["seed"] == hanging["seed"])
    assert pid_of(again) != pid  # finished by a live worker
    assert pid not in {pid_of(r) for r in recs}


def test_past_the_allowed_failures_a_trial_is_lost_then_resumed(cluster, tmp_path):
    address, client = cluster

    def allow(n, dask_scheduler=None):
        before = dask_scheduler.allowed_failures
        dask_scheduler.allowed_failures = n
        return before

    before = client.run_on_scheduler(allow, 0)
    try:
        proc, pid, hanging = start_with_a_hanging_worker(client, address, tmp_path)
        os.kill(pid, signal.SIGKILL)
        out, err = proc.communicate(timeout=300)
    finally:
        client.run_on_scheduler(allow, before)
    assert proc.returncode == 0, err
    recs = {r["params"]["seed"]: r for r in records(tmp_path / "out")}
    assert sorted(recs) == [1, 2, 3, 4, 5, 6]
    # the hanging trial, and any other the scheduler had queued on that worker
    lost = [r for r in recs.values() if r["status"] != "ok"]
    assert recs[hanging["seed"]] in lost
    for record in lost:
        assert record["status"] == "lost" and "KilledWorker" in record["error"]
        assert "\n" not in record["error"]
    res = sweep("--scheduler", address, "--grid", SEEDS, *TINY, "--out", "out", "--resume",
                cwd=tmp_path, env=child_env())
    assert res.returncode == 0, res.stderr
    assert f"6 trial(s) ({6 - len(lost)} already done)" in res.stdout
    final = records(tmp_path / "out")
    assert sorted(r["params"]["seed"] for r in final) == [1, 2, 3, 4, 5, 6]
    assert all(r["status"] == "ok" for r in final)
