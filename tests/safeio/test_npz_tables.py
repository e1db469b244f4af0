"""nnplug.safeio.npztables: the one .npy/.npz table reader (the npz dataset and nnplug
predict)."""
from __future__ import annotations

import zipfile

import numpy as np
import pytest

from nnplug.safeio.limits import LimitError
from nnplug.safeio.npztables import read_arrays

PAIRS = {"all": ("X", "y"), "train": ("X_train", "y_train"), "test": ("X_test", "y_test"),
         "val": ("X_val", "y_val")}
DATASET = [{p: PAIRS[p] for p in parts}
           for parts in (("all",), ("train", "test", "val"), ("train", "test"))]
EXPECTED = "arrays X and y (or X_train, y_train, X_test, y_test)"
ROWS = ({"X": ("X", None)}, {"X": ("X_test", None)})


def dataset(path, **options):
    return read_arrays(path, DATASET, expected=EXPECTED, **options)


def rows(path, **options):
    return read_arrays(path, ROWS, expected="array X (or X_test)", npy_key="X", **options)["X"]



def test_the_first_layout_the_archive_holds(tmp_path):
    X = np.arange(12.0).reshape(6, 2)
    np.savez(tmp_path / "a.npz", X=X, y=np.arange(6), X_train=X, y_train=np.arange(6))
    tables = dataset(tmp_path / "a.npz")
    assert list(tables) == ["all"] and tables["all"].y.tolist() == list(range(6))
    np.testing.assert_array_equal(tables["all"].X, X)
    np.savez(tmp_path / "b.npz", X_train=X, y_train=np.arange(6), X_test=X[:2],
             y_test=np.array(["a", "b"]), X_val=X[:1], y_val=np.zeros(1))
    assert list(dataset(tmp_path / "b.npz")) == ["train", "test", "val"]
    np.savez(tmp_path / "c.npz", X_train=X, y_train=np.arange(6), X_test=X[:2],
             y_test=np.zeros(2), X_val=X[:1])  # no y_val: no val part
    tables = dataset(tmp_path / "c.npz")
    assert list(tables) == ["train", "test"] and tables["test"].y.dtype == np.float64


def test_keys_the_archive_lacks_are_named(tmp_path, error):
    np.savez(tmp_path / "k.npz", **{"W": np.zeros(3), "b\x1b[2J\nkey": np.zeros(3)})
    assert error(dataset, tmp_path / "k.npz").endswith(
        f"k.npz: expected {EXPECTED}; found W, b key")
    assert error(rows, tmp_path / "k.npz").endswith(
        "k.npz: expected array X (or X_test); found W, b key")
    with zipfile.ZipFile(tmp_path / "e.npz", "w") as zf:
        zf.writestr("notes.txt", "not an array")
    assert error(rows, tmp_path / "e.npz").endswith("found notes.txt")


def test_npy_and_npz_for_rows(tmp_path):
    X = np.arange(6.0).reshape(3, 2)
    np.save(tmp_path / "x.npy", X)
    np.testing.assert_array_equal(rows(tmp_path / "x.npy").X, X)
    np.savez(tmp_path / "t.npz", X_test=X * 2, y_test=np.zeros(3))
    np.testing.assert_array_equal(rows(tmp_path / "t.npz").X, X * 2)
    np.save(tmp_path / "flat.npy", np.arange(4, dtype=np.int16))  # 1-d: the model decides
    assert rows(tmp_path / "flat.npy").X.shape == (4,)
    assert rows(tmp_path / "x.npy").y is None


def test_formats_are_known_by_their_bytes(tmp_path, error):
    np.save(tmp_path / "x.npy", np.zeros((3, 2)))
    assert error(dataset, tmp_path / "x.npy").endswith(
        f"x.npy: a single .npy array, expected an .npz with {EXPECTED}")
    with open(tmp_path / "named.npy", "wb") as fh:  # a zip, whatever its name
        np.savez(fh, X=np.ones((2, 2)))
    assert rows(tmp_path / "named.npy").X.tolist() == [[1, 1], [1, 1]]
    (tmp_path / "junk.npz").write_bytes(b"nonsense")
    assert error(dataset, tmp_path / "junk.npz").endswith(
        "junk.npz: not a readable .npz file (not a zip archive)")
    assert error(rows, tmp_path / "junk.npz").endswith(
        "junk.npz: not a readable NumPy file (neither a .npy array nor an .npz archive)")
    (tmp_path / "cut.npz").write_bytes(b"PK\x03\x04" + bytes(30))
    assert "cut.npz: not a readable .npz file (" in error(dataset, tmp_path / "cut.npz")


def test_pickles_are_refused(tmp_path, error):
    objects = np.array([{"a": 1}] * 3, dtype=object)
    np.save(tmp_path / "o.npy", objects, allow_pickle=True)
    assert "o.npy: not a readable NumPy file (it holds Python objects" in error(
        rows, tmp_path / "o.npy")
    np.savez(tmp_path / "o.npz", X=np.zeros((3, 1)), y=objects)
    assert "array 'y': it holds Python objects" in error(dataset, tmp_path / "o.npz")


@pytest.mark.parametrize("arrays,fragment", [
    ({"X": np.array(["1", "2"]), "y": np.zeros(2)}, "X must be numeric, got <U1"),
    ({"X": np.zeros((3, 1)), "y": np.zeros(2)}, "X has 3 rows but y has 2"),
    ({"X": np.zeros((3, 1)), "y": np.float64(1)}, "X has 3 rows but y has a single value"),
    ({"X": np.float64(1), "y": np.zeros(1)}, "X is a single value, not rows"),
    ({"X": np.zeros((0, 3)), "y": np.zeros(0)}, "d.npz: no usable data rows in X/y"),
])
def test_table_checks(tmp_path, arrays, fragment, error):
    np.savez(tmp_path / "d.npz", **arrays)
    assert fragment in error(dataset, tmp_path / "d.npz")


def test_missing_and_infinite_values(tmp_path, error):
    X = np.arange(20.0).reshape(10, 2)
    X[7, 1] = np.nan
    y = np.arange(10.0)
    y[3] = -np.inf
    np.savez(tmp_path / "d.npz", X=X, y=y)
    assert error(dataset, tmp_path / "d.npz", hint="say so").endswith(
        "d.npz: row 3 of X/y has a missing (NaN) or infinite value (say so)")
    table = dataset(tmp_path / "d.npz", drop_missing=True)["all"]
    assert table.y.tolist() == [0, 1, 2, 4, 5, 6, 8, 9] and len(table.X) == 8
    assert table.note == ("dropped 2 of 10 rows with missing or non-numeric values "
                          "(first: row 3 of X/y has a missing (NaN) or infinite value)")
    np.save(tmp_path / "x.npy", X)
    assert error(rows, tmp_path / "x.npy").endswith(
        "x.npy: row 7 of X has a missing (NaN) or infinite value")
    whole = np.full((3, 2), np.nan)
    np.savez(tmp_path / "w.npz", X=whole, y=np.zeros(3))
    assert error(dataset, tmp_path / "w.npz", drop_missing=True).endswith(
        "no usable data rows in X/y")


def test_text_targets_and_integers(tmp_path, error):
    X = np.arange(8, dtype=np.uint8).reshape(4, 2)
    np.savez(tmp_path / "d.npz", X=X, y=np.array(["cat", " NA", "dog", "1_000"]))
    assert error(dataset, tmp_path / "d.npz").endswith("d.npz: row 1 of y: missing target")
    table = dataset(tmp_path / "d.npz", drop_missing=True)["all"]
    assert table.y.tolist() == ["cat", "dog", "1_000"] and table.X.dtype == np.uint8
    assert table.dropped == 1 and table.first_drop == "row 1 of y: missing target"


def test_limits_and_regular_files(tmp_path, monkeypatch, error):
    np.savez(tmp_path / "d.npz", X=np.ones((4096, 64)), y=np.arange(4096) % 2)
    monkeypatch.setenv("NNPLUG_MAX_BYTES", "1M")
    with pytest.raises(LimitError, match=r"d\.npz needs 2\.0 MiB, more than the NNPLUG_MAX"):
        dataset(tmp_path / "d.npz")
    monkeypatch.setenv("NNPLUG_MAX_BYTES", "3M")
    assert dataset(tmp_path / "d.npz")["all"].X.shape == (4096, 64)
    assert error(rows, "/dev/null").startswith("input file /dev/null is a character device")
    assert error(dataset, tmp_path / "none.npz", what="--data file") == (
        f"--data file {tmp_path / 'none.npz'} not found")
