"""The ``leaky_relu`` layer."""

import numpy as np

from nnplug.base import Layer
from nnplug.kernels import ActivationKernels, LayerKernels


class LeakyReLU(Layer):
    """Leaky ReLU: y = x if x > 0 else alpha * x (``leaky_relu:alpha=0.1``)."""

    name = "leaky_relu"
    positional = "alpha"  # leaky_relu:0.2 is leaky_relu:alpha=0.2
    init_scheme = "he"  # the linear before this layer uses He initialisation
    # compiled training (numba backend): the kernels in kernels.py, imported only then
    kernels = LayerKernels(
        "nnplug_leaky_relu.kernels", forward="leaky_relu_forward", backward="leaky_relu_backward"
    )
    # after a linear or batchnorm, the compiled path applies it inside their step instead
    elementwise = ActivationKernels(
        "nnplug_leaky_relu.kernels", value="leaky_relu_value", derivative="leaky_relu_derivative"
    )

    def __init__(self, alpha: float = 0.1):
        super().__init__()
        if not 0 <= alpha < 1:
            raise ValueError(f"alpha must be in [0, 1), got {alpha!r}")
        self.alpha = float(alpha)

    def options(self):
        return {"alpha": self.alpha}

    def kernel_scalars(self):
        return (self.alpha,)  # the kernels' ``scalars``

    def forward(self, x):
        self._positive = x > 0
        return np.where(self._positive, x, x * x.dtype.type(self.alpha))

    def backward(self, dy):
        return np.where(self._positive, dy, dy * dy.dtype.type(self.alpha))
