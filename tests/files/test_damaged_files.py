"""Damaged headers in model and checkpoint files: always a one-line NNPlugError, never a
stray exception (random, seeded mutations of real files)."""
from __future__ import annotations

import copy
import dataclasses
import json
import random

import numpy as np
import pytest

import nnplug
from nnplug.runtime.backends import use_backend
from nnplug.files.checkpoint import BEST, LAST, Checkpoint, Checkpointer
from nnplug.errors import NNPlugError
from nnplug.files.container import META_KEY
from nnplug.nn.solver import Solver
from nnplug.nn.training import TrainConfig, build, train

JUNK = [None, 0, -5, "x", [], {}, [1], {"a": 1}, 1.5, True, "float16", 10 ** 30, float("nan")]


def paths(obj, path=()):
    yield path
    items = obj.items() if isinstance(obj, dict) else enumerate(obj) \
        if isinstance(obj, list) else ()
    for k, v in items:
        yield from paths(v, (*path, k))


def mutated(meta, rng):
    meta = copy.deepcopy(meta)
    *parent, last = rng.choice(list(paths(meta))[1:])
    node = meta
    for k in parent:
        node = node[k]
    if isinstance(node, dict) and rng.random() < 0.2:
        del node[last]
    else:
        node[last] = rng.choice(JUNK)
    return meta


def rewrite(src, dst, meta):
    with np.load(src, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    arrays[META_KEY] = np.frombuffer(json.dumps(meta).encode(), np.uint8)
    np.savez(dst, **arrays)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("run")
    cfg = TrainConfig(epochs=2, hidden=8, layers="linear,batchnorm,relu,dropout:0.1")
    train(cfg, [Checkpointer(d / "ck", dataclasses.asdict(cfg))])
    return d, cfg


def header(path):
    with np.load(path, allow_pickle=False) as z:
        return json.loads(z[META_KEY].tobytes())


def test_damaged_model_headers(run_dir, tmp_path):
    d, _ = run_dir
    meta, rng, failures = header(d / "ck" / BEST), random.Random(1), 0
    for _ in range(150):
        rewrite(d / "ck" / BEST, tmp_path / "m.npz", mutated(meta, rng))
        try:
            nnplug.load(tmp_path / "m.npz").predict(np.ones((2, 64)))
        except NNPlugError as exc:
            failures += 1
            assert "\n" not in str(exc)
    assert failures > 50  # most mutations are caught (some are harmless, e.g. a version)


def test_damaged_checkpoints_change_nothing(run_dir, tmp_path):
    d, cfg = run_dir
    meta, rng, failures = header(d / "ck" / LAST), random.Random(2), 0
    (tmp_path / "ck").mkdir()
    with use_backend("numpy"):
        data, model, loss, opt = build(cfg)
        lr0 = opt.lr
        before = {k: v.copy() for k, v in model.state_arrays().items()}
        for _ in range(150):
            rewrite(d / "ck" / LAST, tmp_path / "ck" / LAST, mutated(meta, rng))
            solver = Solver(model, loss, opt, epochs=3, seed=cfg.seed)
            try:
                Checkpoint(tmp_path / "ck").apply(solver)
            except NNPlugError as exc:
                failures += 1
                assert "\n" not in str(exc)
                assert not solver._resumed and opt.state == {}
                for k, v in model.state_arrays().items():  # a bad file changes nothing
                    assert np.array_equal(v, before[k])
            else:
                model.load_state_arrays(before)
                opt.state, opt.lr, opt.steps = {}, lr0, 0
    assert failures > 50
