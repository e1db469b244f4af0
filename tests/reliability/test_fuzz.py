"""Property-based fuzzing of every reader (issue 11): for any generated or mutated model
file, checkpoint, IDX, CSV or npz file, the ``nnplug`` command that reads it exits 0, 1
(or 2 for usage) with at most one ``Error:`` line on stderr, never a traceback, and
stays under a memory ceiling.

Each example runs in its own child process under ``RLIMIT_AS`` (the fork server of
``forkserver.py``: the real CLI entry point, forked after the imports so that an example
costs milliseconds, not the second a fresh interpreter takes). NNPLUG_MAX_BYTES is 64 MiB
and the ceiling is 512 MiB above the server's own address space: a reader that allocates
what a file merely declares hits the ceiling and fails with a MemoryError traceback.

The default profile ("fast") runs 25 deterministic examples per reader; run many
more with ``pytest tests/reliability/test_fuzz.py --hypothesis-profile=long``.
"""
from __future__ import annotations

import contextlib
import gzip
import json
import os
import shutil
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from childrun import Done
from hostile import META_KEY, model_parts, npy_bytes, write_model, write_npz
from idxfiles import STEMS, fake_mnist, idx_bytes
from strategies import cell, lying_array, mutated_bytes, mutated_header

BUDGET = 512 << 20
ENV = {"NNPLUG_MAX_BYTES": "64M", "OPENBLAS_NUM_THREADS": "1"}
TRAIN = ["--epochs", "1", "--hidden", "4", "--quiet", "--log-file", ""]
FUZZ = settings(suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


class ForkServer:
    def __init__(self):
        env = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1"}
        self.proc = subprocess.Popen([sys.executable, str(Path(__file__).with_name(
            "forkserver.py"))], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
            env=env)

    def run(self, *argv, cwd: Path, timeout: int = 60, env: dict | None = None) -> Done:
        out, err = cwd / ".stdout", cwd / ".stderr"
        request = {"argv": [str(a) for a in argv], "cwd": str(cwd), "env": {**ENV, **(env or {})},
                   "budget": BUDGET, "timeout": timeout, "stdout": str(out),
                   "stderr": str(err)}
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        reply = json.loads(self.proc.stdout.readline())
        done = Done(reply["code"], out.read_text(), err.read_text(), reply["max_rss_kb"])
        out.unlink()
        err.unlink()
        return done

    def close(self):
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


@pytest.fixture(scope="module")
def server():
    s = ForkServer()
    yield s
    s.close()


def holds(done: Done) -> None:
    """The property: 0, 1 or 2; no traceback; at most one ``Error:`` line."""
    assert "Traceback" not in done.stderr, done.stderr
    assert done.code in (0, 1, 2), (done.code, done.stderr)
    errors = [line for line in done.stderr.splitlines() if line.startswith("Error:")]
    assert len(errors) <= 1, done.stderr
    if done.code:
        assert len(errors) == 1, done.stderr


@pytest.fixture(scope="module")
def seeds(tmp_path_factory):
    """Real files to mutate: a model, a checkpoint, model inputs."""
    d = tmp_path_factory.mktemp("seeds")
    from click.testing import CliRunner

    from nnplug.cli import main

    res = CliRunner().invoke(main, ["train", "--hidden", "8", "--epochs", "2", "--quiet",
                                    "--log-file", "", "--checkpoint-dir", str(d / "ck"),
                                    "--save", str(d / "model.npz")])
    assert res.exit_code == 0, res.output
    np.save(d / "x.npy", np.random.default_rng(0).integers(0, 16, (4, 64)).astype(float))
    return d


@contextlib.contextmanager
def fresh():
    """A new working directory per example (function-scoped fixtures are per test)."""
    d = Path(tempfile.mkdtemp(prefix="nnplug-fuzz-"))
    try:
        yield d
    finally:
        shutil.rmtree(d, ignore_errors=True)


# -- the readers ------------------------------------------------------------------------------
@FUZZ
@given(data=st.data())
def test_model_files(server, seeds, data):
    with fresh() as work:
        meta, arrays = model_parts(seeds / "model.npz")
        how = data.draw(st.sampled_from(["header", "bytes", "array"]))
        path = work / "m.npz"
        if how == "header":
            write_model(path, data.draw(mutated_header(meta)), arrays)
        elif how == "bytes":
            path.write_bytes(data.draw(mutated_bytes((seeds / "model.npz").read_bytes())))
        else:
            members = {META_KEY: npy_bytes(np.frombuffer(json.dumps(meta).encode(), np.uint8)),
                       **{k: npy_bytes(v) for k, v in arrays.items()}}
            members[data.draw(st.sampled_from(sorted(members)))] = data.draw(lying_array())
            write_npz(path, members, compress=data.draw(st.booleans()))
        command = data.draw(st.sampled_from(["predict", "evaluate"]))
        if command == "predict":
            holds(server.run("predict", "--model", path, "--input", seeds / "x.npy", cwd=work))
        else:
            holds(server.run("evaluate", "--model", path, cwd=work))


@FUZZ
@given(data=st.data())
def test_checkpoints(server, seeds, data):
    with fresh() as work:
        shutil.copytree(seeds / "ck", work / "ck")
        meta, arrays = model_parts(seeds / "ck" / "last.npz")
        if data.draw(st.booleans()):
            write_model(work / "ck" / "last.npz", data.draw(mutated_header(meta)), arrays)
        else:
            raw = (seeds / "ck" / "last.npz").read_bytes()
            (work / "ck" / "last.npz").write_bytes(data.draw(mutated_bytes(raw)))
        holds(server.run("train", "--resume", work / "ck", "--epochs", "3", "--quiet",
                         "--log-file", "", cwd=work))


@FUZZ
@given(data=st.data())
def test_idx_files(server, data):
    with fresh() as work:
        n_train = data.draw(st.sampled_from([30, 30, 2, 1, 0]))  # few images: a split fails
        fake_mnist(work / "d", n_train=n_train, n_test=10, side=6)
        if data.draw(st.booleans()):
            damage_one_idx_file(work / "d", data)
        holds(server.run("train", "--dataset", "mnist", "--data-dir", work / "d", *TRAIN,
                         cwd=work))


def damage_one_idx_file(d: Path, data) -> None:
    """Replace one of the four files by a lying, mutated or wrongly compressed one."""
    stem = data.draw(st.sampled_from(STEMS))
    ndim = 3 if "images" in stem else 1
    dims = tuple(data.draw(st.lists(st.sampled_from([0, 1, 2, 6, 10, 30, 2 ** 16, 2 ** 31,
                                                     2 ** 32 - 1]),
                                    min_size=ndim, max_size=ndim)))
    head = data.draw(st.sampled_from([bytes([0, 0, 8, ndim]), bytes([0, 0, 8, 3 - ndim + 1]),
                                      bytes([0, 0, 0x0D, ndim])]))
    payload = head + struct.pack(f">{ndim}I", *dims) + data.draw(st.binary(max_size=600))
    if data.draw(st.booleans()):  # sometimes a real, valid file, then damaged bytes
        payload = idx_bytes(np.zeros((30, 6, 6) if ndim == 3 else (30,), np.uint8))
        payload = data.draw(mutated_bytes(payload))
    blob = payload
    if data.draw(st.booleans()):
        blob = gzip.compress(payload, mtime=0)
        if data.draw(st.booleans()):
            blob = data.draw(mutated_bytes(blob))
    for old in (d / f"{stem}.gz", d / stem):
        old.unlink(missing_ok=True)
    (d / (f"{stem}.gz" if data.draw(st.booleans()) else stem)).write_bytes(blob)


@FUZZ
@given(data=st.data())
def test_csv_files(server, data):
    with fresh() as work:
        width = data.draw(st.integers(1, 4))
        header = data.draw(st.lists(st.sampled_from(["a", "b", "y", "c", "", "a"]),
                                    min_size=width, max_size=width))
        row = st.lists(cell, min_size=width, max_size=width) | st.lists(cell, max_size=width + 1)
        rows = data.draw(st.lists(row, max_size=40))
        import csv
        import io

        buf = io.StringIO()
        writer = csv.writer(buf)
        writer.writerow(header)
        writer.writerows(rows)
        text = buf.getvalue()
        if data.draw(st.booleans()):
            text = data.draw(mutated_bytes(text.encode())).decode("utf-8", "replace")
        (work / "d.csv").write_text(text)
        target = data.draw(st.sampled_from([*header, "z"]))
        extra = data.draw(st.sampled_from([[], ["--drop-missing"], ["--task", "regression"]]))
        holds(server.run("train", "--dataset", "csv", "--data", work / "d.csv", "--target", target,
                         *extra, *TRAIN, cwd=work))


@FUZZ
@given(data=st.data())
def test_npz_datasets(server, data):
    with fresh() as work:
        n = data.draw(st.integers(0, 50))
        kind = data.draw(st.sampled_from(["arrays", "lie", "bytes"]))
        path = work / "d.npz"
        if kind == "arrays":
            dtype = data.draw(st.sampled_from([np.float32, np.float64, np.uint8, np.int64,
                                               np.bool_]))
            shape = (n, *data.draw(st.lists(st.integers(0, 4), max_size=2)))
            X = np.asarray(data.draw(st.lists(st.floats(-1e6, 1e6), min_size=int(np.prod(shape)),
                                              max_size=int(np.prod(shape)))), np.float64)
            X = X.reshape(shape).astype(dtype)
            y = data.draw(st.sampled_from([np.arange(n) % 2, np.zeros(n), np.full(n, np.nan),
                                           np.array(["a", "b"] * n)[:n], np.arange(n + 1)]))
            np.savez(path, X=X, y=y)
        elif kind == "lie":
            write_npz(path, {"X": data.draw(lying_array()), "y": data.draw(lying_array())},
                      compress=data.draw(st.booleans()))
        else:
            rng = np.random.default_rng(n)
            np.savez_compressed(path, X=rng.normal(size=(40, 3)), y=np.arange(40) % 2)
            path.write_bytes(data.draw(mutated_bytes(path.read_bytes())))
        holds(server.run("train", "--dataset", "npz", "--data", path, *TRAIN, cwd=work))


@FUZZ
@given(data=st.data())
def test_predict_inputs(server, seeds, data):
    with fresh() as work:
        kind = data.draw(st.sampled_from(["npy", "npz", "csv"]))
        path = work / f"x.{kind}"
        if kind == "npy":
            raw = data.draw(lying_array()) if data.draw(st.booleans()) else \
                data.draw(mutated_bytes(npy_bytes(np.ones((3, 64)))))
            path.write_bytes(raw)
        elif kind == "npz":
            write_npz(path, {"X": data.draw(lying_array())}, compress=data.draw(st.booleans()))
        else:
            rows = data.draw(st.lists(st.lists(cell, min_size=60, max_size=66), max_size=5))
            path.write_text("\n".join(",".join(r) for r in rows))
        holds(server.run("predict", "--model", seeds / "model.npz", "--input", path, cwd=work))


def test_the_ceiling_is_real(server, tmp_path):
    """The harness itself: with the limit raised out of the way, a network of 20000 x 20000
    weights (1.5 GiB) is allocated -- and the child's ceiling turns that into a
    MemoryError traceback, so the properties above would catch a reader that trusts a
    declared size."""
    done = server.run("train", "--layers", "linear:20000,relu,linear:20000", "--epochs", "1",
                      "--quiet", "--log-file", "", cwd=tmp_path, env={"NNPLUG_MAX_BYTES": "64G"})
    assert done.code == 1 and "MemoryError" in done.stderr, done.stderr
    assert done.max_rss_kb < (BUDGET >> 10) + 400_000
