"""A model trained on a table as people have it (a text column, gaps), used the ways a user
does: nnplug predict, nnplug evaluate, nnplug.load(...) with DataFrames, the estimators and
ONNX -- all computing the same thing from the same raw rows (issue 20)."""
from __future__ import annotations

import csv
import io
import json
import warnings

import numpy as np
import pandas as pd
import pytest

import nnplug
from nnplug.errors import InputError

COLUMNS = ["age", "weight", "region", "label"]
REGIONS = ["east", "west", "north"]


def table(n, seed, *, gaps=True):
    """Rows whose label depends on every column; every tenth weight missing."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n):
        age, weight, region = rng.integers(20, 80), rng.normal(70, 10), REGIONS[i % 3]
        score = (age - 50) / 15 + (weight - 70) / 10 + (1.5 if region == "east" else -0.5)
        label = "sick" if score + rng.normal(0, 0.5) > 0 else "well"
        w = "" if gaps and i % 10 == 3 else f"{weight:.2f}"
        rows.append([str(age), w, region, label])
    return rows


def write(path, rows, header=COLUMNS):
    with open(path, "w", newline="") as fh:
        writer = csv.writer(fh)
        if header:
            writer.writerow(header)
        writer.writerows(rows)
    return path


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    from click.testing import CliRunner

    from nnplug.cli import main

    d = tmp_path_factory.mktemp("table")
    write(d / "train.csv", table(200, 0))
    res = CliRunner().invoke(main, [
        "train", "--dataset", "csv", "--data", str(d / "train.csv"), "--target", "label",
        "--epochs", "8", "--backend", "numpy", "--save", str(d / "m.npz"),
        "--metrics-out", str(d / "m.json"), "--log-file", "", "--quiet"])
    assert res.exit_code == 0, res.output
    return d


def frame(rows, header=COLUMNS):
    df = pd.DataFrame(rows, columns=header)
    if "weight" in df:
        df["weight"] = pd.to_numeric(df["weight"].replace("", np.nan))
    if "age" in df:
        df["age"] = pd.to_numeric(df["age"])
    return df


def predicted(cli, model, path):
    res = cli("predict", "--model", model, "--input", path)
    assert res.exit_code == 0, res.output
    return list(csv.reader(io.StringIO(res.stdout)))


def test_the_model_file_and_metrics_record_the_encoding(model_dir):
    model = nnplug.load(model_dir / "m.npz")
    assert model.feature_names == ["age", "weight", "region"] and model.n_columns == 3
    assert model.encoding.columns[2].categories == sorted(REGIONS)
    assert model.encoding.columns[1].median is not None and model.in_features == 2 + 3
    metrics = json.loads((model_dir / "m.json").read_text())
    weight = metrics["encoding"]["columns"][1]
    assert weight["name"] == "weight" and weight["missing"] == 20 and "median" in weight
    assert metrics["encoding"]["columns"][2]["categories"] == sorted(REGIONS)


def test_predict_agrees_with_the_api_whatever_the_columns(cli, model_dir, tmp_path):
    """The label column kept, columns reordered, an unknown category, a gap: nnplug predict
    picks the model's columns by name and computes what Model.predict does."""
    model = nnplug.load(model_dir / "m.npz")
    rows = table(30, 1)
    rows[0][2] = "south"  # a region the model never saw: all zeros, as OneHotEncoder's ignore
    rows[1][1] = ""
    order = ["label", "region", "weight", "age"]
    shuffled = [[r[COLUMNS.index(c)] for c in order] for r in rows]
    out = predicted(cli, model_dir / "m.npz", write(tmp_path / "x.csv", shuffled, order))
    assert out[0] == ["class", "p_sick", "p_well"]
    proba = model.predict_proba(frame(rows))
    np.testing.assert_allclose([[float(v) for v in r[1:]] for r in out[1:]], proba,
                               rtol=1e-5, atol=1e-9)  # the CSV holds 6 significant digits
    assert [r[0] for r in out[1:]] == model.predict_labels(frame(rows)).tolist()
    no_header = [r[:3] for r in rows]  # in the model's order: taken by position
    assert predicted(cli, model_dir / "m.npz", write(tmp_path / "n.csv", no_header, None)) == out


@pytest.mark.parametrize("header,fragment", [
    (["age", "weight", "place", "label"],
     "the header has no column 'region', which the model needs (the header: age, weight, "
     "place, label)"),
    (["age", "age", "region", "label"], "column name 'age' appears twice in the header"),
])
def test_a_header_that_does_not_match_is_one_line(cli, model_dir, tmp_path, header, fragment):
    path = write(tmp_path / "x.csv", table(5, 2), header)
    res = cli("predict", "--model", model_dir / "m.npz", "--input", path)
    assert res.exit_code == 1 and res.stdout == ""
    assert res.stderr == f"Error: {path}: {fragment}\n"


def test_errors_name_the_header_column(cli, model_dir, tmp_path):
    rows = table(12, 3)
    rows[6][0] = "old"
    path = write(tmp_path / "x.csv", rows)
    res = cli("predict", "--model", model_dir / "m.npz", "--input", path)
    assert res.stderr == f"Error: {path}: line 8, column 'age': non-numeric value 'old'\n"


def test_the_api_matches_dataframe_columns_by_name(model_dir):
    model = nnplug.load(model_dir / "m.npz")
    df = frame(table(25, 4))
    reversed_ = df[df.columns[::-1]]
    np.testing.assert_array_equal(model.predict(reversed_), model.predict(df))
    np.testing.assert_array_equal(model.predict_proba(reversed_), model.predict_proba(df))
    with pytest.raises(InputError) as info:
        model.predict(df.rename(columns={"region": "place"}))
    assert str(info.value) == ("the DataFrame lacks the model's feature column 'region' (its "
                               "columns: age, weight, place, label)")
    assert isinstance(info.value, ValueError)
    arrays = df[["age", "weight", "region"]].to_numpy(dtype=object)  # positional, texts ok
    np.testing.assert_array_equal(model.predict(arrays), model.predict(df))


def test_evaluate_takes_the_class_names_the_model_reports(model_dir):
    model = nnplug.load(model_dir / "m.npz")
    df = frame(table(40, 5))
    names, indices = df["label"].to_numpy(), model.class_indices(df["label"])
    assert model.classes == ["sick", "well"]
    assert model.evaluate(df, names) == model.evaluate(df, indices) > 0.5
    assert model.evaluate(df, names) == np.mean(model.predict_labels(df) == names)
    for junk in (["ill"] * 40, [2] * 40, [-1] * 40, [0.5] * 40):
        with pytest.raises(ValueError, match="is neither one of the model's classes"):
            model.evaluate(df, junk)


def test_evaluate_scores_other_data_whole(cli, model_dir, tmp_path):
    own = cli("evaluate", "--model", model_dir / "m.npz", "--data", model_dir / "train.csv")
    assert own.exit_code == 0 and own.stdout.endswith("(40 samples)\n")  # its test split
    new = write(tmp_path / "new.csv", table(20, 6))
    res = cli("evaluate", "--model", model_dir / "m.npz", "--data", new, "--json")
    record = json.loads(res.stdout)
    df = frame(table(20, 6))
    expected = nnplug.load(model_dir / "m.npz").evaluate(df, df["label"])
    assert record["split"] == "all" and record["samples"] == 20
    assert record["value"] == expected
    res = cli("evaluate", "--model", model_dir / "m.npz", "--data", new)
    assert res.stdout == (f"csv: accuracy {expected:.4f}  (all 20 rows of {new}: not the data "
                          f"the model was trained on, scored whole)\n")
    res = cli("evaluate", "--model", model_dir / "m.npz", "--data", new, "--split", "val")
    assert res.exit_code == 1 and "is other data, scored whole (drop --split)" in res.stderr


def test_the_estimator_loads_the_feature_names(model_dir):
    from nnplug.sklearn import NNPlugClassifier

    est = NNPlugClassifier.load(model_dir / "m.npz")
    assert est.feature_names_in_.tolist() == ["age", "weight", "region"]
    assert est.n_features_in_ == 3
    df = frame(table(10, 7)).drop(columns="label")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "X has feature names, but ..." would fail here
        labels = est.predict(df)
    assert labels.tolist() == nnplug.load(model_dir / "m.npz").predict_labels(df).tolist()
    with pytest.raises(ValueError, match="feature names"):
        est.predict(df[df.columns[::-1]])  # scikit-learn's own check of the names


def test_onnx_computes_what_nnplug_predict_does(cli, model_dir, tmp_path):
    pytest.importorskip("onnxruntime")
    import onnxruntime as ort

    res = cli("export", model_dir / "m.npz", tmp_path / "m.onnx")
    assert res.exit_code == 0, res.output
    assert "inputs X float32 [N, 2] (raw numbers, NaN: missing), region string [N, 1]" in (
        res.output)
    rows = table(30, 8)
    rows[0][2], rows[1][2], rows[2][1] = "south", "", ""  # unknown, missing category; a gap
    out = predicted(cli, model_dir / "m.npz", write(tmp_path / "x.csv", rows))
    session = ort.InferenceSession(str(tmp_path / "m.onnx"), providers=["CPUExecutionProvider"])
    numbers = np.array([[float(r[0]), float(r[1]) if r[1] else np.nan] for r in rows], np.float32)
    texts = np.array([[r[2]] for r in rows], dtype=object)
    proba, label = session.run(None, {"X": numbers, "region": texts})
    # float32 graph vs float64 nnplug (and 6 printed digits): a probability differs by < 1e-5
    np.testing.assert_allclose(proba, [[float(v) for v in r[1:]] for r in out[1:]], atol=1e-5)
    model = nnplug.load(model_dir / "m.npz")
    assert [model.classes[k] for k in label] == [r[0] for r in out[1:]]
    meta = session.get_modelmeta().custom_metadata_map
    assert json.loads(meta["inputs"]) == [
        {"name": "X", "columns": ["age", "weight"], "type": "number"},
        {"name": "region", "columns": ["region"], "type": "string"}]


def test_other_data_without_a_model_column_is_one_line(cli, model_dir, tmp_path):
    rows = [[r[0], r[2], r[3]] for r in table(10, 9)]
    new = write(tmp_path / "new.csv", rows, ["age", "region", "label"])
    res = cli("evaluate", "--model", model_dir / "m.npz", "--data", new)
    assert res.exit_code == 1
    assert res.stderr == (f"Error: {new}: the header has no column 'weight', which the model "
                          f"needs (the header: age, region, label)\n")


def test_an_estimator_of_a_table_model_saves_and_loads(model_dir, tmp_path):
    from nnplug.sklearn import NNPlugClassifier

    est = NNPlugClassifier.load(model_dir / "m.npz")
    est.save(tmp_path / "e.npz")
    again = NNPlugClassifier.load(tmp_path / "e.npz")
    df = frame(table(10, 10)).drop(columns="label")
    assert again.feature_names_in_.tolist() == ["age", "weight", "region"]
    np.testing.assert_array_equal(again.predict_proba(df), est.predict_proba(df))


def test_column_names_from_the_file_are_printed_as_one_line(cli, tmp_path):
    """A header cell that would drive the terminal is printed sanitised, wherever it is."""
    evil = "w\x1b[2J\neight"
    rows = [[r[0], r[1] or "70", r[2], r[3]] for r in table(60, 11)]
    write(tmp_path / "t.csv", rows, ["age", evil, "region", "label"])
    res = cli("train", "--dataset", "csv", "--data", tmp_path / "t.csv", "--target", "label",
              "--epochs", "1", "--backend", "numpy", "--drop-missing", "--save",
              tmp_path / "m.npz", "--log-file", "", "--quiet")
    assert res.exit_code == 0, res.output
    model = nnplug.load(tmp_path / "m.npz")
    with pytest.raises(InputError) as info:
        model.predict([[30, np.nan, "east"]])  # trained with --drop-missing: no median
    assert str(info.value) == "input: row 1, column 'w eight': missing value (the model was " \
                              "trained without filling gaps: --drop-missing)"
