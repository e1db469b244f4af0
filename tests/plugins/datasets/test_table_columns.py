"""Tables as people have them: an id column, text columns, gaps (issue 20)."""
import json
import logging

import numpy as np
import pytest

from nnplug.errors import DataError
from nnplug.safeio.csvtables import read_csv
from nnplug_datasets.tabular import CSV, NPZ


def patients(path, n=60, seed=0):
    """A CSV with an id, two numeric features (one with gaps), a region and a label."""
    rng = np.random.default_rng(seed)
    lines = ["patient_id,age,weight,region,label"]
    for i in range(n):
        weight = "" if i % 10 == 3 else f"{rng.normal(70, 10):.1f}"
        region = ["east", "west", "north"][i % 3]
        lines.append(f"{1000 + 7 * i},{rng.integers(20, 80)},{weight},{region},{i % 2}")
    path.write_text("\n".join(lines) + "\n")
    return str(path)


def test_exclude_leaves_columns_out(tmp_path):
    path = patients(tmp_path / "p.csv")
    data = CSV(data=path, target="label", exclude="patient_id").load()
    assert data.feature_names == ["age", "weight", "region"]
    data = CSV(data=path, target="label", exclude=["patient_id", "region"]).load()
    assert data.feature_names == ["age", "weight"] and data.n_features == 2
    with pytest.raises(DataError, match="no column 'nope' to --exclude; columns: patient_id"):
        CSV(data=path, target="label", exclude="nope").load()
    with pytest.raises(DataError, match="no feature columns left after --exclude"):
        CSV(data=path, target="label", exclude="patient_id,age,weight,region").load()


def test_an_id_column_is_one_warning_line(tmp_path, caplog):
    path = patients(tmp_path / "p.csv")
    with caplog.at_level(logging.WARNING, "nnplug.datasets"):
        CSV(data=path, target="label").load()
    ids = [r.getMessage() for r in caplog.records if "looks like an id" in r.getMessage()]
    assert ids == ["p.csv: column 'patient_id' looks like an id (unique integers, monotone, "
                   "named like one) and is used as a feature; leave it out with --exclude "
                   "patient_id"]
    caplog.clear()
    with caplog.at_level(logging.WARNING, "nnplug.datasets"):
        CSV(data=path, target="label", exclude="patient_id").load()
    assert "looks like an id" not in caplog.text


@pytest.mark.parametrize("name,values,reasons", [
    ("code", [5, 3, 9, 1, 7, 2, 8, 4, 6, 0] * 1 + list(range(10, 30)), "unique integers"),
    ("t", [0.5 * i for i in range(30)], "monotone"),
    ("record_id", [i % 4 for i in range(30)], "named like one"),
    ("PatientID", [i % 4 for i in range(30)], "named like one"),
    ("Unnamed: 0", [i % 4 for i in range(30)], "named like one"),
    ("dose", [i % 4 for i in range(30)], None),
    ("value", [((i * 37) % 30) + 0.5 for i in range(30)], None),
])
def test_what_looks_like_an_id(tmp_path, caplog, name, values, reasons):
    rows = [f"{v},{(i * 7) % 5},{i % 2}" for i, v in enumerate(values)]
    (tmp_path / "d.csv").write_text(f"{name},x,label\n" + "\n".join(rows) + "\n")
    with caplog.at_level(logging.WARNING, "nnplug.datasets"):
        CSV(data=str(tmp_path / "d.csv"), target="label").load()
    found = [r.getMessage() for r in caplog.records if "looks like an id" in r.getMessage()]
    if reasons is None:
        assert found == []
    else:
        assert len(found) == 1 and f"({reasons})" in found[0] and f"'{name}'" in found[0]


def test_npz_feature_names_and_exclude(tmp_path, caplog):
    rng = np.random.default_rng(0)
    X = np.column_stack([np.arange(40.0), rng.normal(size=(40, 2))])
    names = np.array(["row_id", "a", "b"])
    np.savez(tmp_path / "d.npz", X=X, y=np.arange(40) % 2, feature_names=names)
    with caplog.at_level(logging.WARNING, "nnplug.datasets"):
        data = NPZ(data=str(tmp_path / "d.npz")).load()
    assert data.feature_names == ["row_id", "a", "b"]
    assert "column 'row_id' looks like an id" in caplog.text and "--exclude row_id" in caplog.text
    data = NPZ(data=str(tmp_path / "d.npz"), exclude="row_id").load()
    assert data.feature_names == ["a", "b"] and data.n_features == 2
    np.savez(tmp_path / "plain.npz", X=X, y=np.arange(40) % 2)
    with pytest.raises(DataError, match="--exclude needs column names: save them in the .npz"):
        NPZ(data=str(tmp_path / "plain.npz"), exclude="row_id").load()
    np.savez(tmp_path / "bad.npz", X=X, y=np.arange(40) % 2, feature_names=names[:2])
    with pytest.raises(DataError, match="feature_names must be 3 texts"):
        NPZ(data=str(tmp_path / "bad.npz")).load()


def test_text_columns_are_categories_of_the_training_split(tmp_path):
    """A category found only outside the training split is unknown: all zeros."""
    lines = ["x,region,label"] + [
        f"{i * 0.37 % 5:.2f},{'rare' if i == 0 else ['east', 'west'][i % 2]},{i % 2}"
        for i in range(60)
    ]
    (tmp_path / "d.csv").write_text("\n".join(lines) + "\n")
    for seed in range(4):
        data = CSV(data=str(tmp_path / "d.csv"), target="label", scale="none").load(seed=seed)
        region = data.encoding.columns[1]
        hot = {k: X[:, 1:] for k, X in (("train", data.X_train), ("val", data.X_val),
                                       ("test", data.X_test))}
        assert (hot["train"].sum(axis=1) == 1).all()  # every training category is known
        others = np.concatenate([hot["val"], hot["test"]]).sum(axis=1)
        if "rare" in region.categories:
            assert region.categories == ["east", "rare", "west"] and (others == 1).all()
        else:
            assert region.categories == ["east", "west"] and sorted(others)[0] == 0


def test_gaps_are_filled_with_the_training_median(tmp_path):
    rng = np.random.default_rng(1)
    lines = ["gap,flag,label"] + [
        f"{'' if i % 6 == 0 else f'{rng.normal(3, 2):.3f}'},{int(i % 6 == 0)},{i % 2}"
        for i in range(90)
    ]
    (tmp_path / "d.csv").write_text("\n".join(lines) + "\n")
    data = CSV(data=str(tmp_path / "d.csv"), target="label", scale="none").load()
    gap = data.encoding.columns[0]
    assert gap.missing == 15
    train_filled = data.X_train[:, 1] == 1
    assert gap.median == pytest.approx(np.median(data.X_train[~train_filled, 0]), abs=0)
    for X in (data.X_train, data.X_val, data.X_test):
        assert (X[X[:, 1] == 1, 0] == np.float32(gap.median)).all()
    with pytest.raises(DataError, match="line 2, column 'gap': missing value"):
        read_csv(tmp_path / "d.csv", target="label")  # the reader alone does not fill
    dropped = CSV(data=str(tmp_path / "d.csv"), target="label", drop_missing=True).load()
    assert len(dropped.X_train) + len(dropped.X_val) + len(dropped.X_test) == 75


def test_a_text_column_of_too_many_values_is_refused(tmp_path):
    lines = ["name,x,label"] + [f"person {i},{i % 7},{i % 2}" for i in range(1100)]
    (tmp_path / "d.csv").write_text("\n".join(lines) + "\n")
    with pytest.raises(DataError) as info:
        CSV(data=str(tmp_path / "d.csv"), target="label").load()
    assert "column 'name' holds text with more than 1000 different values by line 1002" in str(
        info.value)
    assert "--exclude" in str(info.value)


def test_housing_csv_trains_as_it_comes(shared_data, cli, tmp_path, caplog):
    """housing.csv with every column as it comes (9 features incl. ocean_proximity, 207
    gaps) trains with only --target (two epochs here, to keep the suite short)."""
    path = shared_data / "california" / "housing.csv"
    with caplog.at_level(logging.WARNING, "nnplug.datasets"):
        res = cli("train", "--dataset", "csv", "--data", path, "--target",
                  "median_house_value", "--epochs", "2", "--quiet", "--log-file", "",
                  "--metrics-out", tmp_path / "m.json")
    assert res.exit_code == 0, res.output
    assert "ocean_proximity one-hot encoded (5 categories); 207 missing values filled" in (
        caplog.text)
    metrics = json.loads((tmp_path / "m.json").read_text())
    prices = read_csv(path, target="median_house_value", features=["longitude"]).y.astype(float)
    # learned something: well below predicting the mean (whose RMSE is the prices' std)
    assert metrics["test_rmse"] < 0.8 * prices.std()


def test_columns_judged_at_once_agree_with_one_by_one(caplog):
    """warn_about_columns judges the gap-free numeric columns of a table at once (a table
    may have millions); its reasons are those of id_reasons, column by column."""
    from nnplug_datasets.columns import id_reasons, warn_about_columns

    rng = np.random.default_rng(0)
    n = 40
    X = np.column_stack([
        np.arange(n), np.arange(n)[::-1] * 3.0, rng.permutation(n), rng.normal(size=n),
        np.repeat(np.arange(n // 2), 2), np.r_[np.arange(n - 1), np.nan], np.cumsum(rng.random(n)),
        rng.permutation(n) + 0.5,
    ])
    names = ["a", "b_id", "c", "d", "e", "f", "index", "h"]
    for with_names in (names, None):
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="nnplug.datasets"):
            warn_about_columns("t", X, with_names, {})
        got = [r.getMessage() for r in caplog.records]
        want = []
        for j in range(X.shape[1]):
            reasons = id_reasons(with_names[j] if with_names else None, X[:, j], False)
            if reasons:
                want.append(f"({', '.join(reasons)})")
        assert len(got) == len(want) >= 4
        assert all(w in g for g, w in zip(got, want, strict=True)), (got, want)
