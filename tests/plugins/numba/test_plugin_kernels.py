"""A plugin's kernels on the compiled path, as a plugin author meets them: a bug in a kernel
stops the run with one line naming the plugin's component -- before training when the
self-check finds it (wrong numbers, an out-of-bounds write), with the best model and the
metrics so far when a kernel raises later -- and a kernel that does not compile trains per
op with numba's reason and the plugin's file and line (or stops, under --require-compiled)."""
import json
import os

import pytest
from planted_kernels import plant, registry_with

pytestmark = pytest.mark.usefixtures("pair")
#: NUMBA_DISABLE_JIT=1 refuses the compiled path: every run trains per op, on the plugin's
#: NumPy code, so a broken kernel cannot matter (tests/plugins/numba/test_numba_optional.py)
JIT_OFF = os.environ.get("NUMBA_DISABLE_JIT") == "1"


def trains_per_op(res, tmp_path=None):
    assert res.exit_code == 0, res.output
    assert "trains per op" in res.stderr and "NUMBA_DISABLE_JIT" in res.stderr

STACK = ["--layers", "linear:16,scale_shift,relu", "--backend", "numba", "--quiet"]


@pytest.fixture
def planted(tmp_path, monkeypatch, use_registry):
    monkeypatch.syspath_prepend(str(tmp_path))

    def with_bug(bug):
        use_registry(registry_with(plant(tmp_path, bug)))

    return with_bug


def test_a_correct_plugin_kernel_trains_compiled(cli, planted, tmp_path):
    planted("none")
    res = cli("train", *STACK, "--epochs", "2", "--metrics-out", tmp_path / "m.json")
    if JIT_OFF:
        return trains_per_op(res)
    assert res.exit_code == 0, res.output
    metrics = json.loads((tmp_path / "m.json").read_text())
    assert metrics["training_path"] == "compiled" and metrics["test_accuracy"] > 0.5


@pytest.mark.parametrize("bug,fragment", [
    ("dx_sign", "disagree with its NumPy code"),
    ("forgets_beta", "disagree with its NumPy code"),
    ("accumulates", "disagree with its NumPy code"),
    ("out_of_bounds", "out of bounds"),
])
def test_the_self_check_stops_a_wrong_kernel_naming_it(cli, planted, tmp_path, bug, fragment):
    planted(bug)
    res = cli("train", *STACK, "--epochs", "1", "--save", tmp_path / "m.npz")
    if JIT_OFF:
        return trains_per_op(res)
    assert res.exit_code == 1, res.output
    line = res.stderr.strip().splitlines()[-1]
    assert line.startswith("Error: layer 'scale_shift' from plugin 'planted' (nnplug-planted 1.0)")
    assert fragment in line and "Traceback" not in res.stderr
    assert not (tmp_path / "m.npz").exists()  # nothing trained, nothing written


def test_a_kernel_raising_mid_run_is_named_and_the_work_is_kept(cli, planted, tmp_path):
    planted("raises_late")  # 45 steps an epoch: step 60 is in epoch 2
    res = cli("train", *STACK, "--epochs", "3", "--save", tmp_path / "m.npz",
              "--metrics-out", tmp_path / "m.json")
    if JIT_OFF:
        return trains_per_op(res)
    assert res.exit_code == 1, res.output
    line = res.stderr.strip().splitlines()[-1]
    assert "layer 'scale_shift' from plugin 'planted' (nnplug-planted 1.0) failed in forward" in line
    assert "ValueError: gave up at 60" in line and "best model so far (epoch 1) kept" in line
    metrics = json.loads((tmp_path / "m.json").read_text())
    assert metrics["best_epoch"] == 1 and "gave up at 60" in metrics["error"]
    assert (tmp_path / "m.npz").exists()


def test_a_kernel_that_does_not_compile_says_where_and_trains_per_op(cli, planted, tmp_path):
    planted("typing_error")
    res = cli("train", *STACK, "--epochs", "1", "--metrics-out", tmp_path / "m.json")
    if JIT_OFF:
        return trains_per_op(res)
    assert res.exit_code == 0, res.output
    note = next(line for line in res.stderr.splitlines() if "trains per op" in line)
    assert "layer 'scale_shift' from plugin 'planted'" in note
    assert "failed to compile" in note and "planted_kernels_typing_error" in note and "line" in note
    assert json.loads((tmp_path / "m.json").read_text())["training_path"] == "per-op"
    res = cli("train", *STACK, "--epochs", "1", "--require-compiled")
    assert res.exit_code != 0 and "failed to compile" in res.stderr
    assert [line.startswith("Error:") for line in res.stderr.splitlines()].count(True) == 1


@pytest.mark.slow
def test_a_damaged_cache_entry_is_discarded_and_compiled_again(tmp_path):
    """A truncated index or a garbled data file of the numba cache once failed every later
    run (UnpicklingError, blamed on a layer) until the user found the cache."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "NUMBA_CACHE_DIR": str(tmp_path / "cache")}
    command = [sys.executable, "-c", "from nnplug.cli import main; main()", "train",
               "--backend", "numba", "--epochs", "1", "--quiet", "--log-file", "",
               "--layers", "linear:8,relu"]

    def train():
        return subprocess.run(command, env=env, capture_output=True, text=True, timeout=600)

    first = train()
    assert first.returncode == 0, first.stderr
    if JIT_OFF:  # nothing compiled, nothing cached
        assert not list((tmp_path / "cache").rglob("nnplug_driver_*.nbc"))
        return
    damaged = list((tmp_path / "cache").rglob("nnplug_driver_*.nbc"))
    assert damaged
    for path in damaged:
        path.write_bytes(b"not a pickle")
    res = train()
    assert res.returncode == 0, res.stderr
    assert "discarded a damaged numba cache entry" in res.stderr
    assert not any(line.startswith("Error:") for line in res.stderr.splitlines())
    again = train()  # compiled and cached anew: a plain warm run
    assert again.returncode == 0 and "discarded" not in again.stderr
