"""ONNX conversion of ``leaky_relu`` for ``nnplug export`` (ONNX has the same operator)."""


def leaky_relu(layer, graph, x):
    """y = x if x > 0 else alpha x: ONNX's LeakyRelu (the model's dtype in and out)."""
    return graph.node("LeakyRelu", [x], alpha=layer.alpha)
