"""``nnplug export``: a saved model as an ONNX file (:mod:`nnplug.export.onnx`)."""

from __future__ import annotations

import click


@click.command()
@click.argument("model_path", metavar="MODEL.npz", type=click.Path(dir_okay=False))
@click.argument("output", metavar="OUT.onnx", type=click.Path(dir_okay=False))
def export(model_path: str, output: str) -> None:
    """Export a saved model to ONNX (opset 17), for onnxruntime and other runtimes.

    The graph takes raw features (input X, the model's dtype: its saved input scaling is
    part of the graph) and gives `probabilities` and `label` (classifiers) or `values`
    (regressors, in the targets' units). Needs the onnx package: pip install 'nnplug[onnx]'.
    """
    from nnplug.export.onnx import OPSET, require_onnx
    from nnplug.export.onnx import export as write_onnx
    from nnplug.files.model import load
    from nnplug.safeio.outputs import check_distinct, check_output

    check_distinct([("output", output)], [("model", model_path)])
    check_output(output, "ONNX model")
    require_onnx()
    model = load(model_path)
    summary = write_onnx(model, output, source=model_path)
    click.echo(f"wrote {output} (ONNX opset {OPSET}): {summary}")
