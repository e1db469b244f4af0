"""Ctrl-C and NaN: the run stops cleanly and keeps the best model and the metrics."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import numpy as np
import pytest

import nnplug
from nnplug.files.checkpoint import Checkpoint
from nnplug.errors import TrainingDiverged
from nnplug.nn.training import TrainConfig, train


def test_sigint_stops_after_the_step_and_exits_130(tmp_path):
    """A real SIGINT to a real ``nnplug train`` process."""
    env = {**os.environ, "NNPLUG_LOG_DIR": str(tmp_path / "logs"), "PYTHONUNBUFFERED": "1"}
    cmd = [sys.executable, "-c", "from nnplug.cli import main; main()",
           "train", "--hidden", "16", "--epochs", "500",
           "--save", str(tmp_path / "m.npz"), "--metrics-out", str(tmp_path / "m.json"),
           "--checkpoint-dir", str(tmp_path / "ck"), "--log-file", str(tmp_path / "t.log")]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env, cwd=tmp_path)
    lines = []
    for line in proc.stdout:
        lines.append(line)
        if line.startswith("epoch   2"):
            proc.send_signal(signal.SIGINT)
            break
    out, err = proc.communicate(timeout=120)
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    (said,) = err.splitlines()
    assert said.startswith("Interrupted at epoch ")
    m = json.loads((tmp_path / "m.json").read_text())
    assert m["interrupted"].startswith("epoch ")
    ran = m["epochs_run"]
    assert 2 <= ran < 500 and len(m["history"]) == ran
    model = nnplug.load(tmp_path / "m.npz")
    assert model.meta["training"]["best_epoch"] == m["best_epoch"] <= ran
    assert Checkpoint(tmp_path / "ck").epoch == ran
    assert said.endswith(
        f": kept model {tmp_path / 'm.npz'} (best epoch {m['best_epoch']}), metrics "
        f"{tmp_path / 'm.json'}, the checkpoint of epoch {ran} in {tmp_path / 'ck'}, the log "
        f"{tmp_path / 't.log'}; continue with: nnplug train --resume {tmp_path / 'ck'}")
    assert said in (tmp_path / "t.log").read_text()


def test_divergence_keeps_best_model(cli, nanplug, tmp_path):
    res = cli("train", "--layers", "linear:16,relu,nan_after:after=60", "--epochs", "5",
              "--save", tmp_path / "m.npz", "--metrics-out", tmp_path / "m.json",
              "--plot", tmp_path / "p.png")
    assert res.exit_code == 1
    err = res.stderr.strip()
    assert "\n" not in err and "Traceback" not in err
    assert "loss became nan at epoch 2, step" in err and "try a lower learning rate" in err
    assert "best model so far (epoch 1) kept in model" in err
    m = json.loads((tmp_path / "m.json").read_text())
    assert m["epochs_run"] == 1 and m["diverged"].startswith("loss became nan at epoch 2")
    model = nnplug.load(tmp_path / "m.npz")
    assert model.network.layers[2].after == 60
    weights = model.network.layers[0].params["W"]
    assert np.isfinite(weights).all()
    assert (tmp_path / "p.png").read_bytes()[:4] == b"\x89PNG"


def test_divergence_in_first_epoch_saves_no_model(cli, nanplug, tmp_path):
    res = cli("train", "--layers", "linear:16,relu,nan_after:after=3", "--epochs", "2",
              "--save", tmp_path / "m.npz")
    assert res.exit_code == 1
    assert "loss became nan at epoch 1, step 3" in res.stderr
    assert not (tmp_path / "m.npz").exists()


def test_api_divergence_restores_best_and_carries_the_run(nanplug):
    cfg = TrainConfig(layers="linear:16,relu,nan_after:after=60", epochs=4)
    with pytest.raises(TrainingDiverged, match="epoch 2") as info:
        train(cfg)
    run = info.value.run
    assert run.metrics["best_epoch"] == 1 and run.metrics["diverged"]
    assert all(np.isfinite(v).all() for v in run.model.state_arrays().values())
    assert run.metrics["test_accuracy"] > 0.5
