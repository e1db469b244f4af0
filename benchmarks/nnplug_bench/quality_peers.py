"""Peers for ``nnplug bench --quality``: other libraries trained on the split nnplug used.

Each peer is ``peer(run, seed) -> test metric`` for a :class:`nnplug.nn.training.TrainRun`
(``run.data`` holds the split and nnplug's scaled inputs; ``run.metrics["config"]`` the
resolved configuration).

* ``sklearn`` -- ``MLPClassifier()`` / ``MLPRegressor()`` with every default (100 ReLU
  units, Adam 1e-3, batch 200, up to 200 epochs), on the training split;
* ``torch`` -- the PyTorch twin of nnplug's network (:mod:`.twin`): the same layers, the
  same initial weights, the same optimizer, schedule, epochs, batch size and
  best-validation-epoch restore (float32, CPU).

Regression peers learn the targets standardised like nnplug's (training split's mean and
standard deviation) and are scored in the target's units.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from nnplug.nn.metrics import accuracy, rmse
from nnplug_bench.twin import torch_optimizer, twin_of_spec


def _inputs(data: Any, split: str) -> np.ndarray:
    X = getattr(data, f"X_{split}")
    inputs: np.ndarray = X.reshape(len(X), -1).astype(np.float32) * np.float32(data.scale)
    return inputs


def _target_stats(data: Any) -> tuple[np.ndarray, np.ndarray]:
    if data.target_std is not None:
        return np.asarray(data.target_mean), np.asarray(data.target_std)
    y = np.asarray(data.y_train, np.float64).reshape(len(data.y_train), -1)
    return y.mean(axis=0), np.where(y.std(axis=0) > 0, y.std(axis=0), 1.0)


def sklearn_peer(run: Any, seed: int) -> float:
    """scikit-learn's MLP with default settings."""
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    data = run.data
    X, X_test = _inputs(data, "train"), _inputs(data, "test")
    if data.task == "classification":
        model = MLPClassifier(random_state=seed).fit(X, data.y_train)
        return float(np.mean(model.predict(X_test) == data.y_test))
    mean, std = _target_stats(data)
    z = (np.asarray(data.y_train, np.float64).reshape(len(X), -1) - mean) / std
    model = MLPRegressor(random_state=seed).fit(X, z[:, 0] if z.shape[1] == 1 else z)
    pred = model.predict(X_test).reshape(len(X_test), -1) * std + mean
    return rmse(pred, data.y_test)


def torch_peer(run: Any, seed: int) -> float:
    """nnplug's network, initial weights, optimizer and schedule, trained by PyTorch."""
    import torch

    from nnplug.nn.training import TrainConfig, make_schedule

    cfg = run.metrics["config"]
    config = TrainConfig(**cfg)
    # the run resolved and recorded these (nnplug.nn.training.build)
    assert config.layers is not None and config.hidden is not None and config.lr is not None
    assert config.epochs is not None
    data = run.data
    torch.manual_seed(seed)
    # nnplug's network and initial weights for this seed
    model = twin_of_spec(
        config.layers,
        data.n_features,
        data.n_outputs,
        hidden=config.hidden,
        rng=np.random.default_rng(seed),
    )
    opt = torch_optimizer(model, cfg)
    schedule = make_schedule(config)
    X = torch.tensor(_inputs(data, "train"))
    X_val, X_test = torch.tensor(_inputs(data, "val")), torch.tensor(_inputs(data, "test"))
    classification = data.task == "classification"
    if classification:
        y = torch.tensor(np.asarray(data.y_train, np.int64))
        loss_fn: Callable = torch.nn.CrossEntropyLoss()
    else:
        mean, std = _target_stats(data)
        y = torch.tensor(
            ((np.asarray(data.y_train, np.float64).reshape(len(X), -1) - mean) / std).astype(
                np.float32
            )
        )
        loss_fn = torch.nn.MSELoss()

    def predict(inputs: Any) -> np.ndarray:
        model.eval()
        with torch.no_grad():
            out: np.ndarray = model(inputs).numpy()
        return out if classification else out.astype(np.float64) * std + mean

    def score(out: np.ndarray, target: np.ndarray) -> float:
        return accuracy(out, target) if classification else -rmse(out, target)

    gen = torch.Generator().manual_seed(seed)
    n, bs = len(X), config.batch_size
    per_epoch = (n + bs - 1) // bs
    best, best_state, step, bad = -np.inf, None, 0, 0
    for _ in range(config.epochs):
        model.train()
        for idx in torch.randperm(n, generator=gen).split(bs):
            if len(idx) < 2:
                continue
            for group in opt.param_groups:
                group["lr"] = config.lr * schedule(step, per_epoch, config.epochs)
            opt.zero_grad()
            loss_fn(model(X[idx]), y[idx]).backward()
            opt.step()
            step += 1
        value = score(predict(X_val), data.y_val) if len(X_val) else -step
        if value > best:
            best, best_state, bad = value, {k: v.clone() for k, v in model.state_dict().items()}, 0
        else:
            bad += 1
            if config.patience is not None and bad >= config.patience:
                break
    if best_state is not None:
        model.load_state_dict(best_state)
    return abs(score(predict(X_test), data.y_test))


PEERS: dict[str, Callable[[Any, int], float]] = {"sklearn": sklearn_peer, "torch": torch_peer}
