"""ONNX conversion of ``leaky_relu`` (ONNX has the same operator) and ``gelu`` (its tanh
form, from elementary operators) for ``nnplug export``."""


def leaky_relu(layer, graph, x):
    """y = x if x > 0 else alpha x: ONNX's LeakyRelu (the model's dtype in and out)."""
    return graph.node("LeakyRelu", [x], alpha=layer.alpha)


def gelu(layer, graph, x):
    """x/2 (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))), node by node."""
    cube = graph.node("Mul", [x, graph.node("Mul", [x, x])])
    inner = graph.node("Add", [x, graph.node("Mul", [cube, graph.constant(0.044715)])])
    t = graph.node("Tanh", [graph.node("Mul", [inner, graph.constant(0.7978845608028654)])])
    one_plus = graph.node("Add", [t, graph.constant(1.0)])
    return graph.node("Mul", [graph.node("Mul", [x, one_plus]), graph.constant(0.5)])
