"""The user's own data: csv and npz, task inference, first-bad-row errors, --drop-missing."""
import logging

import numpy as np
import pytest

from nnplug.errors import DataError
from nnplug_datasets.tabular import CSV, NPZ, encode_target


def write_csv(path, header, rows):
    path.write_text("\n".join([",".join(header)] + [",".join(map(str, r)) for r in rows]) + "\n")
    return str(path)


def regression_rows(n=100, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 3)) * [1, 100, 0.01] + [0, 1000, 0]
    y = X[:, 0] * 2 + X[:, 1] / 100
    return [[*map(float, x), float(t)] for x, t in zip(X, y)]


def test_csv_regression_inferred_and_standardised(tmp_path):
    path = write_csv(tmp_path / "d.csv", ["a", "b", "c", "price"], regression_rows())
    data = CSV(data=path, target="price").load(seed=0, val_fraction=0.1)
    assert data.task == "regression" and data.feature_names == ["a", "b", "c"]
    assert (len(data.X_train), len(data.X_val), len(data.X_test)) == (72, 8, 20)
    assert data.X_train.dtype == np.float32
    np.testing.assert_allclose(data.X_train.mean(axis=0), 0, atol=1e-5)


def test_csv_classification_inferred_from_few_integers_and_from_text(tmp_path):
    rows = [[i * 0.1, i % 3] for i in range(60)]
    data = CSV(data=write_csv(tmp_path / "c.csv", ["x", "label"], rows),
               target="label").load(seed=0)
    assert data.task == "classification" and data.classes == ["0", "1", "2"]
    rows = [[i * 0.1, ["cat", "dog"][i % 2]] for i in range(40)]
    data = CSV(data=write_csv(tmp_path / "t.csv", ["x", "animal"], rows),
               target="animal").load(seed=0)
    assert data.classes == ["cat", "dog"]
    assert np.bincount(data.y_test).tolist() == [4, 4]  # stratified test share


def test_task_option_overrides_inference(tmp_path):
    rows = [[i * 0.1, i % 3] for i in range(60)]
    path = write_csv(tmp_path / "c.csv", ["x", "label"], rows)
    assert CSV(data=path, target="label", task="regression").load().task == "regression"
    text = write_csv(tmp_path / "t.csv", ["x", "y"], [[1, "a"], [2, "b"]] * 10)
    with pytest.raises(DataError, match="needs a numeric target"):
        CSV(data=text, target="y", task="regression").load()
    with pytest.raises(DataError, match="--task must be"):
        CSV(data=text, target="y", task="clustering")


def one_line(exc_info):
    message = str(exc_info.value)
    assert "\n" not in message
    return message


def test_first_bad_row_is_named(tmp_path):
    rows = regression_rows(20)
    rows[4][1] = "inf"       # line 6: not finite
    rows[9][2] = "abc"       # line 11: text in a column of numbers
    path = write_csv(tmp_path / "d.csv", ["a", "b", "c", "y"], rows)
    with pytest.raises(DataError) as info:
        CSV(data=path, target="y").load()
    assert "line 6, column 'b': non-finite value 'inf'" in one_line(info)
    assert "--drop-missing" in one_line(info)
    rows[4][1] = 1.0
    path = write_csv(tmp_path / "d.csv", ["a", "b", "c", "y"], rows)
    with pytest.raises(DataError) as info:
        CSV(data=path, target="y").load()
    assert "line 11, column 'c': non-numeric value 'abc' (--drop-missing skips" in one_line(info)


def test_drop_missing_skips_and_counts(tmp_path, caplog):
    rows = regression_rows(50)
    rows[4][1] = "NaN"
    rows[9][2] = "abc"
    rows[11][3] = ""  # missing target
    path = write_csv(tmp_path / "d.csv", ["a", "b", "c", "y"], rows)
    with caplog.at_level(logging.WARNING, "nnplug.datasets"):
        data = CSV(data=path, target="y", drop_missing=True).load(val_fraction=0)
    assert len(data.X_train) + len(data.X_test) == 47
    assert "dropped 3 of 50 rows" in caplog.text and "line 6" in caplog.text


@pytest.mark.parametrize("content,options,fragment", [
    ("", {"target": "y"}, "empty file"),
    ("a,b\n1,2\n", {"target": "y"}, "no column 'y' for --target; columns: a, b"),
    ("a,b\n1,2\n", {"target": "b", "features": "z"}, "no column 'z' in --features"),
    ("a,a,y\n1,2,3\n", {"target": "y"}, "'a' appears twice"),
    ("a,y\n1,2\n3\n", {"target": "y"}, "line 3 has 1 fields, the header has 2"),
    ("a,y\n1,1\n2,1\n3,1\n", {"target": "y"}, "single class"),
    ("a,y\n", {"target": "y"}, "no usable data rows"),
])
def test_csv_errors(tmp_path, content, options, fragment):
    path = tmp_path / "x.csv"
    path.write_text(content)
    with pytest.raises(DataError) as info:
        CSV(data=str(path), **options).load()
    assert fragment in one_line(info)


def test_csv_needs_file_and_target(tmp_path):
    with pytest.raises(DataError, match="needs --data FILE"):
        CSV(target="y").load()
    with pytest.raises(DataError, match="needs --target"):
        CSV(data=write_csv(tmp_path / "a.csv", ["a", "y"], [[1, 2]])).load()
    with pytest.raises(DataError, match="--data file .*none.csv not found"):
        CSV(data=str(tmp_path / "none.csv"), target="y").load()


def test_real_housing_csv(shared_data, tmp_path, caplog):
    """The realistic user CSV: a text column and 207 missing total_bedrooms, every column as
    it comes: the text column one-hot encoded, the gaps filled with the training median."""
    path = str(shared_data / "california" / "housing.csv")
    with caplog.at_level(logging.WARNING, "nnplug.datasets"):
        data = CSV(data=path, target="median_house_value").load(seed=0)
    assert data.task == "regression"
    assert len(data.X_train) + len(data.X_val) + len(data.X_test) == 20640
    assert data.feature_names[-1] == "ocean_proximity" and len(data.feature_names) == 9
    ocean = data.encoding.columns[-1]
    assert ocean.categories == ["<1H OCEAN", "INLAND", "ISLAND", "NEAR BAY", "NEAR OCEAN"]
    bedrooms = data.encoding.columns[data.feature_names.index("total_bedrooms")]
    assert bedrooms.missing == 207 and bedrooms.median is not None
    assert data.n_features == 8 + 5 and np.isfinite(data.X_train).all()
    assert "ocean_proximity one-hot encoded (5 categories)" in caplog.text
    assert "207 missing values filled" in caplog.text
    numeric = ",".join(h for h in data.feature_names if h != "ocean_proximity")
    data = CSV(data=path, target="median_house_value", features=numeric,
               drop_missing=True).load(seed=0)
    assert len(data.X_train) + len(data.X_val) + len(data.X_test) == 20640 - 207
    assert data.encoding is None and data.n_features == 8
    as_class = CSV(data=path, target="ocean_proximity", features=numeric,
                   drop_missing=True).load(seed=0)
    assert as_class.task == "classification" and "NEAR BAY" in as_class.classes


def test_npz_single_and_presplit(tmp_path, rng):
    X, y = rng.normal(size=(80, 5)), rng.integers(0, 3, 80)
    np.savez(tmp_path / "a.npz", X=X, y=y)
    data = NPZ(data=str(tmp_path / "a.npz")).load(seed=0, val_fraction=0.1)
    assert data.task == "classification" and data.n_features == 5
    assert len(data.X_train) + len(data.X_val) + len(data.X_test) == 80
    images = rng.integers(0, 256, (50, 4, 4)).astype(np.uint8)
    np.savez(tmp_path / "b.npz", X_train=images[:40], y_train=np.arange(40) % 2,
             X_test=images[40:], y_test=np.arange(10) % 2)
    data = NPZ(data=str(tmp_path / "b.npz")).load(seed=0, val_fraction=0.25)
    assert data.X_train.dtype == np.uint8 and data.scale == pytest.approx(1 / 255)
    assert (len(data.X_train), len(data.X_val)) == (30, 10)
    np.testing.assert_array_equal(data.X_test, images[40:])
    np.savez(tmp_path / "c.npz", X=X, y=X[:, 0] * 1.5)
    assert NPZ(data=str(tmp_path / "c.npz")).load().task == "regression"


def test_npz_errors(tmp_path, rng):
    X = rng.normal(size=(30, 2))
    bad = X.copy()
    bad[7, 1] = np.nan
    cases = {
        "keys.npz": ({"A": X, "b": X[:, 0]}, "expected arrays X and y"),
        "rows.npz": ({"X": X, "y": np.zeros(29)}, "X has 30 rows but y has 29"),
        "inf.npz": ({"X": np.where(np.isnan(bad), np.inf, bad), "y": np.arange(30) % 2},
                    "row 7 of X/y has an infinite value"),
        "obj.npz": ({"X": np.array([{"a": 1}] * 30, dtype=object), "y": np.zeros(30)},
                    "without pickle"),
        "flat.npz": ({"X": X[:, 0], "y": np.zeros(30)}, "must be 2-d"),
    }
    for name, (arrays, fragment) in cases.items():
        np.savez(tmp_path / name, **arrays)
        with pytest.raises(DataError) as info:
            NPZ(data=str(tmp_path / name)).load()
        assert fragment in one_line(info), name
    (tmp_path / "junk.npz").write_bytes(b"nonsense")
    with pytest.raises(DataError, match="not a readable .npz"):
        NPZ(data=str(tmp_path / "junk.npz")).load()
    np.savez(tmp_path / "nan.npz", X=bad, y=np.arange(30) % 2)
    data = NPZ(data=str(tmp_path / "nan.npz"), drop_missing=True).load(val_fraction=0)
    assert len(data.X_train) + len(data.X_test) == 29 and data.encoding is None
    data = NPZ(data=str(tmp_path / "nan.npz")).load(val_fraction=0)  # filled by default
    assert len(data.X_train) + len(data.X_test) == 30 and np.isfinite(data.X_train).all()
    assert data.encoding.columns[1].missing == 1


def test_encode_target_orders_labels():
    task, y, names = encode_target(["b", "a", "b", "c"], None, "t")
    assert task == "classification" and names == ["a", "b", "c"] and y.tolist() == [1, 0, 1, 2]
    task, y, names = encode_target(np.array([10, 2, 10, 2]), None, "t")
    assert names == ["2", "10"] and y.tolist() == [1, 0, 1, 0]
    assert encode_target(np.arange(10), None, "t")[0] == "regression"  # one row per value
    assert encode_target(np.linspace(0, 1, 50), None, "t")[0] == "regression"
