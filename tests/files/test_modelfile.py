"""Model files: .npz weights + JSON header, atomic, no pickle; nnplug.load().predict()."""
from __future__ import annotations

from builders import create

import json
import zipfile

import numpy as np
import pytest

import nnplug
from nnplug.files.model import save
from nnplug.base import Data, Scaling
from nnplug.errors import NNPlugError
from nnplug.files.container import META_KEY, MissingPluginError, ModelFileError
from nnplug.nn.sequential import Sequential
from nnplug.nn.training import TrainConfig, train


@pytest.fixture(scope="module")
def run():
    return train(TrainConfig(epochs=2, hidden=24, layers="linear,batchnorm,relu,dropout:0.1"))


def header(path):
    with np.load(path, allow_pickle=False) as z:
        return json.loads(z[META_KEY].tobytes())


def test_round_trip_predicts_identically(run, tmp_path):
    path = tmp_path / "m.npz"
    save(path, run.model, run.loss, run.data)
    model = nnplug.load(path)
    X = run.data.X_test
    expected = run.model.predict_raw(X, scale=run.data.scale, exact=True)
    assert np.array_equal(model.outputs(X), expected)
    assert np.array_equal(model.predict(X), expected.argmax(axis=1))
    proba = model.predict_proba(X)
    assert proba.shape == (len(X), 10) and np.allclose(proba.sum(axis=1), 1)
    assert model.evaluate(X, run.data.y_test) == run.metrics["test_accuracy"]
    assert model.evaluate_data(run.data) == run.metrics["test_accuracy"]
    for k, v in run.model.state_arrays().items():  # buffers (running stats) too
        assert np.array_equal(model.network.state_arrays()[k], v)


def test_header_describes_architecture_and_data(run, tmp_path):
    path = tmp_path / "m.npz"
    save(path, run.model, run.loss, run.data, extra={"dataset": "digits"})
    meta = header(path)
    assert meta["format"] == "nnplug-model" and meta["dtype"] == "float32"
    assert meta["in_features"] == 64 and meta["out_features"] == 10
    assert [layer["name"] for layer in meta["layers"]] == [
        "linear", "batchnorm", "relu", "dropout", "linear"]
    assert meta["layers"][0]["options"] == {"units": 24, "bias": True}
    assert meta["layers"][3]["options"] == {"p": 0.1}
    assert {layer["dist"] for layer in meta["layers"]} == {"nnplug"}
    assert meta["plugins"] == {"nnplug": nnplug.__version__}
    assert meta["loss"]["name"] == "softmax_ce"
    assert meta["classes"] == [str(c) for c in range(10)] and meta["scale"] == 1 / 16
    assert meta["training"]["dataset"] == "digits"
    with zipfile.ZipFile(path) as z:  # every member is a plain .npy, no pickle
        assert all(name.endswith(".npy") for name in z.namelist())


def test_object_arrays_are_refused(run, tmp_path):
    path = tmp_path / "m.npz"
    save(path, run.model, run.loss, run.data)
    with np.load(path, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    arrays["state/0.W"] = np.array([{"evil": 1}], dtype=object)
    np.savez(tmp_path / "evil.npz", **arrays)
    with pytest.raises(ModelFileError, match="not a readable nnplug model file"):
        nnplug.load(tmp_path / "evil.npz")


def test_failed_save_leaves_nothing(run, tmp_path, monkeypatch):
    with pytest.raises(NNPlugError):  # header not serialisable: refused before writing
        save(tmp_path / "m.npz", run.model, run.loss, run.data, extra={"x": object()})

    def crash(fh, **arrays):  # a crash half-way through writing the archive
        fh.write(b"PK\x03\x04 half an archive")
        raise OSError("disk full")

    monkeypatch.setattr(np, "savez", crash)
    with pytest.raises(NNPlugError, match="cannot write .*m.npz: disk full"):  # one line
        save(tmp_path / "m.npz", run.model, run.loss, run.data)
    assert list(tmp_path.iterdir()) == []


def test_overwrite_is_atomic(run, tmp_path):
    path = tmp_path / "m.npz"
    save(path, run.model, run.loss, run.data)
    before = path.read_bytes()
    with pytest.raises(NNPlugError):
        save(path, run.model, run.loss, run.data, extra={"x": object()})
    assert path.read_bytes() == before and len(list(tmp_path.iterdir())) == 1


def test_scaling_statistics_are_saved_and_applied(tmp_path, registry):
    rng = np.random.default_rng(0)
    raw = rng.normal(50, 10, (300, 3))
    mean, std = raw[:200].mean(axis=0), raw[:200].std(axis=0)
    z = (raw - mean) / std
    y = 2 * z[:, 0] - z[:, 1]
    data = Data(z[:200], y[:200], z[200:250], y[200:250], z[250:], y[250:], task="regression",
                feature_names=["a", "b", "c"],
                scaling=Scaling("standard", mean=mean, std=std))
    net = Sequential.from_spec("linear:8,tanh", 3, 1, rng=0)
    loss = create("loss", "mse")
    save(tmp_path / "r.npz", net, loss, data)
    model = nnplug.load(tmp_path / "r.npz")
    assert model.task == "regression" and model.meta["feature_names"] == ["a", "b", "c"]
    # raw features in, the same values as the network on standardised features
    expected = net.predict_raw(z[250:])[:, 0]
    np.testing.assert_allclose(model.predict(raw[250:]), expected, rtol=1e-5, atol=1e-6)
    with pytest.raises(NNPlugError, match="predict_proba needs a classification model"):
        model.predict_proba(raw[:2])


def test_width_mismatch_and_bad_values(run, tmp_path):
    save(tmp_path / "m.npz", run.model, run.loss, run.data)
    model = nnplug.load(tmp_path / "m.npz")
    with pytest.raises(NNPlugError, match="expects 64 features per row, the input has 10"):
        model.predict(np.zeros((3, 10)))
    bad = np.zeros((3, 64))
    bad[1, 5] = np.nan
    with pytest.raises(NNPlugError, match="row 2, column 6 is not a finite number"):
        model.predict(bad)
    assert model.predict(np.zeros(64)).shape == (1,)  # a single row is accepted


def test_missing_plugin_is_named(nanplug, tmp_path):
    from nnplug.registry import Registry, set_registry

    net = Sequential.from_spec("linear:8,nan_after:after=5,relu", 4, 2, rng=0,
                               registry=nanplug)
    save(tmp_path / "m.npz", net, create("loss", "softmax_ce"))
    assert nnplug.load(tmp_path / "m.npz").network.layers[1].after == 5
    set_registry(Registry())  # the plugin is not installed here
    with pytest.raises(MissingPluginError) as info:
        nnplug.load(tmp_path / "m.npz")
    msg = str(info.value)
    assert "layer 'nan_after'" in msg and "plugin 'nanplug'" in msg
    assert "pip install nnplug-nanplug" in msg and "\n" not in msg


@pytest.mark.parametrize("content,fragment", [
    (b"", "not an .npz archive"),
    (b"PK\x03\x04garbage", "not a readable nnplug model file"),
    (b"\x93NUMPY junk", "not an .npz archive"),
])
def test_corrupt_files(tmp_path, content, fragment):
    (tmp_path / "m.npz").write_bytes(content)
    with pytest.raises(ModelFileError, match=fragment):
        nnplug.load(tmp_path / "m.npz")


def test_npz_without_header_and_damaged_header(tmp_path, run):
    np.savez(tmp_path / "plain.npz", W=np.zeros(3))
    with pytest.raises(ModelFileError, match="no nnplug header"):
        nnplug.load(tmp_path / "plain.npz")
    save(tmp_path / "m.npz", run.model, run.loss, run.data)
    with np.load(tmp_path / "m.npz") as z:
        arrays = {k: z[k] for k in z.files}
    meta = json.loads(arrays[META_KEY].tobytes())
    meta["layers"][0]["options"]["units"] = 7  # weights no longer fit the architecture
    arrays[META_KEY] = np.frombuffer(json.dumps(meta).encode(), np.uint8)
    np.savez(tmp_path / "bad.npz", **arrays)
    with pytest.raises(ModelFileError, match="does not match its own architecture"):
        nnplug.load(tmp_path / "bad.npz")


def test_disabled_plugin_is_named(run, tmp_path, monkeypatch):
    from nnplug.registry import Registry, get_registry, set_registry

    save(tmp_path / "m.npz", run.model, run.loss, run.data)
    before = get_registry()
    monkeypatch.setenv("NNPLUG_DISABLE_PLUGINS", "core")
    set_registry(Registry())
    try:
        with pytest.raises(MissingPluginError,
                           match="needs layer 'linear': plugin 'core' is disabled by "
                                 "NNPLUG_DISABLE_PLUGINS"):
            nnplug.load(tmp_path / "m.npz")
    finally:
        set_registry(before)
