"""Helpers of the ONNX export tests: small models of every kind, onnxruntime's outputs
(importing this module skips a test module when onnx or onnxruntime is missing)."""
import numpy as np
import pytest

pytest.importorskip("onnx")
ort = pytest.importorskip("onnxruntime")


def train_model(path, X, y, *, task, layers="linear:24,relu", scale="auto", epochs=3,
                dtype="float32", scaling=None, registry=None, loss=None, **config):
    """Train on arrays (nnplug.data.arrays + nnplug.nn.training) and save a model file to ``path``."""
    from nnplug.files.model import save
    from nnplug.data.arrays import array_data
    from nnplug.registry import get_registry, set_registry
    from nnplug.nn.training import TrainConfig, train

    classes = [f"c{k}" for k in range(int(np.max(y)) + 1)] if task == "classification" else None
    data = array_data(X, y, task=task, seed=0, scale=scale, classes=classes)
    if scaling is not None:  # a dataset's own record, in place of the fitted one
        data.scaling = scaling
    before = get_registry()
    if registry is not None:
        set_registry(registry)
    try:
        run = train(TrainConfig(layers=layers, epochs=epochs, dtype=dtype, seed=0, loss=loss,
                                **config), data=data)
        save(path, run.model, run.loss, data)
    finally:
        set_registry(before)
    return path


def onnx_outputs(path, X):
    """``{output name: array}`` of onnxruntime on ``X``."""
    session = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    names = [o.name for o in session.get_outputs()]
    dtype = np.float64 if session.get_inputs()[0].type == "tensor(double)" else np.float32
    return dict(zip(names, session.run(None, {"X": np.asarray(X, dtype)})))


def export_file(model_path, registry=None):
    import nnplug
    from nnplug.export.onnx import export

    out = model_path.with_suffix(".onnx")
    export(nnplug.load(model_path, registry), out, source=model_path, registry=registry)
    return out


def max_diff(model_path, X, registry=None):
    """Max |onnxruntime - nnplug.load(...).predict_proba / predict| on raw rows ``X``
    (float32-representable, so both read the same numbers)."""
    import nnplug

    X = np.asarray(X, np.float32)
    model = nnplug.load(model_path, registry)
    out = onnx_outputs(export_file(model_path, registry), X)
    if model.task == "classification":
        proba = model.predict_proba(X)
        assert out["probabilities"].shape == proba.shape
        assert np.array_equal(out["label"], out["probabilities"].argmax(axis=1))
        return float(np.abs(out["probabilities"] - proba).max())
    values = model.predict(X).reshape(len(X), -1)
    assert out["values"].shape == values.shape and out["values"].dtype == np.float64
    return float(np.abs(out["values"] - values).max())


def output_scale(model_path, X, registry=None):
    """The size ``max_diff`` is judged against: 1 for class probabilities; for regression
    values the targets' std (at least 1) when the model standardised them, else the largest
    value (at least 1). The float32 network's rounding (a few ulps of its outputs, which
    differ with the GEMM kernels of nnplug's BLAS and of onnxruntime's MLAS) is relative:
    the target scaling multiplies it by the std, 7 on ``targets()`` (measured up to 9.4e-6
    absolute there, by kernel, against the 1e-5 this replaces)."""
    import nnplug

    model = nnplug.load(model_path, registry)
    if model.task == "classification":
        return 1.0
    stats = model.meta.get("target_scaling")
    if stats:
        return max(1.0, float(np.max(stats["std"])))
    return max(1.0, float(np.abs(model.predict(np.asarray(X, np.float32))).max()))
