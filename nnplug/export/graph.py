"""The graph ONNX converters build with (``nnplug export``; the ``onnx`` package).

A converter (see :func:`nnplug.hookspecs.nnplug_register_onnx_converters`) gets an
:class:`OnnxGraph` and the name of its input tensor and returns the name of its output::

    def convert_linear(layer, graph, x):
        W = graph.constant(layer.params["W"], "W")
        return graph.node("Gemm", [x, W, graph.constant(layer.params["b"], "b")])

Weights become initializers in the model's dtype (``graph.dtype``) unless another dtype is
asked for; every name is made unique, so converters need not invent names.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from onnx import TensorProto, helper, numpy_helper

#: NumPy dtype -> ONNX element type, for what nnplug exports
ONNX_TYPES = {
    np.dtype(np.float32): TensorProto.FLOAT,
    np.dtype(np.float64): TensorProto.DOUBLE,
    np.dtype(np.int64): TensorProto.INT64,
    np.dtype(np.bool_): TensorProto.BOOL,
}


class OnnxGraph:
    """Nodes and initializers of one graph; ``dtype`` is the exported model's dtype."""

    def __init__(self, dtype: Any = np.float32):
        self.dtype = np.dtype(dtype)
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self._taken: set[str] = set()
        self._scalars: dict[tuple[str, bytes], str] = {}  # one initializer per scalar value
        self.domains: set[str] = set()  # operator sets beside ONNX's default one

    def name(self, hint: str) -> str:
        """A tensor name not used yet, from ``hint`` (``hint``, ``hint_1``, ...)."""
        name, k = hint, 0
        while name in self._taken:
            k += 1
            name = f"{hint}_{k}"
        self._taken.add(name)
        return name

    def constant(self, value: Any, hint: str = "const", dtype: Any = None) -> str:
        """An initializer holding ``value`` (in the model's dtype, or ``dtype``)."""
        array = np.asarray(value, dtype=np.dtype(dtype) if dtype is not None else self.dtype)
        key = (array.dtype.str, array.tobytes()) if array.ndim == 0 else None
        if key is not None and key in self._scalars:
            return self._scalars[key]
        name = self.name(hint)
        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(array), name))
        if key is not None:
            self._scalars[key] = name
        return name

    def node(
        self,
        op_type: str,
        inputs: list[str],
        *,
        output: str | None = None,
        domain: str = "",
        **attributes: Any,
    ) -> str:
        """Add one ``op_type`` node (ONNX's default domain, or ``domain``: e.g.
        ``ai.onnx.ml``, which the graph then imports); returns its output's name
        (``output``, or a fresh one)."""
        out = self.name(output or op_type.lower())
        if domain:
            self.domains.add(domain)
        self.nodes.append(
            helper.make_node(
                op_type,
                list(inputs),
                [out],
                name=self.name(f"{op_type}_node"),
                domain=domain or None,
                **attributes,
            )
        )
        return out

    def cast(self, x: str, dtype: Any) -> str:
        """``x`` as ``dtype`` (a Cast node)."""
        return self.node("Cast", [x], to=ONNX_TYPES[np.dtype(dtype)])

    def zeros_like(self, x: str, dtype: Any) -> str:
        """Zeros of ``x``'s shape in ``dtype``."""
        zero = numpy_helper.from_array(np.zeros(1, np.dtype(dtype)))
        return self.node("ConstantOfShape", [self.node("Shape", [x])], value=zero)
