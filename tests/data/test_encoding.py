"""The column encoding (nnplug.data.encoding): fitted on the training rows, then the same for
every split and every prediction -- scikit-learn's SimpleImputer(strategy="median") and
OneHotEncoder(handle_unknown="ignore") are the reference."""
import numpy as np
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.preprocessing import OneHotEncoder

from nnplug.data.encoding import encode, encoding_from_record, fit_encoding, number_text
from nnplug.errors import InputError

NAMES = ["size", "region", "rooms"]


def raw(rows, texts):
    """Rows of (size, region text or None, rooms) as the table reader gives them."""
    X = np.array([[s, np.nan if r is None else texts.index(r), n] for s, r, n in rows], float)
    return X, {1: texts}


TRAIN = [(1.0, "east", 3), (2.0, "west", np.nan), (np.nan, "east", 5), (4.0, "north", 1),
         (8.0, None, 2)]
TEST = [(np.nan, "south", np.nan), (3.0, "west", 4), (5.0, None, 1), (6.0, "north", np.nan)]


def test_fitted_on_the_training_rows_as_scikit_learn_does():
    texts = ["east", "west", "north", "south"]  # "south" only in the test rows
    X_train, levels = raw(TRAIN, texts)
    X_test, _ = raw(TEST, texts)
    encoding = fit_encoding(X_train, NAMES, levels, impute=True)
    region = encoding.columns[1]
    assert region.categories == ["east", "north", "west"]  # sorted, the training rows' only
    assert encoding.columns[0].median == 3.0 and encoding.columns[2].median == 2.5
    assert encoding.width == 1 + 3 + 1

    def frame(rows):
        return np.array([[s, r if r is not None else np.nan, n] for s, r, n in rows], object)

    reference = ColumnTransformer(
        [("size", SimpleImputer(strategy="median"), [0]),
         ("region", OneHotEncoder(handle_unknown="ignore", sparse_output=False), [1]),
         ("rooms", SimpleImputer(strategy="median"), [2])]
    )
    train_rows = [r for r in TRAIN if r[1] is not None]  # scikit-learn: NaN would be a category
    reference.fit(frame(train_rows))
    X_ref_train, _ = raw(train_rows, texts)
    ours = encode(fit_encoding(X_ref_train, NAMES, levels, impute=True), X_test, levels)
    np.testing.assert_array_equal(ours, reference.transform(frame(TEST)).astype(float))
    out = encode(encoding, X_test, levels)
    assert out[0, 1:4].tolist() == [0, 0, 0]  # unknown: all zeros
    assert out[2, 1:4].tolist() == [0, 0, 0]  # missing: all zeros
    assert out[0, 0] == 3.0 and out[0, 4] == 2.5  # gaps: the training medians


def test_what_the_encoding_refuses():
    texts = ["east", "west"]
    X, levels = raw([(1.0, "east", 3), (2.0, "west", 4)], texts)
    strict = fit_encoding(X, NAMES, levels, impute=False)  # --drop-missing: no medians
    assert strict.columns[0].median is None
    gap, _ = raw([(1.0, "east", 3), (np.nan, "east", 4)], texts)
    with pytest.raises(InputError, match="row 2, column 'size': missing value"):
        encode(strict, gap, levels)
    with pytest.raises(InputError, match="column 'rooms' holds text"):
        encode(strict, X, {**levels, 2: ["3", "4"]})
    with pytest.raises(ValueError):  # an InputError is a ValueError too
        encode(strict, gap, levels)
    empty = np.array([[np.nan, 0.0, 1.0], [np.nan, 1.0, 2.0]])
    with pytest.raises(Exception, match="column 'size' has no value in the training split"):
        fit_encoding(empty, NAMES, levels, impute=True)


def test_numbers_stand_for_their_text():
    assert [number_text(v) for v in (3.0, -2.0, 0.5, 1e20)] == ["3", "-2", "0.5", "1e+20"]
    X = np.array([[1.0, 0.0, 1.0], [2.0, 1.0, 2.0]])
    encoding = fit_encoding(X, NAMES, {1: ["3", "7"]}, impute=True)
    given_as_numbers = np.array([[1.0, 7.0, 1.0], [1.0, 3.0, 1.0], [1.0, 5.0, 1.0]])
    assert encode(encoding, given_as_numbers)[:, 1:3].tolist() == [[0, 1], [1, 0], [0, 0]]


def test_the_record_round_trips_and_is_checked():
    texts = ["east", "west", "north", "south"]
    X_train, levels = raw(TRAIN, texts)
    encoding = fit_encoding(X_train, NAMES, levels, impute=True)
    assert encoding_from_record(encoding.record(), 5) == encoding
    for record, width in [
        ({"columns": [{"name": "a", "categories": []}]}, 0),
        ({"columns": [{"name": "a", "categories": ["x", "x"]}]}, 2),
        ({"columns": [{"name": "a", "median": float("nan")}]}, 1),
        ({"columns": [{"name": "a", "median": "3"}]}, 1),
        ({"columns": [{"name": "a"}, {"name": "a"}]}, 2),
        ({"columns": [{"name": "a"}]}, 2),
        ({"columns": "a"}, 1),
    ]:
        with pytest.raises(ValueError):
            encoding_from_record(record, width)
