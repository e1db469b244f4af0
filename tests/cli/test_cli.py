import json

import pytest
from click.testing import CliRunner

from nnplug import __version__
from nnplug.cli import main


@pytest.fixture
def run():
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(main, list(args), catch_exceptions=False)

    return invoke


def test_version_and_help(run):
    assert __version__ in run("--version").output
    out = run("--help").output
    assert "train" in out and "plugins" in out
    for cmd in ("train", "plugins"):
        assert run(cmd, "--help").exit_code == 0


def test_train_writes_metrics(run, tmp_path):
    out = tmp_path / "m.json"
    log = tmp_path / "run.log"
    res = run("train", "--epochs", "3", "--metrics-out", str(out), "--log-file", str(log))
    assert res.exit_code == 0, res.output
    assert "test_accuracy" in res.output and "epoch   3" in res.output
    m = json.loads(out.read_text())
    for key in ("dataset", "task", "backend", "epochs_run", "best_epoch", "train_seconds",
                "samples_per_second", "history", "test_accuracy"):
        assert key in m
    assert m["epochs_run"] == 3 and len(m["history"]) == 3
    assert {"loss", "train_metric", "val_metric"} <= set(m["history"][0])
    assert m["test_accuracy"] > 0.8
    assert "epoch   3" in log.read_text()


def test_quiet_prints_only_summary(run):
    res = run("train", "--epochs", "2", "--quiet")
    assert res.exit_code == 0
    assert res.output.count("\n") == 1 and "test_accuracy" in res.output


def test_plugins_text_and_json(run):
    res = run("plugins")
    assert res.exit_code == 0 and "linear" in res.output and "nnplug" in res.output
    data = json.loads(run("plugins", "--json").output)
    names = {(c["kind"], c["name"]) for c in data["components"]}
    assert ("layer", "batchnorm") in names and ("optimizer", "adam") in names
    linear = next(c for c in data["components"] if c["name"] == "linear")
    assert linear["distribution"] == "nnplug" and linear["version"] == __version__
    assert data["errors"] == []


@pytest.mark.parametrize("args,fragment", [
    (["--layers", "linear,,relu"], "token 2"),
    (["--layers", "linear:x(1)"], "token 1"),
    (["--layers", "linear,rleu"], "Did you mean 'relu'"),
    (["--layers", "linear:-1"], "units must be a positive integer"),
    (["--optimizer", "adamm"], "Did you mean 'adam'"),
    (["--dataset", "nope"], "unknown dataset"),
    (["--loss", "mse"], "loss 'mse' is for regression"),
    (["--backend", "cuda"], "unknown backend"),
    (["--epochs", "0"], "--epochs must be >= 1"),
    (["--batch-size", "0"], "--batch-size must be >= 2"),
    (["--lr", "-1"], "--lr must be > 0"),
    (["--epochs", "abc"], "is not a valid integer"),
    (["--metrics-out", "/nonexistent-dir/m.json", "--epochs", "1"], "cannot write"),
])
def test_bad_input_is_one_line_nonzero(args, fragment):
    res = CliRunner().invoke(main, ["train", *args])
    assert res.exit_code != 0
    assert fragment in res.output
    assert "Traceback" not in res.output
    assert isinstance(res.exception, SystemExit)
    error_lines = [line for line in res.output.splitlines() if line.startswith("Error")]
    assert len(error_lines) == 1


def test_metrics_json_is_strict_even_with_nan(tmp_path):
    """NaN/inf (e.g. a diverged run's loss) are written as null, never as bare NaN."""
    import math

    from nnplug.safeio.outputs import write_json

    path = tmp_path / "m.json"
    write_json(path, {"a": float("nan"), "b": [1.0, float("inf")], "c": {"d": 2.5}})
    text = path.read_text()
    assert "NaN" not in text and "Infinity" not in text
    assert json.loads(text) == {"a": None, "b": [1.0, None], "c": {"d": 2.5}}
    assert not math.isnan(json.loads(text)["c"]["d"])
