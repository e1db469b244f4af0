"""The PyTorch twin of an nnplug network: the one place that maps nnplug's layers and
optimizers to PyTorch. ``nnplug bench`` times it (:class:`.peers.TorchEngine`) and
``nnplug bench --quality`` scores it (:func:`.quality_peers.torch_peer`).

The twin has nnplug's layers (Linear, BatchNorm1d with nnplug's eps and momentum, Dropout,
ReLU/Tanh/Sigmoid), nnplug's current weights, and nnplug's optimizer with weight decay on
the Linear weights only. PyTorch is never a dependency of nnplug: these functions import
torch when called; :func:`torch_available` says whether they can.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

#: nnplug activation name -> the name of its ``torch.nn`` module
ACTIVATIONS = {"relu": "ReLU", "tanh": "Tanh", "sigmoid": "Sigmoid"}


def torch_available() -> bool:
    """PyTorch imports here (any import failure counts as absent)."""
    try:
        import torch  # noqa: F401
    except Exception:  # noqa: BLE001 - any import failure: no torch twin
        return False
    return True


def torch_network(network: Any) -> Any:
    """``torch.nn.Sequential`` with the layers and current weights of nnplug's
    :class:`~nnplug.nn.sequential.Sequential` ``network``."""
    import torch

    nn = torch.nn
    modules = []
    for layer in network.layers:
        name = (layer.spec_name or layer.name).split("/")[-1]  # "core/linear" -> "linear"
        m: Any
        if name == "linear":
            m = nn.Linear(layer.in_features, layer.out_features, bias=layer.bias)
            m.weight.data = torch.tensor(layer.params["W"].T.copy())
            if layer.bias:
                m.bias.data = torch.tensor(layer.params["b"].copy())
        elif name == "batchnorm":
            m = nn.BatchNorm1d(layer.in_features, eps=layer.eps, momentum=layer.momentum)
        elif name == "dropout":
            m = nn.Dropout(layer.p)
        elif name in ACTIVATIONS:
            m = getattr(nn, ACTIVATIONS[name])()
        else:
            raise ValueError(f"no PyTorch twin for layer '{name}'")
        modules.append(m)
    return nn.Sequential(*modules)


def twin_of_spec(
    layers: str,
    n_features: int,
    n_outputs: int,
    *,
    rng: Any,
    hidden: int = 256,
) -> Any:
    """The twin of the float32 network nnplug builds from ``layers`` (``--layers`` syntax;
    ``hidden``: the width of a ``linear`` without one) with ``rng``: its layers and
    initial weights."""
    from nnplug.nn.sequential import Sequential

    network = Sequential.from_spec(
        layers, n_features, n_outputs, hidden=hidden, rng=rng, dtype=np.float32
    )
    return torch_network(network)


def torch_optimizer(model: Any, config: Mapping[str, Any]) -> Any:
    """The optimizer ``config`` names (``optimizer``, ``lr``, ``momentum``,
    ``weight_decay``, as in a resolved TrainConfig) for the twin ``model``; weight decay
    on Linear weights only, as nnplug does."""
    import torch

    decay = [m.weight for m in model if isinstance(m, torch.nn.Linear)]
    rest = [p for p in model.parameters() if all(p is not d for d in decay)]
    wd = config["weight_decay"]
    groups = [{"params": decay, "weight_decay": wd}, {"params": rest, "weight_decay": 0.0}]
    name, lr = config["optimizer"].split("/")[-1], config["lr"]
    if name == "adamw":
        return torch.optim.AdamW(groups, lr=lr)
    if name == "adam":
        return torch.optim.Adam(groups, lr=lr)
    if name in ("momentum", "nesterov", "sgd"):
        mu = 0.0 if name == "sgd" else config["momentum"]
        return torch.optim.SGD(groups, lr=lr, momentum=mu, nesterov=name == "nesterov")
    raise ValueError(f"no PyTorch twin for optimizer '{name}'")
