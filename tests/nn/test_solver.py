import numpy as np
import pytest

from nnplug.base import Data
from nnplug.nn.recipes import TINY_VALIDATION
from nnplug.nn.sequential import Sequential
from nnplug.nn.solver import Solver
from builders import create, make_optimizer
from nnplug.nn.training import TrainConfig, train


def blobs(n=400, d=6, k=3, seed=0, dtype=np.float64, val=50):
    rng = np.random.default_rng(seed)
    centers = rng.standard_normal((k, d)) * 3
    y = rng.integers(0, k, n)
    X = (centers[y] + rng.standard_normal((n, d))).astype(dtype)
    v = 300 + val
    return Data(X[:300], y[:300], X[300:v], y[300:v], X[v:], y[v:],
                classes=[str(i) for i in range(k)])


def make(registry, spec="linear:16,relu", optimizer="sgd", lr=0.1, data=None, seed=0, **kw):
    data = data or blobs()
    model = Sequential.from_spec(spec, data.n_features, data.n_outputs, rng=seed)
    opt = make_optimizer(optimizer, lr=lr, momentum=0.9, weight_decay=0.0)
    return Solver(model, create("loss", "softmax_ce"), opt, seed=seed, **kw), data


def test_parameters_are_updated_in_place_and_layers_see_it(backend, registry):
    solver, data = make(registry, epochs=1)
    layer = solver.model.layers[0]
    W_obj = layer.params["W"]
    before = W_obj.copy()
    p = solver.model.parameters()[0]
    assert p.value is W_obj
    solver.fit(data)
    assert layer.params["W"] is W_obj  # same array object ...
    assert not np.array_equal(W_obj, before)  # ... with new values


def test_each_epoch_visits_every_sample_once(registry):
    seen = []
    solver, data = make(registry, epochs=2, batch_size=32)
    data.X_train[:, 0] = np.arange(len(data.X_train))  # tag rows by index
    real_batch = solver._batch

    def spy(X, idx, scale):
        seen.append(np.array(idx))
        return real_batch(X, idx, scale)

    solver._batch = spy
    solver.fit(data)
    per_epoch = (len(data.X_train) + 31) // 32
    for e in range(2):
        got = np.sort(np.concatenate(seen[e * per_epoch:(e + 1) * per_epoch]))
        assert np.array_equal(got, np.arange(len(data.X_train)))
    assert not np.array_equal(np.concatenate(seen[:per_epoch]),
                              np.concatenate(seen[per_epoch:]))  # a fresh permutation


def test_same_seed_is_bitwise_identical(backend):
    cfg = dict(epochs=3, layers="linear:32,batchnorm,relu,dropout:p=0.2", seed=7)
    a = train(TrainConfig(backend=backend.name, **cfg))
    b = train(TrainConfig(backend=backend.name, **cfg))
    for (ka, va), (kb, vb) in zip(a.model.state_arrays().items(),
                                  b.model.state_arrays().items()):
        assert ka == kb and np.array_equal(va, vb)
    assert [h["loss"] for h in a.metrics["history"]] == [h["loss"] for h in b.metrics["history"]]
    c = train(TrainConfig(backend=backend.name, **{**cfg, "seed": 8}))
    assert not np.array_equal(a.model.layers[0].params["W"], c.model.layers[0].params["W"])


def test_best_validation_model_is_restored(registry):
    solver, data = make(registry, epochs=6, lr=0.5)
    snapshots = {}

    class Keep:
        def on_epoch_end(self, s, record):
            snapshots[record.epoch] = {k: v.copy() for k, v in s.model.state_arrays().items()}

    solver.callbacks.append(Keep())
    result = solver.fit(data)
    best = snapshots[result.best_epoch]
    for k, v in solver.model.state_arrays().items():
        assert np.array_equal(v, best[k])
    assert result.best_val_metric == max(r.val_metric for r in result.history)


def test_validation_loss_breaks_metric_ties(registry):
    """The documented tie-break: among epochs with the best validation metric, the one with
    the lowest validation loss is restored (accuracy on a small validation set ties often)."""
    solver, data = make(registry, epochs=8, lr=0.1, data=blobs(n=560, val=150))
    assert len(data.X_val) >= TINY_VALIDATION
    snapshots = {}

    class Keep:
        def on_epoch_end(self, s, record):
            snapshots[record.epoch] = {k: v.copy() for k, v in s.model.state_arrays().items()}

    solver.callbacks.append(Keep())
    result = solver.fit(data)
    top = max(r.val_metric for r in result.history)
    tied = [r for r in result.history if r.val_metric == top]
    lowest = min(tied, key=lambda r: r.val_loss)
    assert len(tied) >= 2 and lowest is not tied[0], "no tie to break: make the data easier"
    assert result.best_epoch == lowest.epoch
    for k, v in solver.model.state_arrays().items():
        assert np.array_equal(v, snapshots[lowest.epoch][k])
    # the rule itself, both ways round and for regression (lower RMSE is better)
    assert solver.better((0.9, 0.2), (0.9, 0.3)) and not solver.better((0.9, 0.3), (0.9, 0.2))
    assert not solver.better((0.8, 0.1), (0.9, 0.3))
    solver.classification = False
    assert solver.better((0.5, 0.2), (0.5, 0.3)) and solver.better((0.4, 0.9), (0.5, 0.3))


def test_a_tiny_validation_set_breaks_ties_toward_later_epochs(registry):
    """With a dozen validation rows accuracy is flat after the first epochs while their loss
    follows the network's confidence: ties go to the later epoch, whatever the loss."""
    solver, data = make(registry, epochs=8, lr=0.1, data=blobs(val=12))
    assert 0 < len(data.X_val) < TINY_VALIDATION
    result = solver.fit(data)
    top = max(r.val_metric for r in result.history)
    tied = [r for r in result.history if r.val_metric == top]
    assert len(tied) >= 2, "no tie to break: make the data easier"
    assert result.best_epoch == tied[-1].epoch
    assert solver.better((0.9, 0.3), (0.9, 0.2)) and not solver.better((0.8, 0.1), (0.9, 0.3))


def test_lr_decays_per_epoch(registry):
    solver, data = make(registry, epochs=3, lr=0.1, lr_decay=0.5)
    result = solver.fit(data)
    assert [r.lr for r in result.history] == pytest.approx([0.1, 0.05, 0.025])


def test_early_stopping(registry):
    data = blobs(n=560, val=150)
    data.y_val = np.random.default_rng(1).permutation(data.y_val)  # val can't improve for long
    solver, _ = make(registry, data=data, epochs=50, patience=2)
    result = solver.fit(data)
    assert result.stopped_early
    assert len(result.history) == result.best_epoch + 2


def test_early_stopping_on_a_tiny_validation_set_counts_from_the_improvement(registry):
    """A later tie is restored but is no improvement: patience counts from the epoch that
    first reached the best metric."""
    data = blobs(val=12)
    data.y_val = np.random.default_rng(2).permutation(data.y_val)  # flat from epoch 1
    solver, _ = make(registry, data=data, epochs=50, patience=3)
    result = solver.fit(data)
    top = max(r.val_metric for r in result.history)
    reached = next(r.epoch for r in result.history if r.val_metric == top)
    assert result.stopped_early and len(result.history) == reached + 3
    assert result.best_epoch == max(r.epoch for r in result.history if r.val_metric == top)
    assert result.best_epoch > reached, "no later tie: make the validation curve flat"


def test_divergence_is_reported(registry):
    from nnplug.errors import TrainingDiverged
    data = blobs()
    data.X_train[0, 0] = np.nan
    solver, _ = make(registry, data=data, epochs=1)
    with pytest.raises(TrainingDiverged, match="epoch 1, step"):
        solver.fit(data)


def test_digits_default_learns(backend):
    run = train(TrainConfig(backend=backend.name, epochs=15))
    # 0.972 (349/359) on every BLAS kernel tried, 0.967-0.992 over seeds 0-11: float32
    # rounding elsewhere may move a few images, so 0.95 (8 images below), not 0.97 (one)
    assert run.metrics["test_accuracy"] >= 0.95


def test_regression_toy_learns(backend, registry):
    rng = np.random.default_rng(0)
    X = rng.uniform(-2, 2, (600, 2))
    y = np.sin(X[:, 0]) + 0.5 * X[:, 1] ** 2
    data = Data(X[:400], y[:400], X[400:500], y[400:500], X[500:], y[500:], task="regression")
    model = Sequential.from_spec("linear:32,tanh,linear:32,tanh", 2, 1, rng=0)
    solver = Solver(model, create("loss", "mse"),
                    make_optimizer("adam", lr=0.01, momentum=0.9, weight_decay=0),
                    epochs=60, batch_size=32)
    solver.fit(data)
    baseline = float(np.std(y[500:]))
    assert solver.evaluate(data.X_test, data.y_test) < 0.2 * baseline


def test_momentum_and_adam_converge_faster_than_sgd(registry):
    def loss_after(optimizer, lr):
        solver, data = make(registry, spec="linear:16,tanh", optimizer=optimizer, lr=lr,
                            epochs=3, batch_size=50)
        return solver.fit(data).history[-1].loss

    sgd = loss_after("sgd", 0.01)
    assert loss_after("momentum", 0.01) < 0.5 * sgd
    assert loss_after("nesterov", 0.01) < 0.5 * sgd
    assert loss_after("adam", 0.01) < 0.5 * sgd


def test_weight_decay_applies_to_weights_only(registry):
    model = Sequential.from_spec("linear:4,batchnorm", 3, None, rng=0)
    opt = make_optimizer("sgd", lr=1.0, momentum=0, weight_decay=0.5)
    b_before = model.layers[0].params["b"].copy() + 1
    model.layers[0].params["b"][...] = b_before
    W_before = model.layers[0].params["W"].copy()
    gamma_before = model.layers[1].params["gamma"].copy()
    opt.step(model.parameters())  # zero gradients: only decay acts
    assert np.allclose(model.layers[0].params["W"], 0.5 * W_before)
    assert np.array_equal(model.layers[0].params["b"], b_before)
    assert np.array_equal(model.layers[1].params["gamma"], gamma_before)


def test_batchnorm_train_and_eval_differ_and_running_stats_update(registry, rng):
    layer = create("layer", "batchnorm")
    layer.build(3, rng=rng, dtype=np.float64)
    x = rng.standard_normal((64, 3)) * 4 + 10
    y_train = layer.forward(x)
    assert np.allclose(y_train.mean(0), 0, atol=1e-9)
    assert np.allclose(layer.buffers["running_mean"], 0.1 * x.mean(0))
    layer.eval()
    y_eval = layer.forward(x)
    assert not np.allclose(y_eval, y_train)
    for _ in range(200):
        layer.train().forward(x)
    layer.eval()
    # running variance is the unbiased estimate: eval output = train output * sqrt((n-1)/n)
    assert np.allclose(layer.forward(x), y_train * np.sqrt(63 / 64), atol=1e-3)


def test_dropout_off_in_eval_and_scaled_in_train(registry, rng):
    layer = create("layer", "dropout", p=0.25)
    layer.build(1000, rng=rng, dtype=np.float32)
    x = np.ones((50, 1000), np.float32)
    y = layer.forward(x)
    assert set(np.unique(y)) <= {0.0, np.float32(1 / 0.75)}
    assert abs((y == 0).mean() - 0.25) < 0.02
    assert np.array_equal(layer.eval().forward(x), x)


@pytest.mark.parametrize("optimizer,task,lr", [
    ("momentum", "classification", 0.1), ("momentum", "regression", 0.01),
    ("nesterov", "regression", 0.01), ("sgd", "classification", 0.05), ("adam", "regression", 0.001),
    ("adamw", "classification", 0.001), ("adamw", "regression", 0.005),
])
def test_default_lr_depends_on_optimizer_and_task(optimizer, task, lr):
    opt = make_optimizer(optimizer, lr=None, momentum=0.9, weight_decay=0.0, task=task)
    assert opt.lr == pytest.approx(lr)
    assert make_optimizer(optimizer, lr=0.3, momentum=0.9, weight_decay=0.0, task=task).lr == 0.3


def test_regression_with_cli_defaults_learns_on_heavy_tailed_features(tmp_path):
    """California-like inputs (long tails, targets ~2 +- 1) trained with every default:
    no divergence, and far better than predicting the mean."""
    from click.testing import CliRunner

    from nnplug.cli import main

    rng = np.random.default_rng(0)
    X = rng.lognormal(0, 1.2, (3000, 4))
    y = 2 + np.tanh(np.log(X[:, 0])) + 0.5 * np.log(X[:, 1]) ** 2 / 4 + 0.05 * rng.standard_normal(3000)
    np.savez(tmp_path / "reg.npz", X=X, y=y)
    out = tmp_path / "m.json"
    res = CliRunner().invoke(main, ["train", "--dataset", "npz", "--data", str(tmp_path / "reg.npz"),
                                    "--task", "regression", "--epochs", "10", "--quiet",
                                    "--log-file", "", "--metrics-out", str(out)])
    assert res.exit_code == 0, res.output
    import json
    m = json.loads(out.read_text())
    assert m["config"]["optimizer"] == "core/adamw" and m["config"]["lr"] == pytest.approx(0.005)
    assert m["test_rmse"] < 0.5 * float(np.std(y))
