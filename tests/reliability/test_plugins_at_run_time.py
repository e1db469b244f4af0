"""Issue 19, "plugins that misbehave at run time": a plugin layer that ends the process,
raises in its constructor or prints is named in one line, never a silent (false)
success; what the run produced so far is kept; stdout keeps the results only."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import nnplug
from nnplug.registry import Registry

from misbehave import SOURCE, Misbehave

PLUGIN = "plugin 'misbehave' (nnplug-misbehave 1.0)"


@pytest.fixture
def misbehave(use_registry):
    reg = Registry()
    reg.add_plugin(Misbehave(), "misbehave", dist="nnplug-misbehave", version="1.0")
    return use_registry(reg)


def one_error(res) -> str:
    assert "Traceback" not in res.output, res.output
    lines = res.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), res.stderr
    return lines[0]


@pytest.mark.parametrize("layer", ["exit_in_forward:after=60", "exit_in_backward:after=60"])
def test_sys_exit_in_forward_or_backward_is_no_silent_success(cli, misbehave, tmp_path, layer):
    """sys.exit(0) in a layer's forward (SystemExit(0) in backward) in epoch 2: one line
    naming the plugin, exit 1, and the best model and metrics so far kept."""
    res = cli("train", "--layers", f"linear:16,relu,{layer}", "--epochs", "5", "--quiet",
              "--log-file", "", "--save", tmp_path / "m.npz", "--metrics-out", tmp_path / "m.json")
    assert res.exit_code == 1, res.output
    action = "forward" if "forward" in layer else "backward"
    err = one_error(res)
    assert f"layer '{layer.split(':')[0]}' from {PLUGIN} failed in {action}: SystemExit: 0" in err
    assert "best model so far (epoch 1) kept in model" in err
    metrics = json.loads((tmp_path / "m.json").read_text())
    assert metrics["epochs_run"] == 1 and "SystemExit" in metrics["error"]
    model = nnplug.load(tmp_path / "m.npz")
    assert model.meta["training"]["best_epoch"] == 1
    assert all(np.isfinite(v).all() for v in model.network.state_arrays().values())


def test_sys_exit_in_the_first_step_keeps_the_metrics_and_says_one_line(cli, misbehave,
                                                                       tmp_path):
    res = cli("train", "--layers", "linear:16,relu,exit_in_forward:after=1", "--epochs", "2",
              "--quiet", "--log-file", "", "--save", tmp_path / "m.npz",
              "--metrics-out", tmp_path / "m.json")
    assert res.exit_code == 1, res.output
    err = one_error(res)
    assert (f"failed in forward: SystemExit: 0; no epoch completed; kept metrics "
            f"{tmp_path / 'm.json'} (set NNPLUG_DEBUG=1") in err
    assert not (tmp_path / "m.npz").exists()
    assert json.loads((tmp_path / "m.json").read_text())["epochs_run"] == 0


@pytest.mark.parametrize("layer, raised", [
    ("exit_in_init:code=3", "SystemExit: 3"),
    ("broken_init:kind=runtime", "RuntimeError: the plugin's own bug"),
    ("broken_init:kind=recursion", "RecursionError: maximum recursion depth exceeded"),
])
def test_a_constructor_that_raises_or_exits_is_named(cli, misbehave, tmp_path, layer, raised):
    res = cli("train", "--layers", f"linear:16,{layer}", "--epochs", "1", "--quiet",
              "--log-file", "", "--save", tmp_path / "m.npz")
    assert res.exit_code == 1, res.output
    err = one_error(res)
    assert f"layer '{layer.split(':')[0]}' from {PLUGIN} failed in __init__: {raised}" in err
    assert "unexpected error" not in err
    assert not (tmp_path / "m.npz").exists()


def test_a_plugin_print_does_not_corrupt_predict_csv_on_stdout(cli, misbehave, tmp_path):
    res = cli("train", "--layers", "linear:16,relu,chatty", "--epochs", "1", "--quiet",
              "--log-file", "", "--save", tmp_path / "m.npz")
    assert res.exit_code == 0, res.output
    X = np.arange(64 * 3, dtype=np.float64).reshape(3, 64) % 16
    np.save(tmp_path / "X.npy", X)
    res = cli("predict", "--model", tmp_path / "m.npz", "--input", tmp_path / "X.npy")
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    assert lines[0].startswith("class,p_0,") and len(lines) == 4, res.stdout
    assert all(len(line.split(",")) == 11 for line in lines)
    assert "hello from a plugin layer" in res.stderr  # shown, on stderr


def write_plugin(root: Path, name: str, source: str) -> dict[str, str]:
    """A fake distribution nnplug-NAME (entry point NAME) and the environment using it."""
    sys.path.insert(0, str(Path(__file__).parents[1] / "support"))
    from fakedist import write_dist

    site = write_dist(root, f"nnplug-{name}", "1.0", {name: f"nnplug_t_{name}"},
                      {f"nnplug_t_{name}": source})
    return {**os.environ, "NNPLUG_LOAD_PLUGINS": name, "NNPLUG_LOG_DIR": str(root / "logs"),
            "PYTHONPATH": os.pathsep.join([str(site), os.environ.get("PYTHONPATH", "")])}


def nnplug_child(*args, env, cwd, **kwargs):
    return subprocess.run([sys.executable, "-c", "from nnplug.cli import main; main()",
                           *map(str, args)], env=env, cwd=cwd, capture_output=True,
                          text=True, timeout=300, **kwargs)


def test_sys_exit_in_forward_of_a_real_process_is_no_false_success(tmp_path):
    """The same in a real ``nnplug train`` process: sys.exit(0) must not become exit 0."""
    env = write_plugin(tmp_path / "site", "misbehave", SOURCE)
    res = nnplug_child("train", "--layers", "linear:16,relu,exit_in_forward:after=60",
                       "--epochs", "3", "--quiet", "--save", "m.npz", "--metrics-out", "m.json",
                       env=env, cwd=tmp_path)
    assert res.returncode == 1, res.stderr
    assert res.stderr.count("\n") == 1 and "failed in forward: SystemExit: 0" in res.stderr
    assert (tmp_path / "m.npz").is_file() and (tmp_path / "m.json").is_file()


def test_a_failed_plugin_entry_point_name_is_printed_sanitised(tmp_path):
    """An entry-point name carrying terminal escapes, of a plugin that fails at import."""
    name = "evil\x1b]0;pwned\x07\x1b[31mred"
    env = write_plugin(tmp_path / "site", "x", "raise ImportError('nope')\n")
    ep = tmp_path / "site" / "nnplug_x-1.0.dist-info" / "entry_points.txt"
    ep.write_text(f"[nnplug]\n{name} = nnplug_t_x\n")
    env.pop("NNPLUG_LOAD_PLUGINS")  # every installed plugin: the name cannot be listed
    res = nnplug_child("plugins", env=env, cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "\x1b" not in res.stdout and "\x07" not in res.stdout
    assert "error: plugin 'evil" in res.stdout and "failed to load: ImportError: nope" in res.stdout
    res = nnplug_child("plugins", "--json", env=env, cwd=tmp_path)
    assert "\\u001b" not in res.stdout and "\x1b" not in res.stdout


def test_a_plugin_raising_keyboard_interrupt_at_import_is_named(tmp_path):
    """Not Ctrl-C: the plugin's own KeyboardInterrupt is its failure, and the host goes on."""
    env = write_plugin(tmp_path / "site", "kbd", "raise KeyboardInterrupt\n")
    res = nnplug_child("plugins", env=env, cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "error: plugin 'kbd' (nnplug-kbd) failed to load: KeyboardInterrupt" in res.stdout
    res = nnplug_child("train", "--hidden", "8", "--epochs", "1", "--quiet", env=env,
                       cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert res.stdout.startswith("digits: test_accuracy")


@pytest.fixture
def digits():
    from sklearn.datasets import load_digits

    return load_digits(return_X_y=True)


def test_ctrl_c_in_an_estimator_fit_warns_and_keeps_the_best_model(misbehave, digits):
    """As scikit-learn's MLP: the first Ctrl-C ends fit with a warning, not silently."""
    from nnplug.sklearn import NNPlugClassifier

    X, y = digits
    est = NNPlugClassifier(layers="linear:16,relu,sigint:after=100", epochs=10**9,
                           random_state=0, backend="numpy")
    with pytest.warns(UserWarning) as caught:
        est.fit(X, y)
    [warning] = [w for w in caught if "interrupted" in str(w.message)]
    found = re.fullmatch(r"Training interrupted by user at epoch (\d+), step \d+; kept the "
                         r"best model so far \(epoch (\d+)\)", str(warning.message))
    assert found, warning.message
    assert est.n_iter_ == int(found[1]) - 1 >= 1 and est.best_epoch_ == int(found[2]) >= 1
    assert est.score(X, y) > 0.1  # a fitted, usable model


def test_a_second_ctrl_c_stops_an_estimator_fit_at_once(misbehave, digits):
    from nnplug.sklearn import NNPlugClassifier

    X, y = digits
    est = NNPlugClassifier(layers="linear:16,relu,sigint:after=100:times=2", epochs=10**9,
                           backend="numpy")
    with pytest.raises(KeyboardInterrupt):
        est.fit(X, y)
    assert not hasattr(est, "model_")


def test_the_first_ctrl_c_inside_a_search_stops_the_search(misbehave, digits):
    """GridSearchCV would start its next fit at once: the first Ctrl-C stops it all."""
    from sklearn.model_selection import GridSearchCV

    from nnplug.sklearn import NNPlugClassifier

    X, y = digits
    est = NNPlugClassifier(layers="linear:16,relu,sigint:after=100", epochs=10**9,
                           backend="numpy")
    search = GridSearchCV(est, {"lr": [0.01, 0.02]}, cv=2, error_score="raise")
    with pytest.raises(KeyboardInterrupt):
        search.fit(X, y)
