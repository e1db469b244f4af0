"""float64 central-difference checks of every fused path (linear or batchnorm followed by
relu/sigmoid/tanh run as one op), on every available backend."""
from builders import create
import numpy as np
import pytest

from nnplug.testing.gradcheck import numerical_grad, rel_error
from nnplug.nn.sequential import Sequential

SPECS = [
    "linear:5,relu,linear:4,sigmoid,linear:4,tanh",
    "linear:5,batchnorm,relu,linear:4,batchnorm,sigmoid,linear:4,batchnorm,tanh",
    "batchnorm,tanh,linear:4,batchnorm",  # batchnorm first, a trailing unfused batchnorm
]


@pytest.mark.parametrize("spec", SPECS)
def test_fused_network_gradients(backend, registry, spec):
    model = Sequential.from_spec(spec, 3, 3, rng=1, dtype=np.float64)
    assert any(act is not None for _, act in model.steps())
    loss = create("loss", "softmax_ce")
    rng = np.random.default_rng(0)
    x = rng.standard_normal((7, 3))
    y = rng.integers(0, 3, 7)
    for p in model.parameters():  # non-trivial gamma/beta and biases
        p.value += rng.standard_normal(p.value.shape) * 0.3

    def f():
        return loss.forward(model.forward(x), y)

    f()
    dx = np.array(model.backward(loss.backward()), copy=True)
    analytic = {p.key: p.grad.copy() for p in model.parameters()}
    assert rel_error(dx, numerical_grad(f, x)) < 1e-6
    for p in model.parameters():
        numeric = numerical_grad(f, p.value)
        if np.linalg.norm(numeric) < 1e-8:  # zero in theory: a bias right before batchnorm
            assert np.linalg.norm(analytic[p.key]) < 1e-12, p.key
        else:
            assert rel_error(analytic[p.key], numeric) < 1e-6, p.key


def test_eval_mode_outputs_are_fresh_arrays(backend):
    """Workspaces are reused only in training: eval outputs of two calls stay distinct
    (predict_raw concatenates them)."""
    model = Sequential.from_spec("linear:8,batchnorm,relu", 4, 2, rng=0)
    model.eval()
    a = model.forward(np.ones((3, 4), np.float32))
    b = model.forward(np.zeros((3, 4), np.float32))
    assert not np.shares_memory(a, b)
    model.train()
    c = model.forward(np.ones((3, 4), np.float32))
    d = model.forward(np.ones((3, 4), np.float32))
    assert np.shares_memory(c, d)  # training reuses the step's workspace


@pytest.mark.parametrize("spec", ["linear:6,batchnorm,relu", "linear:6,tanh", "batchnorm,relu"])
def test_skipping_the_input_gradient_changes_no_parameter_gradient(backend, spec):
    x = np.random.default_rng(0).standard_normal((5, 4))
    grads = []
    for input_grad in (True, False):
        model = Sequential.from_spec(spec, 4, 3, rng=0, dtype=np.float64)
        model.input_grad = input_grad
        dx = model.backward(model.forward(x) * 0.5)
        assert (dx is None) == (not input_grad and spec.startswith("linear"))
        grads.append([p.grad.copy() for p in model.parameters()])
    for a, b in zip(*grads):
        np.testing.assert_array_equal(a, b)


def test_a_new_backend_overrides_only_what_it_accelerates(registry):
    """The base Backend implements every op (the NumPy reference): a backend that overrides
    one op trains any model, uses its op everywhere it applies, the reference elsewhere."""
    from nnplug.backend import Backend

    calls = []

    class Counting(Backend):
        name = "counting"

        def activation_forward(self, kind, x, out=None):
            calls.append(kind)
            return super().activation_forward(kind, x, out)

    x = np.random.default_rng(0).standard_normal((6, 3))
    outs = []
    for backend in (registry.get("backend", "numpy").cls(), Counting()):
        model = Sequential.from_spec("linear:5,relu,batchnorm,tanh,dropout:0.5", 3, 2, rng=0,
                                     dtype=np.float64, backend=backend)
        assert all(layer.ops is backend for layer in model.layers)
        out = model.forward(x)
        dx = model.backward(np.ones_like(out))
        outs.append((out.copy(), dx.copy(), [p.grad.copy() for p in model.parameters()]))
    assert [k for k in calls if k] == ["relu", "tanh"]  # fused, through the op
    np.testing.assert_array_equal(outs[1][0], outs[0][0])
    np.testing.assert_array_equal(outs[1][1], outs[0][1])
    for a, b in zip(outs[1][2], outs[0][2]):
        np.testing.assert_array_equal(a, b)


def test_the_model_owns_its_backend(registry):
    """A model keeps the backend it was made with (or moved to); the context only picks
    the default for new ones."""
    from nnplug.runtime.backends import current_backend, get_backend, use_backend

    model = Sequential.from_spec("linear:4,relu", 3, 2, rng=0)
    before = model.backend
    assert before is current_backend()
    other = registry.get("backend", "numpy").cls()
    with use_backend(other):
        assert model.backend is before and model.layers[0].ops is before
        assert Sequential.from_spec("linear:4", 3, 2).backend is other
    model.to(other)
    assert all(layer.ops is other for layer in model.layers)
    assert get_backend(other) is other
