"""MNIST / Fashion-MNIST loading: uint8 in memory, stratified seeded validation,
--classes, where files are looked for, and the warning for non-canonical files."""
import logging
import shutil

import numpy as np
import pytest

from idxfiles import fake_mnist, write_idx
from nnplug.errors import DataError
from nnplug_datasets.idx import read_idx
from nnplug_datasets.mnist import MNIST, FashionMNIST
from nnplug_datasets.paths import data_root


@pytest.fixture
def fake_dir(tmp_path):
    sums = fake_mnist(tmp_path / "mnist", n_train=200, n_test=50)
    return tmp_path / "mnist", sums


def test_images_stay_uint8_and_are_scaled_per_batch(fake_dir):
    directory, _ = fake_dir
    data = MNIST().load(data_dir=str(directory), val_fraction=0.1)
    for X in (data.X_train, data.X_val, data.X_test):
        assert X.dtype == np.uint8 and X.shape[1:] == (28, 28)
    assert data.scale == pytest.approx(1 / 255) and data.n_features == 784
    assert data.classes == [str(i) for i in range(10)] and data.n_outputs == 10
    assert len(data.X_train) + len(data.X_val) == 200 and len(data.X_test) == 50


def test_validation_is_stratified_and_seeded(fake_dir):
    directory, _ = fake_dir
    a = MNIST().load(data_dir=str(directory), seed=1, val_fraction=0.2)
    b = MNIST().load(data_dir=str(directory), seed=1, val_fraction=0.2)
    c = MNIST().load(data_dir=str(directory), seed=2, val_fraction=0.2)
    assert np.bincount(a.y_val, minlength=10).tolist() == [4] * 10  # 20 per class -> 4
    np.testing.assert_array_equal(a.X_val, b.X_val)
    assert not np.array_equal(a.X_val, c.X_val)
    full, _ = read_idx(directory / "train-images-idx3-ubyte.gz", ndim=3)
    # train and val partition the training file: every image used exactly once
    both = np.concatenate([a.X_train, a.X_val]).reshape(200, -1)
    assert sorted(map(bytes, both)) == sorted(map(bytes, full.reshape(200, -1)))


def test_classes_filter_and_remap(fake_dir):
    directory, _ = fake_dir
    data = FashionMNIST(classes="1,0").load(data_dir=str(directory), val_fraction=0)
    assert data.classes == ["Trouser", "T-shirt/top"] and data.n_outputs == 2
    labels, _ = read_idx(directory / "t10k-labels-idx1-ubyte.gz", ndim=1)
    images, _ = read_idx(directory / "t10k-images-idx3-ubyte.gz", ndim=3)
    keep = np.isin(labels, [0, 1])
    np.testing.assert_array_equal(data.X_test, images[keep])
    np.testing.assert_array_equal(data.y_test, np.where(labels[keep] == 1, 0, 1))


@pytest.mark.parametrize("value,fragment", [("0", "at least two"), ("0,10", "10 is not a class"),
                                             ("a,b", "comma-separated"), ("1,1", "twice")])
def test_bad_classes(value, fragment):
    with pytest.raises(DataError, match=fragment):
        MNIST(classes=value)


def test_non_canonical_files_load_with_a_warning(fake_dir, caplog):
    directory, _ = fake_dir
    with caplog.at_level(logging.WARNING, "nnplug.datasets"):
        MNIST().load(data_dir=str(directory))
    assert "not the canonical files" in caplog.text and str(directory) in caplog.text


def test_canonical_files_load_silently(fake_dir, caplog, monkeypatch):
    directory, sums = fake_dir
    monkeypatch.setattr(MNIST, "sha256", sums)
    with caplog.at_level(logging.WARNING, "nnplug.datasets"):
        MNIST().load(data_dir=str(directory))
    assert caplog.text == ""


def test_a_subset_in_plain_idx_loads(tmp_path):
    fake_mnist(tmp_path / "small", n_train=30, n_test=10, gz=False, side=12)
    data = MNIST().load(data_dir=str(tmp_path / "small"), val_fraction=0)
    assert data.X_train.shape == (30, 12, 12) and data.n_features == 144


def test_where_files_are_looked_for(tmp_path, monkeypatch):
    assert data_root(str(tmp_path / "d")) == tmp_path / "d"
    assert str(data_root(None)).startswith(str(tmp_path / "user-cache"))
    monkeypatch.setenv("NNPLUG_DATA", str(tmp_path / "env"))
    assert data_root(str(tmp_path / "d")) == tmp_path / "env"  # the env var wins
    assert MNIST().location(None) == str(tmp_path / "env" / "mnist")
    fake_mnist(tmp_path / "env")  # files straight in the folder are used there
    assert MNIST().location(None) == str(tmp_path / "env") and MNIST().is_cached()


def test_real_t10k_images_train_through_the_loader(shared_data, tmp_path):
    """The original test images, split 8000/2000 into a 'different split' folder."""
    src = shared_data / "mnist-t10k"
    images, _ = read_idx(src / "t10k-images-idx3-ubyte.gz", ndim=3)
    labels, _ = read_idx(src / "t10k-labels-idx1-ubyte.gz", ndim=1)
    d = tmp_path / "split"
    d.mkdir()
    write_idx(d / "train-images-idx3-ubyte.gz", images[:8000])
    write_idx(d / "train-labels-idx1-ubyte.gz", labels[:8000])
    shutil.copy(src / "t10k-labels-idx1-ubyte.gz", d)  # canonical file, checksum matches
    write_idx(d / "t10k-images-idx3-ubyte", images)
    data = MNIST().load(data_dir=str(d), seed=0)
    assert len(data.X_train) + len(data.X_val) == 8000 and len(data.X_test) == 10000
    assert abs(len(data.X_val) - 800) <= 10
    np.testing.assert_array_equal(data.y_test, labels)


def test_default_network_learns_real_digits(shared_data, tmp_path):
    """The default network on the original test images split 8000/2000 (full MNIST is not
    available offline): two epochs already classify most held-out digits."""
    from nnplug.nn.training import TrainConfig, train

    src = shared_data / "mnist-t10k"
    images, _ = read_idx(src / "t10k-images-idx3-ubyte.gz", ndim=3)
    labels, _ = read_idx(src / "t10k-labels-idx1-ubyte.gz", ndim=1)
    for stem, arr in (("train-images-idx3-ubyte", images[:8000]),
                      ("train-labels-idx1-ubyte", labels[:8000]),
                      ("t10k-images-idx3-ubyte", images[8000:]),
                      ("t10k-labels-idx1-ubyte", labels[8000:])):
        write_idx(tmp_path / f"{stem}.gz", arr)
    run = train(TrainConfig(dataset="mnist", data_dir=str(tmp_path), epochs=2))
    assert run.metrics["test_accuracy"] > 0.9
