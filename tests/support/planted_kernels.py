"""A plugin layer with compiled kernels and one planted bug at a time, for the tests of the
kernel checks: ``scale_shift`` computes y = x gamma + beta per column (correct NumPy code);
:func:`plant` writes its kernel module with the named bug into a directory on sys.path."""
import itertools
import textwrap

import numpy as np

from nnplug.base import Layer
from nnplug.kernels import LayerKernels

_GOOD = {
    "prelude": "pass",
    "forward": "y[i, j] = x[i, j] * gamma[j] + beta[j]",
    "dx": "dx[i, j] = dy[i, j] * gamma[j]",
    "dgamma": "dgamma[j] = 0.0",
    "dgamma_acc": "dgamma[j] += dy[i, j] * x[i, j]",
    "dbeta": "dbeta[j] = 0.0",
    "dbeta_acc": "dbeta[j] += dy[i, j]",
}
BUGS = {
    "none": {},
    # wrong output slot: beta is never added (gamma=1, beta=0 at initialisation hide it)
    "forgets_beta": {"forward": "y[i, j] = x[i, j] * gamma[j]"},
    # a sign error in the input gradient (the NumPy path is right)
    "dx_sign": {"dx": "dx[i, j] = -dy[i, j] * gamma[j]"},
    # accumulates into grads instead of overwriting them (the contract forbids it)
    "accumulates": {"dgamma": "pass", "dbeta": "pass"},
    # writes one row past the end of y
    "out_of_bounds": {"forward": "y[i + 1, j] = x[i, j] * gamma[j] + beta[j]"},
    # raises once training has gone on a while (the self-check runs early steps only)
    "raises_late": {"prelude": 'if training and step >= 60: raise ValueError("gave up at 60")'},
    # does not type: an array stored into an element
    "typing_error": {"forward": "y[i, j] = x[i, j] * gamma + beta[j]"},
}
_counter = itertools.count()


def _source(bug):
    code = {**_GOOD, **BUGS[bug]}
    return textwrap.dedent(f"""
        from nnplug_numba.toolkit import kernel


        @kernel
        def forward(x, y, params, state, work, scalars, act, training, step):
            gamma, beta = params
            {code["prelude"]}
            for i in range(x.shape[0]):
                for j in range(x.shape[1]):
                    {code["forward"]}


        @kernel
        def backward(x, y, dy, dx, params, grads, state, work, scalars, act, training,
                     need_dx, step):
            gamma, beta = params
            dgamma, dbeta = grads
            for j in range(x.shape[1]):
                {code["dgamma"]}
                {code["dbeta"]}
            for i in range(x.shape[0]):
                for j in range(x.shape[1]):
                    {code["dgamma_acc"]}
                    {code["dbeta_acc"]}
                    if need_dx:
                        {code["dx"]}
    """)


def registry_with(cls):
    """A registry with the built-ins and ``cls`` from the plugin 'planted'."""
    import types

    from nnplug import hookimpl
    from nnplug.registry import Registry

    reg = Registry()
    plugin = types.SimpleNamespace(
        nnplug_register_layers=hookimpl(lambda register: register(cls)))
    reg.add_plugin(plugin, "planted", dist="nnplug-planted", version="1.0")
    return reg


def plant(directory, bug):
    """A ``scale_shift`` layer class whose kernels carry ``bug`` (a key of :data:`BUGS`),
    their module written into ``directory`` (which must be on sys.path)."""
    module = f"planted_kernels_{bug}_{next(_counter)}"
    (directory / f"{module}.py").write_text(_source(bug))

    class ScaleShift(Layer):
        """y = x gamma + beta, per column."""

        name = "scale_shift"
        kernels = LayerKernels(module, params=("gamma", "beta"))

        def build(self, in_features, *, rng, dtype=np.float32, init=None):
            n = self.in_features = self.out_features = int(in_features)
            self.params = {"gamma": np.ones(n, dtype), "beta": np.zeros(n, dtype)}
            self.grads = {k: np.zeros_like(v) for k, v in self.params.items()}
            return n

        def forward(self, x):
            self._x = x
            return x * self.params["gamma"] + self.params["beta"]

        def backward(self, dy):
            self.grads["gamma"][...] = (dy * self._x).sum(axis=0)
            self.grads["beta"][...] = dy.sum(axis=0)
            return dy * self.params["gamma"]

    return ScaleShift
