"""Issue 19, "files of the user's": lock files are never followed, a signal while the
results are written lets them be written whole, a killed sweep takes its workers with it,
and the temporary files a save removes are provably its own."""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import nnplug
from nnplug.errors import NNPlugError
from nnplug.safeio.dirlock import DirLock

LOCK = ".nnplug.lock"
FAST = ["--hidden", "8", "--epochs", "1", "--quiet", "--log-file", ""]


def one_error(res) -> str:
    assert "Traceback" not in res.output, res.output
    lines = res.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), res.stderr
    return lines[0]


@pytest.fixture
def victim(tmp_path):
    path = tmp_path / "victim.txt"
    path.write_text("the user's precious file\n")
    return path


@pytest.mark.parametrize("how", ["checkpoint-dir", "resume", "sweep"])
def test_a_lock_file_that_is_a_symlink_is_refused_not_followed(cli, tmp_path, model_dir,
                                                               victim, how):
    """``DIR/.nnplug.lock -> victim``: the victim is neither truncated nor given a pid."""
    directory = tmp_path / "dir"
    if how == "resume":
        shutil.copytree(model_dir / "ck", directory)
    else:
        directory.mkdir()
    (directory / LOCK).symlink_to(victim)
    args = {
        "checkpoint-dir": ["train", *FAST, "--checkpoint-dir", directory],
        "resume": ["train", "--resume", directory, "--epochs", "3", "--quiet", "--log-file", ""],
        "sweep": ["sweep", "--grid", "seed=1,2", *FAST[:4], "--out", directory],
    }[how]
    res = cli(*args)
    assert res.exit_code == 1, res.output
    assert f"{directory / LOCK} is a symbolic link, not nnplug's lock file" in one_error(res)
    assert victim.read_text() == "the user's precious file\n"
    assert (directory / LOCK).is_symlink()  # not removed either


@pytest.mark.parametrize("kind", ["hard link", "fifo", "directory"])
def test_a_lock_file_that_is_not_a_lone_regular_file_is_refused(tmp_path, victim, kind):
    lock = tmp_path / LOCK
    {"hard link": lambda: os.link(victim, lock), "fifo": lambda: os.mkfifo(lock),
     "directory": lock.mkdir}[kind]()
    with pytest.raises(NNPlugError, match=f"cannot lock checkpoint directory {tmp_path}"):
        DirLock(tmp_path).acquire()
    assert victim.read_text() == "the user's precious file\n"


def test_an_output_named_like_the_lock_file_is_refused_before_training(cli, tmp_path):
    """``--save ck/.nnplug.lock --checkpoint-dir ck`` would be written, then removed with
    the lock: refused at once."""
    res = cli("train", *FAST, "--checkpoint-dir", tmp_path / "ck", "--save",
              tmp_path / "ck" / LOCK)
    assert res.exit_code == 1, res.output
    assert f"cannot write model {tmp_path / 'ck' / LOCK}: {LOCK} is the name of nnplug's " \
           f"directory lock" in one_error(res)
    assert res.stdout == "" and not (tmp_path / "ck").exists()


def test_a_name_too_long_for_its_temporary_file_is_refused_before_training(cli, tmp_path):
    """255 bytes is a legal name, but ``.NAME.XXXXXXXX.part`` is not: said before any work."""
    name = "m" * 251 + ".npz"
    res = cli("train", *FAST, "--save", tmp_path / name)
    assert res.exit_code == 1, res.output
    err = one_error(res)
    assert "its name is 255 bytes, too long for the temporary file written first" in err
    assert res.stdout == ""  # refused before training: no summary line
    assert list(tmp_path.iterdir()) == []


def test_save_removes_only_temporary_files_it_can_prove_are_its_own(cli, tmp_path):
    """Old ``.m.npz.*.part`` files that are not exactly nnplug's (name pattern, mode) are
    the user's: kept. A real leftover of a killed writer is removed."""
    theirs = [tmp_path / ".m.npz.my notes.part", tmp_path / ".m.npz.abcd1234.part"]
    for path in theirs:
        path.write_text("notes")  # 0644: not mkstemp's 0600
    ours = tmp_path / ".m.npz.k3_9x0qa.part"
    ours.write_bytes(b"half a model")
    ours.chmod(0o600)
    old = time.time() - 7200
    for path in [*theirs, ours]:
        os.utime(path, (old, old))
    res = cli("train", *FAST, "--save", tmp_path / "m.npz")
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [p.name for p in theirs] + ["m.npz"])
    assert all(p.read_text() == "notes" for p in theirs)


#: a child ``nnplug``; the first fsync -- the model's, written after training -- is
#: interrupted by SIG (sent to the process itself while the .part file is being written)
SIGNAL_AT_SAVE = """\
import os, signal, sys
_fsync, _sent = os.fsync, []
def fsync(fd):
    if not _sent:
        _sent.append(1)
        os.kill(os.getpid(), signal.{sig})
    return _fsync(fd)
os.fsync = fsync
sys.argv[0] = "nnplug"
from nnplug.cli import main
main()
"""

#: the same while the data is loaded and the network built: before any result exists
SIGNAL_AT_BUILD = """\
import os, signal, sys
import nnplug.nn.training as training
_build = training.build
def build(*args, **kwargs):
    os.kill(os.getpid(), signal.{sig})
    return _build(*args, **kwargs)
training.build = build
sys.argv[0] = "nnplug"
from nnplug.cli import main
main()
"""


def child(code: str, *args, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "NNPLUG_LOG_DIR": str(cwd / "logs")}
    return subprocess.run([sys.executable, "-c", code, *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize("sig, code", [("SIGTERM", 143), ("SIGINT", 130)])
def test_a_signal_while_the_model_is_saved_lets_the_results_be_written(tmp_path, sig, code):
    res = child(SIGNAL_AT_SAVE.format(sig=sig), "train", "--hidden", "8", "--epochs", "2",
                "--quiet", "--log-file", "", "--save", "m.npz", "--metrics-out", "m.json",
                cwd=tmp_path)
    assert res.returncode == code, res.stderr
    lines = res.stderr.splitlines()
    assert len(lines) == 1 and "Traceback" not in res.stderr, res.stderr
    by = " by SIGTERM" if sig == "SIGTERM" else ""
    assert lines[0] == f"Interrupted{by} after training; wrote model m.npz, metrics m.json first"
    metrics = json.loads((tmp_path / "m.json").read_text())
    assert metrics["epochs_run"] == 2
    assert nnplug.load(tmp_path / "m.npz").meta["training"]["best_epoch"] == metrics["best_epoch"]
    assert not [p.name for p in tmp_path.iterdir() if p.name.endswith(".part")]


@pytest.mark.parametrize("sig, code, line", [("SIGTERM", 143, "Interrupted by SIGTERM."),
                                             ("SIGINT", 130, "Interrupted.")])
def test_a_signal_before_training_is_one_line_for_the_whole_command(tmp_path, sig, code, line):
    res = child(SIGNAL_AT_BUILD.format(sig=sig), "train", "--hidden", "8", "--epochs", "2",
                "--quiet", "--log-file", "", "--save", "m.npz", "--checkpoint-dir", "ck",
                cwd=tmp_path)
    assert res.returncode == code, res.stderr
    assert res.stderr.splitlines() == [line]
    assert not (tmp_path / "m.npz").exists() and not (tmp_path / "ck" / LOCK).exists()


#: a sweep whose worker announces itself in HANG (its pid) and then hangs in its trial
HANGING_SWEEP = """\
import json, os, sys, time
import nnplug.cli.sweep.local as local
def hang(trial):
    with open("hang.part", "w") as fh:
        json.dump(os.getpid(), fh)
    os.replace("hang.part", "hang")
    while True:
        time.sleep(0.05)
local.run_trial = hang
sys.argv[0] = "nnplug"
from nnplug.cli import main
main()
"""


def alive(pid: int) -> bool:
    """Is ``pid`` a live process (a zombie is not)?"""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG: Linux")
def test_kill_9_of_a_sweep_takes_its_workers_along_and_resume_proceeds(tmp_path):
    grid = ["sweep", "--grid", "seed=1,2", "--hidden", "8", "--epochs", "1", "--workers", "1",
            "--out", "out", "--quiet"]
    env = {**os.environ, "NNPLUG_LOG_DIR": str(tmp_path / "logs")}
    proc = subprocess.Popen([sys.executable, "-c", HANGING_SWEEP, *grid], cwd=tmp_path, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    worker = None
    try:
        deadline = time.monotonic() + 120
        while not (tmp_path / "hang").exists() and time.monotonic() < deadline:
            assert proc.poll() is None, "the sweep ended before its worker hung"
            time.sleep(0.05)
        worker = json.loads((tmp_path / "hang").read_text())
        proc.kill()  # kill -9: no handler, no cleanup in the sweep
        proc.wait()
        deadline = time.monotonic() + 60
        while alive(worker) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not alive(worker), "the worker outlived its sweep"
        res = child(HANGING_SWEEP.replace("local.run_trial = hang\n", ""), *grid, "--resume",
                    cwd=tmp_path)
        assert res.returncode == 0, res.stderr
        recs = [json.loads(line) for line in (tmp_path / "out" / "sweep.jsonl").read_text()
                .splitlines()]
        assert sorted(r["status"] for r in recs) == ["ok", "ok"]
    finally:
        proc.kill()
        proc.wait()
        if worker is not None and alive(worker):
            os.kill(worker, signal.SIGKILL)
