"""Input scaling (--scale): image-like detection, each kind fitted on the training split
only, and each kind's round trip through a model file (raw features in, same outputs)."""
import numpy as np
import pytest

import nnplug
from nnplug.files.model import save
from nnplug.errors import DataError
from nnplug.files.container import ModelFileError
from nnplug.data.scaling import check_quantiles, quantile_normal
from nnplug.nn.training import TrainConfig, train
from nnplug.data.fitting import fit, is_image_like, resolve, scale_splits


@pytest.mark.parametrize("X,image", [
    (np.zeros((5, 3), np.uint8), True),                                     # uint8: always
    (np.random.default_rng(0).random((20, 64)), True),                      # [0, 1], 64 wide
    (np.random.default_rng(0).integers(0, 256, (20, 100)).astype(float), True),  # [0, 255]
    (np.random.default_rng(0).random((20, 4, 4, 2)), True),                 # images, 32 px
    (np.random.default_rng(0).random((20, 63)), False),                     # too few columns
    (np.random.default_rng(0).random((20, 64)) * 300, False),               # beyond 255
    (np.random.default_rng(0).random((20, 64)) - 0.5, False),               # negatives
    (np.random.default_rng(0).lognormal(size=(20, 8)), False),              # tabular
])
def test_image_like_detection(X, image):
    assert is_image_like(X) is image
    assert resolve("auto", X) == ("image" if image else "standard")
    assert resolve("quantile", X) == "quantile"


def test_image_scale_is_one_global_factor_from_train_only():
    rng = np.random.default_rng(0)
    X_tr = rng.integers(0, 201, (30, 64)).astype(np.float64)
    X_te = X_tr[:3] * 1.2
    (a, b), scale, meta = scale_splits(X_tr, X_te)
    assert meta.kind == "image" and scale == pytest.approx(1 / X_tr.max())
    np.testing.assert_array_equal(a, X_tr.astype(np.float32))  # relative brightness kept
    np.testing.assert_array_equal(b, X_te.astype(np.float32))
    imgs = rng.integers(0, 256, (10, 8, 8)).astype(np.uint8)
    (u,), scale, _ = scale_splits(imgs)
    assert u.dtype == np.uint8 and u.shape == (10, 8, 8) and scale == pytest.approx(1 / 255)


def test_quantile_transform_matches_scikit_learn():
    from sklearn.preprocessing import QuantileTransformer

    rng = np.random.default_rng(0)
    X = np.column_stack([rng.lognormal(size=500), rng.integers(0, 4, 500), rng.normal(size=500)])
    X_new = np.vstack([X[:50] * 1.1, [[1e9, -5, 0.0]], [[-1e9, 10, 1e-12]]])
    qt = QuantileTransformer(n_quantiles=200, output_distribution="normal").fit(X)
    np.testing.assert_allclose(quantile_normal(X_new, qt.quantiles_, qt.references_),
                               qt.transform(X_new), rtol=1e-10, atol=1e-10)


def test_each_kind_uses_training_statistics_only():
    rng = np.random.default_rng(1)
    X_tr = rng.lognormal(size=(300, 3))
    for kind in ("standard", "minmax", "quantile"):
        a = fit(kind, X_tr)
        b = fit(kind, X_tr)
        for key in a:
            if key != "kind":
                np.testing.assert_array_equal(a[key], b[key])
        (z_tr, z_te), _, meta = scale_splits(X_tr, X_tr[:5] * 1e6, kind=kind)
        assert meta.kind == kind
        assert np.all(z_te <= z_tr.max(axis=0) + 1e-6)  # beyond the training range: clipped
    (z,), _, _ = scale_splits(X_tr, kind="minmax")
    assert z.min() == 0 and z.max() == pytest.approx(1)


def test_bad_scale_is_one_line():
    with pytest.raises(DataError, match="--scale must be one of auto, standard"):
        scale_splits(np.zeros((3, 2)), kind="zscore")


@pytest.mark.parametrize("kind", ["standard", "quantile", "minmax", "none", "auto"])
def test_each_scaling_round_trips_through_the_model_file(tmp_path, kind):
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.lognormal(0, 1, 400), rng.normal(50, 10, 400),
                         rng.integers(0, 5, 400)])
    y = (np.log(X[:, 0]) + 0.05 * X[:, 1] > 2.5).astype(int)
    np.savez(tmp_path / "d.npz", X=X, y=y)
    run = train(TrainConfig(dataset="npz", epochs=2, hidden=16,
                            dataset_options={"data": str(tmp_path / "d.npz"), "scale": kind}))
    save(tmp_path / "m.npz", run.model, run.loss, run.data)
    model = nnplug.load(tmp_path / "m.npz")
    assert model.meta["input_scaling"] == ("standard" if kind == "auto" else kind)
    with np.load(tmp_path / "m.npz", allow_pickle=False) as npz:  # plain arrays, no pickle
        assert ("scaling/quantiles" in npz.files) == (kind == "quantile")
    # raw test rows through the model file = the network on the dataset's scaled test split
    data = run.data
    raw_test = X[_test_rows(y)]
    expected = run.model.predict_raw(data.X_test, scale=data.scale, exact=True)
    np.testing.assert_allclose(model.outputs(raw_test), expected, rtol=1e-4, atol=1e-4)
    model.save(tmp_path / "again.npz")  # a re-saved model keeps the quantile arrays
    # the same file content and the same code path: the same numbers
    np.testing.assert_array_equal(nnplug.load(tmp_path / "again.npz").outputs(raw_test),
                                  model.outputs(raw_test))


def _test_rows(y, seed=42):
    """The rows the npz dataset puts in its test split (same seeded holdout)."""
    from nnplug.data.split import stratified_holdout

    _, test = stratified_holdout(y, 0.2, seed)
    return test


def test_damaged_quantiles_are_refused(tmp_path):
    rng = np.random.default_rng(0)
    np.savez(tmp_path / "d.npz", X=rng.lognormal(size=(200, 2)), y=rng.normal(size=200))
    run = train(TrainConfig(dataset="npz", epochs=1, hidden=8, dataset_options={
        "data": str(tmp_path / "d.npz"), "scale": "quantile", "task": "regression"}))
    save(tmp_path / "m.npz", run.model, run.loss, run.data)
    with np.load(tmp_path / "m.npz", allow_pickle=False) as npz:
        arrays = dict(npz)
    arrays["scaling/quantiles"] = arrays["scaling/quantiles"][:, :1]
    np.savez(tmp_path / "bad.npz", **arrays)
    with pytest.raises(ModelFileError, match="damaged quantile scaling"):
        nnplug.load(tmp_path / "bad.npz")
    assert check_quantiles(np.zeros((3, 2)), np.array([0.0, 0.5, 1.0]), 2) is None
    assert "sorted" in check_quantiles(np.array([[1.0], [0.0]]), np.array([0.0, 1.0]), 1)
