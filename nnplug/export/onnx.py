"""A saved model as an ONNX graph (``nnplug export``), computing what ``nnplug predict`` does.

The graph (opset :data:`OPSET`, IR version :data:`IR_VERSION`; names fixed):

* input ``X`` -- raw features ``[N, in_features]`` in the model's dtype (float32 by
  default), as the dataset's files hold them: the saved input scaling (affine with its
  clipping, or the quantile map; :mod:`nnplug.export.scaling`) and the image ``scale`` are
  the first nodes. A model with a column encoding (a table with gaps filled or categories:
  :mod:`nnplug.export.encoding`) takes its numeric columns as ``X`` (NaN: missing) and each
  categorical column as a string input; the encoding's nodes come first;
* each layer through the ONNX converter its plugin registers
  (:func:`nnplug.hookspecs.nnplug_register_onnx_converters`; the built-ins' are in
  ``nnplug_core.onnx``): Gemm, BatchNormalization with the running statistics, Relu,
  Sigmoid, Tanh; dropout is left out (eval mode);
* classifiers: ``probabilities`` ``[N, classes]`` (the loss's ``predict``: Softmax) and
  ``label`` ``[N]`` int64, the most probable class's index (``classes`` in the metadata
  names them, as ``nnplug predict``'s ``class`` column does);
* regressors: ``values`` ``[N, targets]`` float64, in the targets' units (the regression
  target standardisation folded in, computed in float64 as nnplug does).

Metadata (``metadata_props``): ``nnplug_version``, ``task``, ``classes`` and
``feature_names`` (JSON lists, when the model has them), ``inputs`` (JSON: each input's
name, type and raw columns, for a model with a column encoding).
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from nnplug.errors import NNPlugError
from nnplug.hookspecs import ONNX_HOOK
from nnplug.registry.blame import describe_component, plugin_guard
from nnplug.safeio.text import one_line

OPSET = 17
#: the ``ai.onnx.ml`` operator set that came with opset 17 (``LabelEncoder`` for categories)
ML_OPSET = 3
#: the IR version opset 17 came with (onnx 1.12): onnxruntime 1.12 and later read it
IR_VERSION = 8
INPUT = "X"
OUTPUTS = {"classification": ("probabilities", "label"), "regression": ("values",)}


def require_onnx() -> None:
    """One line when the ``onnx`` package is missing."""
    try:
        import onnx  # noqa: F401
    except ImportError:
        raise NNPlugError(
            "nnplug export needs the onnx package: pip install "
            "'nnplug[onnx]' (or: pip install onnx)"
        ) from None


@dataclass
class Converters:
    """Component class -> ``(convert, registered by the component's own plugin)``, and
    the plugins whose hook failed (name -> why)."""

    table: dict[Any, tuple[Callable[..., str], bool]] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)


def converters(registry: Any) -> Converters:
    """Every plugin's ONNX converters, one plugin at a time (a failing hook is recorded
    and that plugin contributes none)."""
    found = Converters()
    for info, plugin in registry.implementers(ONNX_HOOK).items():
        staged: list[tuple[Any, Callable[..., str]]] = []

        def register(cls: Any, convert: Callable[..., str]) -> None:
            if not isinstance(cls, type) or not callable(convert):
                raise TypeError("register takes a component class and a converter function")
            staged.append((cls, convert))  # noqa: B023 - called during this iteration only

        problem = registry.call_hook(plugin, ONNX_HOOK, register=register)
        if problem:
            found.failed[info.name] = problem
            continue
        for cls, convert in staged:
            owner = registry.provider_of(cls)
            own = owner is not None and owner.plugin == info.name
            if cls not in found.table or (own and not found.table[cls][1]):
                found.table[cls] = (convert, own)
    return found


def _convert(
    found: Converters, component: Any, graph: Any, x: str, source: Any, registry: Any
) -> str:
    entry = found.table.get(type(component))
    if entry is None:
        from nnplug.base import Loss

        if isinstance(component, Loss) and type(component).predict is Loss.predict:
            return x  # its predictions are the raw outputs
        owner = registry.provider_of(component)
        why = found.failed.get(owner.plugin) if owner is not None else None
        raise NNPlugError(
            f"cannot export {source} to ONNX: {describe_component(component, registry)} has "
            f"no ONNX converter ("
            + (
                f"its plugin's {ONNX_HOOK} hook failed: {why})"
                if why
                else f"its plugin registers none with the {ONNX_HOOK} hook)"
            )
        )
    with plugin_guard(component, "ONNX conversion", registry):
        y = entry[0](component, graph, x)
    if not isinstance(y, str):
        raise NNPlugError(
            f"{describe_component(component, registry)}: its ONNX converter "
            f"returned {type(y).__name__}, not the name of its output"
        )
    return y


def build(model: Any, source: Any = "the model", registry: Any = None) -> Any:
    """The ``onnx.ModelProto`` of ``model`` (an :class:`nnplug.files.model.Model`)."""
    from onnx import TensorProto, helper

    from nnplug import __version__
    from nnplug.export.encoding import Input, encode
    from nnplug.export.encoding import inputs as encoding_inputs
    from nnplug.export.graph import ONNX_TYPES, OnnxGraph
    from nnplug.export.scaling import input_scaling
    from nnplug.registry.registry import get_registry

    registry = registry or get_registry()
    found = converters(registry)
    network, dtype = model.network, model.network.dtype
    graph = OnnxGraph(dtype)
    if model.encoding is not None:  # raw columns: numbers in X, one string input per category
        given = encoding_inputs(graph, model.encoding)
        x64: str | None = encode(graph, model.encoding, given)
    else:
        given = [Input(graph.name(INPUT), model.feature_names or [], False)]
        x64 = graph.cast(given[0].name, np.float64) if model.input_scaling() is not None else None
    if x64 is not None:
        x = graph.cast(input_scaling(graph, x64, model.input_scaling()), dtype)
    else:
        x = given[0].name
    scale = float(model.meta.get("scale", 1.0))
    if scale != 1.0:  # after the cast, in the model's dtype, as Sequential.predict_raw
        x = graph.node("Mul", [x, graph.constant(scale, "scale")])
    for layer in network.layers:
        x = _convert(found, layer, graph, x, source, registry)
    x = _convert(found, model.loss, graph, x, source, registry)
    width, rows = network.out_features, "N"
    if model.task == "classification":
        probabilities = graph.node("Identity", [x], output="probabilities")
        graph.node("ArgMax", [probabilities], output="label", axis=1, keepdims=0)
        outputs = [
            helper.make_tensor_value_info("probabilities", ONNX_TYPES[dtype], [rows, width]),
            helper.make_tensor_value_info("label", ONNX_TYPES[np.dtype(np.int64)], [rows]),
        ]
    else:
        values = graph.cast(x, np.float64)
        stats = model.meta.get("target_scaling")
        if stats:
            values = graph.node(
                "Add",
                [
                    graph.node(
                        "Mul", [values, graph.constant(stats["std"], "target_std", np.float64)]
                    ),
                    graph.constant(stats["mean"], "target_mean", np.float64),
                ],
            )
        graph.node("Identity", [values], output="values")
        outputs = [
            helper.make_tensor_value_info("values", ONNX_TYPES[np.dtype(np.float64)], [rows, width])
        ]
    inputs = [
        helper.make_tensor_value_info(i.name, TensorProto.STRING, [rows, 1])
        if i.text
        else helper.make_tensor_value_info(
            i.name, ONNX_TYPES[dtype], [rows, len(i.columns) or network.in_features]
        )
        for i in given
    ]
    onnx_graph = helper.make_graph(
        graph.nodes, "nnplug", inputs, outputs, initializer=graph.initializers
    )
    proto = helper.make_model(
        onnx_graph,
        opset_imports=[helper.make_opsetid("", OPSET)]
        + [helper.make_opsetid(d, ML_OPSET) for d in sorted(graph.domains)],
        ir_version=IR_VERSION,
        producer_name="nnplug",
        producer_version=__version__,
        doc_string=describe(model),
    )
    props = {"nnplug_version": __version__, "task": model.task}
    if model.encoding is not None:
        props["inputs"] = json.dumps([i.record() for i in given])
    for key, value in (
        ("classes", model.classes),
        ("feature_names", model.meta.get("feature_names")),
    ):
        if value:
            props[key] = json.dumps(list(value))
    helper.set_model_props(proto, props)
    return proto


def describe(model: Any) -> str:
    """One line: the graph's inputs and outputs."""
    dtype, net = str(model.network.dtype), model.network
    out = (
        f"probabilities {dtype} [N, {net.out_features}], label int64 [N]"
        if model.task == "classification"
        else f"values float64 [N, {net.out_features}]"
    )
    if model.encoding is None:
        return f"input X {dtype} [N, {net.in_features}] (raw features); outputs {out}"
    from nnplug.export.encoding import inputs
    from nnplug.export.graph import OnnxGraph

    shown = [
        f"{one_line(i.name, 40)} string [N, 1]"
        if i.text
        else f"{i.name} {dtype} [N, {len(i.columns)}] (raw numbers, NaN: missing)"
        for i in inputs(OnnxGraph(), model.encoding)
    ]
    return f"inputs {', '.join(shown)}; outputs {out}"


def export(
    model: Any, path: str | os.PathLike, source: Any = "the model", registry: Any = None
) -> str:
    """Write ``model`` as ONNX to ``path`` (atomically), checked by onnx's checker;
    returns :func:`describe`'s line."""
    import onnx

    from nnplug.safeio.outputs import atomic_write

    proto = build(model, source, registry)
    try:
        onnx.checker.check_model(proto, full_check=True)
    except Exception as exc:  # noqa: BLE001 - the checker's many error types: one line
        raise NNPlugError(
            f"the ONNX graph of {source} does not pass onnx's checker (a "
            f"converter's nodes): {one_line(exc, 300)}"
        ) from None
    with atomic_write(path, "wb") as fh:
        fh.write(proto.SerializeToString())
    return describe(model)
