"""Check a plugin's ONNX converter against its layer (needs ``onnx`` and ``onnxruntime``).

    from nnplug.testing.onnx import assert_onnx_converter
    assert_onnx_converter(LeakyReLU, leaky_relu, {"alpha": 0.2})

builds the layer (random parameters, and random buffers such as running statistics, so
that eval mode is exercised), runs the converter's graph in onnxruntime and compares it with
the layer's eval-mode ``forward`` on random rows, in float32 and float64.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from nnplug.export.onnx import IR_VERSION, OPSET


def converter_output(component: Any, convert: Callable[..., str], x: np.ndarray) -> np.ndarray:
    """onnxruntime's output of ``convert``'s nodes for ``component`` on rows ``x``."""
    import onnxruntime as ort
    from onnx import helper

    from nnplug.export.graph import ONNX_TYPES, OnnxGraph

    graph = OnnxGraph(x.dtype)
    x_name = graph.name("X")
    graph.node("Identity", [convert(component, graph, x_name)], output="Y")
    kind = ONNX_TYPES[np.dtype(x.dtype)]
    proto = helper.make_model(
        helper.make_graph(
            graph.nodes,
            "converter",
            [helper.make_tensor_value_info(x_name, kind, list(x.shape))],
            [helper.make_tensor_value_info("Y", kind, None)],
            initializer=graph.initializers,
        ),
        opset_imports=[helper.make_opsetid("", OPSET)],
        ir_version=IR_VERSION,
    )
    session = ort.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    return np.asarray(session.run(None, {x_name: x})[0])


def assert_onnx_converter(
    cls: Any,
    convert: Callable[..., str],
    options: dict[str, Any] | None = None,
    *,
    width: int = 6,
    rows: int = 16,
    seed: int = 0,
) -> None:
    """``convert`` computes what an eval-mode ``cls(**options)`` computes (rtol 1e-5 in
    float32, 1e-10 in float64; atol 1e-6 x the output's scale)."""
    rng = np.random.default_rng(seed)
    for dtype, rtol in ((np.float32, 1e-5), (np.float64, 1e-10)):
        layer = cls(**(options or {}))
        layer.build(width, rng=rng, dtype=dtype)
        for store in (layer.params, layer.buffers):
            for key, value in store.items():
                fill = (
                    rng.uniform(0.5, 1.5, value.shape)
                    if "var" in key
                    else rng.standard_normal(value.shape)
                )
                value[...] = fill.astype(value.dtype)
        layer.eval()
        x = (rng.standard_normal((rows, width)) * 2).astype(dtype)
        expected = np.asarray(layer.forward(x))
        got = converter_output(layer, convert, x)
        scale = max(1.0, float(np.abs(expected).max(initial=0.0)))
        np.testing.assert_allclose(
            got,
            expected,
            rtol=rtol,
            atol=1e-6 * scale,
            err_msg=f"{cls.__name__} ({np.dtype(dtype).name}): the "
            f"ONNX converter differs from forward",
        )
