"""Property-based fuzzing of every reader (issue 11): for any generated or mutated model
file, checkpoint, IDX, CSV or npz file, the ``nnplug`` command that reads it exits 0, 1
(or 2 for usage) with at most one ``Error:`` line on stderr, never a traceback, and
stays under a memory ceiling. Issue 19 adds California archives next to a planted pickle
(which must never run), finite extremes in features and targets (no RuntimeWarning, and a
model that is saved loads), impossible numbers in model files, header structures (deep,
wide) and checkpoints recording paths (never read).

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
    res = CliRunner().invoke(main, ["train", "--layers", "linear:8,batchnorm,relu", "--epochs",
                                    "1", "--quiet", "--log-file", "", "--save",
                                    str(d / "bn.npz")])
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


# -- issue 19: what a file must never do: run code, steer the reading, overflow -------------------
def quiet(done: Done) -> None:
    """:func:`holds`, and no raw NumPy warning on the way."""
    holds(done)
    assert "RuntimeWarning" not in done.stderr, done.stderr


def cal_archive(rows: np.ndarray, *, name: str = "CaliforniaHousing/cal_housing.data",
                declared: int | None = None, extra: int = 0) -> bytes:
    """A ``cal_housing.tgz`` holding ``rows`` as text (the member may declare another size
    than it holds, and other entries may come first)."""
    import io
    import tarfile

    text = "\n".join(",".join(repr(float(v)) for v in r) for r in rows).encode()
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for i in range(extra):
            tar.addfile(tarfile.TarInfo(f"junk{i}"), io.BytesIO(b""))
        info = tarfile.TarInfo(name)
        info.size = len(text)
        tar.addfile(info, io.BytesIO(text))
    blob = buf.getvalue()
    if declared is not None:  # rewrite the size field of the member's tar header in place
        import gzip

        raw = bytearray(gzip.decompress(blob))
        at = raw.find(name.encode())
        raw[at + 124:at + 136] = f"{declared:011o}\0".encode()
        raw[at + 148:at + 156] = b" " * 8
        raw[at + 148:at + 155] = f"{sum(raw[at:at + 512]):06o}\0".encode()
        blob = gzip.compress(bytes(raw), mtime=0)
    return blob


class Plant:
    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


@FUZZ
@given(data=st.data())
def test_california_archives(server, data):
    """Any archive, next to a planted pickle: no code runs, one line or a run."""
    import joblib

    with fresh() as work:
        (work / "d").mkdir()
        joblib.dump(Plant(work / "marker"), work / "d" / "cal_housing_py3.pkz")
        n = data.draw(st.integers(0, 20))
        rows = np.asarray(data.draw(st.lists(
            st.lists(st.floats(allow_nan=True, allow_infinity=True) | st.integers(-5, 500),
                     min_size=9, max_size=9), min_size=n, max_size=n)), np.float64).reshape(n, 9)
        blob = cal_archive(
            rows, name=data.draw(st.sampled_from(["CaliforniaHousing/cal_housing.data",
                                                  "other.data"])),
            declared=data.draw(st.none() | st.sampled_from([0, 7, 1 << 33, 8 ** 11 - 1])),
            extra=data.draw(st.sampled_from([0, 0, 3, 40])))
        if data.draw(st.booleans()):
            blob = data.draw(mutated_bytes(blob))
        (work / "d" / "cal_housing.tgz").write_bytes(blob)
        done = server.run("train", "--dataset", "california", "--data-dir", work / "d", *TRAIN,
                          cwd=work)
        holds(done)
        assert not (work / "marker").exists()


extreme = st.sampled_from([1e308, -1e308, 3.4e38, 3.5e38, -1e39, 1e154, 1e200, 5e-324,
                           -0.0, 1e-300, 2.0 ** 64, 1.0])


@FUZZ
@given(data=st.data())
def test_extreme_numbers(server, data):
    """Features and targets with finite extremes: one line naming the column, or a model
    that loads and predicts finite numbers -- never a RuntimeWarning, never a saved model
    that is then refused."""
    with fresh() as work:
        n = data.draw(st.integers(20, 60))
        rng = np.random.default_rng(n)
        X = rng.normal(size=(n, 3))
        for _ in range(data.draw(st.integers(1, 4))):
            X[data.draw(st.integers(0, n - 1)), data.draw(st.integers(0, 2))] = data.draw(extreme)
        task = data.draw(st.sampled_from(["classification", "regression"]))
        y = np.arange(n) % 2 if task == "classification" else rng.normal(size=n)
        if task == "regression" and data.draw(st.booleans()):
            y[data.draw(st.integers(0, n - 1))] = data.draw(extreme)
        np.savez(work / "d.npz", X=X, y=y)
        np.save(work / "x.npy", X[:5])
        scale = data.draw(st.sampled_from(["auto", "standard", "minmax", "quantile", "none"]))
        done = server.run("train", "--dataset", "npz", "--data", work / "d.npz", "--task", task,
                          "--scale", scale, *TRAIN, "--save", work / "m.npz", cwd=work)
        quiet(done)
        if done.code == 0:
            for command in (["predict", "--input", work / "x.npy"], ["evaluate"]):
                done = server.run(command[0], "--model", work / "m.npz", *command[1:],
                                  *(["--data", work / "d.npz"] if command[0] == "evaluate"
                                    else []), cwd=work)
                quiet(done)
                assert done.code == 0, done.stderr  # a model that is saved always loads
                assert "nan" not in done.stdout and "inf" not in done.stdout


@FUZZ
@given(data=st.data())
def test_model_numbers(server, seeds, data):
    """Model state and scales no training leaves: one line or finite predictions, quietly."""
    with fresh() as work:
        meta, arrays = model_parts(seeds / "bn.npz")
        for _ in range(data.draw(st.integers(1, 3))):
            key = data.draw(st.sampled_from(sorted(arrays)))
            arrays[key] = arrays[key].copy()
            with np.errstate(over="ignore"):  # a float32 array turns 1e308 into inf
                arrays[key].flat[data.draw(st.integers(0, arrays[key].size - 1))] = \
                    data.draw(extreme)
        if data.draw(st.booleans()):
            meta["scale"] = data.draw(extreme)
        if data.draw(st.booleans()):
            meta["dtype"] = "float64"
            arrays = {k: v.astype(np.float64) for k, v in arrays.items()}
        write_model(work / "m.npz", meta, arrays)
        done = server.run("predict", "--model", work / "m.npz", "--input", seeds / "x.npy",
                          cwd=work)
        quiet(done)
        assert "nan" not in done.stdout and "inf" not in done.stdout


nests = st.recursive(st.none() | st.integers(0, 3) | st.text(max_size=3),
                     lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
                         st.text(max_size=3), inner, max_size=3), max_leaves=12)


@FUZZ
@given(data=st.data())
def test_header_structure(server, seeds, data):
    """Headers nested deep or holding many lists and records, anywhere: one line or a
    model, under the memory ceiling (the JSON is judged from its bytes first)."""
    with fresh() as work:
        meta, arrays = model_parts(seeds / "model.npz")
        depth, width = data.draw(st.integers(0, 200)), data.draw(st.sampled_from(
            [0, 1, 100, 10_000, 60_000]))
        blob: object = data.draw(nests)
        for _ in range(depth):
            blob = [blob]
        where = data.draw(st.sampled_from(["junk", "layers", "classes", "training"]))
        meta[where] = [blob] * width if width else blob
        if where == "layers" and data.draw(st.booleans()):
            meta["layers"] = [{"name": "relu"}] * width
        write_model(work / "m.npz", meta, arrays)
        done = server.run("predict", "--model", work / "m.npz", "--input", seeds / "x.npy",
                          cwd=work)
        holds(done)


@FUZZ
@given(data=st.data())
def test_checkpoint_paths(server, seeds, data):
    """Whatever paths a checkpoint records, resuming reads none of them: no planted code
    runs, no secret is printed."""
    import joblib

    with fresh() as work:
        shutil.copytree(seeds / "ck", work / "ck")
        (work / "planted").mkdir()
        joblib.dump(Plant(work / "marker"), work / "planted" / "cal_housing_py3.pkz")
        (work / "secret").write_text("root:$6$SECRETHASH:19000\n")
        meta, arrays = model_parts(seeds / "ck" / "last.npz")
        config = meta["config"]
        dataset = data.draw(st.sampled_from(["california", "csv", "california", "csv", "npz",
                                             "digits", "mnist"]))
        target = work / ("planted" if dataset == "california" else "secret")
        if data.draw(st.booleans()):
            target = data.draw(st.sampled_from([work / "planted", work / "secret",
                                                work / "none"]))
        config["dataset"] = dataset
        if dataset == "california" or data.draw(st.booleans()):
            config["data_dir"] = str(target)
        key = data.draw(st.sampled_from(["data", "data", "path", "other_file"]))
        if dataset != "california" or data.draw(st.booleans()):
            config["dataset_options"] = {key: str(target)}
            if dataset == "csv":
                config["dataset_options"]["target"] = "y"
        write_model(work / "ck" / "last.npz", meta, arrays)
        extra = data.draw(st.sampled_from([[], ["--dataset", config["dataset"]]]))
        done = server.run("train", "--resume", work / "ck", "--epochs", "3", "--quiet",
                          "--log-file", "", *extra, cwd=work)
        holds(done)
        assert not (work / "marker").exists()
        assert "SECRETHASH" not in done.stdout + done.stderr
