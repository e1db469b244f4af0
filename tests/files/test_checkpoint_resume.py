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
    """Nothing left to train (issue 10: it used to 'finish' in 0.00s): one line, no output,
    in terms of what the user typed (issue 20: no '--epochs 3' they never gave)."""
    res = cli("train", "--resume", trained / "ck", "--metrics-out", tmp_path / "m.json")
    assert res.exit_code == 1, res.output
    assert res.stderr.count("\n") == 1 and "--epochs 3" not in res.stderr
    assert res.stderr.startswith(f"Error: the run in {trained / 'ck'} already ran all its 3 "
                                 "epochs: nothing to resume")
    assert f"nnplug train --resume {trained / 'ck'} --epochs N, with N above 3" in res.stderr
    for given in ("2", "3"):
        res = cli("train", "--resume", trained / "ck", "--metrics-out", tmp_path / "m.json",
                  "--epochs", given)
        assert res.exit_code == 1, res.output
        assert res.stderr.startswith(f"Error: --epochs {given} is not above the 3 epochs ")
        assert res.stderr.count("\n") == 1 and "pass --epochs N with N above 3" in res.stderr
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


def test_resume_of_an_early_stopped_run_says_to_raise_the_patience(cli, tmp_path):
    """Resuming a run --patience stopped, with that patience, would train nothing."""
    res = cli("train", "--hidden", "16", "--quiet", "--epochs", "60", "--patience", "1",
              "--checkpoint-dir", tmp_path / "ck", "--metrics-out", tmp_path / "m.json")
    assert res.exit_code == 0, res.output
    ran = json.loads((tmp_path / "m.json").read_text())["epochs_run"]
    res = cli("train", "--resume", tmp_path / "ck", "--metrics-out", tmp_path / "again.json")
    assert res.exit_code == 1 and res.stderr.count("\n") == 1
    assert res.stderr.startswith(f"Error: the run in {tmp_path / 'ck'} stopped early after "
                                 f"epoch {ran} (no better validation metric for 1 epoch, "
                                 "--patience 1): nothing to resume")
    assert "pass --patience N with N above 1" in res.stderr
    assert not (tmp_path / "again.json").exists()


def test_samples_per_second_of_a_resumed_run_counts_the_time_of_every_epoch(cli, tmp_path):
    """Issue 20: after --resume it divided all epochs' samples by the resumed part's
    seconds (281,393/s shown, ~20k real). Each epoch's own seconds lie within the run's
    training seconds, whatever the machine's speed, in the checkpoint and at the end."""
    common = ["--hidden", "16", "--quiet", "--metrics-out", tmp_path / "m.json"]
    res = cli("train", *common, "--epochs", "3", "--checkpoint-dir", tmp_path / "ck")
    assert res.exit_code == 0, res.output
    saved = Checkpoint(tmp_path / "ck").meta
    assert saved["result"]["train_seconds"] >= sum(h["seconds"] for h in saved["history"])
    res = cli("train", "--resume", tmp_path / "ck", *common, "--epochs", "5")
    assert res.exit_code == 0, res.output
    m = json.loads((tmp_path / "m.json").read_text())
    assert len(m["history"]) == 5
    # train_seconds is rounded to 1e-4 s in the metrics
    assert m["train_seconds"] >= sum(h["seconds"] for h in m["history"]) - 1e-4
    samples = sum(h["seconds"] * h["samples_per_second"] for h in m["history"])
    assert m["samples_per_second"] <= samples / sum(h["seconds"] for h in m["history"]) * 1.001
