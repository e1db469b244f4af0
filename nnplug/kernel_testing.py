"""Kernel conformance for plugin authors (the documented path; the code lives in
:mod:`nnplug.testing.kernels`): ``assert_layer_kernels_conform(MyLayer, {"alpha": 0.1})``."""

from nnplug.testing.kernels import (
    assert_layer_kernels_conform,
    assert_loss_kernel_conforms,
    assert_optimizer_kernel_conforms,
    layer_kernel_report,
    loss_kernel_report,
    optimizer_kernel_report,
)

__all__ = [
    "assert_layer_kernels_conform",
    "assert_loss_kernel_conforms",
    "assert_optimizer_kernel_conforms",
    "layer_kernel_report",
    "loss_kernel_report",
    "optimizer_kernel_report",
]
