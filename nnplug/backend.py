"""The compute-backend ("ops") interface and the current-backend switch.

Layers, losses and optimizers express their memory-bound math through
``ops.<operation>(...)``; ``ops`` forwards to the backend selected with
:func:`use_backend` / :func:`set_backend` (default: ``numpy``, the reference
implementation and test oracle shipped by the ``nnplug_core`` plugin). A faster
backend implements the same methods; GEMMs stay in NumPy/BLAS everywhere.
Every operation preserves the input dtype and may write into its arguments only
where documented (optimizer steps update ``p`` and state in place).
"""
from __future__ import annotations

import contextlib
from typing import Any, ClassVar, Iterator

import numpy as np

from .errors import BackendUnavailableError

DEFAULT_BACKEND = "numpy"


class Backend:
    """Interface every backend implements. See ``nnplug_core.numpy_backend`` for the math."""

    name: ClassVar[str] = ""

    @classmethod
    def availability(cls) -> tuple[bool, str]:
        """``(True, "")`` if usable here, else ``(False, one-line reason)``."""
        return True, ""

    def __init__(self, **options: Any):
        if options:
            raise TypeError(f"unexpected option(s) {', '.join(sorted(options))}")

    # Dense layer: y = x @ W + b ; backward gives dx, dW = x.T @ dy, db = sum(dy)
    def linear_forward(self, x, W, b): raise NotImplementedError
    def linear_backward(self, x, W, dy, dW, db, need_dx=True): raise NotImplementedError
    # Element-wise activation ``kind`` in {"relu", "sigmoid", "tanh"}; backward uses y only
    def act_forward(self, kind, x): raise NotImplementedError
    def act_backward(self, kind, y, dy): raise NotImplementedError
    # BatchNorm over the batch axis
    def batchnorm_forward_train(self, x, gamma, beta, eps): raise NotImplementedError
    def batchnorm_forward_eval(self, x, gamma, beta, mean, var, eps): raise NotImplementedError
    def batchnorm_backward(self, dy, xhat, inv_std, gamma, dgamma, dbeta):
        raise NotImplementedError
    # Losses: mean over the batch; return (loss, d loss / d outputs)
    def softmax_ce(self, logits, labels): raise NotImplementedError
    def softmax(self, logits): raise NotImplementedError
    def mse(self, pred, target): raise NotImplementedError
    # Optimizer updates, in place on p (and state arrays)
    def sgd_step(self, p, g, lr, wd): raise NotImplementedError
    def momentum_step(self, p, g, v, lr, mu, wd, nesterov): raise NotImplementedError
    def adam_step(self, p, g, m, v, lr, b1, b2, eps, t, wd): raise NotImplementedError

    # -- fused ops: what Sequential calls for "linear|batchnorm, then activation" --------
    # ``kind`` None means no activation. ``out``/``dz``/``dx``/``y``/``xhat``: optional
    # preallocated results (training workspaces). These defaults compose the ops above,
    # so a backend only overrides them to fuse passes.
    def bias_act(self, kind, z, b):
        """z = act(z + b) in place (``b`` may be None); returns z."""
        if b is not None:
            z += b
        if kind:
            z[...] = self.act_forward(kind, z)
        return z

    def bias_act_backward(self, kind, y, dy, db, out=None):
        """dz = dy act'(y) (``dy`` itself when ``kind`` is None); db = sum(dz) if given."""
        dz = self.act_backward(kind, y, dy) if kind else dy
        if db is not None:
            dz.sum(axis=0, out=db)
        return dz

    def linear_act_forward(self, x, W, b, kind=None, out=None):
        """y = act(x W + b) (this default: :meth:`linear_forward`, :meth:`act_forward`)."""
        y = self.linear_forward(x, W, b)
        return self.act_forward(kind, y) if kind else y

    def linear_act_backward(self, x, W, y, dy, dW, db, kind=None, need_dx=True, dz=None,
                            dx=None):
        """dz = dy act'(y); dW = x^T dz; db = sum(dz); returns dx = dz W^T (or None)."""
        g = self.act_backward(kind, y, dy) if kind else dy
        return self.linear_backward(x, W, g, dW, db, need_dx)

    def batchnorm_act_forward_train(self, x, gamma, beta, eps, kind=None, y=None, xhat=None):
        """``act(batchnorm(x))``; returns ``y, xhat, inv_std, mean, var``."""
        out, xhat, inv_std, mean, var = self.batchnorm_forward_train(x, gamma, beta, eps)
        return (self.act_forward(kind, out) if kind else out), xhat, inv_std, mean, var

    def batchnorm_act_forward_eval(self, x, gamma, beta, mean, var, eps, kind=None):
        """``act(batchnorm_eval(x))``."""
        out = self.batchnorm_forward_eval(x, gamma, beta, mean, var, eps)
        return self.act_forward(kind, out) if kind else out

    def batchnorm_act_backward(self, dy, y, xhat, inv_std, gamma, dgamma, dbeta, kind=None,
                               dx=None):
        """BatchNorm backward of ``g = dy act'(y)``."""
        g = self.act_backward(kind, y, dy) if kind else dy
        return self.batchnorm_backward(g, xhat, inv_std, gamma, dgamma, dbeta)


class BlasLinearAct:
    """Mixin for backends: ``linear + activation`` as one BLAS GEMM written into ``out``,
    then the backend's own (fused) ``bias_act`` / ``bias_act_backward``."""

    def linear_act_forward(self, x, W, b, kind=None, out=None):
        return self.bias_act(kind, np.matmul(x, W, out=out), b)

    def linear_act_backward(self, x, W, y, dy, dW, db, kind=None, need_dx=True, dz=None,
                            dx=None):
        dz = self.bias_act_backward(kind, y, dy, db, out=dz)
        np.matmul(x.T, dz, out=dW)
        return np.matmul(dz, W.T, out=dx) if need_dx else None


class Workspace:
    """Named scratch arrays a layer reuses from one training step to the next.

    ``get(name, shape, dtype)`` returns the same array while shape and dtype match,
    so the steady state allocates nothing (large temporaries would otherwise be
    mmapped and page-faulted on every step). An array handed out is valid until the
    next ``get`` of the same name.
    """

    def __init__(self) -> None:
        self._arrays: dict[str, Any] = {}

    def get(self, name: str, shape: tuple[int, ...], dtype: Any) -> Any:
        a = self._arrays.get(name)
        if a is None or a.shape != tuple(shape) or a.dtype != dtype:
            a = self._arrays[name] = np.empty(shape, dtype)
        return a

    def clear(self) -> None:
        self._arrays.clear()


_current: Backend | None = None
_instances: dict[str, Backend] = {}


def get_backend(name: str) -> Backend:
    """Create (once) and return the backend ``name``; one-line error if unavailable."""
    if name not in _instances:
        from .registry import get_registry

        comp = get_registry().get("backend", name)
        ok, reason = comp.cls.availability()
        if not ok:
            raise BackendUnavailableError(f"backend '{name}' is unavailable: {reason}")
        _instances[name] = comp.cls()
    return _instances[name]


def current_backend() -> Backend:
    global _current
    if _current is None:
        _current = get_backend(DEFAULT_BACKEND)
    return _current


def set_backend(backend: str | Backend) -> Backend:
    """Make ``backend`` (a name or an instance) current for this process."""
    global _current
    _current = get_backend(backend) if isinstance(backend, str) else backend
    return _current


@contextlib.contextmanager
def use_backend(backend: str | Backend) -> Iterator[Backend]:
    """``with use_backend("numba"): ...`` -- switch backend for a block."""
    global _current
    previous = _current
    try:
        yield set_backend(backend)
    finally:
        _current = previous


class _OpsProxy:
    """``ops.relu(...)`` style access to whatever backend is current."""

    def __getattr__(self, item: str) -> Any:
        return getattr(current_backend(), item)

    def __repr__(self) -> str:
        return f"<ops -> {current_backend().name}>"


ops = _OpsProxy()
