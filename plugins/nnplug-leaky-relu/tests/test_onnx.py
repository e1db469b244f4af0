"""The example's ONNX converter computes what the layer computes (``nnplug export``)."""

import pytest

from nnplug_leaky_relu import GELU, LeakyReLU
from nnplug_leaky_relu.onnx import gelu, leaky_relu


@pytest.mark.parametrize("alpha", [0.0, 0.1, 0.5])
def test_leaky_relu_onnx_converter(alpha):
    pytest.importorskip("onnxruntime")
    from nnplug.testing.onnx import assert_onnx_converter

    assert_onnx_converter(LeakyReLU, leaky_relu, {"alpha": alpha})


def test_gelu_onnx_converter():
    pytest.importorskip("onnxruntime")
    from nnplug.testing.onnx import assert_onnx_converter

    assert_onnx_converter(GELU, gelu, {})
