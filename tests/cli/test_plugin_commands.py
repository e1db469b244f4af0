"""Plugins extend the CLI with ``nnplug_register_commands(cli)``: the example's
``leaky-relu-demo``; a plugin cannot replace a built-in or another plugin's command; a
failing hook or command is one line naming the plugin; plugin commands load lazily."""

import json
import types

import click
import pytest
from click.testing import CliRunner

from nnplug import hookimpl
from nnplug.cli import main
from nnplug.registry import Registry


def cli(*args, **env):
    return CliRunner().invoke(main, [str(a) for a in args], env=env or None)


def commands_plugin(*commands, raises=None):
    def register(cli):
        for command in commands:
            cli.add_command(command)
        if raises is not None:
            raise raises

    return types.SimpleNamespace(nnplug_register_commands=hookimpl(register))


@click.command(name="hello")
def hello():
    """Say hello."""
    click.echo("hello from a plugin")


@click.command(name="boom")
def boom():
    """Fail like a buggy plugin."""
    raise RuntimeError("kaboom\nsecond line")


@click.command(name="train")
def fake_train():
    """A plugin's train."""
    click.echo("hijacked")


def test_the_examples_command(example_registry, use_registry):
    use_registry(example_registry)
    res = cli("leaky-relu-demo", "--alpha", "0.2")
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    assert lines[0] == "leaky_relu:alpha=0.2"
    assert lines[2].split() == ["y", "-0.4", "-0.1", "0", "0.5", "2"]
    assert lines[3].split() == ["dy/dx", "0.2", "0.2", "0.2", "1", "1"]
    assert lines[4].startswith("gradient check (float64): max relative error")
    assert lines[4].endswith("PASS")
    bad = cli("leaky-relu-demo", "--alpha", "2")
    assert bad.exit_code == 2 and "Traceback" not in bad.output
    (line,) = bad.output.splitlines()
    assert line.startswith("Error: Invalid value for --alpha: alpha must be in [0, 1)")


def test_plugins_lists_the_commands_plugins_add(example_registry, use_registry):
    use_registry(example_registry)
    out = cli("plugins").output
    after = out.split("\ncommands:\n", 1)[1].splitlines()[0]
    assert after.split()[:4] == ["leaky-relu-demo", "nnplug-leaky-relu", "0.2.0", "Show"]
    data = json.loads(cli("plugins", "--json").output)
    (command,) = data["commands"]
    assert (command["name"], command["plugin"], command["distribution"], command["version"]) == (
        "leaky-relu-demo",
        "leaky_relu",
        "nnplug-leaky-relu",
        "0.2.0",
    )
    # once loaded in this process, --help lists them too
    assert "Plugin commands:\n  leaky-relu-demo" in cli("--help").output


def test_a_builtin_or_taken_command_cannot_be_replaced(use_registry):
    reg = Registry()
    reg.add_plugin(commands_plugin(hello), "first", dist="nnplug-first", version="1")
    reg.add_plugin(commands_plugin(fake_train, hello), "second", dist="nnplug-second", version="2")
    use_registry(reg)
    assert cli("hello").output == "hello from a plugin\n"
    (failure,) = [f for f in reg.failures if f.plugin == "second"]
    assert failure.reason == (
        "command 'hello' is already provided by first (nnplug-first 1); "
        "command 'train' is already provided by nnplug"
    )
    res = cli("train", "--epochs", "1", "--quiet", "--log-file", "")
    assert res.exit_code == 0 and "test_accuracy" in res.output and "hijacked" not in res.output


@pytest.mark.parametrize(
    "raises,reason",
    [
        (SystemExit(4), "nnplug_register_commands raised SystemExit: 4"),
        (ValueError("no"), "nnplug_register_commands raised ValueError: no"),
    ],
)
def test_a_failing_commands_hook_adds_nothing_and_is_reported(use_registry, raises, reason):
    reg = Registry()
    reg.add_plugin(commands_plugin(boom, raises=raises), "bad", dist="nnplug-bad")
    reg.add_plugin(commands_plugin(hello), "good", dist="nnplug-good")
    use_registry(reg)
    assert cli("hello").exit_code == 0
    res = cli("boom")
    assert res.exit_code == 2
    assert res.output == (
        "Error: No such command 'boom'. (1 plugin(s) failed to load: "
        "'nnplug plugins' says why) (see 'main --help')\n"
    )
    assert f"error: plugin 'bad' (nnplug-bad) failed to load: {reason}" in cli("plugins").output


def test_unknown_command_suggests_the_closest(use_registry):
    use_registry(Registry())
    res = cli("trian")
    assert res.exit_code == 2
    assert res.output.startswith("Error: No such command 'trian'. Did you mean 'train'?")


def test_a_crashing_plugin_command_is_one_line_naming_its_plugin(use_registry, monkeypatch):
    reg = Registry()
    reg.add_plugin(commands_plugin(boom), "boomer", dist="nnplug-boomer", version="1.0")
    use_registry(reg)
    res = cli("boom")
    assert res.exit_code == 1 and "Traceback" not in res.output
    assert res.output == (
        "Error: command 'boom' from plugin boomer (nnplug-boomer 1.0) "
        "failed: RuntimeError: kaboom second line (set NNPLUG_DEBUG=1 for "
        "the traceback)\n"
    )
    debug = cli("boom", NNPLUG_DEBUG="1")
    assert debug.exit_code == 1
    assert debug.output.startswith("Traceback (most recent call last):")
    assert 'raise RuntimeError("kaboom\\nsecond line")' in debug.output
    assert debug.output.splitlines()[-1] == (
        "Error: command 'boom' from plugin boomer "
        "(nnplug-boomer 1.0) failed: RuntimeError: "
        "kaboom second line"
    )
