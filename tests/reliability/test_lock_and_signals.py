"""Issue 11: two runs must not share a --checkpoint-dir (a lock, one line for the second);
SIGTERM is handled like Ctrl-C (stop after the step, keep the best model and metrics)."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import nnplug
from nnplug.files.checkpoint import Checkpoint

LOCK_NAME = ".nnplug.lock"  # (nnplug.safeio.dirlock.LOCK_NAME)

FAST = ["--hidden", "8", "--epochs", "2", "--quiet", "--log-file", ""]


def test_a_locked_checkpoint_dir_is_one_line_for_the_second_run(cli, tmp_path, model_dir):
    from nnplug.safeio.dirlock import DirLock

    (tmp_path / "ck").mkdir()
    with DirLock(tmp_path / "ck"):
        res = cli("train", *FAST, "--checkpoint-dir", tmp_path / "ck", "--save",
                  tmp_path / "m.npz")
        assert res.exit_code == 1 and res.stderr.count("\n") == 1, res.output
        assert f"checkpoint directory {tmp_path / 'ck'} is in use by another nnplug run " \
               f"(pid {os.getpid()})" in res.stderr
        assert sorted(p.name for p in (tmp_path / "ck").iterdir()) == [LOCK_NAME]
    with DirLock(model_dir / "ck"):
        res = cli("train", "--resume", model_dir / "ck", "--epochs", "5")
        assert res.exit_code == 1 and "is in use by another nnplug run" in res.stderr
    assert not (model_dir / "ck" / LOCK_NAME).exists()
    assert not (tmp_path / "m.npz").exists()
    # once free, the directory is usable, and the lock leaves nothing behind
    res = cli("train", *FAST, "--checkpoint-dir", tmp_path / "ck")
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in (tmp_path / "ck").iterdir()) == ["best.npz", "last.npz"]
    res = cli("train", *FAST, "--checkpoint-dir", tmp_path / "new", "--dataset", "nope")
    assert res.exit_code != 0 and not (tmp_path / "new").exists()


def test_sigterm_keeps_the_best_model_and_a_second_run_is_locked_out(tmp_path, cli):
    """A real SIGTERM to a real run that holds its checkpoint directory: while it runs, a
    second run on that directory is refused; SIGTERM stops it after the step with exit
    143, the best model, the metrics and the checkpoint kept, the lock released."""
    env = {**os.environ, "NNPLUG_LOG_DIR": str(tmp_path / "logs"), "PYTHONUNBUFFERED": "1"}
    cmd = [sys.executable, "-c", "from nnplug.cli import main; main()", "train",
           "--hidden", "16", "--epochs", "500", "--save", str(tmp_path / "m.npz"),
           "--metrics-out", str(tmp_path / "m.json"), "--checkpoint-dir", str(tmp_path / "ck"),
           "--log-file", str(tmp_path / "t.log")]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env, cwd=tmp_path)
    try:
        for line in proc.stdout:
            if line.startswith("epoch   2"):
                break
        second = cli("train", *FAST, "--checkpoint-dir", tmp_path / "ck")
        assert second.exit_code == 1, second.output
        assert f"is in use by another nnplug run (pid {proc.pid})" in second.stderr
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 143, err
    assert "Traceback" not in err and "Interrupted by SIGTERM at epoch" in err
    m = json.loads((tmp_path / "m.json").read_text())
    assert m["interrupted"].startswith("epoch ") and 2 <= m["epochs_run"] < 500
    assert nnplug.load(tmp_path / "m.npz").meta["training"]["best_epoch"] == m["best_epoch"]
    assert Checkpoint(tmp_path / "ck").epoch == m["epochs_run"]
    assert not (tmp_path / "ck" / LOCK_NAME).exists()
