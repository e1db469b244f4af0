"""Standardised val/test inputs are clipped to the training split's range (train stats only)."""
import numpy as np

from nnplug.data.split import standardize


def test_other_splits_are_clipped_to_the_training_range():
    rng = np.random.default_rng(0)
    X_train = rng.standard_normal((200, 3))
    X_test = X_train[:5].copy()
    X_test[0, 1] = 1e6  # an outlier far outside anything the network saw
    (z_train, z_test), stats = standardize(X_train, X_test)
    assert z_test[0, 1] == np.float32(stats["max"][1]) == z_train[:, 1].max()
    np.testing.assert_allclose(z_test[1:], z_train[1:5], rtol=1e-6)  # inside: untouched
    np.testing.assert_allclose(stats["min"], z_train.min(axis=0), rtol=1e-6)


def test_clip_bounds_ignore_the_test_split():
    rng = np.random.default_rng(1)
    X_train = rng.standard_normal((100, 2))
    _, a = standardize(X_train, rng.standard_normal((10, 2)))
    _, b = standardize(X_train, rng.standard_normal((10, 2)) * 1000)
    assert a == b  # bounds (and mean/std) come from the training split alone
