"""California housing: nnplug's own archive reader (no pickle, no scikit-learn fetcher),
its download (checksummed, from a local server), offline errors, and the split/scaling
tested for leakage (test statistics never used)."""
import hashlib
import io
import shutil
import tarfile

import numpy as np
import pytest

from httpserver import FileServer
from nnplug.errors import DataError, NNPlugError
from nnplug_datasets import california
from nnplug_datasets.california import ARCHIVE, PKZ, California, read_archive
from nnplug.data.split import standardize


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


def test_offline_error_names_what_is_missing(tmp_path):
    with pytest.raises(DataError) as info:
        California().load(data_dir=str(tmp_path))
    message = str(info.value)
    assert "\n" not in message and "cannot download cal_housing.tgz" in message
    assert "127.0.0.1" in message and "Connection refused" in message
    assert f"missing {ARCHIVE} in {tmp_path / 'california'}" in message


def test_download_is_checksummed_and_kept(tmp_path, monkeypatch):
    """The archive comes from the mirror only when its SHA-256 is the one recorded; a copy
    that differs is refused and nothing is kept."""
    write_archive(tmp_path / "served.tgz", districts(120))
    body = (tmp_path / "served.tgz").read_bytes()
    monkeypatch.setattr(california, "SHA256", hashlib.sha256(body).hexdigest())
    with FileServer({ARCHIVE: body}) as server:
        monkeypatch.setattr(California, "mirrors", (server.url("bad"),))
        with pytest.raises(DataError, match="checksum mismatch"):
            California().load(data_dir=str(tmp_path / "d"))
        assert not (tmp_path / "d" / "california" / ARCHIVE).exists()
        monkeypatch.setattr(California, "mirrors", (server.url("bad"), server.url("ok")))
        data = California().load(data_dir=str(tmp_path / "d"))
    assert (tmp_path / "d" / "california" / ARCHIVE).read_bytes() == body
    assert len(data.X_train) + len(data.X_val) + len(data.X_test) == 120


def test_a_full_url_mirror_is_used_as_it_is(tmp_path, monkeypatch):
    """scikit-learn's source is a URL without the file name (figshare's file id)."""
    write_archive(tmp_path / "served.tgz", districts(30))
    body = (tmp_path / "served.tgz").read_bytes()
    monkeypatch.setattr(california, "SHA256", hashlib.sha256(body).hexdigest())
    with FileServer({"5976036": body}) as server:
        monkeypatch.setattr(California, "mirrors", (server.url("ok") + "5976036",))
        assert California().fetch(str(tmp_path)) == tmp_path / "california"
        assert server.requests == ["/ok/5976036"]


def test_scikit_learns_pickled_cache_is_never_read(tmp_path, monkeypatch):
    """A cal_housing_py3.pkz (scikit-learn's joblib cache) is not data nnplug reads:
    with it alone the dataset asks for the archive, saying the pickle is ignored."""
    import joblib

    joblib.dump(np.zeros((3, 9)), tmp_path / PKZ)
    loads = []
    monkeypatch.setattr(joblib, "load", lambda *a, **k: loads.append(a))
    with pytest.raises(DataError) as info:
        California().load(data_dir=str(tmp_path))
    assert f"({PKZ}, scikit-learn's pickled cache, is never read)" in str(info.value)
    assert loads == []


def test_non_canonical_archive_warns_once(tmp_path, caplog):
    write_archive(tmp_path / ARCHIVE, districts(40))
    California().load(data_dir=str(tmp_path))
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 1 and "is not the canonical archive" in warnings[0]


def test_tar_member_size_is_judged_before_reading(tmp_path, monkeypatch):
    """A gzip bomb: 2 MiB of text in a few KB of archive, refused under a 1 MiB limit
    from the size its tar header declares."""
    text = b"0," * (1 << 20)
    with tarfile.open(tmp_path / ARCHIVE, "w:gz") as tar:
        info = tarfile.TarInfo("CaliforniaHousing/cal_housing.data")
        info.size = len(text)
        tar.addfile(info, io.BytesIO(text))
    assert (tmp_path / ARCHIVE).stat().st_size < 20_000
    monkeypatch.setenv("NNPLUG_MAX_BYTES", "1M")
    reads = []
    real_extract = tarfile.TarFile.extractfile
    monkeypatch.setattr(tarfile.TarFile, "extractfile",
                        lambda self, m: reads.append(m) or real_extract(self, m))
    with pytest.raises(NNPlugError, match=r"needs 2\.0 MiB, more than the NNPLUG_MAX_BYTES"):
        read_archive(tmp_path / ARCHIVE)
    assert reads == []


def test_an_archive_of_many_entries_is_not_the_archive(tmp_path):
    with tarfile.open(tmp_path / ARCHIVE, "w:gz") as tar:
        for i in range(100):
            tar.addfile(tarfile.TarInfo(f"x{i}"), io.BytesIO(b""))
    with pytest.raises(DataError, match="no CaliforniaHousing/cal_housing.data inside"):
        read_archive(tmp_path / ARCHIVE)


def test_non_finite_numbers_are_refused(tmp_path):
    rows = districts(20)
    rows[4, 7] = np.inf
    write_archive(tmp_path / ARCHIVE, rows)
    with pytest.raises(DataError, match="line 5 of cal_housing.data holds a non-finite"):
        read_archive(tmp_path / ARCHIVE)


def test_corrupt_archive(tmp_path):
    (tmp_path / "cal_housing.tgz").write_bytes(b"not a tar")
    with pytest.raises(DataError, match="not a readable gzipped tar archive"):
        California().load(data_dir=str(tmp_path))


def test_features_are_scikit_learns(shared_data, tmp_path):
    """The same rows, columns, order and target scaling as scikit-learn's
    fetch_california_housing builds from the archive (its parsing, done here by hand)."""
    path = shared_data / "california" / ARCHIVE
    X, y = read_archive(path)
    with tarfile.open(path) as tar:
        raw = np.loadtxt(tar.extractfile("CaliforniaHousing/cal_housing.data"), delimiter=",")
    raw = raw[:, [8, 7, 2, 3, 4, 5, 6, 1, 0]]  # scikit-learn's columns_index
    target, data = raw[:, 0], raw[:, 1:]
    data[:, 2] /= data[:, 5]
    data[:, 3] /= data[:, 5]
    data[:, 5] = data[:, 4] / data[:, 5]
    np.testing.assert_array_equal(X, data)
    np.testing.assert_array_equal(y, target / 100000.0)


def test_real_archive_loads_offline(shared_data, tmp_path):
    shutil.copy(shared_data / "california" / ARCHIVE, tmp_path)
    data = California().load(data_dir=str(tmp_path), seed=0)
    assert len(data.X_train) + len(data.X_val) + len(data.X_test) == 20433
