"""The NumPy reference backend: the math every other backend must reproduce."""
from __future__ import annotations

import numpy as np

from nnplug.backend import Backend, BlasLinearAct


class NumpyBackend(BlasLinearAct, Backend):
    """Reference implementation in plain NumPy (BLAS GEMMs, vectorised element-wise ops)."""

    name = "numpy"

    # -- dense -------------------------------------------------------------
    def linear_forward(self, x, W, b):
        y = x @ W
        if b is not None:
            y += b
        return y

    def linear_backward(self, x, W, dy, dW, db, need_dx=True):
        np.matmul(x.T, dy, out=dW)
        if db is not None:
            dy.sum(axis=0, out=db)
        return dy @ W.T if need_dx else None

    # -- activations ---------------------------------------------------------
    def act_forward(self, kind, x):
        if kind == "relu":
            return np.maximum(x, 0)
        if kind == "sigmoid":
            # stable for large |x|: exp of a non-positive argument only
            e = np.exp(-np.abs(x))
            return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype, copy=False)
        if kind == "tanh":
            return np.tanh(x)
        raise ValueError(f"unknown activation {kind!r}")

    def act_backward(self, kind, y, dy):
        if kind == "relu":
            return dy * (y > 0)
        if kind == "sigmoid":
            return dy * y * (1 - y)
        if kind == "tanh":
            return dy * (1 - y * y)
        raise ValueError(f"unknown activation {kind!r}")

    def _act_inplace(self, kind, y):
        """y = act(y), in place (same math as :meth:`act_forward`)."""
        if kind == "relu":
            np.maximum(y, 0, out=y)
        elif kind == "tanh":
            np.tanh(y, out=y)
        elif kind:
            y[...] = self.act_forward(kind, y)
        return y

    def _act_grad(self, kind, y, dy, out=None):
        """out = dy * act'(y)."""
        if not kind:
            return dy
        if kind == "relu":
            return np.multiply(dy, y > 0, out=out)
        if kind == "tanh":
            return np.multiply(dy, 1 - y * y, out=out)
        if kind == "sigmoid":
            out = np.multiply(dy, y, out=out)
            out *= 1 - y
            return out
        raise ValueError(f"unknown activation {kind!r}")

    # -- fused (bias + activation, batchnorm + activation), writing into workspaces ------
    def bias_act(self, kind, z, b):
        if b is not None:
            z += b
        return self._act_inplace(kind, z)

    def bias_act_backward(self, kind, y, dy, db, out=None):
        dz = self._act_grad(kind, y, dy, out=out)
        if db is not None:
            dz.sum(axis=0, out=db)
        return dz

    def batchnorm_act_forward_train(self, x, gamma, beta, eps, kind=None, y=None, xhat=None):
        mean = x.mean(axis=0)
        xhat = np.subtract(x, mean, out=xhat)
        var = np.einsum("ij,ij->j", xhat, xhat) / x.shape[0]
        inv_std = (1.0 / np.sqrt(var + eps)).astype(x.dtype, copy=False)
        xhat *= inv_std
        y = np.multiply(xhat, gamma, out=y)
        y += beta
        return self._act_inplace(kind, y), xhat, inv_std, mean, var.astype(x.dtype, copy=False)

    def batchnorm_act_forward_eval(self, x, gamma, beta, mean, var, eps, kind=None):
        return self._act_inplace(kind, self.batchnorm_forward_eval(x, gamma, beta, mean, var,
                                                                   eps))

    def batchnorm_act_backward(self, dy, y, xhat, inv_std, gamma, dgamma, dbeta, kind=None,
                               dx=None):
        g = self._act_grad(kind, y, dy, out=dx)
        n = g.shape[0]
        g.sum(axis=0, out=dbeta)
        np.einsum("ij,ij->j", g, xhat, out=dgamma)
        dx = np.multiply(g, n, out=dx)
        dx -= dbeta
        dx -= xhat * dgamma
        dx *= (gamma * inv_std / n).astype(dy.dtype, copy=False)
        return dx

    # -- batch norm ------------------------------------------------------------
    def batchnorm_forward_train(self, x, gamma, beta, eps):
        """Returns ``y, xhat, inv_std, mean, var`` (biased variance of the batch)."""
        mean = x.mean(axis=0)
        xc = x - mean
        var = np.mean(xc * xc, axis=0)
        inv_std = (1.0 / np.sqrt(var + eps)).astype(x.dtype, copy=False)
        xhat = xc
        xhat *= inv_std
        y = xhat * gamma
        y += beta
        return y, xhat, inv_std, mean, var

    def batchnorm_forward_eval(self, x, gamma, beta, mean, var, eps):
        scale = (gamma / np.sqrt(var + eps)).astype(x.dtype, copy=False)
        return (x - mean) * scale + beta

    def batchnorm_backward(self, dy, xhat, inv_std, gamma, dgamma, dbeta):
        """dx = gamma*inv_std/N * (N*dy - sum(dy) - xhat*sum(dy*xhat))."""
        n = dy.shape[0]
        dy.sum(axis=0, out=dbeta)
        np.einsum("ij,ij->j", dy, xhat, out=dgamma)
        dx = dy * n
        dx -= dbeta
        dx -= xhat * dgamma
        dx *= (gamma * inv_std / n).astype(dy.dtype, copy=False)
        return dx

    # -- losses ------------------------------------------------------------------
    def softmax(self, logits):
        z = logits - logits.max(axis=1, keepdims=True)
        np.exp(z, out=z)
        z /= z.sum(axis=1, keepdims=True)
        return z

    def softmax_ce(self, logits, labels):
        """Mean cross-entropy via log-sum-exp; gradient ``(softmax - onehot) / N``."""
        n = logits.shape[0]
        z = logits - logits.max(axis=1, keepdims=True)
        e = np.exp(z)
        s = e.sum(axis=1, keepdims=True)
        rows = np.arange(n)
        loss = float(np.mean(np.log(s[:, 0]) - z[rows, labels]))
        e /= s
        e[rows, labels] -= 1
        e /= n
        return loss, e

    def mse(self, pred, target):
        """Mean over all elements of (pred - target)^2; gradient 2*(pred - target)/size."""
        diff = pred - target.reshape(pred.shape)
        loss = float(np.mean(diff * diff))
        diff *= 2.0 / diff.size
        return loss, diff

    # -- optimizer updates (in place) -----------------------------------------------
    def sgd_step(self, p, g, lr, wd):
        if wd:
            g = g + wd * p
        p -= lr * g

    def momentum_step(self, p, g, v, lr, mu, wd, nesterov):
        if wd:
            g = g + wd * p
        v *= mu
        v += g
        if nesterov:
            p -= lr * (g + mu * v)
        else:
            p -= lr * v

    def adam_step(self, p, g, m, v, lr, b1, b2, eps, t, wd):
        """PyTorch's and Keras's form: p -= lr m_hat / (sqrt(v_hat) + eps) with the
        bias-corrected m_hat = m / (1 - b1^t), v_hat = v / (1 - b2^t) (eps is added to
        sqrt(v_hat), not to sqrt(v) as in Kingma & Ba's "efficient" variant)."""
        if wd:
            g = g + wd * p
        m *= b1
        m += (1 - b1) * g
        v *= b2
        v += (1 - b2) * (g * g)
        denom = np.sqrt(v / (1 - b2 ** t)) + eps
        p -= (lr / (1 - b1 ** t) * m / denom).astype(p.dtype, copy=False)
