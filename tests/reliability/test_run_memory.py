"""Issue 19, "memory and time the user did not ask for": one estimate of a whole run's
memory (:mod:`nnplug.nn.memory`) judged against NNPLUG_MAX_BYTES before anything big is
allocated -- and a run it lets through stays within it (peak resident memory above the
same command on a tiny network, per backend); tar members, classes per row, model-file
headers (layers, JSON structure) and thread counts judged before any work. The real
command, in a child process (``childrun``)."""
from __future__ import annotations

import io
import json
import tarfile

import numpy as np
import pytest

from hostile import META_KEY, model_parts, npy_bytes, write_model, write_npz

QUIET = ["--epochs", "1", "--quiet", "--log-file", ""]
#: Python, NumPy and scikit-learn, and a hostile file refused before anything was built
PEAK_KB = 200_000
#: numba (LLVM) needs more address space than the default ceiling of childrun
WIDE_CEILING = 4 << 30


def refused(done, *fragments, peak_kb=PEAK_KB):
    line = done.one_error()
    assert done.code == 1, done.stderr
    for fragment in fragments:
        assert fragment in line, line
    assert done.max_rss_kb < peak_kb, f"peak RSS {done.max_rss_kb} KB"
    return line


# -- the estimate holds: per backend, a run it lets through stays within it ------------------
@pytest.fixture(scope="module")
def tabular(tmp_path_factory):
    d = tmp_path_factory.mktemp("tabular")
    rng = np.random.default_rng(0)
    np.savez(d / "d.npz", X=rng.normal(size=(3000, 256)).astype(np.float32),
             y=np.arange(3000) % 10)
    return d / "d.npz"


def estimates(args: list[str]) -> int:
    """The largest estimate ``nnplug train ARGS`` judges (in this process, through the
    same code: ``build`` with the check recording instead of refusing)."""
    from click.testing import CliRunner

    from nnplug.cli import main
    from nnplug.nn import memory

    seen = []
    real = memory.check
    memory.check = lambda est, what, hint="": seen.append(est.total)
    try:
        res = CliRunner().invoke(main, ["train", *map(str, args), "--epochs", "1", "--quiet",
                                        "--log-file", ""])
    finally:
        memory.check = real
    assert res.exit_code == 0, res.output
    assert len(seen) == 2  # before building, and once built
    return max(seen)


CASES = {
    # weights dominate: 4.7 M parameters, Adam, the float64 copy
    "wide": (["--layers", "linear:2048,relu,linear:2048,relu", "--batch-size", "64"],
             ["--layers", "linear:8,relu,linear:8,relu", "--batch-size", "64"]),
    # depth dominates: 120 activations of 256 x 256 rows each, kept for backward
    "deep": (["--layers", "linear:256," + ",".join(["relu"] * 120), "--batch-size", "256"],
             ["--layers", "linear:8,relu,relu", "--batch-size", "256"]),
}


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("backend", ["numpy", "numba"])
def test_a_run_stays_within_its_estimate(run, tmp_path, tabular, backend, case):
    """Before: the limit counted the weights once (an npz of 1,960 bytes peaked at 2 GB
    under NNPLUG_MAX_BYTES=500M). Now the limit set to the run's own estimate lets it
    through, and its peak resident memory is within that estimate of the same command on
    a tiny network of the same layers (Python, NumPy, numba's compiler, the data); a byte
    less and it is refused before anything is built."""
    from nnplug.registry import get_registry

    ok, why = get_registry().get("backend", backend).cls.availability()
    if not ok:
        pytest.skip(f"backend {backend} unavailable here: {why}")
    big, tiny = CASES[case]
    common = ["--dataset", "npz", "--data", tabular, "--backend", backend]
    need = estimates([*common, *big])
    base = run("train", *common, *tiny, *QUIET, cwd=tmp_path, ceiling=WIDE_CEILING,
               timeout=600)
    assert base.code == 0, base.stderr
    done = run("train", *common, *big, *QUIET, cwd=tmp_path, ceiling=WIDE_CEILING,
               timeout=600, env={"NNPLUG_MAX_BYTES": str(need)})
    assert done.code == 0, done.stderr
    grew = (done.max_rss_kb - base.max_rss_kb) * 1024
    assert grew <= need, f"peak grew by {grew} bytes, the estimate was {need}"
    done = run("train", *common, *big, *QUIET, cwd=tmp_path, ceiling=WIDE_CEILING,
               timeout=600, env={"NNPLUG_MAX_BYTES": str(need - 1)})
    line = done.one_error()
    assert "training this network on 256 features needs about" in line
    assert done.max_rss_kb <= base.max_rss_kb + 20_000  # refused before building


# -- hostile inputs: one line, nothing big allocated ----------------------------------------
def test_a_tiny_npz_of_two_million_columns(run, tmp_path):
    """An 8 KB npz of zeros shaped (4, 2_000_000) uint8 trained at 11.8 GB for 103 s."""
    np.savez_compressed(tmp_path / "d.npz", X=np.zeros((4, 2_000_000), np.uint8),
                        y=np.array([0, 1, 0, 1]))
    assert (tmp_path / "d.npz").stat().st_size < 20_000
    line = refused(run("train", "--dataset", "npz", "--data", tmp_path / "d.npz", *QUIET,
                       cwd=tmp_path), "training this network on 2000000 features needs about",
                   "network and gradients", "float64 prediction copy",
                   "more than the NNPLUG_MAX_BYTES limit of 2.0 GiB")
    assert "raise NNPLUG_MAX_BYTES to allow it" in line
    refused(run("train", "--dataset", "npz", "--data", tmp_path / "d.npz", *QUIET,
                cwd=tmp_path, env={"NNPLUG_MAX_BYTES": "500M"}), "limit of 500.0 MiB")


def test_a_tiny_npz_of_millions_of_columns_with_gaps(run, tmp_path):
    """Gaps make the table's columns an encoding of one record each (their medians): a
    (4, 2_000_000) npz of zeros and NaN (about 60 KB compressed) is judged before they
    are made, and nothing per column runs first (it took 54 s and 650 MB)."""
    X = np.zeros((4, 2_000_000), np.float32)
    X[0, ::2] = np.nan
    np.savez_compressed(tmp_path / "d.npz", X=X, y=np.array([0, 1, 0, 1]))
    assert (tmp_path / "d.npz").stat().st_size < 200_000
    refused(run("train", "--dataset", "npz", "--data", tmp_path / "d.npz", *QUIET,
                cwd=tmp_path, env={"NNPLUG_MAX_BYTES": "500M"}),
            "d.npz: encoding 2000000 columns of 4 rows needs", "limit of 500.0 MiB")


def test_a_csv_of_half_a_million_columns(run, tmp_path):
    """A 5 MB CSV whose header names 500,000 columns: reading it keeps records per column
    (its texts, to tell categories from numbers), judged before they are made (a million
    columns took 1.2 GB and 300 s: the header was searched once per column)."""
    n = 500_000
    with open(tmp_path / "wide.csv", "w") as fh:
        fh.write(",".join(f"c{j}" for j in range(n)) + ",y\n")
        for i in range(4):
            fh.write("1," * n + f"{i % 2}\n")
    refused(run("train", "--dataset", "csv", "--data", tmp_path / "wide.csv", "--target", "y",
                *QUIET, cwd=tmp_path, env={"NNPLUG_MAX_BYTES": "300M"}),
            "wide.csv: reading 500000 columns needs", "limit of 300.0 MiB")


def test_depth_counts(run, tmp_path):
    """--layers with 20,000 width-keeping layers reached 1.97 GB; 5,000 are judged by the
    estimate (activations times depth)."""
    refused(run("train", "--layers", ",".join(["relu"] * 20_000), *QUIET, cwd=tmp_path),
            "--layers names 20000 layers; at most 10000 are allowed")
    line = refused(run("train", "--layers", "linear:256," + ",".join(["relu"] * 5000),
                       *QUIET, cwd=tmp_path, env={"NNPLUG_MAX_BYTES": "1G"}),
                   "training this network on 64 features needs about", "5002 layers")
    assert "activations" in line


def test_an_estimator_of_a_hundred_thousand_layers(tmp_path):
    """An estimator with 100,000 relu layers reached 8.3 GB under the default limit."""
    from sklearn.datasets import load_digits

    from nnplug.errors import NNPlugError
    from nnplug.sklearn import NNPlugClassifier

    X, y = load_digits(return_X_y=True)
    est = NNPlugClassifier(layers=",".join(["relu"] * 100_000), epochs=1)
    with pytest.raises((NNPlugError, ValueError), match="names 100000 layers; at most 10000"):
        est.fit(X[:50], y[:50])


@pytest.mark.parametrize("numeric", [False, True])
def test_a_text_target_of_as_many_labels_as_rows(run, tmp_path, numeric):
    """100k rows whose target holds 100k distinct labels: 704 MB and more than 300 s for
    one epoch of a 100k-class network. Refused before building, with a hint."""
    rng = np.random.default_rng(0)
    n = 20_000
    labels = [f"{v:.3f}" for v in rng.uniform(0, 1000, n)] if numeric else \
        [f"id-{i:06d}" for i in range(n)]
    rows = "".join(f"{a:.3f},{t}\n" for a, t in zip(rng.normal(size=n), labels))
    (tmp_path / "d.csv").write_text("a,y\n" + rows)
    task = ["--task", "classification"] if numeric else []
    line = refused(run("train", "--dataset", "csv", "--data", tmp_path / "d.csv", "--target",
                       "y", *task, *QUIET, cwd=tmp_path), "too many classes to learn")
    assert f"distinct values in {n} rows" in line
    if numeric:
        assert "the target is numeric: pass --task regression" in line
    else:
        assert "identifier or free text rather than a label" in line


def test_cal_housing_gzip_bomb(run, tmp_path):
    """458 KB of archive inflating to 150 MB of text peaked at 700 MB under
    NNPLUG_MAX_BYTES=100M: the tar member's size is judged before it is read."""

    class Zeros(io.RawIOBase):  # 150 MB of text, produced as tarfile reads it
        def __init__(self, n):
            self.left = n

        def readable(self):
            return True

        def readinto(self, buf):
            k = min(len(buf), self.left)
            buf[:k] = (b"0,1,2,3,4,5,6,7,8\n" * (k // 18 + 1))[:k]
            self.left -= k
            return k

    size = 150 << 20
    (tmp_path / "d").mkdir()
    with tarfile.open(tmp_path / "d" / "cal_housing.tgz", "w:gz") as tar:
        info = tarfile.TarInfo("CaliforniaHousing/cal_housing.data")
        info.size = size
        tar.addfile(info, io.BufferedReader(Zeros(size)))
    assert (tmp_path / "d" / "cal_housing.tgz").stat().st_size < 1_000_000
    refused(run("train", "--dataset", "california", "--data-dir", tmp_path / "d", *QUIET,
                cwd=tmp_path, env={"NNPLUG_MAX_BYTES": "100M"}),
            "(CaliforniaHousing/cal_housing.data, 157286400 bytes of text) needs 150.0 MiB",
            "NNPLUG_MAX_BYTES limit of 100.0 MiB")


@pytest.fixture(scope="module")
def relu_model(tmp_path_factory):
    """A small digits model (linear, relu, linear) to edit."""
    from click.testing import CliRunner

    from nnplug.cli import main

    d = tmp_path_factory.mktemp("relu")
    res = CliRunner().invoke(main, ["train", "--layers", "linear:16,relu", *QUIET,
                                    "--save", str(d / "m.npz")])
    assert res.exit_code == 0, res.output
    np.save(d / "x.npy", np.zeros((2, 64)))
    return d


def with_layers(relu_model, tmp_path, n_relu: int):
    """The model with ``n_relu`` relu records (``{"name": "relu"}``, 18 bytes each)."""
    meta, arrays = model_parts(relu_model / "m.npz")
    meta["layers"] = [meta["layers"][0], *[{"name": "relu"}] * n_relu, meta["layers"][-1]]
    arrays = {k.replace("state/2.", f"state/{n_relu + 1}."): v for k, v in arrays.items()}
    members = {META_KEY: npy_bytes(np.frombuffer(json.dumps(meta).encode(), np.uint8)),
               **{k: npy_bytes(v) for k, v in arrays.items()}}
    return write_npz(tmp_path / "m.npz", members, compress=True)


def test_a_model_file_of_a_million_layers(run, relu_model, tmp_path):
    """50 KB compressed, an 18 MB header under the cap, 1,000,000 relu records: predict
    ran more than 300 s and reached 869 MB. Refused before the header is parsed."""
    path = with_layers(relu_model, tmp_path, 1_000_000)
    assert path.stat().st_size < 1_000_000
    with np.load(path) as z:
        assert 17 << 20 < z[META_KEY].size < 19 << 20  # the header, under the 64 MiB cap
    refused(run("predict", "--model", path, "--input", relu_model / "x.npy", cwd=tmp_path),
            "holds so many lists, records and items that reading it would take about")


def test_a_model_file_of_more_layers_than_a_network_may_have(run, relu_model, tmp_path):
    path = with_layers(relu_model, tmp_path, 20_000)
    refused(run("predict", "--model", path, "--input", relu_model / "x.npy", cwd=tmp_path),
            "has a damaged header (20002 layer records; a network has at most 10000 layers)")


def test_depth_counts_when_predicting(run, tmp_path):
    """A model of 2,000 relu layers 64 wide: predicting 1,024 rows keeps every layer's
    float64 output (1 GB); judged from the input's rows before the float64 copy exists."""
    from click.testing import CliRunner

    from nnplug.cli import main

    res = CliRunner().invoke(main, ["train", "--layers", "linear:64," + ",".join(["relu"] * 2000),
                                    *QUIET, "--save", str(tmp_path / "m.npz")])
    assert res.exit_code == 0, res.output
    np.save(tmp_path / "many.npy", np.zeros((1024, 64)))
    np.save(tmp_path / "few.npy", np.zeros((8, 64)))
    limited = {"NNPLUG_MAX_BYTES": "512M"}
    refused(run("predict", "--model", tmp_path / "m.npz", "--input", tmp_path / "many.npy",
                cwd=tmp_path, env=limited),
            "predicting 1024 rows with this network needs about", "2002 layers",
            peak_kb=400_000)
    done = run("predict", "--model", tmp_path / "m.npz", "--input", tmp_path / "few.npy",
               cwd=tmp_path, env=limited)
    assert done.code == 0 and len(done.stdout.splitlines()) == 9, done.stderr


def test_twenty_million_empty_lists_in_a_header(run, relu_model, tmp_path):
    """A 65 KB model file whose 57 MiB JSON header (under the 64 MiB cap) holds 20 million
    [] loaded at 1.5 GB peak: refused from its bytes, without parsing."""
    meta, arrays = model_parts(relu_model / "m.npz")
    meta["junk"] = [[]] * 20_000_000
    header = json.dumps(meta, separators=(",", ":")).encode()
    assert 56 << 20 < len(header) < 64 << 20
    members = {META_KEY: npy_bytes(np.frombuffer(header, np.uint8)),
               **{k: npy_bytes(v) for k, v in arrays.items()}}
    write_npz(tmp_path / "m.npz", members, compress=True)
    assert (tmp_path / "m.npz").stat().st_size < 1_000_000
    refused(run("predict", "--model", tmp_path / "m.npz", "--input", relu_model / "x.npy",
                cwd=tmp_path), "holds so many lists, records and items",
            peak_kb=PEAK_KB + 3 * len(header) // 1024)


def test_a_deeply_nested_header_is_one_line(run, relu_model, tmp_path):
    meta, arrays = model_parts(relu_model / "m.npz")
    nested: list = []
    for _ in range(100):
        nested = [nested]
    meta["training"]["deep"] = nested
    write_model(tmp_path / "m.npz", meta, arrays)
    refused(run("predict", "--model", tmp_path / "m.npz", "--input", relu_model / "x.npy",
                cwd=tmp_path), "the header is nested too deeply (more than 32 levels)")


def test_threads_beyond_the_cores_are_capped_saying_so_once(run, tmp_path):
    """--threads 99999999 / NNPLUG_THREADS=99999999 were accepted: one digits epoch went
    from 0.05 s to 10-12 s."""
    from nnplug.runtime.threads import available

    for args, env, source in ((["--threads", "99999999"], {}, "--threads"),
                              ([], {"NNPLUG_THREADS": "99999999"}, "NNPLUG_THREADS")):
        done = run("train", *args, "--hidden", "8", "--epochs", "2", "--quiet",
                   "--log-file", "", "--metrics-out", tmp_path / "m.json", cwd=tmp_path,
                   env=env)
        assert done.code == 0, done.stderr
        lines = done.stderr.splitlines()
        assert len(lines) == 1, lines
        assert lines[0] == (f"Warning: {source} 99999999 asks for more BLAS threads than the "
                            f"{available()} core(s) available; using {available()}")
        metrics = json.loads((tmp_path / "m.json").read_text())
        assert 1 <= metrics["blas_threads"] <= available()
