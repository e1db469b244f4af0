"""nnplug.safeio.csvtables: the one CSV reader (the csv dataset and nnplug predict)."""
from __future__ import annotations

import os

import numpy as np
import pytest

from nnplug.safeio.csvtables import CsvFile, read_csv
from nnplug.safeio.limits import LimitError
from nnplug.safeio.tables import MISSING, cell


def write(tmp_path, text, name="t.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path



def read_auto(path, features=None):
    with CsvFile(path, header=None) as f:
        return f.read(features=features)


def test_header_target_features_and_pooled_labels(tmp_path, error):
    path = write(tmp_path, "a, b ,where,y\n1,2,NEAR BAY,cat\n-1.5e3,+.5,INLAND,dog\n3,4,x,cat\n")
    table = read_csv(path, target="y", features=["b", "a"])
    assert table.columns == ["b", "a"] and table.X.dtype == np.float64
    np.testing.assert_array_equal(table.X, [[2, 1], [0.5, -1500], [4, 3]])
    assert table.y.tolist() == ["cat", "dog", "cat"] and table.y[0] is table.y[2]
    assert (table.dropped, table.note) == (0, "")
    # by default every column but the target: y's text is a feature then
    assert "line 2, column 'y': non-numeric value 'cat'" in error(read_csv, path, target="where")


def test_default_features_are_all_but_the_target(tmp_path):
    path = write(tmp_path, "a,b,y\n1,2,3\n4,5,6\n")
    table = read_csv(path, target="y")
    assert table.columns == ["a", "b"] and table.X.tolist() == [[1, 2], [4, 5]]
    assert table.y.tolist() == ["3", "6"]


@pytest.mark.parametrize("text", ["١٢", "１２", "1_000", "\u200912", "0x10", "1e", "12abc"])
def test_numbers_are_ascii_decimals(tmp_path, text, error):
    path = write(tmp_path, f"a,y\n1,0\n{text},1\n")
    assert f"line 3, column 'a': non-numeric value {text!r}" in error(read_csv, path, target="y")


@pytest.mark.parametrize("text", sorted(MISSING) + [" NA ", "NaN", "None", "\tnull"])
def test_missing_values(tmp_path, text, error):
    assert cell(text) == (None, "missing value")
    path = write(tmp_path, f'a,y\n1,0\n"{text}",1\n')
    message = error(read_csv, path, target="y", hint="what to do")
    assert message.endswith("line 3, column 'a': missing value (what to do)")


@pytest.mark.parametrize("text", ["inf", "-Infinity", "1e999"])
def test_non_finite_values(tmp_path, text, error):
    path = write(tmp_path, f"a,y\n{text},1\n")
    assert f"line 2, column 'a': non-finite value {text!r}" in error(read_csv, path, target="y")


def test_no_hint_unless_given(tmp_path, error):
    path = write(tmp_path, "a,y\nx,1\n")
    assert error(read_csv, path, target="y").endswith("non-numeric value 'x'")


def test_drop_missing_counts_and_notes(tmp_path, error):
    rows = ["1,a", ",b", "2,", "inf,c", "x,d", "3,?", "4,e"]
    path = write(tmp_path, "f,y\n" + "\n".join(rows) + "\n")
    assert "line 3, column 'f': missing value" in error(read_csv, path, target="y")
    table = read_csv(path, target="y", drop_missing=True)
    assert table.X.ravel().tolist() == [1, 4] and table.y.tolist() == ["a", "e"]
    assert table.dropped == 5 and table.first_drop == "line 3, column 'f': missing value"
    assert table.note == ("dropped 5 of 7 rows with missing or non-numeric values "
                          "(first: line 3, column 'f': missing value)")
    targets = write(tmp_path, "f,y\n1,a\n2, NA \n", "t2.csv")
    assert "line 3, column 'y': missing target" in error(read_csv, targets, target="y")


def test_a_column_bad_in_every_row_is_named(tmp_path, error):
    path = write(tmp_path, "a,where,y\n1,N,1\n2,S,2\n")
    message = error(read_csv, path, target="y", drop_missing=True)
    assert message.endswith("no usable data rows: column 'where' is not numeric in any row; "
                            "leave it out with --features")
    assert read_csv(path, target="y", features=["a"], drop_missing=True).X.shape == (2, 1)


@pytest.mark.parametrize("text,options,fragment", [
    ("", {"target": "y"}, "t.csv: empty file (expected a header row)"),
    ("\n \n", {"target": "y"}, "empty file (expected a header row)"),
    ("a,b\n1,2\n", {"target": "y"}, "t.csv: no column 'y' for --target; columns: a, b"),
    ("a,b\n1,2\n", {"target": "b", "features": ["z"]}, "no column 'z' in --features"),
    ("a,b\n1,2\n", {"target": "b", "features": ["a", "b"]},
     "column 'b' is both a feature and the target"),
    ("y\n1\n", {"target": "y"}, "no feature columns: the file holds only the target column 'y'"),
    ("a,a,y\n1,2,3\n", {"target": "y"}, "column name 'a' appears twice in the header"),
    ("a,y\n1,2\n3\n", {"target": "y"}, "t.csv: line 3 has 1 fields, the header has 2"),
    ("a,y\n", {"target": "y"}, "t.csv: no usable data rows"),
])
def test_errors_name_the_file_line_and_column(tmp_path, text, options, fragment, error):
    assert fragment in error(read_csv, write(tmp_path, text), **options)


def test_blank_lines_bom_and_quoted_newlines(tmp_path):
    path = tmp_path / "t.csv"
    path.write_bytes(b'\xef\xbb\xbf\n a ,y\n\n1,"two\nlines"\n , \n3,x\n4,y\nz,w\n')
    table = read_csv(path, target="y", drop_missing=True)
    assert table.columns == ["a"] and table.y.tolist() == ["two\nlines", "x", "y"]
    assert table.first_drop == "line 9, column 'a': non-numeric value 'z'"


def test_header_detection(tmp_path, error):
    numeric = read_auto(write(tmp_path, "1,2\n3,4\n"))
    assert numeric.columns is None and numeric.X.tolist() == [[1, 2], [3, 4]]
    named = read_auto(write(tmp_path, "\nb,a\n1,2\n", "n.csv"), features=["a"])
    assert named.columns == ["a"] and named.X.tolist() == [[2]]
    assert read_auto(write(tmp_path, "b,a\n1,2\n", "m.csv")).columns == ["b", "a"]
    # a first row with only numbers and missing or non-finite cells is data, not a header
    for first in ("1,,3", "NA,2,3", "inf,2,3"):
        message = error(read_auto, write(tmp_path, first + "\n4,5,6\n", "d.csv"))
        assert "d.csv: line 1, column " in message
    assert "column name 'x' appears twice" in error(read_auto, write(tmp_path, "x,x\n1,2\n"))
    assert error(read_auto, write(tmp_path, "")).endswith("t.csv: no usable data rows")
    assert error(read_auto, write(tmp_path, "a,b\n")).endswith("t.csv: no usable data rows")


def test_without_a_header_columns_are_numbers(tmp_path, error):
    path = write(tmp_path, "\n1,2,3\n4,x,6\n")
    assert error(read_auto, path).endswith("t.csv: line 3, column 2: non-numeric value 'x'")
    ragged = write(tmp_path, "\n1,2,3\n4,5\n", "r.csv")
    assert error(read_auto, ragged).endswith("r.csv: line 3 has 2 fields, line 2 has 3")
    with CsvFile(path, header=None) as f, pytest.raises(ValueError, match="by name"):
        f.read(features=["a"])


def test_text_from_the_file_is_one_short_line(tmp_path, error):
    name = "evil\x1b[2J\nname" + "x" * 500
    path = tmp_path / "t.csv"
    path.write_text(f'"{name}",y\n"bad\x1b]0;title\x07\nvalue",1\n')
    message = error(read_csv, path, target="y")
    assert "non-numeric value" in message and len(message) < 300
    assert "no column 'q" in error(read_csv, path, target="q" * 500 + "\n")
    dupes = tmp_path / "d.csv"
    dupes.write_text(f'"{name}","{name}",y\n')
    assert "appears twice" in error(read_csv, dupes, target="y")


def test_damaged_files_are_one_line(tmp_path, error):
    path = tmp_path / "t.csv"
    path.write_bytes(b"a,y\n" + b"1,2\n" * 5000 + b"\xff\xfe,3\n")
    assert "t.csv: not a readable CSV file near line " in error(read_csv, path, target="y")
    path.write_bytes(b'\xff"a",y\n')
    assert "t.csv: not a readable CSV file ('utf-8' codec can't decode byte 0xff" in error(
        read_csv, path, target="y")
    path.write_text("a,y\n" + '"' + "1" * 200_000 + '",1\n')
    assert "field larger than field limit" in error(read_csv, path, target="y")


def test_regular_files_only(tmp_path, error):
    (tmp_path / "t.csv").mkdir()
    assert error(read_csv, tmp_path / "t.csv", "--data file", target="y") == (
        f"--data file {tmp_path / 't.csv'} is a directory, not a regular file; nnplug reads "
        "inputs from regular files only")
    os.mkfifo(tmp_path / "fifo")
    assert "is a fifo (pipe), not a regular file" in error(read_csv, tmp_path / "fifo",
                                                            target="y")
    assert error(read_csv, tmp_path / "none.csv", "--data file", target="y") == (
        f"--data file {tmp_path / 'none.csv'} not found")


def test_the_memory_limit(tmp_path, monkeypatch):
    path = write(tmp_path, "a,b,y\n" + "1,2,3\n" * 200)
    monkeypatch.setenv("NNPLUG_MAX_BYTES", "1K")
    with pytest.raises(LimitError, match=r"t.csv \(more than 64 rows of 2 features\) needs "):
        read_csv(path, target="y")
    with pytest.raises(LimitError, match=r"more than 42 rows of 3 features"):
        read_auto(write(tmp_path, "1,2,3\n" * 200, "n.csv"))
    monkeypatch.setenv("NNPLUG_MAX_BYTES", "4K")
    assert read_csv(path, target="y").X.shape == (200, 2)
