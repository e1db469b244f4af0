"""Learning-rate schedules (nnplug.nn.schedules) and how the Solver follows them per step."""
import math

import numpy as np
import pytest

from nnplug.nn.schedules import Schedule
from nnplug.nn.training import TrainConfig, train
from nnplug.nn.training import make_schedule as resolve_and_make


def curve(schedule, steps_per_epoch=10, epochs=4):
    return [schedule(t, steps_per_epoch, epochs) for t in range(steps_per_epoch * epochs)]


def test_constant_and_exp():
    assert curve(Schedule("constant")) == [1.0] * 40
    exp = curve(Schedule("exp", decay=0.5))
    assert exp[:10] == [1.0] * 10 and exp[10:20] == [0.5] * 10 and exp[-1] == 0.125


def test_cosine_goes_from_one_to_the_floor():
    c = curve(Schedule("cosine"))
    assert c[0] == 1.0 and c[20] == pytest.approx(0.5) and c[-1] == pytest.approx(
        0.5 * (1 + math.cos(math.pi * 39 / 40)))
    assert all(a >= b for a, b in zip(c, c[1:]))
    floor = curve(Schedule("cosine", floor=0.1))
    assert min(floor) > 0.1 and floor[20] == pytest.approx(0.55)


def test_warmup_ramps_linearly_then_follows_the_schedule():
    c = curve(Schedule("cosine", warmup=0.1))  # 4 of 40 steps
    assert c[:4] == pytest.approx([0.25, 0.5, 0.75, 1.0])
    assert c[4] == 1.0 and c[22] == pytest.approx(0.5)


def test_onecycle_is_pytorchs_shape():
    c = curve(Schedule("onecycle"), 10, 10)  # 30 warm-up steps
    assert c[0] == pytest.approx(1 / 25 + (1 - 1 / 25) / 30)
    assert c[29] == pytest.approx(1.0) and max(c) == pytest.approx(1.0)
    assert c.index(max(c)) in (29, 30)
    assert c[-1] < 1e-3


@pytest.mark.parametrize("bad", [dict(name="linear"), dict(warmup=1.0), dict(decay=0),
                                 dict(floor=2)])
def test_bad_schedules(bad):
    with pytest.raises(ValueError):
        Schedule(**bad)


def test_config_resolves_the_schedule():
    from nnplug.nn.recipes import DEFAULT_SCHEDULE
    from nnplug.nn.resolve import resolve_schedule

    def make_schedule(config):
        resolve_schedule(config)
        return resolve_and_make(config)

    assert make_schedule(TrainConfig()).name == DEFAULT_SCHEDULE
    assert make_schedule(TrainConfig(lr_decay=0.9)) == Schedule("exp", decay=0.9)
    assert make_schedule(TrainConfig(schedule="onecycle", warmup=0.2)).warmup == 0.2


@pytest.mark.parametrize("bad,message", [
    (dict(schedule="cosine", lr_decay=0.9), "--lr-decay sets the exp schedule"),
    (dict(schedule="steps"), "--schedule must be one of"),
    (dict(warmup=1.5), "--warmup must be in"),
])
def test_bad_config(bad, message):
    from nnplug.errors import NNPlugError

    with pytest.raises(NNPlugError, match=message):
        TrainConfig(**bad).validate()


def test_solver_sets_the_lr_before_every_step(backend):
    """The recorded lr of each epoch is the one of its last step. (The compiled path reports
    several steps per call: each report shows the lr of the last step it ran.)"""
    seen = {}

    class Watch:
        def on_batch_end(self, solver, step, steps, loss, n_steps=1):
            seen[solver.state.epoch * steps + step - 1] = solver.optimizer.lr
            self.steps = steps

    watch = Watch()
    run = train(TrainConfig(epochs=3, hidden=16, schedule="cosine", warmup=0.1, lr=0.1,
                            backend=backend.name), callbacks=[watch])
    per_epoch = watch.steps
    sched = Schedule("cosine", warmup=0.1)
    assert max(seen) == 3 * per_epoch - 1 and len(seen) >= 3
    for t, lr in seen.items():
        assert lr == pytest.approx(0.1 * sched(t, per_epoch, 3), rel=1e-12), t
    assert [h["lr"] for h in run.metrics["history"]] == pytest.approx(
        [0.1 * sched(e * per_epoch - 1, per_epoch, 3) for e in (1, 2, 3)])
    assert run.metrics["config"]["schedule"] == "cosine"
