"""The compiled training path (numba backend): the same training as the NumPy reference,
third-party kernels joining it, components without kernels falling back per op."""
import numpy as np
import pytest

from nnplug.base import Data, Layer
from nnplug.nn.sequential import Sequential
from nnplug.registry import Registry
from nnplug.nn.solver import Solver
from builders import create, make_optimizer

pytestmark = pytest.mark.usefixtures("pair")  # skipped where numba cannot import


def _compiled_path() -> str:
    """NUMBA_DISABLE_JIT=1 refuses the compiled path: the numba backend then trains per op
    (its kernels run as Python), and every comparison below still holds."""
    import os

    return "per-op" if os.environ.get("NUMBA_DISABLE_JIT") == "1" else "compiled"


COMPILED = _compiled_path()


def blobs(n=150, d=6, k=3, seed=0, dtype=np.float64, task="classification"):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)).astype(dtype)
    if task == "classification":
        y = (X[:, 0] > 0).astype(np.int64) + (X[:, 1] > 0.5)
        classes = [str(i) for i in range(k)]
    else:
        y = (X[:, :1] * 2 - X[:, 1:2] + 0.1 * rng.standard_normal((n, 1))).astype(dtype)
        classes = None
    split = int(n * 0.8)
    return Data(X[:split], y[:split], X[split:], y[split:], X[:0], y[:0], task=task,
                classes=classes)


def fit(backend, spec, *, loss="softmax_ce", optimizer="momentum", dtype=np.float64,
        task="classification", epochs=3, batch=16, registry=None, compiled=True, lr=0.05):
    data = blobs(dtype=dtype, task=task)
    registry = registry or Registry()
    model = Sequential.from_spec(spec, data.n_features, data.n_outputs, hidden=12, rng=1,
                                 dtype=dtype, registry=registry, backend=backend)
    model.input_grad = False
    opt = make_optimizer(optimizer, lr=lr, momentum=0.9, weight_decay=1e-3, task=task,
                         registry=registry)
    solver = Solver(model, create("loss", loss, registry), opt, epochs=epochs,
                    batch_size=batch, seed=3)
    if not compiled:
        solver.compiled = False
    result = solver.fit(data)
    return solver, result


CASES = [
    ("linear,batchnorm,relu,dropout:0.3,linear:8,sigmoid", "softmax_ce", "momentum"),
    ("linear,tanh,linear:bias=false,relu,batchnorm,dropout:0.2", "softmax_ce", "nesterov"),
    # no bias right before batchnorm here: its gradient is rounding noise that Adam's
    # normalisation turns into real steps, different on each backend
    ("batchnorm,linear,sigmoid,linear:bias=false,batchnorm,tanh", "softmax_ce", "adam"),
    ("linear,relu,linear,tanh", "mse", "adamw"),
    ("linear:7,batchnorm,relu,linear,relu", "mse", "sgd"),
]


@pytest.mark.parametrize("spec,loss,optimizer", CASES)
def test_compiled_float64_is_the_numpy_reference(spec, loss, optimizer):
    """float64: every built-in layer, loss and optimizer; the loss history, validation
    metric and every weight agree with the NumPy backend to rtol 1e-7 (the sums run in
    another order -- blocked column sums, another BLAS -- which differs by ~1e-16 per op;
    Adam divides by sqrt(v) of near-zero gradients and carries that to ~1e-9 in 3
    epochs)."""
    task = "classification" if loss == "softmax_ce" else "regression"
    ref_solver, ref = fit("numpy", spec, loss=loss, optimizer=optimizer, task=task)
    solver, got = fit("numba", spec, loss=loss, optimizer=optimizer, task=task)
    assert got.path == COMPILED and ref.path == "per-op"
    for a, b in zip(ref.history, got.history):
        np.testing.assert_allclose(b.loss, a.loss, rtol=1e-7)
        np.testing.assert_allclose(b.val_loss, a.val_loss, rtol=1e-7)
        np.testing.assert_allclose(b.train_metric, a.train_metric, rtol=1e-7)
    assert ref_solver.model.training_steps == solver.model.training_steps > 0
    assert ref_solver.optimizer.steps == solver.optimizer.steps
    want, have = ref_solver.model.state_arrays(), solver.model.state_arrays()
    for key in want:
        np.testing.assert_allclose(have[key], want[key], rtol=1e-7, atol=1e-9, err_msg=key)
    for key, slots in ref_solver.optimizer.state.items():
        for name, value in slots.items():
            np.testing.assert_allclose(solver.optimizer.state[key][name], value, rtol=1e-7,
                                       atol=1e-9, err_msg=f"{key}/{name}")
    X = blobs(task=task).X_val
    np.testing.assert_allclose(solver.model.predict_raw(X), ref_solver.model.predict_raw(X),
                               rtol=1e-7, atol=1e-9)


def test_compiled_float32_agrees_with_numpy_to_float32_rounding():
    """float32 rounds per op (6e-8); three epochs carry that to ~1e-5 of the loss."""
    spec = "linear,batchnorm,relu,dropout:0.2"
    _, ref = fit("numpy", spec, dtype=np.float32)
    _, got = fit("numba", spec, dtype=np.float32)
    assert got.path == COMPILED
    for a, b in zip(ref.history, got.history):
        np.testing.assert_allclose(b.loss, a.loss, rtol=1e-4)


def test_compiled_matches_per_op_on_the_same_backend():
    """The numba backend forced per op (``Solver.compiled = False``) agrees too."""
    spec = "linear,batchnorm,relu,dropout:0.3,linear:8,tanh"
    s1, per_op = fit("numba", spec, compiled=False)
    s2, compiled = fit("numba", spec)
    assert per_op.path == "per-op" and compiled.path == COMPILED
    for a, b in zip(per_op.history, compiled.history):
        np.testing.assert_allclose(b.loss, a.loss, rtol=1e-9)


def test_same_seed_same_bits_on_the_compiled_path():
    a = fit("numba", "linear,batchnorm,relu,dropout:0.5", dtype=np.float32)[0]
    b = fit("numba", "linear,batchnorm,relu,dropout:0.5", dtype=np.float32)[0]
    for key, value in a.model.state_arrays().items():
        np.testing.assert_array_equal(b.model.state_arrays()[key], value)


def test_a_plugins_kernels_join_the_compiled_path(example_registry):
    """The example plugin's leaky_relu and rmsprop declare kernels: compiled, and equal to
    the NumPy reference in float64."""
    spec = "linear,leaky_relu:0.2,linear,leaky_relu:0.05"
    kw = dict(optimizer="rmsprop", registry=example_registry, lr=0.01)
    ref_solver, ref = fit("numpy", spec, **kw)
    solver, got = fit("numba", spec, **kw)
    assert got.path == COMPILED, solver.not_compiled
    for a, b in zip(ref.history, got.history):
        np.testing.assert_allclose(b.loss, a.loss, rtol=1e-9)


class Plain(Layer):
    """A layer with no kernels (NumPy only): y = 2 x."""

    name = "plain_double"

    def forward(self, x):
        return 2 * x

    def backward(self, dy):
        return 2 * dy


def test_a_component_without_kernels_trains_per_op_and_says_which(example_registry):
    reg = Registry()

    class PlainPlugin:
        @staticmethod
        def nnplug_register_layers(register):
            register(Plain)

    from nnplug import hookimpl

    PlainPlugin.nnplug_register_layers = hookimpl(PlainPlugin.nnplug_register_layers)
    reg.add_plugin(PlainPlugin, "plain", dist="nnplug-plain", version="1.0")
    spec = "linear,relu,plain_double,linear,batchnorm,relu"
    ref_solver, ref = fit("numpy", spec, registry=reg)
    solver, got = fit("numba", spec, registry=reg)
    assert got.path == "per-op" and "\n" not in solver.not_compiled
    if COMPILED == "compiled":
        assert "plain_double" in solver.not_compiled
        assert "no compiled kernels" in solver.not_compiled
    for a, b in zip(ref.history, got.history):  # mixing: the built-ins still run their ops
        np.testing.assert_allclose(b.loss, a.loss, rtol=1e-9)
    # a loss without kernels (the example's huber) keeps it off the path too
    solver, got = fit("numba", "linear,relu", loss="huber", task="regression",
                      registry=example_registry)
    assert got.path == "per-op"
    assert COMPILED == "per-op" or "loss 'huber'" in solver.not_compiled


def test_compile_time_is_kept_out_of_training_time():
    solver, result = fit("numba", "linear,relu", epochs=1)
    again_solver, again = fit("numba", "linear,relu", epochs=1)
    assert result.compile_seconds >= 0 and again.compile_seconds == 0.0  # loaded: in memory
    assert again.path == COMPILED


def test_large_batches_and_odd_sizes_on_the_compiled_path():
    """Batch larger than the data, a trailing batch of one (skipped as in per-op), float
    inputs as float32 rows and uint8 images with a scale."""
    for n, batch in ((10, 64), (17, 8)):
        rng = np.random.default_rng(0)
        X = rng.integers(0, 17, (n, 5)).astype(np.uint8)
        y = rng.integers(0, 2, n)
        data = Data(X, y, X, y, X[:0], y[:0], classes=["a", "b"], scale=1 / 16)
        results = []
        for backend in ("numpy", "numba"):
            model = Sequential.from_spec("linear:6,batchnorm,relu", 5, 2, rng=0,
                                         dtype=np.float64, backend=backend)
            opt = make_optimizer("sgd", lr=0.1, momentum=0.9, weight_decay=0.0)
            solver = Solver(model, create("loss", "softmax_ce"), opt, epochs=2,
                            batch_size=batch, seed=0)
            results.append(solver.fit(data))
        assert results[1].path == COMPILED
        assert results[0].samples_seen == results[1].samples_seen
        for a, b in zip(results[0].history, results[1].history):
            np.testing.assert_allclose(b.loss, a.loss, rtol=1e-9)


BROKEN_KERNELS = '''
from nnplug_numba.toolkit import kernel


@kernel
def forward(x, y, params, state, work, scalars, act, training, step):
    y[:, :] = x + "not a number"   # does not type: numba refuses to compile it


@kernel
def backward(x, y, dy, dx, params, grads, state, work, scalars, act, training, need_dx,
             step):
    pass
'''


def test_kernels_that_do_not_compile_fall_back_per_op_and_say_which(tmp_path, monkeypatch):
    """A plugin's broken kernel module cannot break training: per op, one line naming it."""
    from nnplug import hookimpl
    from nnplug.kernels import LayerKernels

    (tmp_path / "broken_kernels_mod.py").write_text(BROKEN_KERNELS)
    monkeypatch.syspath_prepend(str(tmp_path))

    class Doubler(Plain):
        name = "broken_double"
        kernels = LayerKernels("broken_kernels_mod")

    class Plugin:
        nnplug_register_layers = staticmethod(hookimpl(lambda register: register(Doubler)))

    reg = Registry()
    reg.add_plugin(Plugin, "broken", dist="nnplug-broken", version="0.1")
    solver, got = fit("numba", "linear,broken_double,relu", registry=reg)
    assert got.path == "per-op"
    if COMPILED == "per-op":
        return  # no compiler: nothing fails to compile
    assert "broken_kernels_mod" in solver.not_compiled and "failed to compile" in \
        solver.not_compiled and "\n" not in solver.not_compiled
    ref_solver, ref = fit("numpy", "linear,broken_double,relu", registry=reg)
    for a, b in zip(ref.history, got.history):
        np.testing.assert_allclose(b.loss, a.loss, rtol=1e-9)


def test_standardised_regression_targets_on_the_compiled_path():
    """Targets in the hundreds of thousands, standardised for the loss; the metric (RMSE)
    comes out in the target's units on both paths, per output column."""
    results = []
    for backend in ("numpy", "numba"):
        data = blobs(task="regression")
        data.y_train = np.hstack([data.y_train * 1e5 + 3e5, data.y_train * -2.0])
        data.y_val = np.hstack([data.y_val * 1e5 + 3e5, data.y_val * -2.0])
        y = data.y_train
        data.target_mean, data.target_std = y.mean(axis=0), y.std(axis=0)
        model = Sequential.from_spec("linear:8,relu", data.n_features, 2, rng=1,
                                     dtype=np.float64, backend=backend)
        opt = make_optimizer("adam", lr=0.01, momentum=0.9, weight_decay=0.0)
        solver = Solver(model, create("loss", "mse"), opt, epochs=3,
                        batch_size=16, seed=3)
        results.append(solver.fit(data))
    ref, got = results
    assert got.path == COMPILED
    for a, b in zip(ref.history, got.history):
        np.testing.assert_allclose(b.loss, a.loss, rtol=1e-7)
        np.testing.assert_allclose(b.train_metric, a.train_metric, rtol=1e-7)
        np.testing.assert_allclose(b.val_metric, a.val_metric, rtol=1e-7)
    assert ref.history[-1].val_metric > 1e3  # dollars, not standardised units


def test_the_blas_symbols_are_scipys_gemms_without_importing_scipy_linalg():
    """The driver's GEMM symbols point at SciPy's sgemm/dgemm (numba's own lookup agrees),
    found without importing scipy.linalg (a tenth of a second of every warm start)."""
    import subprocess
    import sys

    code = (
        "import sys\n"
        "from nnplug_numba import jit\n"
        "jit.load()\n"
        "from nnplug_numba import blas  # noqa: F401\n"
        "assert 'scipy.linalg' not in sys.modules, 'scipy.linalg imported'\n"
        "import llvmlite.binding as ll\n"
        "from numba.extending import get_cython_function_address as address\n"
        "for name, symbol in (('sgemm', 'nnplug_blas_sgemm'), ('dgemm', 'nnplug_blas_dgemm')):\n"
        "    assert ll.address_of_symbol(symbol) == address('scipy.linalg.cython_blas', name)\n"
    )
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert res.returncode == 0, res.stderr
