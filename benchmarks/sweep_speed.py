"""Wall time of a sweep: 8 trials of the default digits run (``nnplug train`` with every
default, seeds 1..8) one after another, on 2 local workers, and on a 2-worker Dask cluster
(issue 12's targets: local <= 0.6x and Dask <= 0.7x of one after another).

    python benchmarks/sweep_speed.py                    # the measurement (a quiet machine)
    python benchmarks/sweep_speed.py --smoke            # 4 trials of 2 epochs, 1 round

Every configuration is the real ``nnplug sweep`` command in a child process, timed from
start to exit as a user sees it (start-up, loading digits and the
results files included):

* sequential -- ``nnplug sweep --workers 1``: the trials one after another;
* local      -- ``nnplug sweep --workers 2``;
* dask       -- ``nnplug sweep --scheduler ADDR`` on ``LocalCluster(n_workers=2,
  threads_per_worker=1, processes=True)``, started for each dask measurement and warmed
  up (each worker has built one digits run, so nnplug is imported, as on a cluster that
  is already running); the cluster's start-up is not timed, and no cluster runs during
  the other configurations.

For reference (not a target), ``8 x nnplug train``: the same runs as eight commands one
after another. Rounds interleave the configurations (the order rotates); the medians and the per-round (paired) ratios to sequential are
reported. Nothing here is asserted: this is a measurement, not a test.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CHILD = "import sys; sys.argv[0] = 'nnplug'; from nnplug.cli import main; main()"
TARGETS = {"local": 0.6, "dask": 0.7}


def nnplug(args: list[str], env: dict[str, str]) -> float:
    """Seconds from start to exit of ``nnplug ARGS`` (a failure stops the benchmark)."""
    start = time.perf_counter()
    res = subprocess.run([sys.executable, "-c", CHILD, *args], env=env, text=True,
                         capture_output=True)
    seconds = time.perf_counter() - start
    if res.returncode != 0:
        sys.exit(f"nnplug {' '.join(args)} failed ({res.returncode}): {res.stderr.strip()}")
    return seconds


def sweep(extra: list[str], train: list[str], trials: int, env: dict[str, str]) -> float:
    with tempfile.TemporaryDirectory() as out:
        seconds = nnplug(["sweep", "--grid", f"seed={','.join(map(str, range(1, trials + 1)))}",
                          "--out", out, "--quiet", *train, *extra], env)
        done = (Path(out) / "sweep.jsonl").read_text().splitlines()
        if len(done) != trials or any(json.loads(r)["status"] != "ok" for r in done):
            sys.exit(f"nnplug sweep {' '.join(extra)}: not every trial finished")
    return seconds


def trains(train: list[str], trials: int, env: dict[str, str]) -> float:
    return sum(nnplug(["train", "--seed", str(seed), "--quiet", "--threads", "1", *train],
                      env) for seed in range(1, trials + 1))


def warm() -> None:
    """Run on each Dask worker: build one run's data and model (imports everything)."""
    from nnplug.nn.training import TrainConfig, build

    build(TrainConfig(epochs=1))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--trials", type=int, default=8)
    ap.add_argument("--epochs", type=int, default=None, help="default: nnplug train's")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--smoke", action="store_true", help="4 trials of 2 epochs, 1 round")
    ap.add_argument("--no-train-reference", action="store_true",
                    help="skip timing the trials as separate nnplug train commands")
    args = ap.parse_args()
    if args.smoke:
        args.trials, args.epochs, args.rounds = 4, 2, 1
    train = ["--epochs", str(args.epochs)] if args.epochs else []
    logs = tempfile.mkdtemp(prefix="nnplug-bench-logs-")
    env = {**os.environ, "NNPLUG_LOG_DIR": logs}
    def dask_sweep() -> float:
        """A warm 2-worker cluster, started and warmed up untimed, only for this
        measurement: the other configurations run without an idle cluster beside them."""
        from distributed import Client, LocalCluster

        with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                          host="127.0.0.1", dashboard_address=None) as cluster, \
                Client(cluster) as client:
            client.run(warm)
            return sweep(["--scheduler", cluster.scheduler_address], train, args.trials, env)

    runs = {
        "sequential": lambda: sweep(["--workers", "1"], train, args.trials, env),
        "local": lambda: sweep(["--workers", "2"], train, args.trials, env),
        "dask": dask_sweep,
    }
    if not args.no_train_reference:
        runs[f"{args.trials} x nnplug train"] = lambda: trains(train, args.trials, env)
    times: dict[str, list[float]] = {name: [] for name in runs}
    names = list(runs)
    for r in range(args.rounds):
        for name in names[r % len(names):] + names[:r % len(names)]:
            times[name].append(runs[name]())
            print(f"round {r + 1}: {name:<20} {times[name][-1]:6.2f} s", flush=True)
    median = {name: statistics.median(t) for name, t in times.items()}
    print(f"\n{args.trials} trials of digits ({args.epochs or 'default'} epochs), "
          f"{args.rounds} round(s), {os.cpu_count()} CPU(s); median wall time [min-max], "
          f"and the ratio to sequential taken in each round (paired): median (min-max)")
    for name, seconds in median.items():
        spread = f"{min(times[name]):.2f}-{max(times[name]):.2f}"
        ratios = [t / b for t, b in zip(times[name], times["sequential"], strict=True)]
        paired = (f"{statistics.median(ratios):.2f}x ({min(ratios):.2f}-{max(ratios):.2f})"
                  f" of sequential")
        target = f"  (target <= {TARGETS[name]}x)" if name in TARGETS else ""
        print(f"  {name:<20} {seconds:6.2f} s  [{spread}]  {paired}{target}")


if __name__ == "__main__":
    main()
