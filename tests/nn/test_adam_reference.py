"""Adam and AdamW against a hand-computed reference of PyTorch's formulas (torch.optim.Adam
/ AdamW documentation), on every backend:

    g <- g + wd p                                  (adam: L2 weight decay)
    p <- p (1 - lr wd)                             (adamw: decoupled decay, before the step)
    m <- b1 m + (1 - b1) g ;  v <- b2 v + (1 - b2) g^2
    p <- p - lr (m / (1 - b1^t)) / (sqrt(v / (1 - b2^t)) + eps)

Gradients near 1e-7 are where eps's placement matters (Kingma & Ba's "efficient" form
adds eps to sqrt(v) instead: updates differ by ~70 % there).
"""
from builders import create
import math

import numpy as np
import pytest

from nnplug.base import Param

LR, B1, B2, EPS = 0.01, 0.9, 0.999, 1e-8


def reference(p0, grads, *, wd, decoupled):
    """Element by element in Python floats."""
    out = []
    for i, p in enumerate(p0):
        m = v = 0.0
        for t, g_all in enumerate(grads, start=1):
            g = g_all[i]
            if decoupled:
                p = p * (1 - LR * wd)
            else:
                g = g + wd * p
            m = B1 * m + (1 - B1) * g
            v = B2 * v + (1 - B2) * g * g
            m_hat, v_hat = m / (1 - B1 ** t), v / (1 - B2 ** t)
            p = p - LR * m_hat / (math.sqrt(v_hat) + EPS)
        out.append(p)
    return np.array(out)


def run(registry, name, p0, grads, wd, decay, dtype):
    opt = create("optimizer", name, lr=LR, beta1=B1, beta2=B2, eps=EPS,
                          weight_decay=wd)
    value = p0.astype(dtype)
    grad = np.zeros_like(value)
    for g in grads:
        grad[...] = g
        opt.step([Param("0.W", value, grad, decay)])
    return value


def data(seed=0):
    rng = np.random.default_rng(seed)
    p0 = rng.standard_normal(12)
    scales = np.array([1e-7] * 4 + [1e-3] * 4 + [1.0] * 4)  # eps-dominated to large
    grads = [rng.standard_normal(12) * scales for _ in range(6)]
    return p0, grads


@pytest.mark.parametrize("name,wd", [("adam", 0.0), ("adam", 0.1), ("adamw", 0.0),
                                     ("adamw", 0.1)])
def test_matches_pytorch_formula_float64(backend, registry, name, wd):
    p0, grads = data()
    got = run(registry, name, p0, grads, wd, True, np.float64)
    want = reference(p0, grads, wd=wd, decoupled=name == "adamw")
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", ["adam", "adamw"])
def test_matches_pytorch_formula_float32(backend, registry, name):
    p0, grads = data(1)
    got = run(registry, name, p0, grads, 0.05, True, np.float32)
    want = reference(p0.astype(np.float32).astype(float), grads, wd=0.05,
                     decoupled=name == "adamw")
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_the_efficient_eps_form_would_fail(backend, registry):
    """The reference tells the two eps placements apart where gradients are ~1e-7."""
    p0, grads = data()
    got = run(registry, "adam", p0, grads, 0.0, True, np.float64) - p0
    old = p0.copy()
    m, v = np.zeros(12), np.zeros(12)
    for t, g in enumerate(grads, start=1):  # p -= lr sqrt(1-b2^t)/(1-b1^t) m/(sqrt(v)+eps)
        m, v = B1 * m + (1 - B1) * g, B2 * v + (1 - B2) * g * g
        old -= LR * math.sqrt(1 - B2 ** t) / (1 - B1 ** t) * m / (np.sqrt(v) + EPS)
    differ = np.abs((old - p0)[:4] / got[:4] - 1)
    assert differ.min() > 0.3  # tens of percent apart on the small gradients


def test_adamw_decays_weights_only_and_not_through_the_gradient(backend, registry):
    """Zero gradient: adamw shrinks a weight by exactly (1 - lr wd) per step; a bias (no
    decay) stays; adam's L2 term instead becomes a normalised step of ~lr."""
    w, b = np.full(3, 2.0), np.full(3, 2.0)
    opt = create("optimizer", "adamw", lr=0.1, weight_decay=0.5)
    for _ in range(3):
        opt.step([Param("0.W", w, np.zeros(3), True), Param("0.b", b, np.zeros(3), False)])
    np.testing.assert_allclose(w, 2.0 * (1 - 0.05) ** 3, rtol=1e-12)
    np.testing.assert_array_equal(b, 2.0)
    l2 = np.full(3, 2.0)
    create("optimizer", "adam", lr=0.1, weight_decay=0.5).step(
        [Param("0.W", l2, np.zeros(3), True)])
    np.testing.assert_allclose(l2, 2.0 - 0.1, rtol=1e-6)


def test_agrees_with_torch_when_installed(registry):
    torch = pytest.importorskip("torch")
    p0, grads = data(2)
    for name, cls in (("adam", torch.optim.Adam), ("adamw", torch.optim.AdamW)):
        t = torch.tensor(p0.copy(), dtype=torch.float64, requires_grad=True)
        topt = cls([t], lr=LR, betas=(B1, B2), eps=EPS, weight_decay=0.1)
        for g in grads:
            t.grad = torch.tensor(g, dtype=torch.float64)
            topt.step()
        got = run(registry, name, p0, grads, 0.1, True, np.float64)
        np.testing.assert_allclose(got, t.detach().numpy(), rtol=1e-12, atol=1e-15)
