"""``nnplug export MODEL.npz OUT.onnx``: what it writes and says; bad input is one line."""
import sys

import numpy as np
import pytest


@pytest.fixture(scope="module")
def model(tmp_path_factory):
    from click.testing import CliRunner

    from nnplug.cli import main

    path = tmp_path_factory.mktemp("model") / "digits.npz"
    res = CliRunner().invoke(main, ["train", "--hidden", "32", "--epochs", "2", "--quiet",
                                    "--save", str(path), "--log-file", ""])
    assert res.exit_code == 0, res.output
    return path


def one_error_line(res):
    assert res.exit_code != 0 and "Traceback" not in res.output
    lines = res.output.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), res.output
    return lines[0]


def test_export_writes_a_checked_onnx_file_that_predicts_like_nnplug(model, tmp_path, cli):
    ort = pytest.importorskip("onnxruntime")
    from sklearn.datasets import load_digits

    import nnplug

    out = tmp_path / "digits.onnx"
    res = cli("export", model, out)
    assert res.exit_code == 0, res.output
    assert res.output == (f"wrote {out} (ONNX opset 17): input X float32 [N, 64] (raw "
                          f"features); outputs probabilities float32 [N, 10], label int64 "
                          f"[N]\n")
    X = load_digits().data.astype(np.float32)
    session = ort.InferenceSession(str(out), providers=["CPUExecutionProvider"])
    probabilities, label = session.run(None, {"X": X})
    expected = nnplug.load(model).predict_proba(X)
    assert np.abs(probabilities - expected).max() <= 1e-5
    # float32 (onnxruntime) and float64 (nnplug) agree to 1e-5 (above): a row whose top two
    # probabilities are within 2e-5 may take either label, every other row must agree
    top2 = np.sort(expected, axis=1)[:, -2:]
    decided = top2[:, 1] - top2[:, 0] > 2e-5
    assert decided.mean() > 0.95
    assert np.array_equal(label[decided], expected.argmax(axis=1)[decided])


def test_export_help_names_the_extra(cli):
    res = cli("export", "--help")
    assert res.exit_code == 0 and "pip install 'nnplug[onnx]'" in res.output


@pytest.mark.parametrize("make,expected", [
    (lambda d: d / "missing.npz", "Error: model file {p} not found"),
    (lambda d: (d / "text.npz").write_text("hello") and d / "text.npz",
     "Error: {p} is not an nnplug model file (not an .npz archive)"),
])
def test_a_bad_model_file_is_one_line(tmp_path, cli, make, expected):
    path = make(tmp_path)
    line = one_error_line(cli("export", path, tmp_path / "out.onnx"))
    assert line.startswith(expected.format(p=path)), line
    assert not (tmp_path / "out.onnx").exists()


def test_an_unwritable_output_is_one_line_before_any_work(model, tmp_path, cli):
    line = one_error_line(cli("export", model, tmp_path / "no" / "m.onnx"))
    assert line == f"Error: cannot write ONNX model {tmp_path / 'no' / 'm.onnx'}: directory " \
                   f"{tmp_path / 'no'} does not exist"
    line = one_error_line(cli("export", model, tmp_path))
    assert "cannot write" in line or "directory" in line
    line = one_error_line(cli("export", model, model))
    assert line == f"Error: output {model} is the model file; writing it would destroy the " \
                   f"input: choose another path"
    assert model.read_bytes()[:4] == b"PK\x03\x04"


def test_without_onnx_installed_it_says_how_to_get_it(model, tmp_path, cli, monkeypatch):
    monkeypatch.setitem(sys.modules, "onnx", None)  # `import onnx` fails as if missing
    line = one_error_line(cli("export", model, tmp_path / "m.onnx"))
    assert line == ("Error: nnplug export needs the onnx package: pip install 'nnplug[onnx]' "
                    "(or: pip install onnx)")
    assert not (tmp_path / "m.onnx").exists()


def test_a_failed_export_keeps_the_old_file(tmp_path, cli, monkeypatch, model):
    pytest.importorskip("onnx")
    from nnplug.export import onnx as onnx_export

    out = tmp_path / "m.onnx"
    out.write_bytes(b"old")

    def broken(*args, **kwargs):
        raise onnx_export.NNPlugError("boom")

    monkeypatch.setattr(onnx_export, "build", broken)
    assert one_error_line(cli("export", model, out)) == "Error: boom"
    assert out.read_bytes() == b"old" and list(tmp_path.iterdir()) == [out]
