"""``nnplug sweep`` on local worker processes: every trial once, in parallel pinned workers;
the same metrics JSON and model as ``nnplug train``; failures recorded; --resume; Ctrl-C;
a worker that dies."""
from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sweeprun import TINY, child_env, command, one_error, pid_of, records, sweep

import nnplug

PLUGINS = Path(__file__).resolve().parents[2] / "support"  # fakedist


def dry_ids(cli, *args) -> list[str]:
    res = cli("sweep", "--dry-run", *args)
    assert res.exit_code == 0, res.output
    return [line.split()[0] for line in res.output.splitlines()[::2]]


def best_of(recs: list[dict]) -> dict:
    """The best trial computed here: highest validation accuracy, then lowest val loss."""
    ok = [r for r in recs if r["status"] == "ok"]
    return min(ok, key=lambda r: (-r["val_metric"], r["val_loss"]))


def test_trials_run_once_each_on_pinned_workers_and_the_best_is_saved(cli, tmp_path):
    grid = ["--grid", "lr=0.02,0.05;hidden=16,32", "--epochs", "3"]
    res = sweep(*grid, "--workers", "2", "--out", "out", "--save-best", "best.npz",
                cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    out = tmp_path / "out"
    recs = records(out)
    assert sorted(r["id"] for r in recs) == sorted(dry_ids(cli, *grid))  # each once
    assert all(r["status"] == "ok" and r["blas_threads"] == 1 for r in recs)
    assert len({pid_of(r) for r in recs}) == 2  # both workers ran trials
    cpus = {pid_of(r): tuple(r["cpus"]) for r in recs}
    if len(os.sched_getaffinity(0)) >= 2:  # each worker pinned to its own share
        assert not set(cpus[min(cpus)]) & set(cpus[max(cpus)])
    csv_lines = (out / "sweep.csv").read_text().splitlines()
    assert csv_lines[0].startswith("id,lr,hidden,status,metric,val_metric")
    assert [line.split(",")[0] for line in csv_lines[1:]] == [r["id"] for r in recs]
    best = best_of(recs)
    assert f"best: trial {best['id']}" in res.stdout
    assert (tmp_path / "best.npz").read_bytes() == (out / "models" / f"{best['id']}.npz"
                                                    ).read_bytes()
    model = nnplug.load(tmp_path / "best.npz")
    assert model.meta["training"]["best_val_metric"] == pytest.approx(best["val_metric"])
    table = res.stdout.split("never used to rank):\n")[1].splitlines()[1:5]
    vals = [float(line.split()[4]) for line in table]
    assert vals == sorted(vals, reverse=True)


@pytest.mark.slow
def test_the_best_command_reproduces_the_trial_and_its_metrics_json(tmp_path):
    res = sweep("--grid", "lr=0.02,0.05", *TINY, "--out", "out", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    line = res.stdout.splitlines()[-1].strip()
    best = res.stdout.split("best: trial ")[1].split()[0]
    trial = json.loads((tmp_path / "out" / "trials" / f"{best}.json").read_text())
    words = shlex.split(line)
    assert words[:2] == ["nnplug", "train"]
    again = subprocess.run([sys.executable, "-c", "from nnplug.cli import main; main()",
                            *words[1:], "--quiet", "--metrics-out", "m.json"], cwd=tmp_path,
                           env=child_env(), capture_output=True, text=True, timeout=300)
    assert again.returncode == 0, again.stderr
    metrics = json.loads((tmp_path / "m.json").read_text())
    assert set(metrics) == set(trial)  # the same metrics JSON as nnplug train's
    for key in ("history", "test_accuracy", "best_epoch", "config", "model", "backend"):
        if key == "history":  # same seed, backend and BLAS threads: the same numbers
            timeless = [[{k: v for k, v in epoch.items()
                          if k not in ("seconds", "samples_per_second")} for epoch in run]
                        for run in (metrics[key], trial[key])]
            assert timeless[0] == timeless[1]
        else:
            assert metrics[key] == trial[key], key


def test_failing_trials_are_recorded_and_do_not_stop_the_sweep(tmp_path):
    res = sweep("--grid", "momentum=0.5,1.5;lr=0.05,1e8", *TINY, "--out", "out",
                cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    recs = {(r["params"]["momentum"], r["params"]["lr"]): r for r in records(tmp_path / "out")}
    assert len(recs) == 4
    assert recs[0.5, 0.05]["status"] == "ok"
    assert recs[0.5, 1e8]["status"] == "failed"
    assert recs[0.5, 1e8]["error"].startswith("loss became nan at epoch")
    for lr in (0.05, 1e8):
        assert recs[1.5, lr]["status"] == "failed"
        assert recs[1.5, lr]["error"] == "--momentum must be in [0, 1)"
    assert all("\n" not in r["error"] for r in recs.values() if r["error"])
    assert "best: trial " + recs[0.5, 0.05]["id"] in res.stdout


def test_every_trial_failing_is_an_error_after_the_table(tmp_path):
    res = sweep("--grid", "momentum=1.5,2", *TINY, "--out", "out", cwd=tmp_path)
    assert res.returncode == 1
    assert one_error(res.stderr) == ("Error: every trial failed (the first: --momentum must "
                                     "be in [0, 1))")
    assert len(records(tmp_path / "out")) == 2


@pytest.mark.slow
def test_resume_runs_only_the_missing_trials(tmp_path):
    first = sweep("--grid", "seed=1,2", *TINY, "--out", "out", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    jsonl = tmp_path / "out" / "sweep.jsonl"
    before = jsonl.read_text().splitlines()
    again = sweep("--grid", "seed=1,2,3", *TINY, "--out", "out", cwd=tmp_path)
    assert again.returncode == 1
    assert "already holds results" in one_error(again.stderr)
    with open(jsonl, "a") as fh:  # what a crash mid-write leaves: a torn last line
        fh.write('{"id": "abc", "par')
    resumed = sweep("--grid", "seed=1,2,3", *TINY, "--out", "out", "--resume", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    assert "3 trial(s) (2 already done)" in resumed.stdout
    assert "skipped 1 unreadable line(s)" in resumed.stderr
    ran = [line for line in resumed.stdout.splitlines() if line.startswith("[")]
    assert ran == [line for line in ran if line.startswith("[3/3] seed=3 ")] and len(ran) == 1
    after = jsonl.read_text().splitlines()
    assert after[:2] == before and len(after) == 3
    assert [r["params"]["seed"] for r in records(tmp_path / "out")][2] == 3
    assert len((tmp_path / "out" / "sweep.csv").read_text().splitlines()) == 4


@pytest.mark.slow
def test_ctrl_c_keeps_the_finished_trials_and_stops_the_workers(tmp_path):
    """A real SIGINT to the sweep's process group (what Ctrl-C in a terminal sends)."""
    grid = "seed=" + ",".join(map(str, range(1, 11)))
    proc = subprocess.Popen(command("--grid", grid, "--hidden", "32", "--epochs", "10",
                                    "--workers", "1", "--out", "out"), cwd=tmp_path,
                            env=child_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    seen = []
    for line in proc.stdout:
        seen.append(line)
        if line.startswith("[ 1/10]"):
            os.killpg(proc.pid, signal.SIGINT)
            break
    rest, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert "Interrupted: kept" in err and "--resume runs them" in err
    recs = records(tmp_path / "out")
    assert 1 <= len(recs) < 10 and all(r["status"] == "ok" for r in recs)
    assert len({r["id"] for r in recs}) == len(recs)
    worker = pid_of(recs[0])
    with pytest.raises(ProcessLookupError):  # the worker was stopped and reaped
        os.kill(worker, 0)
    assert not list((tmp_path / "out").rglob("*.part"))
    resumed = sweep("--grid", grid, "--hidden", "32", "--epochs", "10", "--out", "out",
                    "--resume", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    final = records(tmp_path / "out")
    assert len(final) == 10 and len({r["id"] for r in final}) == 10
    assert final[: len(recs)] == recs


DIE = '''
import os, signal
from nnplug import hookimpl
from nnplug.base import Layer


class Die(Layer):
    """Kills its own process in training (tests only)."""

    name = "die"

    def forward(self, x):
        os.kill(os.getpid(), signal.SIGKILL)

    def backward(self, dy):
        return dy


@hookimpl
def nnplug_register_layers(register):
    register(Die)
'''


@pytest.mark.slow
def test_a_worker_that_dies_loses_its_trial_only_and_resume_runs_it_again(tmp_path):
    sys.path.insert(0, str(PLUGINS))
    from fakedist import write_dist

    site = write_dist(tmp_path / "site", "nnplug-die", "1.0", {"die": "nnplug_t_die"},
                      {"nnplug_t_die": DIE})
    env = child_env(PYTHONPATH=os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")]),
                    NNPLUG_LOAD_PLUGINS="die")
    grid = ("--grid", "layers=linear,relu|linear,die|linear,tanh", *TINY, "--workers", "1",
            "--out", "out")
    res = sweep(*grid, cwd=tmp_path, env=env)
    assert res.returncode == 0, res.stderr
    recs = {r["params"]["layers"]: r for r in records(tmp_path / "out")}
    assert [r["status"] for r in recs.values()] == ["ok", "lost", "ok"]
    assert recs["linear,die"]["error"] == "its worker process died (signal 9)"
    assert pid_of(recs["linear,relu"]) != pid_of(recs["linear,tanh"])  # a new worker
    resumed = sweep(*grid, "--resume", cwd=tmp_path, env=env)
    assert "3 trial(s) (2 already done)" in resumed.stdout
    assert [r["params"]["layers"] for r in records(tmp_path / "out")] == [
        "linear,relu", "linear,tanh", "linear,die"]  # the lost record replaced, not added


def test_a_local_sweep_and_the_help_never_import_dask(tmp_path):
    code = ("import sys, json, contextlib, io\n"
            "from nnplug.cli import main\n"
            "for args in (['--help'], ['sweep', '--help'], ['sweep', '--grid', 'seed=1,2',"
            " '--hidden', '8', '--epochs', '1', '--out', 'o', '--quiet']):\n"
            "    with contextlib.redirect_stdout(io.StringIO()):\n"
            "        try:\n            main(args)\n"
            "        except SystemExit as exc:\n            assert not exc.code, exc.code\n"
            "print(json.dumps(sorted(m for m in sys.modules "
            "if m.split('.')[0] in ('dask', 'distributed'))))\n")
    res = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=child_env(),
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout.splitlines()[-1]) == []
    assert len(records(tmp_path / "o")) == 2
