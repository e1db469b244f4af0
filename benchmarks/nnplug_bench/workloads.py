"""The benchmark workloads: architecture, optimizer, batch and data, and what bounds them.

Every workload's data is random but shaped like a real set (same rows, features, dtype
and scaling), so a run needs no download and every engine gets identical arrays:

* **S0** -- the default ``nnplug train``: ``linear:256,batchnorm,relu,dropout:p=0.2`` -> 10,
  batch 32, momentum 0.9, lr 0.05, weight decay 1e-4, on digits-shaped data (1293 rows --
  the training split ``nnplug train`` uses -- of 64 uint8 pixels 0..16, scale 1/16).
* **W1** -- 784-256-BN-ReLU-256-BN-ReLU-10, batch 128, momentum 0.9, lr 0.01, on
  MNIST-shaped float32 data (8192 rows, pixels uniform in [0, 1)).
* **W2** -- the same 1024 wide, batch 256.
* **R1** -- 8-128-ReLU-128-ReLU-1 regression, Adam lr 1e-3, batch 32, on California-shaped
  standardised float32 features (14711 rows, the split of ``--dataset california``).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from nnplug.base import Data
from nnplug.spec import parse_spec


@dataclass(frozen=True)
class Workload:
    name: str
    layers: str  # the hidden stack, as ``nnplug train --layers`` takes it
    batch: int
    optimizer: str  # "momentum" or "adam"
    lr: float
    weight_decay: float
    task: str  # "classification" or "regression"
    shape: str  # the data it imitates, for the header line
    rows: int
    n_features: int
    n_outputs: int
    #: a stack given on the command line (``nnplug bench --layers``): its layers and
    #: optimizer are used as given (a plugin's too), on the data of workload ``base``
    base: str = ""

    def qualified_layers(self) -> str:
        """``layers`` with the built-ins named by qualified name (``core/linear:256,...``),
        as ``nnplug train``'s defaults: a plugin registering its own ``linear`` neither
        breaks nor changes a benchmark. A given stack is used as written."""
        if self.base:
            return self.layers
        return ",".join(f"core/{token}" for token in self.layers.split(","))

    def qualified_optimizer(self) -> str:
        return self.optimizer if self.base else f"core/{self.optimizer}"

    def widths(self) -> list[int]:
        """Input width, every ``linear``'s width, then the output width."""
        return widths_of(self.layers, self.n_features, self.n_outputs)

    def weights(self) -> int:
        """Weights per sample (multiply-accumulates of one forward pass)."""
        w = self.widths()
        return sum(a * b for a, b in itertools.pairwise(w))

    def flops_per_sample(self) -> int:
        """Training FLOPs per sample in GEMMs: 6 x weights (forward, d/d weights,
        d/d input), less the first layer's d/d input that training skips (as PyTorch)."""
        w = self.widths()
        return 6 * self.weights() - 2 * w[0] * w[1]

    def largest_gemm(self) -> tuple[int, int, int]:
        """``(m, k, n)`` of the largest GEMM of a step: batch x in x out of the widest layer."""
        w = self.widths()
        k, n = max(itertools.pairwise(w), key=lambda kn: kn[0] * kn[1])
        return self.batch, k, n

    def describe(self) -> str:
        opt = f"{self.optimizer} lr {self.lr:g}" + (
            f" wd {self.weight_decay:g}" if self.weight_decay else ""
        )
        return (
            f"{self.shape}; {self.n_features}->{self.layers}->{self.n_outputs}, "
            f"batch {self.batch}, {opt}"
        )


WORKLOADS: dict[str, Workload] = {
    w.name: w
    for w in (
        Workload(
            "S0",
            "linear:256,batchnorm,relu,dropout:p=0.2",
            32,
            "momentum",
            0.05,
            1e-4,
            "classification",
            "digits-shaped 1293x64 uint8/16",
            1293,
            64,
            10,
        ),
        Workload(
            "W1",
            "linear:256,batchnorm,relu,linear:256,batchnorm,relu",
            128,
            "momentum",
            0.01,
            0.0,
            "classification",
            "MNIST-shaped 8192x784 float32",
            8192,
            784,
            10,
        ),
        Workload(
            "W2",
            "linear:1024,batchnorm,relu,linear:1024,batchnorm,relu",
            256,
            "momentum",
            0.01,
            0.0,
            "classification",
            "MNIST-shaped 8192x784 float32",
            8192,
            784,
            10,
        ),
        Workload(
            "R1",
            "linear:128,relu,linear:128,relu",
            32,
            "adam",
            1e-3,
            0.0,
            "regression",
            "California-shaped 14711x8 standardised float32",
            14711,
            8,
            1,
        ),
    )
}


#: the name of the workload ``nnplug bench --layers``/``--optimizer`` makes
CUSTOM = "C"


def custom_workload(
    base: str, layers: str | None, optimizer: str | None, lr: float | None
) -> Workload:
    """Workload ``C``: ``base``'s data, batch and task with the given hidden stack and
    optimizer (a plugin's components too), registered in :data:`WORKLOADS`."""
    wl = WORKLOADS[base]
    custom = Workload(
        CUSTOM,
        layers or wl.layers,
        wl.batch,
        optimizer or wl.optimizer,
        lr if lr is not None else wl.lr,
        wl.weight_decay,
        wl.task,
        wl.shape,
        wl.rows,
        wl.n_features,
        wl.n_outputs,
        base=base,
    )
    WORKLOADS[CUSTOM] = custom
    make_data.cache_clear()
    return custom


def widths_of(layers: str, n_features: int, n_outputs: int) -> list[int]:
    """Input width, every ``linear:N`` width of ``layers``, output width."""
    hidden = [int(t.positional) for t in parse_spec(layers) if t.name.endswith("linear")]
    return [n_features, *hidden, n_outputs]


def parse_workloads(text: str) -> list[str]:
    """``"S0,W1"`` or ``"all"`` -> workload names; ValueError naming an unknown one."""
    names = (
        [n for n in WORKLOADS if n != CUSTOM]
        if text.strip() == "all"
        else [t.strip().upper() for t in text.split(",") if t.strip()]
    )
    for name in names:
        if name not in WORKLOADS:
            raise ValueError(
                f"unknown workload {name!r} (choose from {', '.join(WORKLOADS)} or all)"
            )
    if not names:
        raise ValueError("no workload given")
    return list(dict.fromkeys(names))


@lru_cache(maxsize=4)
def make_data(name: str, seed: int = 0) -> Data:
    """The workload's training data (no validation or test split: only training is timed).
    Cached: every engine of a run trains on the same arrays."""
    wl = WORKLOADS[name]
    rng = np.random.default_rng(seed)
    scale = 1.0
    X: np.ndarray
    if (wl.base or name) == "S0":
        X = rng.integers(0, 17, (wl.rows, wl.n_features), dtype=np.uint8)
        scale = 1.0 / 16
    elif wl.task == "regression":
        X = rng.standard_normal((wl.rows, wl.n_features), dtype=np.float32)
    else:
        X = rng.random((wl.rows, wl.n_features), dtype=np.float32)
    if wl.task == "classification":
        y = rng.integers(0, wl.n_outputs, wl.rows)
        classes = [str(i) for i in range(wl.n_outputs)]
    else:  # a smooth target with noise, standardised like a real one
        t = X @ rng.standard_normal(wl.n_features).astype(np.float32)
        t = np.tanh(t) + 0.1 * rng.standard_normal(wl.rows, dtype=np.float32)
        y, classes = ((t - t.mean()) / t.std()).astype(np.float32), None
    return Data(X, y, X[:0], y[:0], X[:0], y[:0], task=wl.task, classes=classes, scale=scale)
