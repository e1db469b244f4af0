"""``nnplug bench``: smoke runs in tiny configurations (nothing timed is asserted), the
order of the output, the warnings, the per-op profile, two runs at once, the worker
subprocess and one-line errors. The command comes from nnplug-bench's plugin, registered
by the ``bench_plugin`` fixture (tests/conftest.py) through the commands hook."""
import json
import os
import subprocess
import sys

import pytest
from click.testing import CliRunner

from nnplug.cli import main
from nnplug.kernels import NotCompiled
from nnplug_bench import profile as prof
from nnplug_bench.concurrent import worker_env

pytestmark = pytest.mark.usefixtures("bench_plugin")

TINY = ["--rounds", "1", "--seconds", "0.01", "--no-peers"]


def run(*args):
    return CliRunner().invoke(main, ["bench", *args], catch_exceptions=False)


def jit_disabled() -> bool:
    return os.environ.get("NUMBA_DISABLE_JIT", "0") not in ("", "0")


def test_smoke_summary_first(backend):
    res = run("--workload", "S0", *TINY, "--backend", backend.name)
    assert res.exit_code == 0, res.output
    # the compile notes a cold numba cache prints (a fresh machine) come before the summary
    lines = [line for line in res.output.splitlines() if not line.startswith("nnplug: ")]
    assert lines[0].startswith("nnplug bench: ") and "load average" in lines[0]
    assert lines[2].startswith("S0  digits-shaped 1293x64")
    assert lines[3].split()[:6] == ["engine", "path", "thr", "samples/s", "min-max", "spread"]
    row = lines[4].split()
    compiled = backend.name == "numba" and not jit_disabled()
    assert row[:3] == [backend.name, "compiled" if compiled else "per-op", "1"]
    assert lines[5].lstrip().startswith("GEMM limit")
    assert "Where a per-op epoch" not in res.output  # the profile only with --profile


def test_json_holds_every_measurement(tmp_path):
    out = tmp_path / "bench.json"
    res = run("--workload", "S0,R1", "--rounds", "2", "--seconds", "0.01", "--no-peers",
              "--backend", "numpy", "--json", str(out))
    assert res.exit_code == 0, res.output
    data = json.loads(out.read_text())
    assert data["meta"]["options"]["rounds"] == 2 and data["meta"]["cores"] >= 1
    assert [w["workload"] for w in data["workloads"]] == ["S0", "R1"]
    numpy = data["workloads"][1]["engines"]["numpy"]
    assert len(numpy["samples_per_second"]) == 2 and numpy["path"] == "per-op"
    assert numpy["min"] <= numpy["median"] <= numpy["max"]
    assert len(data["workloads"][1]["sgemm"]["gflops"]) == 2
    assert data["workloads"][0]["orders"] == [["numpy", "sgemm"], ["sgemm", "numpy"]]
    assert "concurrent" not in data and "profile" not in data


def test_header_shows_load_average_and_warns_above_the_cores(monkeypatch):
    monkeypatch.setattr(os, "getloadavg", lambda: (9.5, 7.25, 3.0))
    monkeypatch.setattr(os, "cpu_count", lambda: 2)
    res = run("--workload", "S0", *TINY, "--backend", "numpy")
    assert res.exit_code == 0, res.output
    assert "2 cores, load average 9.50 7.25 3.00" in res.output.splitlines()[0]
    warned = [ln for ln in res.output.splitlines() if ln.startswith("Warning: load")]
    assert warned == ["Warning: load average 9.50 exceeds the 2 cores: other processes "
                      "compete for the CPU, so rates are low and uneven; rerun on a quiet "
                      "machine"]


def test_no_load_warning_on_a_quiet_machine(monkeypatch):
    monkeypatch.setattr(os, "getloadavg", lambda: (0.5, 0.5, 0.5))
    res = run("--workload", "S0", *TINY, "--backend", "numpy")
    assert res.exit_code == 0 and "Warning: load" not in res.output


def test_profile_after_the_summary(backend):
    res = run("--workload", "S0", *TINY, "--backend", backend.name, "--profile")
    assert res.exit_code == 0, res.output
    out = res.output
    start = out.index("Where a per-op epoch's time goes")
    assert out.index("GEMM limit") < start
    profile = out[start:]
    assert f"S0 {backend.name}, per op, 1 BLAS thread: epoch" in profile
    for op in ("linear_forward", "linear_backward", "batchnorm_forward_train",
               "batchnorm_backward", "dropout_mask", "softmax_cross_entropy",
               "momentum_update", "(outside ops"):
        assert op in profile, op


def test_concurrent_two_runs_at_once(tmp_path):
    out = tmp_path / "c.json"
    res = run("--workload", "R1", *TINY, "--backend", "numpy", "--concurrent",
              "--json", str(out))
    assert res.exit_code == 0, res.output
    section = res.output[res.output.index("Two runs at once"):]
    row = next(ln for ln in section.splitlines() if ln.lstrip().startswith("R1"))
    assert row.split()[:4] == ["R1", "numpy", "per-op", "1"]
    (c,) = json.loads(out.read_text())["concurrent"]
    assert len(c["alone"]["samples_per_second"]) == 1
    assert [len(t["ratio_to_alone"]) for t in c["together"]] == [1, 1]
    assert c["worst_ratio"] == min(t["ratio_to_alone"][0] for t in c["together"])


@pytest.mark.parametrize("args, message", [
    (["--workload", "W3"], "Error: Invalid value for '--workload': unknown workload 'W3'"),
    (["--backend", "nope"], "Error: unknown backend 'nope'"),
    (["--backend", ","], "Error: Invalid value for '--backend': no backend given"),
    (["--rounds", "0"], "Error: Invalid value for '--rounds'"),
    (["--seconds", "0"], "Error: Invalid value for '--seconds'"),
    (["--threads", "0"], "Error: Invalid value for '--threads'"),
    (["--json", "/nonexistent-dir/x.json"], "Error: Invalid value for '--json': cannot "
                                            "write the JSON file"),
    (["--workload", "S0,W2", "--concurrent"], "Error: Invalid value for '--workload': "
                                              "--concurrent measures W1 and R1"),
])
def test_bad_options_are_one_line_errors(args, message):
    res = CliRunner().invoke(main, ["bench", *args])
    assert res.exit_code == 2
    lines = res.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(message), res.output


def test_worker_prints_json_lines():
    cmd = [sys.executable, "-m", "nnplug_bench", "run", "--workload", "R1",
           "--engine", "numpy", "--seconds", "0.01"]
    res = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=worker_env())
    assert res.returncode == 0, res.stderr
    ready, result = map(json.loads, res.stdout.splitlines())
    assert ready["ready"] and ready["path"] == "per-op" and ready["threads"] == 1
    assert result["samples"] == 14711 * result["epochs"] and result["samples_per_second"] > 0
    bad = subprocess.run(cmd[:-4] + ["--engine", "nope"], capture_output=True, text=True,
                         timeout=300, env=worker_env())
    assert bad.returncode == 2
    (line,) = bad.stderr.strip().splitlines()
    assert line.startswith("Error: unknown backend 'nope'")


class _Nested:
    """A fake backend: ``outer`` spends 2 fake seconds itself and calls ``inner`` (5)."""

    name = "nested"

    def __init__(self, clock):
        self.clock = clock

    def outer(self):
        self.clock.now += 2
        return self.inner() + 1

    def inner(self):
        self.clock.now += 5
        return 1


def test_op_timer_times_ops_exclusive_of_nested_ones(monkeypatch, clock):
    monkeypatch.setattr(prof.time, "perf_counter", clock)
    timer = prof.OpTimer(_Nested(clock))
    assert timer.backend.outer() == 2
    assert timer.seconds == {"outer": 2, "inner": 5}
    assert timer.calls == {"outer": 1, "inner": 1}
    with pytest.raises(NotCompiled, match="one by one"):
        timer.backend.compile(None)


def test_any_stack_a_plugins_too_runs_in_the_same_harness(tmp_path, use_registry):
    """nnplug bench --layers/--optimizer: workload C, on the given workload's data, every
    backend in the paired, interleaved rounds (the example plugin's layer and optimizer)."""
    import sys
    from pathlib import Path

    from nnplug.registry import Registry

    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "plugins" / "nnplug-leaky-relu"))
    try:
        import nnplug_bench.plugin as bench
        import nnplug_leaky_relu.plugin as example

        reg = Registry()
        reg.add_plugin(bench, "bench", dist="nnplug-bench", version="0")
        reg.add_plugin(example, "leaky_relu", dist="nnplug-leaky-relu", version="0")
        use_registry(reg)
        out = tmp_path / "c.json"
        res = run("--workload", "R1", "--layers", "linear:32,leaky_relu:0.2,linear:16,relu",
                  "--optimizer", "rmsprop", "--lr", "0.001", "--rounds", "2", "--seconds",
                  "0.01", "--backend", "numpy", "--json", str(out))
    finally:
        sys.path.remove(str(Path(__file__).resolve().parents[2] / "plugins" / "nnplug-leaky-relu"))
    assert res.exit_code == 0, res.output
    assert "C  California-shaped" in res.output and "leaky_relu" in res.output
    data = json.loads(out.read_text())
    assert [w["workload"] for w in data["workloads"]] == ["C"]
    engines = data["workloads"][0]["engines"]
    assert set(engines) == {"numpy"}  # no peers for a given stack
    assert len(engines["numpy"]["samples_per_second"]) == 2
