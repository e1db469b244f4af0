"""Issue 19, "the terminal": names from a model file never drive the terminal, stdout
closed early or full ends in one line at most, a log file that cannot be written is one
line once, a bad Dask address is one line without a stall."""
from __future__ import annotations

import copy
import csv
import io
import os
import resource
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from hostile import model_parts, write_model
from test_outputs import char_device

#: class names a hostile model file carries: an OSC title, a colour, a bell, a newline
HOSTILE = ["\x1b]0;pwned\x07zero", "\x1b[31mone", "two\x07", "th\nree", "four", "five",
           "six", "seven", "eight", "nine"]


def with_classes(model_dir: Path, path: Path, classes: list[str]) -> Path:
    meta, arrays = model_parts(model_dir / "model.npz")
    meta = copy.deepcopy(meta)
    meta["classes"] = classes
    return write_model(path, meta, arrays)


@pytest.fixture
def rows(tmp_path):
    np.save(tmp_path / "X.npy", np.arange(5 * 64, dtype=np.float64).reshape(5, 64) % 17)
    return tmp_path / "X.npy"


def controls(text: str) -> list[str]:
    return [ch for ch in text if ch != "\n" and not ch.isprintable()]


def test_class_names_from_a_model_file_reach_stdout_sanitised(run, model_dir, tmp_path, rows):
    model = with_classes(model_dir, tmp_path / "m.npz", HOSTILE)
    res = run("predict", "--model", model, "--input", rows)
    assert res.code == 0, res.stderr
    assert controls(res.stdout) == [], repr(res.stdout)
    lines = res.stdout.splitlines()
    assert len(lines) == 6 and lines[0].startswith("class,p_zero,p_one,p_two")
    # a file keeps the names exactly (CSV-quoted where CSV needs it)
    res = run("predict", "--model", model, "--input", rows, "--output", tmp_path / "p.csv")
    assert res.code == 0, res.stderr
    with open(tmp_path / "p.csv", newline="") as fh:
        table = list(csv.reader(fh))
    assert table[0] == ["class", *(f"p_{name}" for name in HOSTILE)]
    assert all(row[0] in HOSTILE for row in table[1:]) and len(table) == 6


def test_a_class_name_with_a_lone_surrogate_is_encoded_safely(run, model_dir, tmp_path, rows):
    names = [f"c{i}" for i in range(10)]
    names[3] = "bad\ud800name"
    model = with_classes(model_dir, tmp_path / "m.npz", names)
    res = run("predict", "--model", model, "--input", rows)
    assert res.code == 0, res.stderr
    assert "p_bad\\ud800name" in res.stdout.splitlines()[0]
    res = run("predict", "--model", model, "--input", rows, "--output", tmp_path / "p.csv")
    assert res.code == 0, res.stderr
    assert "p_bad\\ud800name" in (tmp_path / "p.csv").read_text().splitlines()[0]


def closed_pipe_run(*args, cwd: Path) -> subprocess.CompletedProcess:
    """``nnplug ARGS`` writing to a pipe whose reader is gone (``| head -1`` after head
    has read its line and exited)."""
    read, write = os.pipe()
    os.close(read)
    try:
        return subprocess.run([sys.executable, "-c", "from nnplug.cli import main; main()",
                               *map(str, args)], stdout=write, stderr=subprocess.PIPE,
                              cwd=cwd, text=True, timeout=300,
                              env={**os.environ, "NNPLUG_LOG_DIR": str(cwd / "logs")})
    finally:
        os.close(write)


@pytest.mark.parametrize("args", [
    ["predict", "--model", "{model}", "--input", "{rows}"],
    ["plugins"],
    ["datasets"],
    ["gradcheck"],
    ["train", "--hidden", "8", "--epochs", "2", "--log-file", "", "--save", "m.npz"],
])
def test_stdout_closed_early_ends_quietly(model_dir, tmp_path, rows, args):
    args = [a.format(model=model_dir / "model.npz", rows=rows) for a in args]
    res = closed_pipe_run(*args, cwd=tmp_path)
    assert res.returncode == 141, res.stderr
    # nothing but nnplug's own progress notes (gradcheck may compile numba kernels first)
    assert all(line.startswith("nnplug: ") for line in res.stderr.splitlines()), res.stderr
    if args[0] == "train":  # what the run was for is kept: only its printing stopped
        assert (tmp_path / "m.npz").is_file()


@pytest.mark.parametrize("args", [["plugins"], ["predict", "--model", "{model}", "--input",
                                                 "{rows}"]])
def test_stdout_on_a_full_device_is_one_line(model_dir, tmp_path, rows, args):
    args = [a.format(model=model_dir / "model.npz", rows=rows) for a in args]
    with open(char_device(tmp_path, "full", 7), "w") as full:
        res = subprocess.run([sys.executable, "-c", "from nnplug.cli import main; main()",
                              *map(str, args)], stdout=full, stderr=subprocess.PIPE, text=True,
                             cwd=tmp_path, timeout=300)
    assert res.returncode == 1, res.stderr
    assert res.stderr == "Error: cannot write the standard output: No space left on device\n"


def test_a_log_file_on_a_full_device_is_one_line_once(run, tmp_path):
    full = char_device(tmp_path, "full", 7)
    res = run("train", "--hidden", "8", "--epochs", "3", "--quiet", "--log-file", full,
              "--save", tmp_path / "m.npz")
    assert res.code == 1, res.stderr
    assert res.one_error() == (f"Error: log file: cannot write {full}: No space left on "
                               f"device; kept model {tmp_path / 'm.npz'}")
    assert (tmp_path / "m.npz").is_file()


def test_a_log_file_beyond_the_file_size_limit_is_one_line_once(run, tmp_path):
    """``ulimit -f``: the log outgrows it (EFBIG). Named, it fails the run in one line at
    the end; the default log only warns, once."""
    limits = {resource.RLIMIT_FSIZE: 2048}
    res = run("train", "--hidden", "8", "--epochs", "30", "--quiet", "--log-file",
              tmp_path / "t.log", limits=limits)
    assert res.code == 1, res.stderr
    assert res.one_error() == f"Error: log file: cannot write {tmp_path / 't.log'}: File too large"
    res = run("train", "--hidden", "8", "--epochs", "30", "--quiet", limits=limits,
              env={"NNPLUG_LOG_DIR": str(tmp_path / "logs")})
    assert res.code == 0, res.stderr
    [line] = res.stderr.splitlines()
    assert line.startswith("Warning: log file: cannot write ") and "File too large" in line


@pytest.mark.parametrize("address", ["garbage!!", "inproc://nothing", "tls://127.0.0.1:9"])
def test_a_bad_scheduler_address_is_one_line_and_no_stall(run, tmp_path, address):
    """Before: the error line, then a 20 s stall and a ``Client.__del__`` traceback."""
    pytest.importorskip("distributed")
    res = run("sweep", "--grid", "seed=1,2", "--hidden", "8", "--epochs", "1", "--scheduler",
              address, "--out", tmp_path / "s", ceiling=4 << 30)
    assert res.code == 1, res.stderr
    assert res.one_error().startswith(f"Error: cannot connect to the Dask scheduler at {address}")
