"""ONNX converters of the built-in layers and losses, for ``nnplug export``: registered by
``plugin.py``'s ``nnplug_register_onnx_converters`` exactly as a plugin registers its own.

Each is ``convert(component, graph, x) -> y`` (:mod:`nnplug.export.graph`): eval mode, so
BatchNormalization uses the running statistics and dropout is the identity.
"""

from __future__ import annotations

from typing import Any

from nnplug_core import layers, losses


def linear(layer: Any, graph: Any, x: str) -> str:
    """Gemm: x W + b (MatMul without a bias)."""
    W = graph.constant(layer.params["W"], "W")
    if "b" not in layer.params:
        return str(graph.node("MatMul", [x, W]))
    return str(graph.node("Gemm", [x, W, graph.constant(layer.params["b"], "b")]))


def batchnorm(layer: Any, graph: Any, x: str) -> str:
    """BatchNormalization (inference: the running mean and variance)."""
    p, b = layer.params, layer.buffers
    stats = [
        ("gamma", p["gamma"]),
        ("beta", p["beta"]),
        ("running_mean", b["running_mean"]),
        ("running_var", b["running_var"]),
    ]
    return str(
        graph.node(
            "BatchNormalization", [x, *(graph.constant(v, k) for k, v in stats)], epsilon=layer.eps
        )
    )


def activation(op_type: str) -> Any:
    """The converter of an element-wise activation that ONNX has as ``op_type``."""

    def convert(layer: Any, graph: Any, x: str) -> str:
        return str(graph.node(op_type, [x]))

    return convert


def identity(component: Any, graph: Any, x: str) -> str:
    """Dropout in eval mode; a loss whose predictions are the raw outputs."""
    return x


def softmax(loss: Any, graph: Any, x: str) -> str:
    """softmax_ce's predictions: class probabilities."""
    return str(graph.node("Softmax", [x], axis=-1))


CONVERTERS = {
    layers.Linear: linear,
    layers.BatchNorm: batchnorm,
    layers.ReLU: activation("Relu"),
    layers.Sigmoid: activation("Sigmoid"),
    layers.Tanh: activation("Tanh"),
    layers.Dropout: identity,
    losses.SoftmaxCE: softmax,
    losses.MSE: identity,
}
