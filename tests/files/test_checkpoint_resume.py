"""--checkpoint-dir / --resume: a resumed run is bitwise the uninterrupted run."""
from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

import nnplug
from nnplug.files.checkpoint import BEST, LAST, Checkpoint, Checkpointer
from nnplug.nn.training import TrainConfig, train

TIMING = ("seconds", "samples_per_second")


def history(h):
    return [{k: v for k, v in r.items() if k not in TIMING} for r in h]


def assert_same_state(a, b):
    sa, sb = a.state_arrays(), b.state_arrays()
    assert sa.keys() == sb.keys()
    for k in sa:
        assert np.array_equal(sa[k], sb[k]), k


class StopAt:
    """Like Ctrl-C in the middle of epoch ``epoch``."""

    def __init__(self, epoch, step):
        self.epoch, self.step = epoch, step

    def on_batch_end(self, solver, step, steps, loss, n_steps=1):
        # the compiled path reports several steps per call: stop at the first report
        # at or past ``step`` (Ctrl-C stops after the current call there)
        if solver.state.epoch + 1 == self.epoch and step >= self.step:
            solver.request_stop()


@pytest.mark.parametrize("optimizer,lr", [("momentum", 0.05), ("adam", 0.002)])
def test_api_resume_after_stop_mid_epoch_is_bitwise(tmp_path, backend, optimizer, lr):
    cfg = TrainConfig(epochs=5, hidden=24, optimizer=optimizer, lr=lr, backend=backend.name,
                      layers="linear,batchnorm,relu,dropout:0.3,linear:16,relu,dropout:0.2")
    full = train(cfg)
    part = train(cfg, [Checkpointer(tmp_path, dataclasses.asdict(cfg)), StopAt(3, 7)])
    where = part.metrics["interrupted"]
    assert where.startswith("epoch 3, step ") and int(where.split()[-1]) >= 7
    assert part.metrics["epochs_run"] == 2
    ck = Checkpoint(tmp_path)
    assert ck.epoch == 2 and ck.config == dataclasses.asdict(cfg)
    resumed = train(TrainConfig(**ck.config), [Checkpointer(tmp_path, ck.config)], resume=ck)
    assert_same_state(full.model, resumed.model)
    assert history(full.metrics["history"]) == history(resumed.metrics["history"])
    assert resumed.metrics["best_epoch"] == full.metrics["best_epoch"]
    assert resumed.metrics["test_accuracy"] == full.metrics["test_accuracy"]
    # a run resumed without the optimizer/RNG state would differ: the test can fail
    fresh = train(dataclasses.replace(cfg, epochs=3))
    assert not np.array_equal(fresh.model.layers[0].params["W"],
                              full.model.layers[0].params["W"])


def test_cli_resume_equals_uninterrupted_run(cli, tmp_path):
    # exp schedule: its curve does not depend on --epochs (cosine's stretches when raised)
    common = ["--hidden", "32", "--quiet", "--seed", "3", "--lr-decay", "0.95"]
    a = cli("train", *common, "--epochs", "5", "--save", tmp_path / "a.npz",
            "--metrics-out", tmp_path / "a.json")
    assert a.exit_code == 0, a.output
    b1 = cli("train", *common, "--epochs", "2", "--checkpoint-dir", tmp_path / "ck")
    assert b1.exit_code == 0, b1.output
    assert {p.name for p in (tmp_path / "ck").iterdir()} == {BEST, LAST}
    b2 = cli("train", "--resume", tmp_path / "ck", "--epochs", "5", "--quiet",
             "--save", tmp_path / "b.npz", "--metrics-out", tmp_path / "b.json")
    assert b2.exit_code == 0, b2.output
    ma, mb = (json.loads((tmp_path / f"{x}.json").read_text()) for x in "ab")
    assert history(ma["history"]) == history(mb["history"]) and len(mb["history"]) == 5
    assert ma["test_accuracy"] == mb["test_accuracy"]
    assert mb["config"]["seed"] == 3 and mb["config"]["epochs"] == 5
    assert_same_state(nnplug.load(tmp_path / "a.npz").network,
                      nnplug.load(tmp_path / "b.npz").network)
    # the checkpoint dir now holds epoch 5 and the best model, an ordinary model file
    assert Checkpoint(tmp_path / "ck").epoch == 5
    best = nnplug.load(tmp_path / "ck" / BEST)
    assert best.meta["training"]["best_epoch"] == mb["best_epoch"]
    assert_same_state(best.network, nnplug.load(tmp_path / "b.npz").network)


def test_resume_refuses_conflicting_options(cli, trained):
    res = cli("train", "--resume", trained / "ck", "--lr", "0.3")
    assert res.exit_code != 0
    assert "--lr 0.3 differs from the checkpoint's 0.1" in res.stderr


def test_resume_of_finished_run_is_refused_in_one_line(cli, trained, tmp_path):
    """Nothing left to train (issue 10: it used to 'finish' in 0.00s): one line, no output."""
    for extra in ([], ["--epochs", "2"], ["--epochs", "3"]):
        res = cli("train", "--resume", trained / "ck", "--metrics-out", tmp_path / "m.json",
                  *extra)
        assert res.exit_code == 1, res.output
        assert res.stderr.startswith("Error: --epochs ") and res.stderr.count("\n") == 1
        assert "is not above the 3 epochs already run" in res.stderr
        assert "--epochs 4 or more" in res.stderr
        assert not (tmp_path / "m.json").exists()


def test_resume_with_more_patience_continues_an_early_stopped_run(cli, tmp_path):
    common = ["--hidden", "16", "--quiet", "--metrics-out", tmp_path / "m.json"]
    res = cli("train", *common, "--epochs", "60", "--patience", "1",
              "--checkpoint-dir", tmp_path / "ck")
    assert res.exit_code == 0, res.output
    first = json.loads((tmp_path / "m.json").read_text())
    assert first["stopped_early"] and first["epochs_run"] < 60
    ran = first["epochs_run"]
    res = cli("train", "--resume", tmp_path / "ck", *common, "--patience", "50",
              "--epochs", str(ran + 2))
    assert res.exit_code == 0, res.output
    second = json.loads((tmp_path / "m.json").read_text())
    assert second["epochs_run"] == ran + 2 and not second["stopped_early"]
    assert history(second["history"][:ran]) == history(first["history"])
