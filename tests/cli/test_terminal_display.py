"""The display of ``nnplug train`` on a terminal (issue 20): one line per epoch that fits
the terminal's width, redrawn in place and replaced by the epoch's summary, with the same
loss in the bar and the summary. ``nnplug train`` runs under a real pseudo terminal whose
window size is set with ``TIOCSWINSZ``; its output is replayed on a model of a terminal
that wraps at the last column, as xterm and tmux do."""

from __future__ import annotations

import io
import os
import re
import select
import subprocess
import sys
import time

import pytest

from nnplug.cli.progress import ProgressBar, bar_line
from nnplug.cli.trainreport import stopped_line, summary_line
from nnplug.nn.history import EpochRecord
from nnplug.nn.training import TrainConfig, train

pty = pytest.importorskip("pty")  # POSIX: a Windows console is not a pty
fcntl = pytest.importorskip("fcntl")
termios = pytest.importorskip("termios")


def run_in_terminal(args, columns, cwd, rows=24, limit=600.0):
    """``nnplug ARGS`` with stdin, stdout and stderr on a pseudo terminal of ``columns``
    columns; returns (exit code, everything written to the terminal)."""
    import struct

    master, slave = os.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    env = {k: v for k, v in os.environ.items() if k not in ("COLUMNS", "LINES")}
    env.update(TERM="xterm", NNPLUG_LOG_DIR="logs")  # short: "log: logs/train-....log"
    proc = subprocess.Popen(
        [sys.executable, "-c", "from nnplug.cli import main; main()", *args],
        stdin=slave, stdout=slave, stderr=slave, env=env, cwd=cwd, close_fds=True,
    )
    os.close(slave)
    out = bytearray()
    deadline = time.monotonic() + limit  # a guard against a hung child, not a measurement
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 1.0)
            if not ready:
                if proc.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            out += chunk
    finally:
        os.close(master)
        if proc.poll() is None:
            proc.kill()
    return proc.wait(timeout=60), out.decode("utf-8", "replace")


def replay(text, columns):
    """The lines a terminal of ``columns`` columns shows after ``text`` (carriage return,
    line feed, printable characters; a character past the last column wraps to a new
    line), and how many characters wrapped."""
    screen, row, col, wrapped = [[]], 0, 0, 0
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text)  # cursor shown/hidden, colours
    for ch in text:
        if ch == "\r":
            col = 0
        elif ch == "\n":
            row += 1
            if row == len(screen):
                screen.append([])
        elif ch.isprintable():
            if col == columns:
                wrapped += 1
                row, col = row + 1, 0
                if row == len(screen):
                    screen.append([])
            line = screen[row]
            line.extend(" " * (col + 1 - len(line)))
            line[col] = ch
            col += 1
        else:
            raise AssertionError(f"unexpected control character {ch!r}")
    lines = ["".join(line).rstrip() for line in screen]
    while lines and not lines[-1]:
        lines.pop()
    return lines, wrapped


def test_the_replay_sees_a_line_that_wraps_and_a_bar_left_behind():
    assert replay("abcdef\r\n", 4) == (["abcd", "ef"], 1)
    assert replay("bar 1/2\rbar 2/2\r\nepoch 1\r\n", 80) == (["bar 2/2", "epoch 1"], 0)
    assert replay("\x1b[?25lbar\x1b[?25h\rep\n", 80) == (["epr"], 0)


@pytest.mark.parametrize("columns", [80, 60])
def test_each_epoch_is_one_line_that_fits_the_terminal(tmp_path, columns):
    # batch 8: 162 steps per epoch; --patience 1 stops the run early, which is said too
    args = ["train", "--hidden", "16", "--epochs", "30", "--patience", "1",
            "--batch-size", "8", "--backend", "numpy", "--metrics-out", "m.json"]
    code, text = run_in_terminal(args, columns, tmp_path)
    assert code == 0, text
    assert re.search(r"epoch +1/30 +\[", text)  # the bar was drawn
    lines, wrapped = replay(text, columns)
    assert wrapped == 0, "\n".join(lines)
    assert max(len(line) for line in lines) < columns
    import json

    ran = json.loads((tmp_path / "m.json").read_text())["epochs_run"]
    assert 1 < ran < 30
    # nothing but the epochs' summaries (no bar left over), the stop, the summary, the log
    assert len(lines) == ran + 3, "\n".join(lines)
    for epoch, line in enumerate(lines[:ran], start=1):
        assert re.fullmatch(
            rf"epoch +{epoch}  loss \d\.\d{{4}}  train acc(uracy)? \d\.\d{{4}}  "
            rf"val acc(uracy)? \d\.\d{{4}}.*", line), line
    assert lines[ran].startswith(f"stopped early after epoch {ran}")
    assert lines[ran + 1].startswith("digits: test_accuracy ")
    (log,) = (tmp_path / "logs").glob("train-*.log")
    assert lines[ran + 2] == f"log: logs/{log.name}"


class FakeTerminal(io.StringIO):
    def isatty(self):
        return True


def drawn(text):
    """Every state of the bar's line: the text between carriage returns."""
    return [part for part in re.split(r"[\r\n]", text) if part.strip()]


@pytest.mark.parametrize("width", [59, 79, 200])
def test_every_bar_drawn_fits(width):
    term = FakeTerminal()
    bar = ProgressBar(term, interval=0, width=width)
    train(TrainConfig(epochs=2, hidden=16, batch_size=16), [bar])
    states = drawn(term.getvalue())
    assert len(states) >= 2 * 82  # every step of both epochs was drawn (interval 0)
    assert all(len(s) <= width for s in states)
    assert any("ETA " in s for s in states) == (width > 60)
    assert term.getvalue().endswith("\r")  # the last bar is erased: the summary takes its line


def test_the_bar_keeps_fields_in_order_of_importance():
    fields = ["loss 0.7256", "25,310 samples/s", "ETA 3s"]
    assert bar_line(3, 30, 12, 41, fields, 120) == (
        "epoch   3/30 [=======>......................] 12/41  loss 0.7256  25,310 samples/s"
        "  ETA 3s"
    )
    narrow = bar_line(3, 30, 12, 41, fields, 59)
    assert narrow.startswith("epoch   3/30 [") and "loss 0.7256" in narrow and len(narrow) <= 59
    assert bar_line(3, 30, 12, 41, fields, 30) == "epoch   3/30 12/41"


class Records:
    def __init__(self):
        self.records = []

    def on_epoch_end(self, solver, record):
        self.records.append(record)


def test_the_bar_ends_on_the_loss_the_summary_reports(backend):
    """The bar's running loss is the mean over the samples seen, as the summary's is: at
    the last step they are the same figure (the last batch of 1293 rows holds 13)."""
    term, records = FakeTerminal(), Records()
    train(TrainConfig(epochs=3, hidden=16, backend=backend.name),
          [ProgressBar(term, interval=0, width=200), records])
    finals = [s for s in drawn(term.getvalue()) if re.search(r" 41/41\b", s)]
    assert len(finals) == 3
    for state, record in zip(finals, records.records, strict=True):
        assert f"loss {record.loss:.4f}" in state, (state, record)


def test_summaries_fit_a_width_and_keep_name_value_fields():
    record = EpochRecord(12, 0.72131, 0.91234, 0.90123, 0.31, 0.0987654, 1.234, 123456.0)
    full = record.summary("accuracy")
    assert full == ("epoch  12  loss 0.7213  train accuracy 0.9123  val accuracy 0.9012  "
                    "lr 0.09877  1.23s  123,456 samples/s")
    assert record.summary("accuracy", 200) == full
    for width in range(20, len(full)):
        line = record.summary("accuracy", width)
        assert len(line) <= width
        if width >= 40:  # every field shown keeps the ``name value`` form
            assert re.fullmatch(r"epoch  12(  (loss|train acc|val acc)\S* [\d.]+)+.*", line)
    assert record.summary("accuracy", 59) == (
        "epoch  12  loss 0.7213  train acc 0.9123  val acc 0.9012")
    assert record.summary("rmse", 59).startswith("epoch  12  loss 0.7213  train rmse 0.9123")
    m = {"dataset": "digits", "task": "classification", "test_accuracy": 0.98, "best_epoch": 9,
         "epochs_run": 14, "train_seconds": 1.5, "samples_per_second": 20000.0,
         "backend": "numpy", "metric": "accuracy", "config": {"epochs": 30}}
    assert summary_line(m) == (
        "digits: test_accuracy 0.9800  best epoch 9/14  1.50s  20000 samples/s  backend numpy")
    assert summary_line(m, 59) == "digits: test_accuracy 0.9800  best epoch 9/14  1.50s"
    assert stopped_line(m, 5) == (
        "stopped early after epoch 14 of 30: val accuracy not better for 5 epochs "
        "(--patience 5)")
    assert len(stopped_line(m, 5, 59)) <= 59 and "--patience 5" in stopped_line(m, 5, 59)
