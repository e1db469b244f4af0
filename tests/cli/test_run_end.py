"""How a run of ``nnplug train`` ends (issue 20): an early stop is said, Ctrl-C says
exactly what was kept and how to resume, the default log is named and its directory stays
bounded, and --plot's title names the data and the test metric and fits the figure."""

from __future__ import annotations

import json
import os
import re

import pytest

from nnplug.cli import trainlog
from nnplug.cli.progress import EpochPrinter


@pytest.fixture
def stop_after_epoch_2(monkeypatch):
    """As if Ctrl-C were pressed at the end of epoch 2: the run stops after one more step."""
    printed = EpochPrinter.on_epoch_end

    def on_epoch_end(self, solver, record):
        printed(self, solver, record)
        if record.epoch == 2:
            solver.request_stop()

    monkeypatch.setattr(EpochPrinter, "on_epoch_end", on_epoch_end)


def test_patience_says_why_the_run_stopped(cli, log_dir, tmp_path):
    res = cli("train", "--hidden", "16", "--epochs", "60", "--patience", "1",
              "--metrics-out", tmp_path / "m.json")
    assert res.exit_code == 0, res.output
    ran = json.loads((tmp_path / "m.json").read_text())["epochs_run"]
    assert ran < 60
    lines = res.stdout.splitlines()
    assert lines[ran] == (f"stopped early after epoch {ran} of 60: val accuracy not better "
                          "for 1 epoch (--patience 1)")
    assert lines[ran + 1].startswith("digits: test_accuracy")
    (log,) = log_dir.glob("train-*.log")
    assert lines[ran] in log.read_text()
    res = cli("train", "--hidden", "16", "--epochs", "60", "--patience", "1", "--quiet")
    assert len(res.stdout.splitlines()) == 1  # --quiet: the summary alone


def test_ctrl_c_with_nothing_saved_says_so(cli, stop_after_epoch_2):
    res = cli("train", "--hidden", "16", "--epochs", "5", "--log-file", "")
    assert res.exit_code == 130
    assert res.stderr == ("Interrupted at epoch 3, step 1: nothing was saved (no --save, "
                          "--metrics-out, --checkpoint-dir or log)\n")


def test_ctrl_c_names_the_default_log_it_kept(cli, log_dir, stop_after_epoch_2):
    res = cli("train", "--hidden", "16", "--epochs", "5")
    assert res.exit_code == 130
    (log,) = log_dir.glob("train-*.log")
    assert res.stderr == (f"Interrupted at epoch 3, step 1: kept the log {log}; nothing else "
                          "was saved\n")
    assert res.stdout.splitlines()[-1] == f"log: {log}"


def test_ctrl_c_with_a_checkpoint_says_how_to_resume(cli, tmp_path, stop_after_epoch_2):
    ck = tmp_path / "ck"
    res = cli("train", "--hidden", "16", "--epochs", "5", "--checkpoint-dir", ck,
              "--metrics-out", tmp_path / "m.json", "--log-file", "")
    assert res.exit_code == 130
    assert res.stderr == (f"Interrupted at epoch 3, step 1: kept metrics {tmp_path / 'm.json'}, "
                          f"the checkpoint of epoch 2 in {ck}; continue with: nnplug train "
                          f"--resume {ck}\n")
    res = cli("train", "--resume", ck, "--quiet", "--log-file", "")  # the hint works
    assert res.exit_code == 0, res.output
    assert "best epoch" in res.stdout and "/5 " in res.stdout


# -- the default log directory -------------------------------------------------------------
def old_log(directory, stamp, text=None):
    path = directory / f"train-{stamp}.log"
    path.write_text(text if text is not None else
                    f"2024-01-01 00:00:00,000 {trainlog.FIRST_LINE}\nmore\n")
    return path


def test_the_default_log_directory_keeps_the_newest_logs_only(cli, log_dir):
    log_dir.mkdir()
    ours = [old_log(log_dir, f"20240101-{i:06d}") for i in range(trainlog.KEEP_LOGS + 5)]
    # an older nnplug's log (no first line of its own) is nnplug's too
    older = old_log(log_dir, "20230101-000000", "2023-01-01 00:00:00,000 config TrainConfig(\n")
    # not nnplug's: another first line, a link, a name of another form, a directory
    foreign = old_log(log_dir, "20200101-000000", "my notes\n")
    link = log_dir / "train-20200101-000001.log"
    link.symlink_to(ours[-1])
    other = log_dir / "train-notes.log"
    other.write_text("x")
    (log_dir / "train-20200101-000002.log").mkdir()
    res = cli("train", "--hidden", "16", "--epochs", "1")
    assert res.exit_code == 0, res.output
    new = log_dir / res.stdout.splitlines()[-1].removeprefix("log: ")
    assert new.exists() and new not in ours
    kept = sorted(p for p in log_dir.iterdir() if trainlog.written_by_nnplug(p))
    assert len(kept) == trainlog.KEEP_LOGS and kept[-1] == new
    assert kept[:-1] == ours[-(trainlog.KEEP_LOGS - 1):]  # the oldest went first
    assert not older.exists()
    for path in (foreign, link, other, log_dir / "train-20200101-000002.log"):
        assert os.path.lexists(path), path


def test_two_runs_in_one_second_get_two_logs(cli, log_dir, monkeypatch):
    from types import SimpleNamespace

    monkeypatch.setattr(trainlog, "time", SimpleNamespace(strftime=lambda _: "20240101-120000"))
    for _ in range(2):
        assert cli("train", "--hidden", "16", "--epochs", "1").exit_code == 0
    logs = sorted(p.name for p in log_dir.iterdir())
    assert logs == ["train-20240101-120000-2.log", "train-20240101-120000.log"]
    for name in logs:  # each holds one run
        assert (log_dir / name).read_text().count(trainlog.FIRST_LINE) == 1


def test_the_log_path_is_shown_from_the_home_directory(monkeypatch, tmp_path):
    monkeypatch.setenv("HOME", str(tmp_path))
    assert trainlog.shown(tmp_path / "a" / "train.log") == "~/a/train.log"
    assert trainlog.shown(tmp_path.parent / "b.log") == str(tmp_path.parent / "b.log")


# -- --plot ---------------------------------------------------------------------------------
def test_the_plot_title_names_data_and_metric_and_fits_the_figure():
    pytest.importorskip("matplotlib")
    from nnplug.cli.plot import architecture, figure, run_title

    described = " > ".join(
        ["linear(64->512)", *["batchnorm(512->512)", "relu(512->512)",
                              "dropout(512->512)", "linear(512->512)"] * 3, "linear(512->10)"])
    m = {"dataset": "digits", "task": "classification", "metric": "accuracy",
         "test_accuracy": 0.98051, "best_epoch": 19, "epochs_run": 30}
    title, stack = run_title(m), architecture(described)
    assert title == "digits: test accuracy 0.9805, best epoch 19 of 30"
    assert stack.startswith("linear(64->512) > batchnorm > relu > dropout > linear > ")
    history = [dict(epoch=e, loss=1 / e, val_loss=1.2 / e, train_metric=0.9, val_metric=0.8)
               for e in range(1, 4)]
    fig = figure(history, title=title, subtitle=stack, best_epoch=2)
    text = fig._suptitle
    box = text.get_window_extent(fig.canvas.get_renderer())
    assert 0 <= box.x0 and box.x1 <= fig.bbox.width  # nothing clipped at either edge
    lines = text.get_text().splitlines()
    assert lines[0] == title and len(lines) >= 2
    assert " ".join(lines[1:]) == stack  # wrapped, not cut
    assert re.fullmatch(r"[\w(>-]+", lines[-1].split()[-1].rstrip(")"))
