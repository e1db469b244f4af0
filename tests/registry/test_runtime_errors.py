"""A plugin component failing while it runs is one line naming component, plugin,
distribution and version (``nnplug.registry.blame.plugin_guard`` / ``plugin_error`` /
``check_shape``, for Sequential and the Solver to call); the full traceback only under
``NNPLUG_DEBUG=1``; any other unexpected exception is one line with that hint."""

import types

import click
import numpy as np
import pytest
from click.testing import CliRunner

from nnplug import hookimpl
from nnplug.base import Layer
from nnplug.cli import main
from nnplug.errors import DataError, PluginRuntimeError
from nnplug.registry.blame import check_shape, plugin_error, plugin_guard
from nnplug.nn.sequential import Sequential
from nnplug.registry import Registry


class Exploding(Layer):
    """Raises in forward after a few calls."""

    name = "exploding"

    def forward(self, x):
        raise ValueError("boom\nat step 3")

    def backward(self, dy):
        return dy


class Shrinking(Layer):
    """Returns one column too few."""

    name = "shrinking"

    def forward(self, x):
        return x[:, :-1]

    def backward(self, dy):
        return dy


@pytest.fixture
def reg():
    reg = Registry()
    plugin = types.SimpleNamespace(
        nnplug_register_layers=hookimpl(lambda register: [register(Exploding), register(Shrinking)])
    )
    assert reg.add_plugin(plugin, "fragile", dist="nnplug-fragile", version="0.9")
    return reg


def guarded_forward(model, x, registry):
    """What Sequential's forward does with the guard (the integrator wires it in)."""
    for layer in model.layers:
        with plugin_guard(layer, "forward", registry):
            y = layer.forward(x)
        check_shape(layer, "forward", y, (len(x), layer.out_features), registry)
        x = y
    return x


def test_a_raising_layer_is_named_with_its_plugin(reg):
    model = Sequential.from_spec("linear:4,exploding", 3, registry=reg)
    with pytest.raises(PluginRuntimeError) as err:
        guarded_forward(model, np.ones((2, 3), np.float32), reg)
    assert str(err.value) == (
        "layer 'exploding' from plugin 'fragile' (nnplug-fragile 0.9) "
        "failed in forward: ValueError: boom at step 3"
    )
    assert isinstance(err.value.__cause__, ValueError)  # the traceback NNPLUG_DEBUG shows
    assert err.value.component.qualified_name == "fragile/exploding"


def test_a_wrong_shape_is_named_with_its_plugin(reg):
    model = Sequential.from_spec("linear:4,shrinking", 3, registry=reg)
    with pytest.raises(PluginRuntimeError) as err:
        guarded_forward(model, np.ones((2, 3), np.float32), reg)
    assert str(err.value) == (
        "layer 'shrinking' from plugin 'fragile' (nnplug-fragile 0.9) "
        "returned shape (2, 3) from forward, expected shape (2, 4)"
    )
    with pytest.raises(PluginRuntimeError, match=r"returned a list from backward"):
        check_shape(Shrinking(), "backward", [1, 2], (2,), reg)


def test_built_ins_and_unregistered_objects_are_named_too(reg):
    linear = reg.get("layer", "linear").cls(4)
    err = plugin_error(linear, RuntimeError("x"), "backward", reg)
    assert str(err).startswith("layer 'linear' from plugin 'core' (nnplug ")
    err = plugin_error(object(), RuntimeError("x"), "step", reg)
    assert str(err) == ("component (builtins.object, not a registered component) failed in "
                        "step: RuntimeError: x")


@pytest.mark.parametrize("exc", [DataError("bad file"), KeyboardInterrupt(), GeneratorExit()])
def test_the_guard_lets_user_errors_and_interrupts_through(reg, exc):
    with pytest.raises(type(exc)), plugin_guard(Exploding(), "forward", reg):
        raise exc


def test_the_guard_turns_system_exit_into_a_named_error(reg):
    with (
        pytest.raises(PluginRuntimeError, match=r"failed in step: SystemExit: 3$"),
        plugin_guard(Exploding(), "step", reg),
    ):
        raise SystemExit(3)


def test_plugin_error_defaults_to_the_process_registry(example_registry, use_registry, example):
    use_registry(example_registry)
    err = plugin_error(example.RMSprop(), ZeroDivisionError("division by zero"), "step")
    assert str(err) == (
        "optimizer 'rmsprop' from plugin 'leaky_relu' (nnplug-leaky-relu 0.2.0) "
        "failed in step: ZeroDivisionError: division by zero"
    )


# -- the CLI: one line, the traceback only under NNPLUG_DEBUG=1 ------------------------------
@click.command(name="fit-fragile")
def fit_fragile():
    """Run the fragile layer under the guard."""
    from nnplug.registry import get_registry

    reg = get_registry()
    model = Sequential.from_spec("linear:4,exploding", 3, registry=reg)
    guarded_forward(model, np.ones((2, 3), np.float32), reg)


@click.command(name="crash")
def crash():
    """A bug that is nobody's fault in particular."""
    raise KeyError("missing")


@pytest.fixture
def cli(reg, use_registry):
    commands = types.SimpleNamespace(
        nnplug_register_commands=hookimpl(
            lambda cli: [cli.add_command(fit_fragile), cli.add_command(crash)]
        )
    )
    reg.add_plugin(commands, "cmds", dist="nnplug-cmds", version="1")
    use_registry(reg)

    def invoke(*args, **env):
        return CliRunner().invoke(main, list(args), env=env or None)

    return invoke


def test_cli_plugin_runtime_error_is_one_line(cli):
    res = cli("fit-fragile")
    assert res.exit_code == 1
    assert res.output == (
        "Error: layer 'exploding' from plugin 'fragile' (nnplug-fragile 0.9) "
        "failed in forward: ValueError: boom at step 3 (set NNPLUG_DEBUG=1 "
        "for the traceback)\n"
    )


def test_cli_debug_prints_the_traceback_of_the_plugin(cli):
    res = cli("fit-fragile", NNPLUG_DEBUG="1")
    assert res.exit_code == 1
    out = res.output
    assert out.startswith("Traceback (most recent call last):")
    assert 'raise ValueError("boom\\nat step 3")' in out  # the plugin's own line
    assert "The above exception was the direct cause of the following exception" in out
    assert out.splitlines()[-1].startswith("Error: layer 'exploding' from plugin 'fragile'")
    assert "NNPLUG_DEBUG" not in out.splitlines()[-1]


def test_cli_unexpected_exception_is_one_line_with_the_hint(cli):
    res = cli("crash")
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert res.output == (
        "Error: command 'crash' from plugin cmds (nnplug-cmds 1) failed: "
        "KeyError: 'missing' (set NNPLUG_DEBUG=1 for the traceback)\n"
    )
    assert cli("crash", NNPLUG_DEBUG="0").output == res.output
    assert "Traceback" in cli("crash", NNPLUG_DEBUG="yes").output


def test_cli_unexpected_exception_in_a_builtin_command(monkeypatch, use_registry):
    use_registry(Registry())

    def broken_train(*args, **kwargs):
        raise AttributeError("'NoneType' object has no attribute 'shape'")

    monkeypatch.setattr("nnplug.cli.trainrun.run_training", broken_train)
    res = CliRunner().invoke(main, ["train", "--epochs", "1"])
    assert res.exit_code == 1
    assert res.output == (
        "Error: unexpected error (a bug in nnplug or a plugin): "
        "AttributeError: 'NoneType' object has no attribute 'shape' "
        "(set NNPLUG_DEBUG=1 for the traceback)\n"
    )


def test_cli_debug_also_shows_where_a_user_error_came_from(use_registry):
    use_registry(Registry())
    plain = CliRunner().invoke(main, ["train", "--optimizer", "adamm"])
    assert plain.output.startswith("Error: unknown optimizer 'adamm'")
    assert "NNPLUG_DEBUG" not in plain.output  # user errors need no traceback hint
    debug = CliRunner().invoke(main, ["train", "--optimizer", "adamm"], env={"NNPLUG_DEBUG": "1"})
    assert debug.output.startswith("Traceback (most recent call last):")
    assert "nnplug.errors.UnknownComponentError" in debug.output
    assert debug.output.splitlines()[-1] == plain.output.strip()
