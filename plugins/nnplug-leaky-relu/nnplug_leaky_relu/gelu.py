"""The ``gelu`` layer (the tanh form, as PyTorch's ``approximate="tanh"``)."""

import numpy as np

from nnplug.base import Layer
from nnplug.kernels import ActivationKernels, LayerKernels

#: sqrt(2 / pi) and the cubic coefficient of the tanh form
C, K = 0.7978845608028654, 0.044715


class GELU(Layer):
    """GELU: y = x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""

    name = "gelu"
    init_scheme = "he"
    # its kernels use the toolkit's vectorisable fast_tanh (a libm tanh is ~30x slower)
    kernels = LayerKernels(
        "nnplug_leaky_relu.kernels", forward="gelu_forward", backward="gelu_backward"
    )
    elementwise = ActivationKernels(
        "nnplug_leaky_relu.kernels", value="gelu_value", derivative="gelu_derivative"
    )

    def forward(self, x):
        self._x = x
        self._t = np.tanh(x.dtype.type(C) * (x + x.dtype.type(K) * x**3))
        return x * x.dtype.type(0.5) * (1 + self._t)

    def backward(self, dy):
        x, t = self._x, self._t
        inner = x.dtype.type(C) * (1 + x.dtype.type(3 * K) * x * x)
        return dy * x.dtype.type(0.5) * ((1 + t) + x * (1 - t * t) * inner)
