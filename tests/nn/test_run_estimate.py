"""The run's memory estimate (nnplug.nn.memory) and what it relies on: the float64 copy
keeps no gradients, a new best epoch is written into the previous copy."""
from __future__ import annotations

import numpy as np
import pytest

from nnplug.errors import NNPlugError
from nnplug.nn import memory
from nnplug.nn.history import best_copy
from nnplug.nn.sequential import Sequential
from nnplug.registry import get_registry
from nnplug.safeio.limits import LimitError


def test_spec_shapes_before_building_and_model_shapes_after_agree_on_weights():
    spec = "linear:32,relu,linear:16,batchnorm,relu"
    before = memory.spec_shapes(spec, 64, 10, 256, get_registry())
    model = Sequential.from_spec(spec, 64, 10)
    after = memory.model_shapes(model)
    assert [(s.in_width, s.out_width) for s in before] == \
        [(s.in_width, s.out_width) for s in after]
    linear = [i for i, s in enumerate(before) if s.largest]
    assert [before[i].params for i in linear] == [after[i].params for i in linear]
    assert sum(s.params for s in after) == model.n_params()
    bn = after[3]
    assert (bn.params, bn.buffers, bn.work) == (32, 32, 16)  # gamma/beta, running stats, xhat


def test_every_part_grows_with_what_it_counts():
    shapes = memory.spec_shapes("linear:64,relu", 32, 4, 256, get_registry())

    def total(**kw):
        base = {"itemsize": 4, "batch": 32, "slots": 2, "eval_rows": 100}
        return memory.estimate(shapes, **{**base, **kw}).total

    assert total(slots=2) > total(slots=0)  # optimizer state
    assert total(batch=256) > total(batch=32)  # activations of a step
    assert total(eval_rows=1000) > total(eval_rows=10)  # prediction batches
    assert total(itemsize=8) > total(itemsize=4)
    assert total(resume=True) > total()
    assert total(compiled=True) > total(compiled=False)  # the arenas hold >= 256 rows
    deep = memory.spec_shapes("linear:64," + ",".join(["relu"] * 50), 32, 4, 256,
                              get_registry())
    assert memory.estimate(deep, itemsize=4, batch=32).total > \
        memory.estimate(shapes, itemsize=4, batch=32).total + 50 * memory.LAYER_OVERHEAD
    predict = memory.estimate(shapes, itemsize=4, training=False, eval_rows=100)
    assert predict.total < total()
    assert predict.parts["optimizer state"] == predict.parts["best-epoch copy"] == 0


def test_the_check_is_one_line_with_its_parts(monkeypatch):
    shapes = memory.spec_shapes("linear:1024", 1024, 10, 256, get_registry())
    est = memory.estimate(shapes, itemsize=4, batch=32, slots=2)
    monkeypatch.setenv("NNPLUG_MAX_BYTES", str(est.total))
    memory.check(est, "training this")  # exactly at the limit: allowed
    monkeypatch.setenv("NNPLUG_MAX_BYTES", str(est.total - 1))
    with pytest.raises(LimitError) as info:
        memory.check(est, "training this")
    message = str(info.value)
    assert "\n" not in message and message.startswith("training this needs about")
    assert "network and gradients" in message and "optimizer state" in message
    assert "raise NNPLUG_MAX_BYTES to allow it; or use fewer or narrower layers" in message


def test_depth_is_refused_before_the_spec_is_parsed():
    memory.check_depth(",".join(["relu"] * memory.MAX_LAYERS))
    with pytest.raises(NNPlugError, match="names 10001 layers; at most 10000"):
        memory.check_depth(",".join(["relu"] * (memory.MAX_LAYERS + 1)))


def test_the_float64_copy_keeps_no_gradients():
    model = Sequential.from_spec("linear:16,batchnorm,relu", 8, 3)
    twin = model.float64_twin()
    assert all(layer.grads == {} for layer in twin.layers)
    assert twin.flat is not None and twin.flat.theta.size == 0  # only buffers are packed
    X = np.random.default_rng(0).normal(size=(5, 8))
    model.eval()
    np.testing.assert_allclose(twin.predict_raw(X), model.predict_raw(X), rtol=1e-5, atol=1e-6)


def test_a_new_best_epoch_is_written_into_the_previous_copy():
    state = {"0.W": np.ones((2, 3), np.float32), "0.b": np.zeros(3, np.float32)}
    first = best_copy(None, state)
    assert first["0.W"] is not state["0.W"]
    state["0.W"][...] = 7
    again = best_copy(first, state)
    assert again is first and again["0.W"] is first["0.W"]
    assert (again["0.W"] == 7).all()
    state["0.W"] = np.ones((4, 3), np.float32)  # a replaced array of another shape
    assert best_copy(first, state)["0.W"].shape == (4, 3)
