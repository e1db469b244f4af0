"""``relu``/``sigmoid``/``tanh`` on their own (not fused): the code is ``scalars[0]``."""

from nnplug_numba.toolkit import activation_grad, apply_activation, cached_kernel, copy


@cached_kernel
def forward(x, y, params, state, work, scalars, act, training, step):
    copy(x, y)
    apply_activation(y, int(scalars[0]))


@cached_kernel
def backward(x, y, dy, dx, params, grads, state, work, scalars, act, training, need_dx, step):
    if need_dx:
        activation_grad(y, dy, dx, int(scalars[0]))
