"""Issue 19, "bad numbers": one finite extreme value must not train a model that later
loads as damaged, and a model file holding numbers no training leaves (negative BatchNorm
variances, a scale of 1e308, weights of 3e38) ends in one line -- never NaN probabilities
written, never a raw NumPy ``RuntimeWarning``. The real command, in a child process."""
from __future__ import annotations

import copy

import numpy as np
import pytest

from hostile import model_parts, write_model

FAST = ["--epochs", "2", "--hidden", "8", "--quiet", "--log-file", ""]


def quiet_stderr(done) -> None:
    assert "Traceback" not in done.stderr and "RuntimeWarning" not in done.stderr, done.stderr


def extreme_rows(n: int = 100, at=(5, 17, 33, 60), value: float = 1e308):
    """Two features (``a`` holds ``value`` in a few rows, enough for the training split
    to get one) and a 0/1 target."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(n, 2))
    X[list(at), 0] = value
    return X, np.arange(n) % 2


@pytest.mark.parametrize("fmt", ["csv", "npz"])
def test_an_extreme_feature_is_refused_naming_its_column(run, tmp_path, fmt):
    """A feature with 1e308 in it: training exited 0 after two RuntimeWarnings (std = inf)
    and saved a model that predict and evaluate refused as damaged."""
    X, y = extreme_rows()
    if fmt == "csv":
        path = tmp_path / "d.csv"
        rows = [f"{a!r},{b!r},{t}\n" for (a, b), t in zip(X.tolist(), y)]
        path.write_text("a,b,y\n" + "".join(rows))
        where = ["--target", "y"]
    else:
        path = tmp_path / "d.npz"
        np.savez(path, X=X, y=y)
        where = []
    done = run("train", "--dataset", fmt, "--data", path, *where, *FAST, "--save",
               tmp_path / "m.npz", cwd=tmp_path)
    line = done.one_error()
    column = "column 'a'" if fmt == "csv" else "column 1"
    assert f"{column} cannot be scaled: its values (up to 1e+308 in size)" in line, line
    assert "--scale quantile" in line and not (tmp_path / "m.npz").exists()


def test_extremes_beyond_float32_are_refused_unscaled(run, tmp_path):
    X, y = extreme_rows(value=1e39)
    np.savez(tmp_path / "d.npz", X=X, y=y)
    done = run("train", "--dataset", "npz", "--data", tmp_path / "d.npz", "--scale", "none",
               *FAST, cwd=tmp_path)
    assert "column 1 holds 1e+39, beyond the float32 range" in done.one_error()


def test_a_regression_target_beyond_float32_is_refused(run, tmp_path):
    X, _ = extreme_rows(value=1.0)
    y = np.linspace(0, 1, len(X))
    y[7] = 1e39
    np.savez(tmp_path / "d.npz", X=X, y=y)
    done = run("train", "--dataset", "npz", "--data", tmp_path / "d.npz", "--task",
               "regression", *FAST, cwd=tmp_path)
    assert "target of row 7 is 1e+39 in size, beyond the float32 range" in done.one_error()


@pytest.mark.parametrize("scale", ["quantile", "minmax"])
def test_a_model_that_is_saved_always_loads(run, tmp_path, scale):
    """Where the extreme value can be scaled (quantiles; a range of 1e308 is finite), the
    model trains, is saved, and loads and predicts -- with no warning on the way."""
    X, y = extreme_rows()
    np.savez(tmp_path / "d.npz", X=X, y=y)
    np.save(tmp_path / "x.npy", X[:8])
    done = run("train", "--dataset", "npz", "--data", tmp_path / "d.npz", "--scale", scale,
               *FAST, "--save", tmp_path / "m.npz", cwd=tmp_path)
    assert done.code == 0, done.stderr
    quiet_stderr(done)
    done = run("predict", "--model", tmp_path / "m.npz", "--input", tmp_path / "x.npy",
               cwd=tmp_path)
    assert done.code == 0 and done.stderr == "", done.stderr
    assert len(done.stdout.splitlines()) == 9 and "nan" not in done.stdout


@pytest.fixture(scope="module")
def bn_model(tmp_path_factory):
    """A small digits model with BatchNorm (linear, batchnorm, relu, linear)."""
    from click.testing import CliRunner

    from nnplug.cli import main

    d = tmp_path_factory.mktemp("bn")
    res = CliRunner().invoke(main, ["train", "--layers", "linear,batchnorm,relu", *FAST,
                                    "--save", str(d / "bn.npz")])
    assert res.exit_code == 0, res.output
    np.save(d / "x.npy", np.random.default_rng(0).integers(0, 16, (3, 64)).astype(float))
    return d


def edited(bn_model, tmp_path, change):
    meta, arrays = model_parts(bn_model / "bn.npz")
    meta, arrays = copy.deepcopy(meta), {k: v.copy() for k, v in arrays.items()}
    change(meta, arrays)
    return write_model(tmp_path / "m.npz", meta, arrays)


def negative_variance(meta, arrays):
    key = next(k for k in arrays if k.endswith("running_var"))
    arrays[key] = -np.abs(arrays[key]) - 1


def huge_scale(meta, arrays):
    meta["scale"] = 1e308


def huge_weights(meta, arrays):
    for key in arrays:
        if key.endswith((".W", ".gamma")):
            arrays[key][...] = 3e38


@pytest.mark.parametrize("change,fragment", [
    (negative_variance, "layer 2 (batchnorm) has a negative running variance"),
    (huge_scale, "scale 1e+308 is beyond the model's float32 range"),
], ids=["negative-running-var", "scale-1e308"])
@pytest.mark.parametrize("command", ["predict", "evaluate"])
def test_impossible_numbers_are_refused_at_load(run, bn_model, tmp_path, change, fragment,
                                                command):
    """Exit 0, raw RuntimeWarnings and NaN probabilities written, before."""
    model = edited(bn_model, tmp_path, change)
    args = ["--input", bn_model / "x.npy"] if command == "predict" else []
    done = run(command, "--model", model, *args, cwd=tmp_path)
    line = done.one_error()
    assert f"has a damaged header ({fragment})" in line and done.stdout == ""


def test_huge_weights_give_finite_predictions_or_one_line(run, bn_model, tmp_path):
    """Weights of 3e38: whatever the float64 predictions come to, no warning is printed
    and no non-finite number is written."""
    model = edited(bn_model, tmp_path, huge_weights)
    done = run("predict", "--model", model, "--input", bn_model / "x.npy", cwd=tmp_path)
    quiet_stderr(done)
    if done.code:
        assert "is not a finite number (NaN or inf) for input row" in done.one_error()
    else:
        assert done.stderr == "" and "nan" not in done.stdout and "inf" not in done.stdout


def test_non_finite_predictions_are_one_line(bn_model):
    """The check itself: a model whose float64 outputs overflow names the row."""
    import nnplug
    from nnplug.errors import NNPlugError

    model = nnplug.load(bn_model / "bn.npz")
    X = np.ones((3, 64))
    X[1] = 1e300  # finite input, overflowing the first layer in float32 before the copy
    with np.errstate(all="raise"), pytest.raises(NNPlugError) as info:
        model.predict_proba(X)
    assert "for input row 2" in str(info.value)
