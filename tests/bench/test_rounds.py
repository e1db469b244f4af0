"""Interleaving and the measurement loop (:mod:`nnplug_bench.rounds`) on a fake
clock: whole epochs until the time has passed, every engine once per round, the order
rotated every round."""
import pytest
from benchfakes import FakeEngine

from nnplug_bench.rounds import measure, rotation, run_rounds


def test_measure_runs_whole_epochs_until_the_time_has_passed(clock):
    engine = FakeEngine("a", clock, 100, [0.1])
    m = measure(engine, 0.25, clock)
    assert (m.epochs, m.units) == (3, 300)  # 0.2 s is not enough: a third epoch runs
    assert m.seconds == pytest.approx(0.3) and m.rate == pytest.approx(1000.0)


def test_measure_runs_at_least_one_epoch(clock):
    m = measure(FakeEngine("a", clock, 7, [0.5]), 1e-9, clock)
    assert (m.epochs, m.units) == (1, 7)


def test_rotation_puts_every_engine_first_once_per_cycle():
    names = ["numba", "numpy", "torch", "sgemm"]
    orders = [rotation(names, r) for r in range(4)]
    assert orders[1] == ["numpy", "torch", "sgemm", "numba"]
    assert sorted(o[0] for o in orders) == sorted(names)
    assert all(sorted(o) == sorted(names) for o in orders)
    assert rotation(names, 4) == names


def test_rounds_time_every_engine_once_per_round_in_rotated_order(clock):
    log = []
    engines = {n: FakeEngine(n, clock, 10, [0.01] * 3, log) for n in ("a", "b", "c")}
    seen = []
    res = run_rounds(engines, 3, 1e-9, clock,
                     on_measured=lambda r, name, m: seen.append((r, name)))
    assert log == ["a", "b", "c", "b", "c", "a", "c", "a", "b"]
    assert res.orders == [["a", "b", "c"], ["b", "c", "a"], ["c", "a", "b"]]
    assert seen[:3] == [(0, "a"), (0, "b"), (0, "c")] and len(seen) == 9
    assert res.rates["a"] == pytest.approx([1000.0] * 3)
    assert res.epochs == {"a": [1, 1, 1], "b": [1, 1, 1], "c": [1, 1, 1]}
