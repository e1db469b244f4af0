"""Peer libraries on the same workloads: PyTorch (when importable; never a dependency of
nnplug) and scikit-learn's MLP. Each gets the workload's data, batch, optimizer and
hidden sizes, and the BLAS threads nnplug uses for that workload.
"""

from __future__ import annotations

import contextlib
import importlib.util
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

from nnplug.spec import parse_spec
from nnplug_bench.engine import Engine
from nnplug_bench.twin import torch_optimizer, twin_of_spec
from nnplug_bench.workloads import WORKLOADS, make_data


def importable(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


class TorchEngine(Engine):
    """The PyTorch twin (:mod:`.twin`) of the workload's network (CPU, eager): nnplug's
    layers and initial weights, the same optimizer with weight decay on the weights only, the same
    per-batch conversion (uint8 pixels are converted and scaled per batch), running loss
    and accuracy tracked per step like nnplug's Solver; ``torch.set_num_threads`` = the
    BLAS threads nnplug uses for the workload."""

    name = "torch"
    path = "eager"

    def __init__(self, workload: str, threads: int):
        import torch

        self.torch, self.threads = torch, threads
        wl, data = WORKLOADS[workload], make_data(workload)
        torch.manual_seed(0)
        self.model = twin_of_spec(wl.qualified_layers(), wl.n_features, wl.n_outputs, rng=0)
        config = {
            "optimizer": wl.optimizer,
            "lr": wl.lr,
            "momentum": 0.9,
            "weight_decay": wl.weight_decay,
        }
        self.opt = torch_optimizer(self.model, config)
        self.classify = wl.task == "classification"
        self.loss_fn = torch.nn.CrossEntropyLoss() if self.classify else torch.nn.MSELoss()
        self.X = torch.from_numpy(data.X_train)
        self.y = torch.from_numpy(data.y_train if self.classify else data.y_train.reshape(-1, 1))
        self.scale, self.batch = data.scale, wl.batch
        self.gen = torch.Generator().manual_seed(0)
        self.version = torch.__version__.split("+")[0]

    def epoch(self) -> int:
        torch = self.torch
        torch.set_num_threads(self.threads)
        self.model.train()
        n = len(self.X)
        order = torch.randperm(n, generator=self.gen)
        seen, total_loss, correct = 0, 0.0, 0
        for start in range(0, n, self.batch):
            idx = order[start : start + self.batch]
            if len(idx) < 2 and start > 0:
                continue  # as nnplug: a lone trailing sample cannot be batch-normalised
            xb = self.X[idx]
            if xb.dtype != torch.float32:
                xb = xb.to(torch.float32).mul_(self.scale)
            yb = self.y[idx]
            self.opt.zero_grad(set_to_none=True)
            out = self.model(xb)
            loss = self.loss_fn(out, yb)
            loss.backward()
            self.opt.step()
            total_loss += loss.item() * len(idx)
            if self.classify:
                correct += int((out.argmax(1) == yb).sum())
            seen += len(idx)
        return seen


class SklearnEngine(Engine):
    """scikit-learn's ``MLPClassifier``/``MLPRegressor``, one ``partial_fit`` per epoch:
    the same hidden sizes, activation, batch, optimizer and lr; it has no BatchNorm or
    dropout (so it does less work on S0/W1/W2), takes a float32 copy of the data scaled
    once (no per-batch conversion), and its L2 ``alpha`` is set to weight decay x batch."""

    name = "sklearn"
    path = "partial_fit"

    def __init__(self, workload: str, threads: int):
        import sklearn
        from sklearn.neural_network import MLPClassifier, MLPRegressor

        wl, data = WORKLOADS[workload], make_data(workload)
        self.threads = threads
        kinds = [t.name.split("/")[-1] for t in parse_spec(wl.layers)]
        act = next((a for a in kinds if a in ("relu", "sigmoid", "tanh")), "identity")
        opt: dict[str, Any] = (
            {
                "solver": "sgd",
                "momentum": 0.9,
                "nesterovs_momentum": False,
                "learning_rate": "constant",
            }
            if wl.optimizer == "momentum"
            else {"solver": "adam"}
        )
        cls = MLPClassifier if wl.task == "classification" else MLPRegressor
        self.est = cls(
            hidden_layer_sizes=tuple(wl.widths()[1:-1]),
            activation={"sigmoid": "logistic"}.get(act, act),
            batch_size=wl.batch,
            learning_rate_init=wl.lr,
            alpha=wl.weight_decay * wl.batch,
            max_iter=1,
            shuffle=True,
            random_state=0,
            **opt,
        )
        self.X = (
            data.X_train.astype(np.float32) * np.float32(data.scale)
            if data.scale != 1.0
            else data.X_train
        )
        self.y = data.y_train
        self.classes = np.arange(wl.n_outputs) if wl.task == "classification" else None
        self.note = (
            "scikit-learn MLP: same hidden sizes, no BatchNorm or dropout"
            if {"batchnorm", "dropout"} & set(kinds)
            else ""
        )
        self.version = sklearn.__version__

    def running(self) -> contextlib.AbstractContextManager[Any]:
        from nnplug.runtime import threads

        return threads.limit(self.threads)

    def epoch(self) -> int:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            if self.classes is not None:
                self.est.partial_fit(self.X, self.y, classes=self.classes)
            else:
                self.est.partial_fit(self.X, self.y)
        return len(self.X)


#: peer name -> engine class; a peer is offered when its module imports
PEERS: dict[str, Callable[[str, int], Engine]] = {"torch": TorchEngine, "sklearn": SklearnEngine}


def available_peers() -> tuple[list[str], dict[str, str]]:
    """``(importable peers, {missing peer: reason})``."""
    found, missing = [], {}
    for name in PEERS:
        if importable(name):
            found.append(name)
        else:
            missing[name] = f"{name} is not installed"
    return found, missing
