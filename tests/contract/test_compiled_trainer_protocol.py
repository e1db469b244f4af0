"""The CompiledTrainer protocol (nnplug.kernels) is exactly how the Solver calls a compiled
backend: a backend written from the protocol alone -- its methods copy the protocol's
signatures -- trains through the Solver's compiled path and gives the per-op results."""
import inspect
import math

import numpy as np
import pytest

from nnplug.backend import Backend
from nnplug.kernels import CompiledTrainer
from nnplug.nn.sequential import Sequential
from nnplug.nn.solver import Solver
from nnplug.nn.targets import standardise_targets
from nnplug.data.arrays import array_data
from builders import create, make_optimizer


class ProtocolTrainer:
    """A CompiledTrainer in plain Python over the model's own layers (what a compiling
    backend does in compiled code), written from the protocol's docstrings."""

    compile_seconds = 0.0

    def __init__(self, model, loss, optimizer):
        self.model, self.loss, self.optimizer = model, loss, optimizer
        self.classification = loss.task == "classification"

    def prepare(self, data=None):
        return 0.0

    def _rows(self, X, idx, scale):
        xb = np.asarray(X[idx]).reshape(len(idx), -1).astype(self.model.dtype)
        if scale != 1.0:
            xb *= self.model.dtype.type(scale)
        return xb

    def _metric_sum(self, out, y, metric_weights):
        if self.classification:
            return float(np.sum(out.argmax(axis=1) == y))
        diff = out.astype(np.float64).reshape(len(y), -1) - np.reshape(y, (len(y), -1))
        w = 1.0 if metric_weights is None else np.asarray(metric_weights)
        return float(np.mean(diff * diff * w, axis=1).sum())

    def train_steps(self, X, y, order, start, stop, batch_size, lrs, scale,
                    metric_weights=None):
        loss_sum = metric_sum = 0.0
        seen = 0
        params = self.model.parameters()
        for k, b in enumerate(range(start, stop)):
            idx = order[b * batch_size:(b + 1) * batch_size]
            if len(idx) < 2 and b > 0:
                continue
            self.model.train()
            out = self.model.forward(self._rows(X, idx, scale))
            value = float(self.loss.forward(out, y[idx]))
            if not math.isfinite(value):
                return value, 0.0, seen, b
            self.model.backward(self.loss.backward())
            self.optimizer.lr = float(lrs[k])
            self.optimizer.step(params)
            loss_sum += value * len(idx)
            metric_sum += self._metric_sum(out, y[idx], metric_weights)
            seen += len(idx)
        return loss_sum, metric_sum, seen, -1

    def predict(self, X, scale):
        self.model.eval()
        return self.model.forward(self._rows(X, np.arange(len(X)), scale))

    def evaluate(self, X, y, scale, metric_weights=None):
        out = self.predict(X, scale)
        value = float(self.loss.forward(out, y))
        metric = self._metric_sum(out, y, metric_weights) / len(y)
        return value, (metric if self.classification else math.sqrt(metric))


class ProtocolBackend(Backend):
    name = "protocol"

    def compile(self, model, loss=None, optimizer=None):
        return ProtocolTrainer(model, loss, optimizer)


def test_the_test_trainer_has_exactly_the_protocols_signatures():
    for method in ("prepare", "train_steps", "predict", "evaluate"):
        want = inspect.signature(getattr(CompiledTrainer, method))
        got = inspect.signature(getattr(ProtocolTrainer, method))
        assert list(got.parameters) == list(want.parameters), method


def _fit(backend, task, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(300, 6))
    score = X @ rng.normal(size=6)
    if task == "classification":
        y = np.digitize(score, np.quantile(score, [1 / 3, 2 / 3]))
        data = array_data(X, y, task=task, seed=seed, classes=["a", "b", "c"])
        loss = create("loss", "softmax_ce")
    else:
        data = array_data(X, 50 + 10 * score, task=task, seed=seed)
        standardise_targets(data)
        loss = create("loss", "mse")
    model = Sequential.from_spec("linear:16,relu,linear:8,tanh", 6, data.n_outputs, rng=seed,
                                 backend=backend)
    model.input_grad = False
    opt = make_optimizer("momentum", lr=0.05, task=task)
    solver = Solver(model, loss, opt, epochs=3, batch_size=32, seed=seed, handle_sigint=False,
                    schedule=lambda step, per_epoch, epochs: 1.0 - step / (per_epoch * epochs))
    return solver.fit(data)


@pytest.mark.parametrize("task", ["classification", "regression"])
def test_a_backend_written_from_the_protocol_trains_like_the_per_op_path(task):
    compiled = _fit(ProtocolBackend(), task)
    per_op = _fit("numpy", task)
    assert compiled.path == "compiled" and per_op.path == "per-op"
    assert len(compiled.history) == len(per_op.history) == 3
    for a, b in zip(compiled.history, per_op.history, strict=True):
        # the same steps in the same order: equal up to the rounding of the regression
        # metric (standardised errors x std^2 against errors in the target's units)
        np.testing.assert_allclose(a.loss, b.loss, rtol=1e-6)
        np.testing.assert_allclose(a.train_metric, b.train_metric, rtol=1e-5)
        np.testing.assert_allclose(a.val_metric, b.val_metric, rtol=1e-5)
        np.testing.assert_allclose(a.val_loss, b.val_loss, rtol=1e-5)
        assert a.lr == pytest.approx(b.lr)
