"""Every built-in component's compiled kernels compute what its NumPy code computes
(nnplug.kernel_testing, the same checks a plugin author runs on theirs)."""
import pytest

from nnplug.kernel_testing import (layer_kernel_report, loss_kernel_report,
                                   optimizer_kernel_report)
from nnplug.registry import get_registry

LAYER_OPTIONS = {
    "linear": [{"units": 5}, {"units": 4, "bias": False}],
    "batchnorm": [{}, {"momentum": 0.3, "eps": 1e-3}],
    "dropout": [{"p": 0.0}, {"p": 0.4}],
}


def _builtins(kind):
    return [c for c in get_registry().components(kind) if c.dist == "nnplug"]


def _cases():
    for comp in _builtins("layer"):
        for options in LAYER_OPTIONS.get(comp.name, [None]):
            yield pytest.param(comp.cls, options, id=f"{comp.name}-{options}")


@pytest.mark.usefixtures("pair")
@pytest.mark.parametrize("cls,options", list(_cases()))
def test_layer_kernels(cls, options):
    report = layer_kernel_report(cls, options)
    assert report.checks and report.passed, report.failures


@pytest.mark.usefixtures("pair")
@pytest.mark.parametrize("comp", _builtins("loss"), ids=lambda c: c.name)
def test_loss_kernels(comp):
    report = loss_kernel_report(comp.cls)
    assert report.checks and report.passed, report.failures


@pytest.mark.usefixtures("pair")
@pytest.mark.parametrize("comp", _builtins("optimizer"), ids=lambda c: c.name)
def test_optimizer_kernels(comp):
    report = optimizer_kernel_report(comp.cls)
    assert report.checks and report.passed, report.failures


def test_every_builtin_declares_kernels():
    for kind in ("layer", "loss", "optimizer"):
        for comp in _builtins(kind):
            assert comp.cls.kernels is not None, comp.name


@pytest.mark.usefixtures("pair")
@pytest.mark.parametrize("bug,fragment", [
    ("forgets_beta", "forward: y: max abs error"),
    ("accumulates", "grads gamma: not filled"),
    ("dx_sign", "backward: dx: max abs error"),
    ("out_of_bounds", "out-of-bounds access (bounds-checked build)"),
])
def test_planted_kernel_bugs_fail_the_kit_and_say_where(tmp_path, monkeypatch, bug, fragment):
    """Bugs that trained silently before: a forward that leaves out beta (hidden at gamma=1,
    beta=0), grads accumulated instead of overwritten, a sign error, a write past the end."""
    from planted_kernels import plant

    monkeypatch.syspath_prepend(str(tmp_path))
    report = layer_kernel_report(plant(tmp_path, bug))
    assert not report.passed
    details = " | ".join(c.detail for c in report.failures)
    assert fragment in details, details


@pytest.mark.usefixtures("pair")
def test_the_planted_layer_without_a_bug_passes(tmp_path, monkeypatch):
    from planted_kernels import plant

    monkeypatch.syspath_prepend(str(tmp_path))
    report = layer_kernel_report(plant(tmp_path, "none"))
    assert report.checks and report.passed, report.failures
