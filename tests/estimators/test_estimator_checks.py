"""scikit-learn's own estimator checks, every one, on both estimators with nnplug's
defaults (30 epochs: the checks' data sets are small), in float32 and float64."""
import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from nnplug.sklearn import NNPlugClassifier, NNPlugRegressor

ESTIMATORS = [NNPlugClassifier(), NNPlugRegressor(),
              NNPlugClassifier(dtype="float64"), NNPlugRegressor(dtype="float64")]

#: the only expected failure, float32 instances only (the float64 instances pass it)
FLOAT32_ROUNDING = {
    "check_methods_subset_invariance": (
        "float32: a row predicted alone goes through NumPy's matrix-vector product (gemv), "
        "which rounds differently from the matrix product of a batch of rows: a "
        "probability differs by ~1e-7, a regression value (3 hidden layers, times the "
        "target's std) by ~6e-7; the check allows 1e-7 (the float64 instances pass)"),
}


def expected_failed_checks(estimator):
    if estimator.dtype == "float32":
        return FLOAT32_ROUNDING
    return {}


@parametrize_with_checks(ESTIMATORS, expected_failed_checks=expected_failed_checks,
                         xfail_strict=True)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def test_the_checks_are_many_and_the_expected_failures_few():
    from sklearn.utils.estimator_checks import _yield_all_checks

    for estimator in ESTIMATORS:
        checks = list(_yield_all_checks(estimator, legacy=True))
        assert len(checks) >= 50, (estimator, len(checks))
    assert len(FLOAT32_ROUNDING) == 1


@pytest.mark.parametrize("Estimator", [NNPlugClassifier, NNPlugRegressor])
def test_defaults_are_nnplug_trains(Estimator):
    from nnplug.training import TrainConfig

    config, params = TrainConfig(), Estimator().get_params()
    shared = {k for k in params if hasattr(config, k)}
    assert shared >= {"layers", "hidden", "loss", "optimizer", "lr", "momentum",
                      "weight_decay", "schedule", "warmup", "lr_decay", "epochs",
                      "batch_size", "patience", "val_fraction", "backend", "dtype", "threads"}
    assert {k: params[k] for k in shared} == {k: getattr(config, k) for k in shared}
    assert params["random_state"] is None and params["scale"] == "auto"
