"""Issue 11, "tracebacks instead of one line": every case listed there is one ``Error:``
line on stderr, a non-zero exit and no output file."""
from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pytest

from hostile import model_parts, set_flags, write_model
from idxfiles import STEMS, fake_mnist

OUT = ["--save", "{tmp}/out/m.npz", "--metrics-out", "{tmp}/out/m.json"]
FAST = ["--hidden", "8", "--epochs", "1", "--quiet", "--log-file", ""]


def edited(model_dir: Path, tmp: Path, name: str, change, source: str = "model.npz") -> None:
    meta, arrays = model_parts(model_dir / source)
    meta = copy.deepcopy(meta)
    change(meta, arrays)
    write_model(tmp / name, meta, arrays)


def setitem(*path_and_value):
    *path, value = path_and_value

    def change(meta, arrays):
        node = meta
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
    return change


def nan_weight(meta, arrays):
    key = next(k for k in arrays if k.endswith(".W"))
    arrays[key] = arrays[key].copy()
    arrays[key].flat[3] = np.nan


@pytest.fixture(scope="module")
def files(tmp_path_factory, model_dir):
    tmp = tmp_path_factory.mktemp("cases")
    (tmp / "out").mkdir()
    meta, arrays = model_parts(model_dir / "model.npz")
    write_model(tmp / "nested.npz", None, arrays, raw_header=b"[" * 200_000 + b"]" * 200_000)
    edited(model_dir, tmp, "in0.npz", setitem("in_features", 0))
    edited(model_dir, tmp, "classes.npz", setitem("classes", ["0", "1", "2"]))
    edited(model_dir, tmp, "names.npz", setitem("feature_names", 5))
    edited(model_dir, tmp, "seed.npz", setitem("training", "seed", "x"))
    edited(model_dir, tmp, "fraction.npz", setitem("training", "val_fraction", [0.1]))
    edited(model_dir, tmp, "options.npz", setitem("training", "dataset_options", "x"))
    edited(model_dir, tmp, "dataset.npz", setitem("training", "dataset", 5))
    edited(model_dir, tmp, "nan.npz", nan_weight)
    key = next(k for k in arrays if k.endswith(".W"))
    for name, flags in (("encrypted.npz", {"encrypted": True}), ("method.npz", {"method": 99})):
        write_model(tmp / name, meta, arrays)
        set_flags(tmp / name, key, **flags)
    for name, field, value in (("ck_hidden", "hidden", "x"), ("ck_epoch", None, "x")):
        (tmp / name).mkdir()
        change = setitem("config", field, value) if field else setitem("epoch", value)
        edited(model_dir, tmp / name, "last.npz", change, source="ck/last.npz")
    fake_mnist(tmp / "one", n_train=1)
    fake_mnist(tmp / "t10k")
    for stem in STEMS[:2]:
        (tmp / "t10k" / f"{stem}.gz").unlink()
    (tmp / "target.csv").write_text("y\n" + "0\n1\n" * 20)
    np.savez(tmp / "x0.npz", X=np.zeros((200, 0)), y=np.arange(200) % 2)
    np.savetxt(tmp / "rows.csv", np.zeros((2, 64)), delimiter=",",
               header=",".join(f"c{i}" for i in range(64)), comments="")
    np.save(tmp / "x.npy", np.zeros((2, 64)))
    return tmp


def predict(model):
    return ["predict", "--model", f"{{tmp}}/{model}", "--input", "{tmp}/rows.csv",
            "--output", "{tmp}/out/p.csv"]


CASES = [
    ("seed-negative", ["train", "--seed", "-1", *OUT], "--seed must be in 0..4294967295"),
    ("seed-huge", ["train", "--seed", str(10 ** 23), *OUT], "--seed must be in 0..4294967295"),
    ("eval-seed-negative", ["evaluate", "--model", "{model}/model.npz", "--seed", "-1"],
     "--seed must be in"),
    ("val-fraction", ["train", "--val-fraction", "0.999", *OUT], "--val-fraction must be in"),
    ("hidden", ["train", "--hidden", "1000000000", *OUT], "NNPLUG_MAX_BYTES limit"),
    ("nested-header", predict("nested.npz"), "the header is nested too deeply"),
    ("in-features-0", predict("in0.npz"), "in_features must be a positive integer"),
    ("classes-short", predict("classes.npz"), "3 class names for 10 outputs"),
    ("feature-names-5", predict("names.npz"), "feature_names must be a list of 64"),
    ("training-seed", ["evaluate", "--model", "{tmp}/seed.npz"], "training.seed"),
    ("training-fraction", ["evaluate", "--model", "{tmp}/fraction.npz"],
     "training.val_fraction"),
    ("training-options", ["evaluate", "--model", "{tmp}/options.npz"],
     "training.dataset_options"),
    ("training-dataset", ["evaluate", "--model", "{tmp}/dataset.npz"], "training.dataset"),
    ("nan-weights", predict("nan.npz"), "holds non-finite values (NaN or inf) in 'state/"),
    ("encrypted-member", predict("encrypted.npz"), "is encrypted"),
    ("unknown-compression", predict("method.npz"), "uses compression method 99"),
    ("one-image-idx", ["train", "--dataset", "mnist", "--data-dir", "{tmp}/one", *OUT],
     "1 training image(s)"),
    ("t10k-only", ["train", "--dataset", "mnist", "--data-dir", "{tmp}/t10k", *OUT],
     "missing train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz in {tmp}/t10k, which "
     "holds only the test (t10k) files: put the training files there"),
    ("csv-only-target", ["train", "--dataset", "csv", "--data", "{tmp}/target.csv",
                         "--target", "y", *OUT], "no feature columns"),
    ("npz-zero-width", ["train", "--dataset", "npz", "--data", "{tmp}/x0.npz", *OUT],
     "no feature columns (X has shape (200, 0))"),
    ("checkpoint-hidden", ["train", "--resume", "{tmp}/ck_hidden", "--epochs", "9", *OUT],
     "holds an unusable configuration: --hidden must be an integer, got 'x'"),
    ("checkpoint-epoch", ["train", "--resume", "{tmp}/ck_epoch", "--epochs", "9", *OUT],
     "is a damaged checkpoint (epoch must be a count, not 'x')"),
    ("lr-inf", ["train", "--lr", "inf", *OUT], "--lr must be a finite number, got inf"),
    ("weight-decay-inf", ["train", "--weight-decay", "inf", *OUT],
     "--weight-decay must be a finite number"),
    ("lr-decay-inf", ["train", "--lr-decay", "inf", *OUT], "--lr-decay must be a finite"),
]


@pytest.mark.parametrize("args,fragment", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_one_line(cli, files, model_dir, args, fragment):
    fill = {"tmp": files, "model": model_dir}
    res = cli(*[a.format(**fill) for a in args])
    assert res.exit_code not in (0, None), res.output
    assert isinstance(res.exception, SystemExit), res.exception
    assert "Traceback" not in res.output + res.stderr
    lines = res.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), res.stderr
    assert fragment.format(**fill) in lines[0]
    assert list((files / "out").iterdir()) == []
