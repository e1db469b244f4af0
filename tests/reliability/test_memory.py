"""Issue 11, "memory is not bounded": every reader judges declared sizes before it
allocates. Each case runs the real command in a child process capped at 1 GiB of address
space; a hostile file must end in one ``Error:`` line with the peak resident memory of a
process that read nothing big (under 200 MB: Python + NumPy + scikit-learn are ~130 MB)."""
from __future__ import annotations

import copy
import json
import os

import numpy as np
import pytest

from childrun import SMALL_LIMIT
from hostile import (META_KEY, bomb_npz, idx_bomb, idx_file, model_parts, npy_bytes,
                     npy_header, write_model, write_npz)
from idxfiles import fake_mnist

BOMB = 256 << 20  # honest zeros, deflated to ~256 KB
LIMITED = {"NNPLUG_MAX_BYTES": SMALL_LIMIT}
QUIET = ["--epochs", "1", "--hidden", "8", "--quiet", "--log-file", ""]
PEAK_KB = 200_000


def refused(done, *fragments):
    line = done.one_error()
    assert done.code == 1, done.stderr
    for fragment in fragments:
        assert fragment in line, line
    assert done.max_rss_kb < PEAK_KB, f"peak RSS {done.max_rss_kb} KB"
    return line


@pytest.fixture
def x_npy(tmp_path):
    np.save(tmp_path / "x.npy", np.zeros((3, 64)))
    return tmp_path / "x.npy"


def model_with(model_dir, tmp_path, change=None, arrays_change=None, name="m.npz"):
    meta, arrays = model_parts(model_dir / "model.npz")
    meta = copy.deepcopy(meta)
    if change:
        change(meta)
    if arrays_change:
        arrays_change(arrays)
    return write_model(tmp_path / name, meta, arrays)


def test_model_member_bomb_is_refused_by_the_limit(run, model_dir, tmp_path, x_npy):
    """A 4.2 MB model whose extra member decompresses to 4 GiB exited 0 using 4.2 GB."""
    meta, arrays = model_parts(model_dir / "model.npz")
    members = {META_KEY: npy_bytes(np.frombuffer(json.dumps(meta).encode(), np.uint8)),
               **{k: npy_bytes(v) for k, v in arrays.items()}}
    bomb_npz(tmp_path / "m.npz", "junk", BOMB, extra=members)
    assert (tmp_path / "m.npz").stat().st_size < 1 << 20
    line = refused(run("predict", "--model", tmp_path / "m.npz", "--input", x_npy,
                       env=LIMITED), "NNPLUG_MAX_BYTES limit of 16.0 MiB")
    assert "needs 256.0 MiB" in line


def test_model_header_claiming_a_huge_layer(run, model_dir, tmp_path):
    """An 84 KB model claiming a 30000 x 30000 layer: 32 s and 10.6 GB before failing."""
    meta, _ = model_parts(model_dir / "model.npz")
    linears = [i for i, r in enumerate(meta["layers"]) if "units" in r["options"]]

    def wide(meta):
        for i in linears:
            meta["layers"][i]["options"]["units"] = 30000
        meta["in_features"] = 30000

    model_with(model_dir, tmp_path, wide)
    refused(run("evaluate", "--model", tmp_path / "m.npz"),
            "damaged header (its layers need at least", "weights, the file holds")


def test_model_units_1e9(run, model_dir, tmp_path, x_npy):
    def units(meta):
        meta["layers"][0]["options"]["units"] = 1e9

    model_with(model_dir, tmp_path, units)
    refused(run("predict", "--model", tmp_path / "m.npz", "--input", x_npy),
            "damaged header")


def test_npy_member_header_claiming_1e13_items(run, model_dir, tmp_path, x_npy):
    meta, arrays = model_parts(model_dir / "model.npz")
    members = {META_KEY: npy_bytes(np.frombuffer(json.dumps(meta).encode(), np.uint8)),
               **{k: npy_bytes(v) for k, v in arrays.items()}}
    key = next(k for k in arrays if k.endswith(".W"))
    members[key] = npy_header((10 ** 13,)) + arrays[key].tobytes()
    write_npz(tmp_path / "m.npz", members)
    refused(run("predict", "--model", tmp_path / "m.npz", "--input", x_npy),
            "its header declares shape (10000000000000,)", "36.4 TiB")


def test_idx_gzip_bomb(run, tmp_path):
    """A 4.2 MB IDX gzip in --data-dir that inflates to 4 GiB used 8.4 GB."""
    fake_mnist(tmp_path / "d")
    idx_bomb(tmp_path / "d" / "train-images-idx3-ubyte.gz", BOMB // 784)
    refused(run("train", "--dataset", "mnist", "--data-dir", tmp_path / "d", *QUIET,
                env=LIMITED), "train-images-idx3-ubyte.gz", "NNPLUG_MAX_BYTES limit")


def test_idx_dimensions_overflowing_int64(run, tmp_path):
    fake_mnist(tmp_path / "d")
    idx_file(tmp_path / "d" / "train-images-idx3-ubyte.gz", (2 ** 32 - 1,) * 3, bytes(64))
    refused(run("train", "--dataset", "mnist", "--data-dir", tmp_path / "d", *QUIET),
            "shape (4294967295, 4294967295, 4294967295) is larger than any array can be")
    idx_file(tmp_path / "d" / "train-images-idx3-ubyte.gz", (2 ** 31, 2 ** 16, 2 ** 8),
             bytes(64))  # fits int64, but not in 64 bytes of gzip
    refused(run("train", "--dataset", "mnist", "--data-dir", tmp_path / "d", *QUIET),
            "truncated data: header says 2147483648x65536x256")


def test_npz_dataset_bomb(run, tmp_path):
    bomb_npz(tmp_path / "d.npz", "X", BOMB, extra={"y": npy_bytes(np.zeros(3))})
    refused(run("train", "--dataset", "npz", "--data", tmp_path / "d.npz", *QUIET,
                env=LIMITED), "NNPLUG_MAX_BYTES limit of 16.0 MiB")


def test_npz_header_claiming_1e12_rows(run, tmp_path):
    write_npz(tmp_path / "d.npz", {"X": npy_header((10 ** 12, 8)) + bytes(64),
                                   "y": npy_bytes(np.zeros(3))})
    refused(run("train", "--dataset", "npz", "--data", tmp_path / "d.npz", *QUIET),
            "array 'X': its header declares shape (1000000000000, 8)")


def test_member_declaring_more_than_its_bytes_can_hold(run, tmp_path):
    """A zip entry claiming 4 GiB behind 1 KB of deflate data is a lie: refused at once,
    whatever the limit."""
    import zipfile
    import zlib

    from hostile import write_raw_member

    data = zlib.compress(npy_header((1 << 30,)) + bytes(1000))[2:-4]
    with zipfile.ZipFile(tmp_path / "d.npz", "w") as zf:
        zf.writestr("y.npy", npy_bytes(np.zeros(3)))
        info = zipfile.ZipInfo("X.npy")
        info.compress_type = zipfile.ZIP_DEFLATED
        write_raw_member(zf, info, data, 0, 4 << 30)
    refused(run("train", "--dataset", "npz", "--data", tmp_path / "d.npz", *QUIET,
                env={"NNPLUG_MAX_BYTES": "64G"}), "member 'X' declares 4.0 GiB but holds")


@pytest.mark.parametrize("special", ["/dev/zero", "fifo"])
def test_csv_from_a_device_or_fifo_is_refused(run, tmp_path, special):
    """--dataset csv --data /dev/zero was killed by the OOM killer at 24 GB."""
    if special == "fifo":
        special = tmp_path / "fifo"
        os.mkfifo(special)
    line = refused(run("train", "--dataset", "csv", "--data", special, "--target", "y",
                       *QUIET, timeout=30), "not a regular file")
    assert ("a character device" if special == "/dev/zero" else "a fifo") in line


def test_predict_input_npy_claiming_a_huge_shape(run, model_dir, tmp_path):
    (tmp_path / "x.npy").write_bytes(npy_header((10 ** 12, 64), "<f8") + bytes(64))
    refused(run("predict", "--model", model_dir / "model.npz", "--input", tmp_path / "x.npy"),
            "x.npy: not a readable NumPy file", "(1000000000000, 64)")


def test_predict_input_from_dev_zero(run, model_dir):
    refused(run("predict", "--model", model_dir / "model.npz", "--input", "/dev/zero"),
            "input file /dev/zero is a character device")


def test_the_limit_can_be_raised(tmp_path, monkeypatch):
    """The same file is refused under a small limit and read under a larger one."""
    from nnplug.errors import NNPlugError
    from nnplug_datasets.tabular import NPZ

    np.savez(tmp_path / "d.npz", X=np.ones((4096, 64)), y=np.arange(4096) % 2)
    monkeypatch.setenv("NNPLUG_MAX_BYTES", "1M")
    with pytest.raises(NNPlugError, match=r"needs 2\.0 MiB, more than the NNPLUG_MAX_BYTES "
                                          r"limit of 1\.0 MiB \(raise NNPLUG_MAX_BYTES"):
        NPZ(data=str(tmp_path / "d.npz")).load()
    monkeypatch.setenv("NNPLUG_MAX_BYTES", "3MiB")
    assert len(NPZ(data=str(tmp_path / "d.npz")).load().X_train) > 2000
    monkeypatch.setenv("NNPLUG_MAX_BYTES", "lots")
    with pytest.raises(NNPlugError, match="NNPLUG_MAX_BYTES='lots' is not a size"):
        NPZ(data=str(tmp_path / "d.npz")).load()


def test_hidden_and_layer_widths_are_judged_before_building(cli):
    for args in (["--hidden", "1000000000"], ["--layers", "linear:2000000000,relu"]):
        res = cli("train", *args, "--quiet", "--log-file", "")
        assert res.exit_code == 1 and "Traceback" not in res.output
        assert res.stderr.count("\n") == 1 and "more than the NNPLUG_MAX_BYTES limit" in \
            res.stderr


def test_billions_of_empty_rows(run, tmp_path):
    """Zero bytes of data, 2**31 rows: every per-row array downstream would be gigabytes
    (found by the fuzz suite)."""
    empty = npy_header((2 ** 31, 0))
    write_npz(tmp_path / "d.npz", {"X": empty, "y": empty})
    refused(run("train", "--dataset", "npz", "--data", tmp_path / "d.npz", *QUIET),
            "needs 16.0 GiB, more than the NNPLUG_MAX_BYTES limit")
