"""scikit-learn's own estimator checks, every one, on both estimators with nnplug's
defaults (the checks' data sets are small: the classifier trains the small-table recipe,
200 epochs of one hidden layer; the regressor 30), in float32 and float64 -- no expected
failure: predictions run in float64 whatever the training dtype, so a row's prediction does
not depend on the other rows (check_methods_subset_invariance and
check_methods_sample_order_invariance allow 1e-7 and 1e-9)."""
import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from nnplug.sklearn import NNPlugClassifier, NNPlugRegressor

ESTIMATORS = [NNPlugClassifier(), NNPlugRegressor(),
              NNPlugClassifier(dtype="float64"), NNPlugRegressor(dtype="float64")]


@parametrize_with_checks(ESTIMATORS, xfail_strict=True)
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


def test_the_checks_are_many():
    # the public generator (scikit-learn >= 1.6, as required) rather than the private
    # _yield_all_checks a release may rename; a lower bound, as releases add and drop checks
    from sklearn.utils.estimator_checks import estimator_checks_generator

    for estimator in ESTIMATORS:
        checks = list(estimator_checks_generator(estimator, legacy=True))
        assert len(checks) >= 50, (estimator, len(checks))


@pytest.mark.parametrize("Estimator", [NNPlugClassifier, NNPlugRegressor])
def test_defaults_are_nnplug_trains(Estimator):
    from nnplug.nn.training import TrainConfig

    config, params = TrainConfig(), Estimator().get_params()
    shared = {k for k in params if hasattr(config, k)}
    assert shared >= {"layers", "hidden", "loss", "optimizer", "lr", "momentum",
                      "weight_decay", "schedule", "warmup", "lr_decay", "epochs",
                      "batch_size", "patience", "val_fraction", "backend", "dtype", "threads"}
    assert {k: params[k] for k in shared} == {k: getattr(config, k) for k in shared}
    assert params["random_state"] is None and params["scale"] == "auto"
