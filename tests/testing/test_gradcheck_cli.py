"""``nnplug gradcheck``: every layer and loss, PASS/FAIL table, exit code."""
import types

import pytest

import numpy as np
from click.testing import CliRunner

from nnplug import hookimpl
from nnplug.base import Layer
from nnplug.cli import main
from nnplug.registry import Registry


def gradcheck(*args):
    return CliRunner().invoke(main, ["gradcheck", *args])


def rows(output, checked="per op"):
    """component -> (plugin column, error column, result) from the table's rows that
    checked ``checked`` ("per op", or "numba kernels")."""
    out = {}
    for line in output.splitlines()[1:]:
        parts = line.split()
        if parts and parts[0] in ("layer", "loss"):
            result = next(p for p in parts if p in ("PASS", "FAIL"))
            i = parts.index(result)
            if " ".join(parts[i - 3:i - 1]) == checked:
                out[parts[1]] = (parts[2], parts[i - 1], result)
    return out


class BrokenTanh(Layer):
    """tanh with a backward that forgets the square: dy * (1 - y)."""

    name = "broken_tanh"

    def forward(self, x):
        self._y = np.tanh(x)
        return self._y

    def backward(self, dy):
        return dy * (1 - self._y)


class NeedsWidth(Layer):
    """A layer with a required option and no example_options."""

    name = "needs_width"

    def __init__(self, width: int):
        super().__init__()
        self.width = width

    def forward(self, x):
        return 2 * x

    def backward(self, dy):
        return 2 * dy


class WithExample(NeedsWidth):
    """The same layer, telling gradcheck how to build it."""

    name = "with_example"
    example_options = {"width": 3}


class Exploding(Layer):
    """A layer whose forward raises."""

    name = "exploding"

    def forward(self, x):
        raise RuntimeError("no forward today")


def _registry_with(*classes):
    reg = Registry()
    plugin = types.SimpleNamespace(nnplug_register_layers=hookimpl(
        lambda register: [register(c) for c in classes]))
    reg.add_plugin(plugin, "broken", dist="nnplug-broken", version="0.0.1")
    return reg


def test_every_builtin_layer_and_loss_passes(registry, backend):
    res = gradcheck("--backend", backend.name)
    assert res.exit_code == 0, res.output
    table = rows(res.output)
    expected = set(registry.names("layer")) | set(registry.names("loss"))
    assert set(table) == expected
    for name, (plugin, error, result) in table.items():
        assert result == "PASS" and float(error) < 1e-6, name
        assert plugin == registry.get("layer" if name in registry.names("layer") else "loss",
                                      name).plugin
    kernel_rows = rows(res.output, "numba kernels")
    with_kernels = {n for n in expected
                    if registry.get("layer" if n in registry.names("layer") else "loss",
                                    n).cls.kernels is not None}
    if not registry.get("backend", "numba").cls.availability()[0]:
        assert not kernel_rows and "no compiled kernels checked" in res.output
        return
    assert set(kernel_rows) == with_kernels  # the kernels themselves, on the compiling backend
    assert all(r[2] == "PASS" for r in kernel_rows.values())
    total = len(expected) + len(kernel_rows)
    assert f"{total}/{total} passed" in res.output
    assert f"per op on backend {backend.name}" in res.output
    assert f"compiled kernels of {len(kernel_rows)} component(s) on backend numba" in res.output


def test_a_broken_layer_fails_and_the_exit_code_says_so(use_registry):
    use_registry(_registry_with(BrokenTanh, Exploding, NeedsWidth, WithExample))
    res = gradcheck()
    assert res.exit_code == 1
    table = rows(res.output)
    assert table["broken_tanh"][0] == "broken" and table["broken_tanh"][2] == "FAIL"
    assert float(table["broken_tanh"][1]) > 1e-3
    assert table["exploding"][2] == "FAIL" and table["exploding"][1] == "-"
    assert "RuntimeError: no forward today" in res.output
    assert table["linear"][2] == "PASS" and table["softmax_ce"][2] == "PASS"
    assert table["needs_width"][2] == "FAIL" and table["with_example"][2] == "PASS"
    assert "cannot build an example (set the class attribute example_options)" in res.output
    assert "FAILED: broken_tanh (per op), exploding (per op), needs_width (per op)" in res.output
    assert "Traceback" not in res.output


def test_layers_option_selects_and_takes_spec_options(use_registry):
    use_registry(_registry_with(BrokenTanh))
    res = gradcheck("--layers", "linear:7,dropout:p=0.3,core/relu")
    assert res.exit_code == 0, res.output
    assert set(rows(res.output)) == {"linear:7", "dropout:p=0.3", "core/relu"}
    res = gradcheck("--layers", "tanh,broken_tanh")
    assert res.exit_code == 1 and set(rows(res.output)) == {"tanh", "broken_tanh"}
    res = gradcheck("--losses", "mse")
    assert res.exit_code == 0 and set(rows(res.output)) == {"mse"}


def test_bad_names_are_one_line_errors():
    for args, fragment in [(["--layers", "tanhh"], "Did you mean 'tanh'"),
                           (["--layers", "relu:3"], "takes no positional value"),
                           (["--losses", "nope"], "unknown loss 'nope'"),
                           (["--layers", "linear,,relu"], "token 2")]:
        res = gradcheck(*args)
        assert res.exit_code == 2, (args, res.output)
        assert fragment in res.output and res.output.count("Error") == 1


def test_clashing_names_are_checked_and_shown_qualified(use_registry):
    class Relu2(BrokenTanh):
        name = "relu"

    use_registry(_registry_with(Relu2))
    res = gradcheck()
    table = rows(res.output)
    assert table["core/relu"][2] == "PASS" and table["broken/relu"][2] == "FAIL"


@pytest.mark.usefixtures("pair")
def test_a_sign_error_in_a_plugins_backward_kernel_fails_naming_the_layer(
        tmp_path, monkeypatch, use_registry):
    """The NumPy code is right, the kernel is not: the per-op row passes, the kernels' row
    fails, and the exit code says so (this bug once trained silently to 0.897)."""
    from planted_kernels import plant

    monkeypatch.syspath_prepend(str(tmp_path))
    use_registry(_registry_with(plant(tmp_path, "dx_sign")))
    res = gradcheck("--backend", "numba", "--layers", "scale_shift")
    assert res.exit_code == 1, res.output
    assert rows(res.output)["scale_shift"][2] == "PASS"
    kernels = rows(res.output, "numba kernels")["scale_shift"]
    assert kernels[0] == "broken" and kernels[2] == "FAIL" and float(kernels[1]) > 1e-3
    assert "FAILED: scale_shift (numba kernels)" in res.output
