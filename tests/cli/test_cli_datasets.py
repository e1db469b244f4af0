"""``nnplug datasets`` / ``datasets fetch`` and the dataset options of ``nnplug train``."""
import json
import subprocess
import sys

import numpy as np
import pytest
from click.testing import CliRunner

from httpserver import dead_url
from httpserver import FileServer
from idxfiles import STEMS, fake_mnist
from nnplug.cli import main
from nnplug_datasets.mnist import MNIST

NAMES = {"digits", "mnist", "fashion_mnist", "california", "csv", "npz"}


def run(*args):
    return CliRunner().invoke(main, list(args))


def assert_one_line_error(res, fragment):
    assert res.exit_code != 0 and isinstance(res.exception, SystemExit)
    errors = [line for line in res.output.splitlines() if line.startswith("Error")]
    assert len(errors) == 1 and fragment in errors[0], res.output
    assert "Traceback" not in res.output


def test_list_shows_every_dataset_with_its_state(tmp_path):
    fake_mnist(tmp_path / "mnist")
    res = run("datasets", "--data-dir", str(tmp_path))
    assert res.exit_code == 0, res.output
    rows = json.loads(run("datasets", "--data-dir", str(tmp_path), "--json").output)
    by_name = {r["name"]: r for r in rows}
    assert NAMES <= set(by_name)
    assert by_name["mnist"]["cached"] is True
    assert by_name["mnist"]["location"] == str(tmp_path / "mnist")
    assert by_name["fashion_mnist"]["cached"] is False and by_name["fashion_mnist"]["downloadable"]
    assert by_name["california"]["task"] == "regression"
    for name in NAMES:
        assert name in res.output
    assert "missing" in res.output and "cached" in res.output


def test_fetch_with_progress_bar(tmp_path, monkeypatch):
    src = tmp_path / "src"
    sums = fake_mnist(src)
    files = {f"{s}.gz": (src / f"{s}.gz").read_bytes() for s in STEMS}
    with FileServer(files) as server:
        monkeypatch.setattr(MNIST, "mirrors", (dead_url(), server.url("ok")))
        monkeypatch.setattr(MNIST, "sha256", sums)
        res = run("datasets", "fetch", "mnist", "--data-dir", str(tmp_path / "cache"))
        assert res.exit_code == 0, res.output
        assert "train-images-idx3-ubyte.gz" in res.output and "ready in" in res.output
        assert sorted(p.name for p in (tmp_path / "cache" / "mnist").iterdir()) == \
            sorted(files)
        again = run("datasets", "fetch", "mnist", "--data-dir", str(tmp_path / "cache"))
        assert "already complete" in again.output and len(server.requests) == 4


def test_fetch_offline_is_one_line(tmp_path):
    res = run("datasets", "fetch", "fashion_mnist", "--data-dir", str(tmp_path))
    assert_one_line_error(res, "missing train-images-idx3-ubyte.gz")
    assert_one_line_error(run("datasets", "fetch", "mnst"), "Did you mean 'mnist'")
    assert "nothing to download" in run("datasets", "fetch", "digits").output


def train(*args):
    return run("train", "--epochs", "2", "--quiet", "--log-file", "", *args)


def test_train_mnist_binary_from_a_folder(tmp_path):
    fake_mnist(tmp_path, n_train=200, n_test=60)
    res = train("--dataset", "mnist", "--data-dir", str(tmp_path), "--classes", "3,7",
                "--metrics-out", str(tmp_path / "m.json"))
    assert res.exit_code == 0, res.output
    m = json.loads((tmp_path / "m.json").read_text())
    assert m["config"]["dataset_options"] == {"classes": "3,7"}
    assert m["test_accuracy"] > 0.9  # the fake classes are separable blobs


def test_train_csv_regression_and_classification(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(300, 2))
    rows = [f"{a},{b},{3 * a - b},{int(a > 0)}" for a, b in X]
    (tmp_path / "d.csv").write_text("a,b,y,label\n" + "\n".join(rows) + "\n")
    res = train("--dataset", "csv", "--data", str(tmp_path / "d.csv"), "--target", "y",
                "--features", "a,b", "--epochs", "20", "--optimizer", "adam", "--lr", "0.01")
    assert res.exit_code == 0, res.output
    rmse = float(res.output.split("test_rmse")[1].split()[0])
    assert rmse < 0.5 * float(np.std(3 * X[:, 0] - X[:, 1]))
    res = train("--dataset", "csv", "--data", str(tmp_path / "d.csv"), "--target", "label",
                "--features", "a,b")
    assert res.exit_code == 0 and "test_accuracy" in res.output, res.output


def test_train_digits_classes():
    res = train("--classes", "3,8")
    assert res.exit_code == 0 and "test_accuracy" in res.output, res.output


@pytest.mark.parametrize("args,fragment", [
    (["--dataset", "csv"], "needs --data FILE"),
    (["--dataset", "california", "--classes", "0,1"], "dataset 'california' has no option 'classes'"),
    (["--dataset", "mnist", "--classes", "0"], "at least two classes"),
    (["--dataset", "npz", "--data", "/nonexistent/x.npz"], "--data file /nonexistent/x.npz not found"),
])
def test_train_dataset_errors(args, fragment):
    assert_one_line_error(train(*args), fragment)


def test_train_mnist_offline_error(tmp_path):
    assert_one_line_error(train("--dataset", "mnist", "--data-dir", str(tmp_path)),
                          f"in {tmp_path / 'mnist'}")


def test_registry_import_stays_light():
    code = ("import sys, nnplug_datasets.plugin; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in "
            "('sklearn', 'scipy', 'urllib', 'http', 'gzip', 'tarfile', 'csv', 'platformdirs')"
            " and m != 'urllib.parse' and m != 'urllib'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]"
