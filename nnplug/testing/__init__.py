"""Conformance kits for plugin authors, e.g. ``assert_layer_conforms(MyLayer, {"a": 1})``
in a pytest test (``conformance``), kernels against their component's NumPy code
(``kernels``, also ``nnplug.kernel_testing``), ONNX converters (``onnx``), float64 gradient
checks (``gradcheck``). Every check runs even when an earlier one fails; ``assert_*`` raise
one ``AssertionError`` listing each failed check with a one-line reason.
"""

from nnplug.base import example_options
from nnplug.testing.conformance import (
    assert_loss_conforms,
    assert_optimizer_conforms,
    loss_report,
    optimizer_report,
)
from nnplug.testing.layers import assert_layer_conforms, layer_report
from nnplug.testing.report import Check, Report, expect

__all__ = [
    "Check",
    "Report",
    "assert_layer_conforms",
    "assert_loss_conforms",
    "assert_optimizer_conforms",
    "example_options",
    "expect",
    "layer_report",
    "loss_report",
    "optimizer_report",
]
