"""IDX reading: valid files (gzipped or not) and one clear error per kind of corruption."""
import gzip

import numpy as np
import pytest

from idxfiles import fake_mnist, idx_bytes, write_idx
from nnplug.errors import DataError
from nnplug_datasets.idx import read_idx
from nnplug_datasets.mnist import MNIST


def test_reads_gzipped_and_plain_identically(tmp_path, rng):
    images = rng.integers(0, 256, (5, 4, 3)).astype(np.uint8)
    sha_gz = write_idx(tmp_path / "a.gz", images)
    sha_raw = write_idx(tmp_path / "a", images)
    a, d1 = read_idx(tmp_path / "a.gz", ndim=3)
    b, d2 = read_idx(tmp_path / "a", ndim=3)
    assert a.dtype == np.uint8 and a.shape == (5, 4, 3)
    np.testing.assert_array_equal(a, images)
    np.testing.assert_array_equal(b, images)
    assert d1 == d2 == sha_gz == sha_raw  # the digest covers the payload, not the gzip bytes


def test_gzip_header_differences_do_not_change_the_digest(tmp_path):
    payload = idx_bytes(np.arange(6, dtype=np.uint8))
    (tmp_path / "x.gz").write_bytes(gzip.compress(payload, mtime=0))
    (tmp_path / "y.gz").write_bytes(gzip.compress(payload, mtime=1234567, compresslevel=1))
    assert (tmp_path / "x.gz").read_bytes() != (tmp_path / "y.gz").read_bytes()
    assert read_idx(tmp_path / "x.gz", ndim=1)[1] == read_idx(tmp_path / "y.gz", ndim=1)[1]


def one_error(path, ndim=3):
    with pytest.raises(DataError) as info:
        read_idx(path, ndim=ndim)
    message = str(info.value)
    assert "\n" not in message and str(path) in message
    return message


def test_wrong_magic(tmp_path):
    payload = bytearray(idx_bytes(np.zeros((2, 2, 2), np.uint8)))
    payload[2] = 0x0D  # float32 type code
    (tmp_path / "m").write_bytes(bytes(payload))
    assert "wrong magic number 0x00000d03" in one_error(tmp_path / "m")
    write_idx(tmp_path / "labels", np.zeros(3, np.uint8))
    assert "wrong magic" in one_error(tmp_path / "labels", ndim=3)  # labels where images belong


def test_truncated_data(tmp_path):
    payload = idx_bytes(np.zeros((3, 4, 4), np.uint8))
    (tmp_path / "t.gz").write_bytes(gzip.compress(payload[:-5]))
    assert "truncated data" in one_error(tmp_path / "t.gz") and "48 bytes, file has 43" in \
        one_error(tmp_path / "t.gz")


def test_truncated_header(tmp_path):
    (tmp_path / "h").write_bytes(bytes([0, 0, 8, 3, 0, 0]))
    assert "truncated header" in one_error(tmp_path / "h")


def test_trailing_bytes(tmp_path):
    (tmp_path / "x").write_bytes(idx_bytes(np.zeros(4, np.uint8)) + b"junk")
    assert "4 unexpected bytes" in one_error(tmp_path / "x", ndim=1)


def test_garbage_named_gz(tmp_path):
    (tmp_path / "g.gz").write_bytes(b"<html>404 not found</html>")
    assert "not a gzip file" in one_error(tmp_path / "g.gz")


def test_truncated_gzip_stream(tmp_path):
    blob = gzip.compress(idx_bytes(np.arange(5000, dtype=np.uint8).reshape(50, 10, 10) % 7))
    (tmp_path / "c.gz").write_bytes(blob[: len(blob) // 2])
    assert "corrupt or truncated gzip" in one_error(tmp_path / "c.gz")


def test_empty_file(tmp_path):
    (tmp_path / "e.gz").write_bytes(b"")
    assert "empty file" in one_error(tmp_path / "e.gz")


def load_error(directory):
    with pytest.raises(DataError) as info:
        MNIST().load(data_dir=str(directory))
    assert "\n" not in str(info.value)
    return str(info.value)


def test_count_mismatch(tmp_path):
    fake_mnist(tmp_path)
    write_idx(tmp_path / "train-labels-idx1-ubyte.gz", np.zeros(59, np.uint8))
    message = load_error(tmp_path)
    assert "train images and labels disagree in count (60 images, 59 labels)" in message


def test_labels_out_of_range(tmp_path):
    fake_mnist(tmp_path)
    labels = np.zeros(20, np.uint8)
    labels[7] = 12
    write_idx(tmp_path / "t10k-labels-idx1-ubyte.gz", labels)
    assert "label 12 at index 7 is out of range (expected 0..9)" in load_error(tmp_path)


def test_train_and_test_image_sizes_must_agree(tmp_path):
    fake_mnist(tmp_path)
    write_idx(tmp_path / "t10k-images-idx3-ubyte.gz", np.zeros((20, 8, 8), np.uint8))
    assert "differ in size" in load_error(tmp_path)


def test_real_t10k_files_match_the_checksum_constants(shared_data):
    """Our constants cover the decompressed payload: the project's copy (whose gzip
    header differs from the mirrors') verifies against them."""
    for stem, ndim, n in (("t10k-images-idx3-ubyte", 3, 10000),
                          ("t10k-labels-idx1-ubyte", 1, 10000)):
        array, digest = read_idx(shared_data / "mnist-t10k" / f"{stem}.gz", ndim=ndim)
        assert digest == MNIST.sha256[stem]
        assert len(array) == n
    labels, _ = read_idx(shared_data / "mnist-t10k" / "t10k-labels-idx1-ubyte.gz", ndim=1)
    assert sorted(np.unique(labels)) == list(range(10))
