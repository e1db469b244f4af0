"""Medians, spreads, paired ratios, the GEMM-limit rule and the warnings, on fake
numbers (:mod:`nnplug_bench.stats`) and through a whole fake-timed workload."""
import pytest

from nnplug_bench import report, stats, suite
from nnplug_bench.workloads import WORKLOADS

from benchfakes import FakeEngine


def test_spread_is_median_min_max_and_max_over_min():
    s = stats.spread([300.0, 100.0, 200.0, 400.0])
    assert (s.median, s.min, s.max, s.n) == (250.0, 100.0, 400.0, 4)
    assert s.ratio == 4.0
    assert stats.spread([5.0]).ratio == 1.0
    with pytest.raises(ValueError):
        stats.spread([])


def test_ratios_are_paired_per_round_not_a_ratio_of_medians():
    # round 2 was slow for both engines: per round, a is always 2x b
    a, b = [200.0, 50.0, 180.0], [100.0, 25.0, 90.0]
    r = stats.paired_ratios(a, b)
    assert (r.median, r.min, r.max) == (2.0, 2.0, 2.0)
    c = [100.0, 100.0, 60.0]
    r = stats.paired_ratios(a, c)
    assert (r.median, r.min, r.max) == (2.0, 0.5, 3.0)
    assert stats.spread(a).median / stats.spread(c).median != r.median
    with pytest.raises(ValueError, match="unpaired"):
        stats.paired_ratios([1.0, 2.0], [1.0])


def test_gemm_flops_per_sample_skip_the_input_gradient():
    w1 = WORKLOADS["W1"]
    weights = 784 * 256 + 256 * 256 + 256 * 10
    assert w1.weights() == weights
    assert w1.flops_per_sample() == 6 * weights - 2 * 784 * 256
    assert stats.gemm_limit(w1.flops_per_sample() / 1e9, w1.flops_per_sample()) == 1.0
    assert WORKLOADS["W2"].largest_gemm() == (256, 1024, 1024)
    assert WORKLOADS["S0"].largest_gemm() == (32, 64, 256)
    assert WORKLOADS["R1"].largest_gemm() == (32, 128, 128)


def test_a_gemm_limit_below_a_measured_rate_is_not_a_bound():
    assert stats.gemm_verdict(100.0, {"a": [90.0, 100.0], "b": [50.0]}).is_bound
    v = stats.gemm_verdict(100.0, {"a": [90.0, 99.0], "numba": [95.0, 130.0]})
    assert not v.is_bound
    assert "numba measured 130 samples/s, 1.30x this estimate" == v.reason


def fake_suite(monkeypatch, clock, per_round, sgemm_seconds):
    """bench_workload("S0") on fake engines: ``per_round[name]`` = fake seconds of its one
    epoch (1000 samples) in each round; sgemm does 1e9 FLOP per epoch. Returns the
    summary and the order in which epochs ran."""
    log = []
    fakes = {name: FakeEngine(name, clock, 1000, secs, log) for name, secs in per_round.items()}
    fakes["sgemm"] = FakeEngine("sgemm", clock, 10**9, sgemm_seconds, log)
    fakes["sgemm"].shape = (32, 64, 256)
    monkeypatch.setattr(suite, "make_engine", lambda name, wl, threads: fakes[name])
    res = suite.bench_workload("S0", list(per_round), rounds=len(sgemm_seconds),
                               seconds=1e-9, clock=clock)
    return res, log


def test_workload_summary_on_fake_timings(monkeypatch, clock):
    res, log = fake_suite(monkeypatch, clock, {"numba": [0.001, 0.002, 0.001],
                                               "numpy": [0.004, 0.008, 0.002]}, [1.0] * 3)
    numba = res["engines"]["numba"]
    assert numba["samples_per_second"] == pytest.approx([1e6, 5e5, 1e6])
    assert [numba[k] for k in ("median", "min", "max", "spread")] == pytest.approx(
        [1e6, 5e5, 1e6, 2.0])
    assert res["ratios"]["numba/numpy"]["per_round"] == pytest.approx([4.0, 4.0, 2.0])
    assert res["ratios"]["numba/numpy"]["median"] == pytest.approx(4.0)
    assert res["orders"] == [["numba", "numpy", "sgemm"], ["numpy", "sgemm", "numba"],
                             ["sgemm", "numba", "numpy"]]
    assert log == ["numba", "numpy", "sgemm", "numpy", "sgemm", "numba", "sgemm", "numba",
                   "numpy"]
    # sgemm at 1 GFLOP/s: limit = 1e9 / 80,896 FLOP = 12,362 samples/s < 1e6 measured
    assert res["sgemm"]["median"] == pytest.approx(1.0)
    g = res["gemm_limit"]
    assert not g["is_bound"] and "numba measured 1,000,000" in g["reason"]
    line = report.gemm_line(res)
    assert line.startswith("GEMM limit: not a bound here") and "numba measured" in line
    assert "GEMM limit 12,362" not in "\n".join(report.workload_block(res))


def test_a_gemm_limit_above_every_rate_is_printed_as_the_bound(monkeypatch, clock):
    res, _ = fake_suite(monkeypatch, clock, {"numpy": [0.1]}, [0.01])  # 100 GFLOP/s
    assert res["gemm_limit"]["is_bound"]
    assert report.gemm_line(res).startswith("GEMM limit 1,236,155 samples/s = sgemm 32x64x256")


def test_spread_warning_names_the_uneven_rate(monkeypatch, clock):
    res, _ = fake_suite(monkeypatch, clock, {"numba": [0.001, 0.0013],  # spread 1.3x
                                             "numpy": [0.004, 0.0042]}, [1.0, 1.0])
    lines = suite.run_warnings([res], [(0.5, 0.5, 0.5)], n_cores=2)
    assert len(lines) == 1 and lines[0].startswith("S0 numba: spread 1.30x (max/min over 2 "
                                                   "rounds) exceeds 1.25x")
    assert suite.run_warnings([res], [(0.5, 0.5, 0.5)], n_cores=2, threshold=1.5) == []


def test_spread_and_load_warnings():
    s = {"W1 numba": stats.Spread(100, 80, 110, 5), "W1 numpy": stats.Spread(100, 95, 105, 5),
         "W1 torch": stats.Spread(100, 10, 100, 1)}
    lines = stats.spread_warnings(s)
    assert len(lines) == 1 and lines[0].startswith("W1 numba: spread 1.38x")
    assert stats.load_warning((1.9, 3.0, 3.0), 2) is None
    assert stats.load_warning(None, 2) is None
    line = stats.load_warning((2.5, 0.1, 0.1), 2)
    assert line.startswith("load average 2.50 exceeds the 2 cores")
    assert "\n" not in line
