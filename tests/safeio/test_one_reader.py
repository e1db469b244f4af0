"""The csv/npz datasets and nnplug predict read a file the same way: one reader, one verdict
(only the hint of what the user can do differs)."""
from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from nnplug.cli.predict import read_features
from nnplug.errors import DataError
from nnplug_datasets.tabular import CSV, NPZ


def verdicts(path, model=None, **dataset_options):
    """The errors of the dataset and of predict (for ``model``) on ``path``."""
    cls = NPZ if path.suffix == ".npz" else CSV
    with pytest.raises(DataError) as dataset:
        cls(data=str(path), **dataset_options).load()
    with pytest.raises(DataError) as predict:
        read_features(str(path), model)
    return str(dataset.value), str(predict.value)


NUMBERS = "".join(f"{i},{i + 1},{i % 2}\n" for i in range(5, 25))


@pytest.mark.parametrize("cell,problem", [
    ("１２", "non-numeric value '１２'"),
    ("1_000", "non-numeric value '1_000'"),
    ("-inf", "non-finite value '-inf'"),
])
def test_the_same_cell_verdict(tmp_path, cell, problem):
    path = tmp_path / "d.csv"
    path.write_text(f"a,b,y\n1,2,0\n3,{cell},1\n{NUMBERS}")
    dataset, predict = verdicts(path, target="y")
    where = f"{path}: line 3, column 'b': {problem}"
    assert dataset == f"{where} (--drop-missing skips such rows, --features or --exclude " \
                      "choose columns)"
    assert predict == where


def test_a_missing_value_is_filled_or_refused_alike(tmp_path):
    """A missing value: the dataset fills it unless --drop-missing; predict refuses it for
    a model that does not fill gaps, in the same words."""
    path = tmp_path / "d.csv"
    path.write_text(f"a,b,y\n1,2,0\n3, NA ,1\n{NUMBERS}")
    assert np.isfinite(CSV(data=str(path), target="y").load().X_train).all()
    data = CSV(data=str(path), target="y", drop_missing=True).load(val_fraction=0)
    assert len(data.X_train) + len(data.X_test) == 21  # the row was skipped, not refused
    predict = pytest.raises(DataError, read_features, str(path), None)
    assert str(predict.value) == f"{path}: line 3, column 'b': missing value"


def test_the_same_shape_verdicts(tmp_path):
    path = tmp_path / "d.csv"
    path.write_text("a,y\n1,0\n2\n")
    assert verdicts(path, target="y") == (f"{path}: line 3 has 1 fields, the header has 2",) * 2
    path.write_text("a,a,y\n1,2,0\n")
    assert len(set(verdicts(path, target="y"))) == 1
    path.write_text("a,y\n")
    assert verdicts(path, target="y") == (f"{path}: no usable data rows",) * 2


def test_the_same_array_verdicts(tmp_path):
    X = np.ones((5, 2))
    X[2, 0] = np.inf
    np.savez(tmp_path / "d.npz", X=X, y=np.arange(5) % 2)
    dataset, predict = verdicts(tmp_path / "d.npz")
    assert dataset == f"{tmp_path / 'd.npz'}: row 2 of X/y has an infinite value " \
                      "(--drop-missing skips such rows)"
    assert predict == f"{tmp_path / 'd.npz'}: row 2 of X has a missing (NaN) or infinite value"
    np.savez(tmp_path / "d.npz", X=np.array([["a"]] * 3), y=np.zeros(3))
    assert len(set(verdicts(tmp_path / "d.npz"))) == 1


def test_predict_picks_the_models_columns_by_name(tmp_path):
    model = SimpleNamespace(feature_names=["a", "b", "c"], encoding=None, categorical=[])
    path = tmp_path / "x.csv"
    path.write_text("id,c,a,b\nrow-1,3,1,2\nrow-2,6,4,5\n")
    table = read_features(str(path), model)
    np.testing.assert_array_equal(table.X, [[1, 2, 3], [4, 5, 6]])
    assert table.columns == ["a", "b", "c"]
    model.feature_names = ["a", "z"]
    with pytest.raises(DataError, match="the header has no column 'z', which the model needs"):
        read_features(str(path), model)  # never positional when the header does not match
