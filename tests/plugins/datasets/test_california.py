"""California housing: our archive reader, scikit-learn's cache via the seam, offline
errors, and the split/scaling tested for leakage (test statistics never used)."""
import io
import shutil
import tarfile

import numpy as np
import pytest

from nnplug.errors import DataError
from nnplug_datasets import california
from nnplug_datasets.california import PKZ, California, read_archive
from nnplug.data.split import standardize

SKLEARN_FETCH = california.sklearn_fetch  # captured before the autouse fixture replaces it


def districts(n, seed=0):
    """Rows: lon, lat, age, rooms, bedrooms, population, households, income, value."""
    rng = np.random.default_rng(seed)
    households = rng.integers(50, 500, n).astype(float)
    rooms = households * rng.uniform(3, 7, n)
    return np.column_stack([rng.uniform(-124, -114, n), rng.uniform(32, 42, n),
                            rng.integers(1, 52, n), rooms, rooms * 0.2,
                            households * rng.uniform(2, 4, n), households,
                            rng.uniform(0.5, 15, n), rng.uniform(15000, 500000, n)])


def write_archive(path, rows):
    text = "\n".join(",".join(repr(float(v)) for v in r) for r in rows).encode()
    with tarfile.open(path, "w:gz") as tar:
        info = tarfile.TarInfo("CaliforniaHousing/cal_housing.data")
        info.size = len(text)
        tar.addfile(info, io.BytesIO(text))


def test_archive_gives_sklearn_features(tmp_path):
    rows = districts(50)
    write_archive(tmp_path / "cal_housing.tgz", rows)
    X, y = read_archive(tmp_path / "cal_housing.tgz")
    assert X.shape == (50, 8)
    np.testing.assert_allclose(X[:, 0], rows[:, 7])                # MedInc
    np.testing.assert_allclose(X[:, 2], rows[:, 3] / rows[:, 6])   # AveRooms
    np.testing.assert_allclose(X[:, 5], rows[:, 5] / rows[:, 6])   # AveOccup
    np.testing.assert_allclose(X[:, 7], rows[:, 0])                # Longitude
    np.testing.assert_allclose(y, rows[:, 8] / 1e5)                # $100k


def test_load_splits_and_standardises_on_train_only(tmp_path):
    write_archive(tmp_path / "cal_housing.tgz", districts(400))
    data = California().load(data_dir=str(tmp_path), seed=3, val_fraction=0.1)
    assert data.task == "regression" and data.n_outputs == 1
    assert (len(data.X_train), len(data.X_val), len(data.X_test)) == (288, 32, 80)
    np.testing.assert_allclose(data.X_train.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(data.X_train.std(axis=0), 1, atol=1e-4)
    assert abs(data.X_test.mean()) > 1e-4  # test data is transformed, not refitted
    again = California().load(data_dir=str(tmp_path), seed=3, val_fraction=0.1)
    np.testing.assert_array_equal(data.X_test, again.X_test)
    other = California().load(data_dir=str(tmp_path), seed=4, val_fraction=0.1)
    assert not np.array_equal(data.y_test, other.y_test)


def test_scaling_never_sees_test_statistics(rng):
    X_tr, X_va, X_te = rng.normal(5, 2, (100, 3)), rng.normal(5, 2, (10, 3)), \
        rng.normal(5, 2, (20, 3))
    (a_tr, a_va, a_te), stats = standardize(X_tr, X_va, X_te)
    wild = X_te * 1000 + 1e6  # change the test split beyond recognition
    (b_tr, b_va, b_te), stats2 = standardize(X_tr, X_va, wild)
    np.testing.assert_array_equal(a_tr, b_tr)
    np.testing.assert_array_equal(a_va, b_va)
    assert stats == stats2
    np.testing.assert_allclose(stats["mean"], X_tr.mean(axis=0))
    np.testing.assert_allclose(a_te, (X_te - X_tr.mean(0)) / X_tr.std(0), rtol=1e-5)


def test_sklearn_seam_gets_our_data_home(tmp_path, monkeypatch):
    calls = []

    def fake(data_home, download):
        calls.append((data_home, download))
        rng = np.random.default_rng(0)
        return rng.normal(size=(60, 8)), rng.uniform(0.5, 5, 60)

    monkeypatch.setattr(california, "sklearn_fetch", fake)
    data = California().load(data_dir=str(tmp_path / "d"))
    assert calls == [(tmp_path / "d" / "california", True)]
    assert len(data.X_train) + len(data.X_val) + len(data.X_test) == 60


def test_offline_error_names_what_is_missing(tmp_path):
    with pytest.raises(DataError) as info:
        California().load(data_dir=str(tmp_path))
    message = str(info.value)
    assert "\n" not in message and "network disabled in tests" in message
    assert f"missing {PKZ}" in message and "cal_housing.tgz" in message
    assert str(tmp_path / "california") in message


def test_corrupt_archive(tmp_path):
    (tmp_path / "cal_housing.tgz").write_bytes(b"not a tar")
    with pytest.raises(DataError, match="not a readable gzipped tar archive"):
        California().load(data_dir=str(tmp_path))


def test_real_sklearn_cache_loads_offline(shared_data, tmp_path, monkeypatch):
    """scikit-learn reads its own cache file (no download: it is present)."""
    monkeypatch.setattr(california, "sklearn_fetch", SKLEARN_FETCH)
    shutil.copy(shared_data / "california" / PKZ, tmp_path)
    data = California().load(data_dir=str(tmp_path), seed=0)
    n = len(data.X_train) + len(data.X_val) + len(data.X_test)
    assert n in (20433, 20640) and data.X_train.shape[1] == 8
    assert 0.1 < float(np.median(data.y_train)) < 5.1  # $100k units


def test_real_archive_loads_offline(shared_data, tmp_path):
    shutil.copy(shared_data / "california" / "cal_housing.tgz", tmp_path)
    data = California().load(data_dir=str(tmp_path), seed=0)
    assert len(data.X_train) + len(data.X_val) + len(data.X_test) == 20433
