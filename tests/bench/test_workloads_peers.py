"""The workloads and the engines that train them: the same architecture, data and
threads for nnplug and its peers (PyTorch tests skip where torch is not installed)."""
import numpy as np
import pytest

from nnplug.nn.sequential import Sequential
from nnplug_bench.engines import NNPlugEngine, make_engine, nnplug_threads
from nnplug_bench.peers import importable
from nnplug_bench.workloads import WORKLOADS, make_data, parse_workloads


def test_workload_data_has_the_shape_it_imitates():
    s0 = make_data("S0")
    assert s0.X_train.shape == (1293, 64) and s0.X_train.dtype == np.uint8
    assert s0.X_train.max() <= 16 and s0.scale == 1 / 16 and s0.n_outputs == 10
    r1 = make_data("R1")
    assert r1.X_train.shape == (14711, 8) and r1.task == "regression"
    assert abs(float(r1.y_train.mean())) < 1e-3 and abs(float(r1.y_train.std()) - 1) < 1e-3
    w2 = make_data("W2")
    assert w2.X_train.shape == (8192, 784) and w2.X_train.dtype == np.float32
    assert len(w2.X_val) == 0  # only training is timed


def test_parse_workloads():
    assert parse_workloads("all") == ["S0", "W1", "W2", "R1"]
    assert parse_workloads("r1, W1,R1") == ["R1", "W1"]
    with pytest.raises(ValueError, match="unknown workload 'W3'"):
        parse_workloads("W1,W3")


def test_nnplug_engine_trains_every_row_with_the_policy_threads(backend):
    engine = NNPlugEngine("S0", backend.name)
    engine.prepare()
    assert engine.epoch() == 1293
    assert engine.threads == nnplug_threads("S0") == 1
    if backend.name == "numba":
        import numba

        expected = "per-op" if numba.config.DISABLE_JIT else "compiled"
        assert engine.path == expected
    else:
        assert engine.path == "per-op"


def test_threads_request_reaches_every_engine():
    assert nnplug_threads("R1", 2) == 2
    assert make_engine("sgemm", "R1", 2).threads == 2
    assert make_engine("numpy", "R1", 2).threads == 2
    assert make_engine("sklearn", "R1", 2).threads == 2


def test_sklearn_peer_same_hidden_sizes_one_epoch_per_call():
    engine = make_engine("sklearn", "R1")
    assert engine.est.hidden_layer_sizes == (128, 128) and engine.est.solver == "adam"
    assert engine.epoch() == 14711 and engine.est.n_iter_ == 1
    assert engine.note == ""
    s0 = make_engine("sklearn", "S0")
    assert s0.est.hidden_layer_sizes == (256,) and s0.est.batch_size == 32
    assert "no BatchNorm" in s0.note
    assert s0.X.dtype == np.float32 and s0.X.max() <= 1.0


@pytest.mark.skipif(not importable("torch"), reason="torch is not installed")
def test_torch_peer_builds_the_same_network():
    import torch

    engine = make_engine("torch", "S0")
    kinds = [type(m).__name__ for m in engine.model]
    assert kinds == ["Linear", "BatchNorm1d", "ReLU", "Dropout", "Linear"]
    # the one twin (nnplug_bench.twin): nnplug's initial weights (rng 0), float32
    net = Sequential.from_spec(WORKLOADS["S0"].qualified_layers(), 64, 10, rng=0,
                               dtype=np.float32)
    np.testing.assert_array_equal(engine.model[0].weight.detach().numpy(),
                                  net.layers[0].params["W"].T)
    assert engine.model[0].in_features == 64 and engine.model[3].p == pytest.approx(0.2)
    groups = engine.opt.param_groups
    assert groups[0]["weight_decay"] == 1e-4 and groups[1]["weight_decay"] == 0.0
    assert [p.shape for p in groups[0]["params"]] == [(256, 64), (10, 256)]
    assert engine.epoch() == 1293
    assert torch.get_num_threads() == nnplug_threads("S0")
    r1 = make_engine("torch", "R1")
    assert isinstance(r1.opt, torch.optim.Adam) and r1.model[-1].out_features == 1
