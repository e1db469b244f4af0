"""The kernel contract: how a component declares the compiled (Numba) kernels that let
training run as compiled code, with no Python work per minibatch.

A layer, loss or optimizer class sets its ``kernels`` class attribute to one of the
declarations below, naming the module that holds its ``@njit`` functions. The module
is imported only when a backend compiles a training loop (``nnplug --help`` and the
NumPy backend never import numba). When every component of a model declares kernels,
a compiling backend (``numba``) runs whole training steps -- batch gather, forward,
loss, backward and the parameter updates -- in one compiled call; otherwise training
runs per op and ``nnplug train`` says once which component kept it off the compiled
path. The built-ins in ``plugins/nnplug_core/kernels/`` are written exactly like a
third party's (see also the example plugin ``plugins/nnplug-leaky-relu``).

Kernel signatures (all arrays C-contiguous, in the model's dtype unless said)::

    # layer -- x: (n, in) input, y: (n, out) output to fill (never the same array)
    forward(x, y, params, state, work, scalars, act, training, step)
    backward(x, y, dy, dx, params, grads, state, work, scalars, act, training,
             need_dx, step)
    # loss -- returns the mean loss, fills grad = d loss / d out
    forward(out, target, grad, scalars) -> float
    # optimizer -- p, g and every state slot are flat 1-D views of one parameter
    update(p, g, slots, scalars, lr, wd, t)

* ``params``, ``grads``, ``state``, ``work`` and ``slots`` are tuples of arrays in the
  order the declaration names them (``grads`` matches ``params``; a missing optional
  parameter, e.g. ``linear:bias=false``'s ``b``, arrives as an empty array).
  ``backward`` overwrites ``grads`` (it does not accumulate) and fills ``dx`` when
  ``need_dx`` (the first layer's is skipped); it may overwrite ``dy``.
* ``work`` arrays are scratch the layer sizes itself (:meth:`nnplug.base.Layer.kernel_work`;
  a first dimension of -1 is the batch rows), kept between ``forward`` and ``backward``
  of one step (e.g. BatchNorm's ``xhat``).
* ``scalars`` is a float64 array: the component's :meth:`kernel_scalars`.
* ``act`` is a built-in activation code to apply to the output (0 none, 1 relu,
  2 sigmoid, 3 tanh); only layers whose class sets ``fuses_activation`` get a non-zero one.
* ``step`` is the model's training-step index (``Sequential.training_steps`` before
  the step): the seed of anything random (see :mod:`nnplug.counter_rng`).
* ``target`` is int64 labels ``(n,)`` for classification losses and ``(n, k)`` values
  for regression losses; ``lr`` and ``wd`` are floats, ``t`` the 1-based update count.

Arrays may be 1-D or 2-D. Kernels must not allocate per call where avoidable and must
keep the dtype (float32 training, float64 checks).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

#: what a kernel module name may be: a dotted Python module path
MODULE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$")
#: what a kernel function or slot name may be: a Python identifier
IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
#: built-in activation codes passed to fusing layer kernels as ``act``
ACTIVATION_CODES = {None: 0, "relu": 1, "sigmoid": 2, "tanh": 3}


class NotCompiled(Exception):
    """Raised by a backend when a model cannot take the compiled path; the message says
    which component (and why) in one line."""


def _check_names(module: str, functions: tuple[str, ...], slots: tuple[str, ...]) -> None:
    if not MODULE_NAME.match(module):
        raise ValueError(f"kernel module {module!r} is not a dotted module name")
    for name in (*functions, *slots):
        if not IDENTIFIER.match(name):
            raise ValueError(f"{name!r} is not a valid kernel or slot name")


@dataclass(frozen=True)
class LayerKernels:
    """A layer's compiled kernels: ``module.forward`` and ``module.backward``.

    ``params``/``state`` name entries of ``Layer.params``/``Layer.buffers`` in the order
    the kernels receive them; ``work`` names the scratch arrays of
    :meth:`nnplug.base.Layer.kernel_work`. A layer whose class sets ``fuses_activation``
    gets the code of a built-in activation that follows it as ``act`` and applies it.
    """

    module: str
    params: tuple[str, ...] = ()
    state: tuple[str, ...] = ()
    work: tuple[str, ...] = ()
    forward: str = "forward"
    backward: str = "backward"

    def __post_init__(self) -> None:
        _check_names(
            self.module, (self.forward, self.backward), (*self.params, *self.state, *self.work)
        )


@dataclass(frozen=True)
class LossKernels:
    """A loss's compiled kernel: ``module.forward(out, target, grad, scalars)``."""

    module: str
    forward: str = "forward"

    def __post_init__(self) -> None:
        _check_names(self.module, (self.forward,), ())


@dataclass(frozen=True)
class OptimizerKernels:
    """An optimizer's compiled update ``module.update(p, g, slots, scalars, lr, wd, t)``;
    ``slots`` names its per-parameter state arrays (``Optimizer.state[key][slot]``)."""

    module: str
    slots: tuple[str, ...] = ()
    update: str = "update"

    def __post_init__(self) -> None:
        _check_names(self.module, (self.update,), self.slots)


@dataclass(frozen=True)
class ActivationKernels:
    """An element-wise activation's scalar functions, declared as a layer class's
    ``elementwise`` attribute: ``module.value(z, scalars) -> a`` and
    ``module.derivative(z, a, scalars) -> da/dz`` (``z`` the input, ``a`` the output,
    ``scalars`` the layer's ``kernel_scalars()`` as a float64 array), written with
    ``nnplug_numba.toolkit.elementwise``. On the compiled path such a layer that follows a
    layer whose class sets ``fuses_activation`` (``linear``, ``batchnorm``) is applied
    inside that layer's step -- one pass over the output instead of a layer of its own --
    as the built-in activations are. Alone, or on the per-op path, the layer runs its own
    ``forward``/``backward`` (and ``kernels``, if it declares them)."""

    module: str
    value: str = "value"
    derivative: str = "derivative"

    def __post_init__(self) -> None:
        _check_names(self.module, (self.value, self.derivative), ())


class CompiledTrainer(Protocol):
    """What :meth:`nnplug.backend.Backend.compile` returns, and exactly how the Solver calls
    it (``tests/contract/test_compiled_trainer_protocol.py`` trains through a backend written
    from this protocol alone).

    ``metric_weights`` (regression with standardised targets, else None): one weight per
    output for the squared error of the metric -- the squared target scales, so the metric
    of errors in standardised units is the RMSE in the target's units."""

    #: seconds spent compiling (0.0 when every kernel came from the cache)
    compile_seconds: float

    def prepare(self, data: Any = None) -> float:
        """Compile or load the compiled code now; return the seconds spent compiling.
        Raises :class:`NotCompiled` if it cannot be compiled (the caller runs per op)."""

    def train_steps(
        self,
        X: np.ndarray,
        y: np.ndarray,
        order: np.ndarray,
        start: int,
        stop: int,
        batch_size: int,
        lrs: np.ndarray,
        scale: float,
        metric_weights: np.ndarray | None = None,
    ) -> tuple[float, float, int, int]:
        """Run training steps ``start..stop-1`` of the epoch whose sample order is
        ``order`` (``lrs``: one learning rate per step); returns ``(loss sum, metric sum,
        samples, index of the step whose loss was not finite or -1)``; with a bad step the
        first value is that step's loss and nothing of that step was applied. The sums are
        over samples: loss x rows, and correct rows (classification) or squared errors
        summed over outputs / outputs (regression). Each step advances the model's
        ``training_steps`` and the optimizer's ``steps`` by one."""

    def predict(self, X: np.ndarray, scale: float) -> np.ndarray:
        """Eval-mode outputs for every row of ``X`` (in the model's dtype)."""

    def evaluate(
        self,
        X: np.ndarray,
        y: np.ndarray,
        scale: float,
        metric_weights: np.ndarray | None = None,
    ) -> tuple[float, float]:
        """Eval-mode ``(mean loss, metric)`` over ``X``: accuracy, or RMSE over all outputs."""


def describe(kernels: Any) -> str:
    """One line naming a declaration, for messages."""
    return f"{type(kernels).__name__}({kernels.module})"


__all__ = [
    "ACTIVATION_CODES",
    "IDENTIFIER",
    "MODULE_NAME",
    "ActivationKernels",
    "CompiledTrainer",
    "LayerKernels",
    "LossKernels",
    "NotCompiled",
    "OptimizerKernels",
    "describe",
]
