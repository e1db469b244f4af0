"""Watching a run: progress bar on a terminal, one line per epoch, log file, --plot."""
from __future__ import annotations

import io
import re
import sys

import numpy as np

from nnplug.cli.plot import INSTALL_HINT, plot_history
from nnplug.cli.progress import EpochPrinter, ProgressBar
from nnplug.nn.training import TrainConfig, train


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


def test_progress_bar_shows_loss_and_throughput_on_a_terminal():
    term = FakeTerminal()
    train(TrainConfig(epochs=2, hidden=16), [ProgressBar(term, interval=0)])
    text = term.getvalue()
    for epoch in (1, 2):
        assert f"epoch   {epoch}/2 [" in text
    assert re.search(r"loss \d+\.\d{4}  [\d,]+ samples/s", text)
    assert re.search(r"41/41", text)  # 1293 training rows / batch 32: the bar completes


def test_progress_bar_is_silent_when_not_a_terminal():
    stream = io.StringIO()
    bar = ProgressBar(stream)
    train(TrainConfig(epochs=1, hidden=16), [bar])
    assert not bar.enabled and stream.getvalue() == ""


def test_cli_output_is_one_line_per_epoch_plus_summary_and_the_log(cli, log_dir):
    res = cli("train", "--hidden", "16", "--epochs", "4")
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    assert len(lines) == 6 and res.stderr == ""
    for i, line in enumerate(lines[:4], start=1):
        assert re.match(rf"epoch +{i}  loss [\d.]+  train accuracy [\d.]+  val accuracy "
                        rf"[\d.]+  lr [\d.e-]+  [\d.]+s  [\d,]+ samples/s$", line), line
    assert lines[4].startswith("digits: test_accuracy")
    # the default log file went under $NNPLUG_LOG_DIR, and the last line says where
    logs = list(log_dir.glob("train-*.log"))
    assert len(logs) == 1
    assert lines[5] == f"log: {logs[0]}"
    log = logs[0].read_text()
    assert "config TrainConfig(" in log and len(re.findall(r" epoch +\d+  loss", log)) == 4
    assert "digits: test_accuracy" in log


def test_quiet_and_explicit_log_file(cli, tmp_path, log_dir):
    res = cli("train", "--hidden", "16", "--epochs", "2", "--quiet",
              "--log-file", tmp_path / "run.log")
    assert res.exit_code == 0 and len(res.stdout.splitlines()) == 1
    assert "epoch   2" in (tmp_path / "run.log").read_text()
    assert not log_dir.exists()
    res = cli("train", "--hidden", "16", "--epochs", "1", "--log-file", "")
    assert res.exit_code == 0 and not log_dir.exists()


def test_epoch_printer_logs_even_when_quiet(caplog):
    import logging

    logger = logging.getLogger("nnplug.test.printer")
    with caplog.at_level(logging.INFO, logger="nnplug.test.printer"):
        train(TrainConfig(epochs=2, hidden=16), [EpochPrinter(True, logger)])
    assert [r.getMessage()[:9] for r in caplog.records] == ["epoch   1", "epoch   2"]


def test_plot_writes_a_png(tmp_path):
    history = [dict(epoch=e, loss=1 / e, val_loss=1.2 / e, train_metric=1 - 1 / (e + 1),
                    val_metric=1 - 1.1 / (e + 1)) for e in range(1, 8)]
    plot_history(history, tmp_path / "p.png", metric="accuracy", best_epoch=6)
    import matplotlib.image

    img = matplotlib.image.imread(tmp_path / "p.png")
    assert img.shape[0] == 400 and img.shape[1] == 1000
    assert np.ptp(img[..., :3]) > 0.5  # something is drawn
    assert [p.name for p in tmp_path.iterdir()] == ["p.png"]


def test_cli_plot(cli, tmp_path):
    res = cli("train", "--hidden", "16", "--epochs", "3", "--quiet",
              "--plot", tmp_path / "curves.png")
    assert res.exit_code == 0, res.output
    assert (tmp_path / "curves.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_without_matplotlib_is_one_line_before_training(cli, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib -> ImportError
    res = cli("train", "--epochs", "1", "--plot", tmp_path / "p.png",
              "--metrics-out", tmp_path / "m.json")
    assert res.exit_code == 1
    assert res.stderr.strip() == f"Error: {INSTALL_HINT}"
    assert res.stdout == "" and list(tmp_path.iterdir()) == []
