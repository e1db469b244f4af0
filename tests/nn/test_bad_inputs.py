"""Bad input across train / evaluate / predict / datasets / plugins: exit != 0, exactly one
line on stderr (``Error: ...``), no traceback, and no output file left behind."""
from __future__ import annotations

import json

import numpy as np
import pytest

MODEL = "{trained}/model.npz"
OUT = ["--save", "{tmp}/out/m.npz", "--metrics-out", "{tmp}/out/m.json",
       "--plot", "{tmp}/out/p.png", "--checkpoint-dir", "{tmp}/out/ck"]
PRED_OUT = ["--output", "{tmp}/out/pred.csv"]

CASES = [
    # -- train: numbers ------------------------------------------------------------------
    ("negative-epochs", ["train", "--epochs", "-3", *OUT], "--epochs must be >= 1"),
    ("zero-batch", ["train", "--batch-size", "0", *OUT], "--batch-size must be >= 2"),
    ("lr-not-a-number", ["train", "--lr", "fast", *OUT], "'fast' is not a valid float"),
    ("lr-nan", ["train", "--lr", "nan", *OUT], "--lr must be a finite number"),
    ("momentum-range", ["train", "--momentum", "1.5", *OUT], "--momentum must be in [0, 1)"),
    ("val-fraction", ["train", "--val-fraction", "1", *OUT], "--val-fraction must be in"),
    ("dtype", ["train", "--dtype", "float16", *OUT], "'float16' is not one of"),
    # -- train: names and specs ------------------------------------------------------------
    ("unknown-layer", ["train", "--layers", "linear,rleu", *OUT], "Did you mean 'relu'"),
    ("bad-spec", ["train", "--layers", "linear:x(1)", *OUT], "token 1"),
    ("unknown-optimizer", ["train", "--optimizer", "adamm", *OUT], "unknown optimizer"),
    ("unknown-dataset", ["train", "--dataset", "nope", *OUT], "unknown dataset 'nope'"),
    ("wrong-loss", ["train", "--loss", "mse", *OUT], "is for regression"),
    ("unknown-backend", ["train", "--backend", "cuda", *OUT], "unknown backend"),
    # -- train: paths -------------------------------------------------------------------------
    ("save-dir-missing", ["train", "--save", "{tmp}/no/such/dir/m.npz"], "does not exist"),
    ("metrics-parent-is-file", ["train", "--metrics-out", "{tmp}/afile/m.json"],
     "is not a directory"),
    ("plot-suffix", ["train", "--plot", "{tmp}/out/p.txt", "--save", "{tmp}/out/m.npz"],
     "use a .png"),
    ("log-file-dir-missing", ["train", "--log-file", "{tmp}/no/dir/x.log", *OUT],
     "cannot open log file"),
    ("checkpoint-dir-is-file", ["train", "--checkpoint-dir", "{tmp}/afile", "--save",
                                "{tmp}/out/m.npz"], "is a file"),
    ("checkpoint-dir-under-file", ["train", "--checkpoint-dir", "{tmp}/afile/ck", "--save",
                                   "{tmp}/out/m.npz"], "afile is not a directory"),
    ("resume-missing", ["train", "--resume", "{tmp}/nothing", *OUT],
     "checkpoint directory {tmp}/nothing not found"),
    ("resume-empty-dir", ["train", "--resume", "{tmp}/emptydir", *OUT], "holds no last.npz"),
    ("resume-corrupt", ["train", "--resume", "{tmp}/corruptck", *OUT],
     "not an nnplug checkpoint file"),
    ("resume-conflict", ["train", "--resume", "{trained}/ck", "--hidden", "64", *OUT],
     "--hidden 64 differs from the checkpoint's 32"),
    ("csv-without-data", ["train", "--dataset", "csv", *OUT], "needs --data"),
    # -- evaluate ---------------------------------------------------------------------------
    ("eval-missing-model", ["evaluate", "--model", "{tmp}/nope.npz"], "not found"),
    ("eval-garbage-model", ["evaluate", "--model", "{tmp}/garbage.npz"],
     "not an .npz archive"),
    ("eval-npy-as-model", ["evaluate", "--model", "{tmp}/x.npy"], "not an .npz archive"),
    ("eval-plain-npz", ["evaluate", "--model", "{tmp}/plain.npz"], "no nnplug header"),
    ("eval-truncated", ["evaluate", "--model", "{tmp}/truncated.npz"],
     "not a readable nnplug model file"),
    ("eval-checkpoint-as-model", ["evaluate", "--model", "{trained}/ck/last.npz"],
     "it is a nnplug-checkpoint file"),
    ("eval-missing-plugin", ["evaluate", "--model", "{tmp}/needs_plugin.npz"],
     "needs layer 'swish': plugin 'swishes' (distribution nnplug-swish 1.2) is not "
     "installed"),
    ("eval-unknown-dataset", ["evaluate", "--model", MODEL, "--dataset", "nope"],
     "unknown dataset"),
    ("eval-val-fraction", ["evaluate", "--model", MODEL, "--val-fraction", "-1"],
     "--val-fraction must be in"),
    ("eval-split", ["evaluate", "--model", MODEL, "--split", "holdout"], "is not one of"),
    # -- predict ----------------------------------------------------------------------------
    ("predict-width", ["predict", "--model", MODEL, "--input", "{tmp}/narrow.csv", *PRED_OUT],
     "the model expects 64 features per row, the input has 10"),
    ("predict-missing-input", ["predict", "--model", MODEL, "--input", "{tmp}/none.csv",
                               *PRED_OUT], "input file {tmp}/none.csv not found"),
    ("predict-not-a-number", ["predict", "--model", MODEL, "--input", "{tmp}/text.csv",
                              *PRED_OUT], "text.csv: line 3, column 2: non-numeric value 'abc'"),
    ("predict-ragged", ["predict", "--model", MODEL, "--input", "{tmp}/ragged.csv", *PRED_OUT],
     "ragged.csv: line 2 has 63 fields, line 1 has 64"),
    ("predict-empty", ["predict", "--model", MODEL, "--input", "{tmp}/empty.csv", *PRED_OUT],
     "empty.csv: no usable data rows"),
    ("predict-nan", ["predict", "--model", MODEL, "--input", "{tmp}/nan.npy", *PRED_OUT],
     "nan.npy: row 1 of X has a missing (NaN) or infinite value"),
    ("predict-pickled-npy", ["predict", "--model", MODEL, "--input", "{tmp}/objects.npy",
                             *PRED_OUT], "not a readable NumPy file"),
    ("predict-npz-without-X", ["predict", "--model", MODEL, "--input", "{tmp}/plain.npz",
                               *PRED_OUT], "plain.npz: expected array X (or X_test); found W"),
    ("predict-unwritable-output", ["predict", "--model", MODEL, "--input", "{tmp}/x.npy",
                                   "--output", "{tmp}/no/dir/pred.csv"], "cannot write"),
    ("predict-bad-model", ["predict", "--model", "{tmp}/garbage.npz", "--input",
                           "{tmp}/x.npy", *PRED_OUT], "not an .npz archive"),
    # -- datasets and plugins -------------------------------------------------------------------
    ("datasets-fetch-unknown", ["datasets", "fetch", "nope"], "unknown dataset 'nope'"),
    ("datasets-bad-option", ["datasets", "--bogus"], "No such option '--bogus'"),
    ("plugins-bad-option", ["plugins", "--bogus"], "No such option '--bogus'"),
    ("unknown-command", ["trian"], "No such command 'trian'"),
]


@pytest.fixture(scope="module")
def files(tmp_path_factory, trained):
    """The bad files the table refers to."""
    from sklearn.datasets import load_digits

    tmp = tmp_path_factory.mktemp("bad")
    X = load_digits().data[:5]
    (tmp / "out").mkdir()
    (tmp / "emptydir").mkdir()
    (tmp / "corruptck").mkdir()
    (tmp / "corruptck" / "last.npz").write_bytes(b"not a zip")
    (tmp / "afile").write_text("a file, not a directory\n")
    (tmp / "garbage.npz").write_bytes(b"\x00garbage" * 10)
    (tmp / "truncated.npz").write_bytes((trained / "model.npz").read_bytes()[:2000])
    np.save(tmp / "x.npy", X)
    np.savez(tmp / "plain.npz", W=np.zeros(3))
    np.savetxt(tmp / "narrow.csv", X[:, :10], delimiter=",")
    rows = [",".join(str(v) for v in r) for r in X]
    bad = rows[2].split(",")
    bad[1] = "abc"
    (tmp / "text.csv").write_text("\n".join([rows[0], rows[1], ",".join(bad)]) + "\n")
    (tmp / "ragged.csv").write_text(rows[0] + "\n" + rows[1].rsplit(",", 1)[0] + "\n")
    (tmp / "empty.csv").write_text("")
    nan = X.copy()
    nan[1, 2] = np.nan
    np.save(tmp / "nan.npy", nan)
    np.save(tmp / "objects.npy", np.array([{"a": 1}], dtype=object), allow_pickle=True)
    # a model needing a plugin that is not installed: rename a layer in a real model file
    from nnplug.files.container import META_KEY

    with np.load(trained / "model.npz") as z:
        arrays = {k: z[k] for k in z.files}
    meta = json.loads(arrays[META_KEY].tobytes())
    meta["layers"][2].update(name="swish", plugin="swishes", dist="nnplug-swish",
                             version="1.2", options={})
    arrays[META_KEY] = np.frombuffer(json.dumps(meta).encode(), np.uint8)
    np.savez(tmp / "needs_plugin.npz", **arrays)
    return tmp


def snapshot(tmp):
    return sorted(str(p.relative_to(tmp)) for p in tmp.rglob("*"))


@pytest.mark.parametrize("args,fragment", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input(cli, files, trained, args, fragment):
    fill = {"tmp": files, "trained": trained}
    before = snapshot(files)
    res = cli(*[a.format(**fill) for a in args])
    assert res.exit_code not in (0, None), res.output
    assert "Traceback" not in res.output + res.stderr
    assert isinstance(res.exception, SystemExit)
    lines = res.stderr.splitlines()
    assert len(lines) == 1, res.stderr
    assert lines[0].startswith("Error: ")
    assert fragment.format(**fill) in lines[0]
    assert snapshot(files) == before  # nothing written, no partial or temporary file
    assert list((files / "out").iterdir()) == []
