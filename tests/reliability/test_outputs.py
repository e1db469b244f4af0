"""Issue 11, "a user's files can be destroyed": one output guard for every writer --
outputs never replace inputs or each other, special files and symlinks are written
through, stale ``.part`` files of killed writers are swept, a full disk is one line."""
from __future__ import annotations

import json
import os
import socket
import stat
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

import nnplug
from nnplug.safeio.outputs import atomic_write

FAST = ["--hidden", "8", "--epochs", "1", "--quiet", "--log-file", ""]


@pytest.fixture
def data_csv(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(60, 3))
    path = tmp_path / "data.csv"
    with open(path, "w") as fh:
        fh.write("a,b,c,y\n")
        for row, label in zip(X, (X[:, 0] > 0).astype(int)):
            fh.write(",".join(f"{v:.6f}" for v in row) + f",{label}\n")
    return path


@pytest.mark.parametrize("flag", ["--save", "--metrics-out", "--plot", "--log-file"])
def test_an_output_equal_to_the_data_file_is_refused(cli, tmp_path, data_csv, flag):
    before = data_csv.read_bytes()
    target = data_csv if flag != "--plot" else tmp_path / "data.png"
    if flag == "--plot":  # the plot must be named .png: reach the CSV through a symlink
        target.symlink_to(data_csv)
    args = [a for a in FAST if a not in ("--log-file", "")] if flag == "--log-file" else FAST
    res = cli("train", "--dataset", "csv", "--data", data_csv, "--target", "y", *args,
              flag, target)
    assert res.exit_code == 1, res.output
    assert res.stderr.count("\n") == 1 and "is the --data file" in res.stderr
    assert data_csv.read_bytes() == before


@pytest.mark.parametrize("a,b,names", [
    ("--save", "--metrics-out", ("a.npz", "a.npz")),
    ("--save", "--plot", ("x.png", "x.png")),
    ("--metrics-out", "--log-file", ("run.json", "sub/../run.json")),
])
def test_two_outputs_on_one_file_are_refused(cli, tmp_path, a, b, names):
    (tmp_path / "sub").mkdir()
    res = cli("train", *[x for x in FAST if x not in ("--log-file", "")], a,
              tmp_path / names[0], b, tmp_path / names[1])
    assert res.exit_code == 1 and "are the same file" in res.stderr, res.output
    assert res.stderr.count("\n") == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == ["sub"]


def test_a_hard_link_counts_as_the_same_file(cli, tmp_path, data_csv):
    os.link(data_csv, tmp_path / "same.json")
    res = cli("train", "--dataset", "csv", "--data", data_csv, "--target", "y", *FAST,
              "--metrics-out", tmp_path / "same.json")
    assert res.exit_code == 1 and "is the --data file" in res.stderr


def test_save_onto_the_checkpoint_files_is_refused(cli, tmp_path):
    res = cli("train", *FAST, "--checkpoint-dir", tmp_path / "ck", "--save",
              tmp_path / "ck" / "best.npz")
    assert res.exit_code == 1 and "--checkpoint-dir's best.npz" in res.stderr
    assert not (tmp_path / "ck").exists()  # the lock created it and took it back


def test_predict_output_onto_its_inputs_is_refused(cli, model_dir, tmp_path):
    np.savetxt(tmp_path / "rows.csv", np.zeros((3, 64)), delimiter=",")
    before = (tmp_path / "rows.csv").read_bytes()
    for flag, path in (("--input", tmp_path / "rows.csv"), ("--model", model_dir / "model.npz")):
        res = cli("predict", "--model", model_dir / "model.npz", "--input",
                  tmp_path / "rows.csv", "--output", path)
        assert res.exit_code == 1 and f"is the {flag} file" in res.stderr, res.output
    assert (tmp_path / "rows.csv").read_bytes() == before
    assert nnplug.load(model_dir / "model.npz")  # still a model


def test_a_symlink_is_written_through_to_its_target(tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "out.json").write_text("old")
    (tmp_path / "link.json").symlink_to(tmp_path / "real" / "out.json")
    with atomic_write(tmp_path / "link.json", "w") as fh:
        fh.write("new")
    assert (tmp_path / "link.json").is_symlink()
    assert (tmp_path / "real" / "out.json").read_text() == "new"
    assert sorted(p.name for p in (tmp_path / "real").iterdir()) == ["out.json"]


def char_device(tmp_path, name="null", minor=3):
    """A character device to write to: our own node (/dev/null is 1:3, /dev/full 1:7) when
    we may create one -- so a broken writer replaces a node in tmp_path, never the real
    device -- else the real one (which a non-root writer cannot replace)."""
    if os.geteuid() == 0:
        node = tmp_path / name
        os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(1, minor))
        return node
    return f"/dev/{name}"


def test_a_character_device_stays_a_device(cli, model_dir, tmp_path):
    """As root, --output /dev/null replaced /dev/null with a regular file."""
    node = char_device(tmp_path)
    np.save(tmp_path / "x.npy", np.zeros((2, 64)))
    res = cli("predict", "--model", model_dir / "model.npz", "--input", tmp_path / "x.npy",
              "--output", node)
    assert res.exit_code == 0, res.output
    assert stat.S_ISCHR(os.stat(node).st_mode)
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".part")]


def test_a_fifo_is_written_through(cli, model_dir, tmp_path):
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    got = []
    reader = threading.Thread(target=lambda: got.append(open(fifo).read()), daemon=True)
    reader.start()
    np.save(tmp_path / "x.npy", np.zeros((2, 64)))
    res = cli("predict", "--model", model_dir / "model.npz", "--input", tmp_path / "x.npy",
              "--output", fifo)
    reader.join(timeout=30)
    assert res.exit_code == 0, res.output
    assert got and got[0].startswith("class,p_0,") and got[0].count("\n") == 3
    assert stat.S_ISFIFO(os.stat(fifo).st_mode)


def test_directories_and_sockets_are_refused(cli, tmp_path):
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(tmp_path / "sock"))
    try:
        for path, kind in ((tmp_path / "sock", "a socket"), (tmp_path, "a directory")):
            res = cli("train", *FAST, "--metrics-out", path)
            assert res.exit_code != 0 and "Traceback" not in res.output
            assert res.stderr.count("\n") == 1
            assert kind in res.stderr or "is a directory" in res.stderr
    finally:
        sock.close()


def test_a_killed_save_leaves_a_part_file_the_next_save_removes(tmp_path):
    """kill -9 in the middle of a save: the next save of that file sweeps the leftover,
    but never the part file of a writer that is still alive."""
    killed = f"""
import os, signal
from nnplug.safeio.outputs import atomic_write
with atomic_write({str(tmp_path / 'm.npz')!r}) as fh:
    fh.write(b"x" * 100000)
    os.kill(os.getpid(), signal.SIGKILL)
"""
    assert subprocess.run([sys.executable, "-c", killed]).returncode == -9
    [part] = [p for p in tmp_path.iterdir() if p.name.startswith(".m.npz.")]
    alive = subprocess.Popen([sys.executable, "-c", f"""
import sys, time
from nnplug.safeio.outputs import atomic_write
with atomic_write({str(tmp_path / 'm.npz')!r}) as fh:
    print("writing", flush=True)
    time.sleep(60)
"""], stdout=subprocess.PIPE, text=True)
    try:
        assert alive.stdout.readline() == "writing\n"
        parts = [p for p in tmp_path.iterdir() if p.name.endswith(".part")]
        assert len(parts) == 2
        old = time.time() - 7200  # older than any sweeping age
        for p in parts:
            os.utime(p, (old, old))  # both look old; only the live writer holds its lock
        fresh = tmp_path / ".m.npz.abc.part"  # young and unlocked: its writer may be
        fresh.write_bytes(b"about to lock me")  # between creating and locking it
        with atomic_write(tmp_path / "m.npz") as fh:
            fh.write(b"done")
        left = sorted(p.name for p in tmp_path.iterdir())
        assert part.name not in left and len(left) == 3 and "m.npz" in left
        assert fresh.name in left
    finally:
        alive.kill()
        alive.wait()


def test_disk_full_writing_through_is_one_line(cli, tmp_path):
    full = char_device(tmp_path, "full", 7)
    res = cli("train", *FAST, "--metrics-out", full)
    assert res.exit_code == 1, res.output
    assert res.stderr.count("\n") == 1
    assert f"cannot write {full}: No space left on device" in res.stderr
    assert stat.S_ISCHR(os.stat(full).st_mode)


def test_file_too_large_keeps_the_metrics_and_no_partial_model(run, tmp_path):
    """A real write failure in a child process (RLIMIT_FSIZE: EFBIG): the model does not
    fit, the metrics do; one line, no partial or temporary file."""
    import resource

    done = run("train", "--epochs", "2", "--quiet", "--log-file", "", "--save",
               tmp_path / "m.npz", "--metrics-out", tmp_path / "m.json",
               limits={resource.RLIMIT_FSIZE: 40_000})
    line = done.one_error()
    assert done.code == 1
    assert "model: cannot write" in line and "File too large" in line
    assert f"kept metrics {tmp_path / 'm.json'}" in line
    assert sorted(p.name for p in tmp_path.iterdir()) == ["m.json"]
    assert json.loads((tmp_path / "m.json").read_text())["epochs_run"] == 2


def test_disk_full_in_a_checkpoint_stops_and_keeps_the_rest(cli, tmp_path, monkeypatch):
    """ENOSPC while writing last.npz: the run stops after that epoch, the model and the
    metrics are still written, the error is one line, no partial checkpoint."""
    import errno

    real = os.fsync

    def fsync(fd):
        if os.readlink(f"/proc/self/fd/{fd}").startswith(str(tmp_path / "ck" / ".last")):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    res = cli("train", "--hidden", "8", "--epochs", "5", "--quiet", "--log-file", "",
              "--checkpoint-dir", tmp_path / "ck", "--save", tmp_path / "m.npz",
              "--metrics-out", tmp_path / "m.json")
    assert res.exit_code == 1, res.output
    assert res.stderr.count("\n") == 1 and "Traceback" not in res.output
    assert "checkpoint: cannot write" in res.stderr and "No space left on device" in res.stderr
    assert "stopped after epoch 1" in res.stderr and "kept model" in res.stderr
    m = json.loads((tmp_path / "m.json").read_text())
    assert m["epochs_run"] == 1 and "No space left" in m["error"]
    assert nnplug.load(tmp_path / "m.npz").meta["training"]["best_epoch"] == 1
    assert sorted(p.name for p in (tmp_path / "ck").iterdir()) == ["best.npz"]
