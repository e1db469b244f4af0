"""The quality benchmark's logic (nnplug bench --quality) on tiny stand-ins for its data:
rows, skipping, same splits for every peer, mean +- sd table. The full run is a benchmark."""
import gzip
import io
import tarfile

import numpy as np
import pytest
from click.testing import CliRunner

from nnplug.cli import main
from nnplug.errors import DataError
from nnplug_bench import quality, quality_peers, quality_rows, twin

TINY = {"epochs": 2, "hidden": 8}
HEADER = ("longitude,latitude,housing_median_age,total_rooms,total_bedrooms,population,"
          "households,median_income,median_house_value,ocean_proximity")


def write_idx_gz(path, array):
    array = np.ascontiguousarray(array, np.uint8)
    header = bytes([0, 0, 8, array.ndim]) + np.asarray(array.shape, ">u4").tobytes()
    path.write_bytes(gzip.compress(header + array.tobytes()))


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    """shared/data's layout, tiny: mnist-t10k (120 images), housing.csv, cal_housing.tgz."""
    rng = np.random.default_rng(0)
    root = tmp_path / "data"
    (root / "mnist-t10k").mkdir(parents=True)
    labels = (np.arange(120) % 10).astype(np.uint8)
    images = rng.integers(0, 40, (120, 28, 28)).astype(np.uint8)
    for i, label in enumerate(labels):
        images[i, 2 * label:2 * label + 3] = 255
    write_idx_gz(root / "mnist-t10k" / "t10k-images-idx3-ubyte.gz", images)
    write_idx_gz(root / "mnist-t10k" / "t10k-labels-idx1-ubyte.gz", labels)
    monkeypatch.setattr(quality_rows, "MNIST_TRAIN", 100)
    (root / "california").mkdir()
    n = 300
    income = rng.uniform(1, 10, n)
    value = 50_000 + 40_000 * income + rng.normal(0, 10_000, n)
    near = np.where(rng.random(n) < 0.5, "NEAR BAY", "INLAND")
    lon = np.where(near == "NEAR BAY", -122.0, -118.0) + rng.normal(0, 0.3, n)
    rows = [HEADER]
    for i in range(n):
        bedrooms = "" if i % 50 == 7 else f"{rng.integers(100, 900)}"
        rows.append(f"{lon[i]:.2f},{rng.uniform(33, 40):.2f},{rng.integers(1, 52)},"
                    f"{rng.integers(500, 5000)},{bedrooms},{rng.integers(100, 3000)},"
                    f"{rng.integers(50, 1000)},{income[i]:.4f},{value[i]:.1f},{near[i]}")
    (root / "california" / "housing.csv").write_text("\n".join(rows) + "\n")
    raw = np.column_stack([lon, rng.uniform(33, 40, n), rng.integers(1, 52, n),
                           rng.integers(500, 5000, n), rng.integers(100, 900, n),
                           rng.integers(100, 3000, n), rng.integers(50, 1000, n), income,
                           value])
    text = "\n".join(",".join(f"{v:.4f}" for v in r) for r in raw).encode()
    with tarfile.open(root / "california" / "cal_housing.tgz", "w:gz") as tar:
        info = tarfile.TarInfo("CaliforniaHousing/cal_housing.data")
        info.size = len(text)
        tar.addfile(info, io.BytesIO(text))
    return root


def test_every_row_runs_nnplug_and_peers_on_the_same_split(data_dir, tmp_path, monkeypatch):
    seen = []

    def recording_peer(run, seed):
        seen.append((run.data.X_test.copy(), run.data.y_test.copy(), seed))
        return 0.5

    monkeypatch.setitem(quality_peers.PEERS, "recorder", recording_peer)
    for row in quality_rows.ROWS:
        seen.clear()
        res = quality.run_row(row, data_dir, tmp_path / row.name, [0, 1],
                              ["sklearn", "recorder"], overrides=TINY)
        assert res.skipped is None, (row.name, res.skipped)
        assert set(res.values) == {"nnplug", "sklearn", "recorder"}
        assert all(len(v) == 2 for v in res.values.values()) and len(res.val) == 2
        assert res.metric == ("rmse" if row.name in ("california", "housing") else "accuracy")
        assert [s for *_, s in seen] == [0, 1]
        if row.name in ("mnist", "mnist-npz"):  # the t10k images split 100 / 20
            assert len(seen[0][1]) == 20
        if row.name == "housing":  # the dollar target, RMSE in dollars
            assert 1_000 < res.values["nnplug"][0] < 1_000_000
            assert 1_000 < res.values["sklearn"][0] < 1_000_000


def test_mnist_rows_see_the_same_images(data_dir, tmp_path):
    loader = quality_rows.ROWS[2].prepare(data_dir, tmp_path)
    npz = quality_rows.ROWS[3].prepare(data_dir, tmp_path)
    from nnplug.nn.training import TrainConfig, build

    a = build(TrainConfig(**loader, hidden=8))[0]
    b = build(TrainConfig(**npz, hidden=8))[0]
    np.testing.assert_array_equal(a.y_test, b.y_test)
    np.testing.assert_allclose(a.X_test.reshape(20, -1) * a.scale, b.X_test * b.scale,
                               atol=1e-6)
    assert b.scaling.kind == "image"  # auto: float pixels in [0, 1] are an image


def test_missing_files_skip_the_row(tmp_path):
    for row in quality_rows.ROWS[1:]:
        res = quality.run_row(row, tmp_path / "empty", tmp_path, [0], [], overrides=TINY)
        assert res.skipped and "missing" in res.skipped
    lines = quality.table([quality.Result("california", skipped="missing x")], ["nnplug"])
    assert "skipped: missing x" in lines[1]


def test_table_prints_mean_and_sd():
    assert quality.mean_sd([0.98, 0.99, 1.0], "accuracy") == "99.00 ± 1.00"
    assert quality.mean_sd([0.5, 0.52], "rmse") == "0.5100 ± 0.0141"
    assert quality.mean_sd([50_000.0, 52_000.0], "rmse") == "51000 ± 1414"
    res = quality.Result("digits", "accuracy", {"nnplug": [0.98, 0.99], "sklearn": [0.97]})
    lines = quality.table([res], ["nnplug", "sklearn", "torch"])
    assert "98.50 ± 0.71" in lines[1] and "97.00 ± 0.00" in lines[1] and lines[1].endswith("-")


def test_cli_quality_flag(tmp_path, bench_plugin):
    res = CliRunner().invoke(main, ["bench", "--quality", "--data-dir", str(tmp_path),
                                    "--rows", "california,housing", "--seeds", "1"])
    assert res.exit_code == 0, res.output
    assert res.output.count("skipped: missing") == 2
    res = CliRunner().invoke(main, ["bench", "--quality", "--rows", "cifar"])
    assert res.exit_code != 0 and "unknown row 'cifar'" in res.output
    assert "Traceback" not in res.output


def test_torch_twin_has_nnplugs_network_and_weights():
    torch = pytest.importorskip("torch")
    from nnplug.nn.sequential import Sequential

    net = Sequential.from_spec("linear:8,batchnorm,relu,dropout:p=0.2,linear:6,tanh", 5, 3,
                               rng=0)
    copy = twin.torch_network(net)
    x = np.random.default_rng(1).normal(size=(7, 5)).astype(np.float32)
    copy.eval()
    with torch.no_grad():
        out = copy(torch.tensor(x)).numpy()
    np.testing.assert_allclose(out, net.predict_raw(x), rtol=1e-5, atol=1e-6)


def test_torch_peer_learns_digits():
    pytest.importorskip("torch")
    from nnplug.nn.training import TrainConfig, train

    run = train(TrainConfig(epochs=3, hidden=32))
    assert quality_peers.torch_peer(run, 0) > 0.85


def test_idx_files_are_read_by_the_size_checked_reader(tmp_path, bench_plugin):
    """The t10k files go through nnplug_datasets.idx: a header claiming more than the file
    holds is refused before anything is allocated, in one line."""
    d = tmp_path / "data" / "mnist-t10k"
    d.mkdir(parents=True)
    header = bytes([0, 0, 8, 3]) + np.asarray([60000, 28, 28], ">u4").tobytes()
    (d / "t10k-images-idx3-ubyte.gz").write_bytes(gzip.compress(header + b"\0" * 64))
    write_idx_gz(d / "t10k-labels-idx1-ubyte.gz", np.zeros(10, np.uint8))
    with pytest.raises(DataError, match="truncated data: header says 60000x28x28"):
        quality_rows.ROWS[2].prepare(tmp_path / "data", tmp_path / "work")
    res = CliRunner().invoke(main, ["bench", "--quality", "--data-dir", str(tmp_path / "data"),
                                    "--rows", "mnist", "--seeds", "1"])
    assert res.exit_code != 0 and "Traceback" not in res.output
    assert res.output.splitlines()[-1].startswith("Error: ")
    assert "truncated data" in res.output.splitlines()[-1]
