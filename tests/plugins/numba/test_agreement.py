"""Numba vs NumPy, kernel by kernel.

float64: rtol 1e-10 (plus an atol of 1e-12 x the result's scale, for entries that cancel
to ~0, e.g. dbeta of a BatchNorm). float32: rtol 1e-4 and atol 1e-5 x scale. Why that
much: float32 rounding is 6e-8 per operation, BatchNorm's backward
``N g - sum(g) - xhat sum(g xhat)`` cancels terms of size ~N|g| down to ~|g|, and the two
backends sum in different orders (NumPy pairwise in float32; Numba blocks of 8 rows in
float32 joined in float64), so entries differ by up to ~N x eps x |g| ~ 1e-5 relative at
N = 256; both are checked against a float64 oracle as well, so the tolerance cannot hide a
float32 kernel that is worse than NumPy's.
"""
import numpy as np
import pytest

KINDS = [None, "relu", "sigmoid", "tanh"]
SHAPES = [(2, 3), (7, 13), (64, 33), (256, 40)]


def close(a, b, dtype, scale=None):
    a, b = np.asarray(a), np.asarray(b)
    scale = float(np.max(np.abs(b))) if scale is None and b.size else (scale or 1.0)
    if dtype == np.float64:
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12 * max(scale, 1e-300))
    else:
        np.testing.assert_allclose(a, b, rtol=1e-4, atol=1e-5 * max(scale, 1e-30))


def data(shape, dtype, seed=0, loc=0.0, scale=1.0):
    return (np.random.default_rng(seed).standard_normal(shape) * scale + loc).astype(dtype)


@pytest.fixture(params=[np.float64, np.float32], ids=["f64", "f32"])
def dtype(request):
    return request.param



@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("bias", [True, False])
def test_linear_forward(pair, dtype, shape, kind, bias):
    ref, nb = pair
    x, W = data((shape[0], 5), dtype), data((5, shape[1]), dtype, seed=1)
    b = data(shape[1], dtype, seed=2) if bias else None
    want = ref.linear_forward(x, W, b, kind)
    got = nb.linear_forward(x, W, b, kind, out=np.empty_like(want))
    assert got.dtype == dtype
    close(got, want, dtype)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("bias", [True, False])
def test_linear_backward(pair, dtype, shape, kind, bias):
    ref, nb = pair
    x, W = data((shape[0], 5), dtype), data((5, shape[1]), dtype, seed=1)
    b = data(shape[1], dtype, seed=2) if bias else None
    y = ref.linear_forward(x, W, b, kind)
    dy = data(shape, dtype, seed=3)
    grads = []
    for be in pair:
        dW, db = np.empty_like(W), (np.empty_like(b) if bias else None)
        dx = be.linear_backward(x, W, y, dy.copy(), dW, db, kind)
        grads.append((dx, dW) + ((db,) if bias else ()))
        assert be.linear_backward(x, W, y, dy.copy(), dW, db, kind, need_dx=False) is None
    for want, got in zip(*grads):
        close(got, want, dtype, scale=float(np.abs(want).max()) + 1.0)


@pytest.mark.parametrize("kind", ["relu", "sigmoid", "tanh"])
def test_standalone_activation_ops(pair, dtype, kind):
    ref, nb = pair
    x, dy = data((5, 4, 6), dtype), data((5, 4, 6), dtype, seed=1)  # any rank
    y = ref.activation_forward(kind, x)
    close(nb.activation_forward(kind, x), y, dtype)
    close(nb.activation_backward(kind, y, dy), ref.activation_backward(kind, y, dy), dtype)


@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("kind", KINDS)
def test_batchnorm_train_forward_backward(pair, dtype, shape, kind):
    ref, nb = pair
    x = data(shape, dtype, loc=0.5, scale=2.0)
    gamma, beta = data(shape[1], dtype, seed=1), data(shape[1], dtype, seed=2)
    dy = data(shape, dtype, seed=3)
    outs = [be.batchnorm_forward_train(x, gamma, beta, 1e-5, kind) for be in pair]
    for want, got in zip(*outs):  # y, xhat, inv_std, mean, var
        assert got.dtype == dtype
        close(got, want, dtype)
    grads = []
    for be, (y, xhat, inv_std, _, _) in zip(pair, outs):
        dgamma, dbeta = np.empty_like(gamma), np.empty_like(beta)
        dx = be.batchnorm_backward(dy.copy(), y, xhat, inv_std, gamma, dgamma, dbeta, kind)
        grads.append((dx, dgamma, dbeta))
    (dx_r, dg_r, db_r), (dx_n, dg_n, db_n) = grads
    close(dx_n, dx_r, dtype)
    sums = float(np.abs(dy).sum(axis=0).max())  # the size of the terms each sum adds up
    close(dg_n, dg_r, dtype, scale=sums)
    close(db_n, db_r, dtype, scale=sums)


def test_batchnorm_eval_forward_and_backward(pair, dtype):
    ref, nb = pair
    x = data((16, 8), dtype, loc=-1)
    gamma, beta = data(8, dtype, seed=1), data(8, dtype, seed=2)
    mean, var = data(8, dtype, seed=3), np.abs(data(8, dtype, seed=4)) + 0.5
    dy = data((16, 8), dtype, seed=5)
    for kind in KINDS:
        y = ref.batchnorm_forward_eval(x, gamma, beta, mean, var, 1e-5, kind)
        close(nb.batchnorm_forward_eval(x, gamma, beta, mean, var, 1e-5, kind), y, dtype)
        g = [np.empty(8, dtype) for _ in range(4)]
        close(nb.batchnorm_backward_eval(dy, y, x, gamma, mean, var, 1e-5, g[0], g[1], kind),
              ref.batchnorm_backward_eval(dy, y, x, gamma, mean, var, 1e-5, g[2], g[3], kind),
              dtype)


def test_batchnorm_float32_variance_with_a_large_mean(pair):
    """A one-pass E[x^2] - E[x]^2 in float32 is wrong by ~2x at mean 1e3; two passes with
    float64-joined sums are not: both float32 backends match the float64 truth."""
    x64 = np.random.default_rng(0).standard_normal((256, 64)) + 1e3
    x32 = x64.astype(np.float32)
    truth = x32.astype(np.float64).var(axis=0)
    g, b = np.ones(64, np.float32), np.zeros(64, np.float32)
    for be in pair:
        var = be.batchnorm_forward_train(x32, g, b, 1e-5)[4]
        np.testing.assert_allclose(var, truth, rtol=1e-3)


@pytest.mark.parametrize("batch,classes", [(2, 3), (37, 10), (256, 10), (64, 1)])
def test_softmax_ce_and_softmax(pair, dtype, batch, classes):
    ref, nb = pair
    logits = data((batch, classes), dtype) * 4
    labels = np.random.default_rng(1).integers(0, classes, batch)
    (l_ref, g_ref), (l_nb, g_nb) = (be.softmax_cross_entropy(logits, labels) for be in pair)
    close(l_nb, l_ref, dtype)
    close(g_nb, g_ref, dtype, scale=1.0 / batch)
    assert g_nb.dtype == dtype
    close(nb.softmax(logits), ref.softmax(logits), dtype, scale=1.0)


def test_softmax_ce_rejects_labels_out_of_range(pair):
    for be in pair:
        with pytest.raises(ValueError, match="labels"):
            be.softmax_cross_entropy(np.zeros((3, 4), np.float32), np.array([0, 4, 1]))


@pytest.mark.parametrize("shape", [(5,), (9, 3), (64, 33)])
def test_mse(pair, dtype, shape):
    ref, nb = pair
    pred, target = data(shape, dtype), data(shape, dtype, seed=1)
    (l_ref, g_ref), (l_nb, g_nb) = (be.mse(pred, target) for be in pair)
    close(l_nb, l_ref, dtype)
    close(g_nb, g_ref, dtype)


@pytest.mark.parametrize("wd", [0.0, 1e-2])
@pytest.mark.parametrize("opt", ["sgd", "momentum", "nesterov", "adam", "adamw"])
def test_optimizer_steps_in_place(pair, dtype, opt, wd):
    """Three steps of each update rule, parameters and state updated in place."""
    states = []
    for be in pair:
        p, m, v = data((13, 7), dtype), np.zeros((13, 7), dtype), np.zeros((13, 7), dtype)
        p_id = id(p)
        for t in range(1, 4):
            g = data((13, 7), dtype, seed=t)
            if opt == "sgd":
                be.sgd_update(p, g, 0.1, wd)
            elif opt.startswith("adam"):
                be.adam_update(p, g, m, v, 0.01, 0.9, 0.999, 1e-8, t, wd, opt == "adamw")
            else:
                be.momentum_update(p, g, v, 0.1, 0.9, wd, opt == "nesterov")
        assert id(p) == p_id and p.dtype == dtype
        states.append((p, m, v))
    for want, got in zip(*states):
        close(got, want, dtype, scale=1.0)


def test_relu_keeps_nan_like_numpy(pair):
    """fastmath is set without nnan: a NaN still comes out as NaN (divergence shows)."""
    ref, nb = pair
    z = np.array([[np.nan, -1.0, 2.0]], np.float32)
    for be in pair:
        out = be.linear_forward(np.ones((1, 1), np.float32), z, None, "relu")
        assert np.isnan(out[0, 0]) and out[0, 1] == 0 and out[0, 2] == 2
        out = be.activation_forward("relu", z)
        assert np.isnan(out[0, 0]) and out[0, 1] == 0 and out[0, 2] == 2
    y, xhat, *_ = nb.batchnorm_forward_train(np.array([[np.nan], [1.0]], np.float32),
                                             np.ones(1, np.float32),
                                             np.zeros(1, np.float32), 1e-5, "relu")
    assert np.isnan(y).all()


@pytest.mark.parametrize("shape,p", [((7, 13), 0.3), ((64, 256), 0.5), ((2, 3), 0.0)])
def test_dropout_masks_are_the_same_everywhere(pair, dtype, shape, p):
    """Counter-based masks: every backend draws the same one for a (seed, step)."""
    ref, nb = pair
    for seed, step in ((0, 0), (12345, 7), (2 ** 32 - 1, 10 ** 9)):
        want = ref.dropout_mask(shape, p, seed, step, dtype)
        np.testing.assert_array_equal(nb.dropout_mask(shape, p, seed, step, dtype), want)
        assert set(np.unique(want).tolist()) <= {0.0, float(dtype(1 / (1 - p)))}
    masks = [ref.dropout_mask((256, 256), 0.25, 1, s, dtype) for s in range(2)]
    assert not np.array_equal(*masks)  # a new mask every step
    assert abs(float((masks[0] == 0).mean()) - 0.25) < 0.01
