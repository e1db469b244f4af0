"""Plugins that misbehave while loading: ``sys.exit()`` or any other ``BaseException`` at
import or in a hook is one named failure and the rest still load; hooks are called through
pluggy one plugin at a time; whatever a plugin supplies is printed as one clean line."""

import types

import pytest
from click.testing import CliRunner

from nnplug import hookimpl
from nnplug.base import Layer
from nnplug.cli import main
from nnplug.errors import UnknownComponentError
from nnplug.safeio.text import one_line
from nnplug.registry import Registry

EXITS_AT_IMPORT = [
    ("import sys\nsys.exit('plugin says bye')\n", "SystemExit: plugin says bye"),
    ("import sys\nsys.exit()\n", "SystemExit"),
    ("raise SystemExit(3)\n", "SystemExit: 3"),
    ("class Stop(BaseException):\n    pass\nraise Stop('odd')\n", "Stop: odd"),
]


@pytest.mark.parametrize(
    "source,reason", EXITS_AT_IMPORT, ids=["exit-msg", "exit", "exit-3", "base-exception"]
)
def test_exit_at_import_is_one_named_failure_and_the_rest_load(site, source, reason):
    site("nnplug-quitter", "0.3", "quitter", "nnplug_t3_quitter", source=source)
    site("nnplug-good", "2.0", "good", "nnplug_t3_good", layer="good_layer")
    reg = Registry()
    (failure,) = reg.failures
    assert (failure.plugin, failure.dist, failure.reason) == ("quitter", "nnplug-quitter", reason)
    assert reg.get("layer", "good_layer").dist == "nnplug-good"
    assert reg.get("layer", "linear").dist == "nnplug"


def test_every_command_still_works_with_a_plugin_that_exits(site, use_registry):
    site(
        "nnplug-quitter",
        "0.3",
        "quitter",
        "nnplug_t3_quitter",
        source="import sys\nsys.exit('plugin says bye')\n",
    )
    use_registry(None)  # the command scans the entry points itself
    res = CliRunner().invoke(main, ["train", "--epochs", "1", "--quiet", "--log-file", ""])
    assert res.exit_code == 0, res.output
    assert "test_accuracy" in res.output and "bye" not in res.output
    out = CliRunner().invoke(main, ["plugins"]).output
    assert (
        "error: plugin 'quitter' (nnplug-quitter) failed to load: SystemExit: plugin says bye"
    ) in out


HOOK_SOURCE = '''
import sys
from nnplug import hookimpl
from nnplug.base import Layer
from nnplug.base import Layer, Loss


class Half(Layer):
    """Registered before the failing hook: must not survive it."""

    name = "half_layer"


@hookimpl
def nnplug_register_layers(register):
    register(Half)


@hookimpl
def nnplug_register_losses(register):
    {body}
'''


@pytest.mark.parametrize(
    "body,reason",
    [
        ("sys.exit(2)", "SystemExit: 2"),
        ("raise RuntimeError('broken\\nacross lines')", "RuntimeError: broken across lines"),
        ("register(object)", "needs a class attribute 'name'"),
    ],
)
def test_a_failing_hook_fails_its_plugin_whole(site, body, reason):
    site("nnplug-half", "1.0", "half", "nnplug_t3_half", source=HOOK_SOURCE.format(body=body))
    site("nnplug-good", "2.0", "good", "nnplug_t3_good", layer="good_layer")
    reg = Registry()
    (failure,) = reg.failures
    assert failure.plugin == "half" and reason in failure.reason
    with pytest.raises(UnknownComponentError):  # all or nothing: its layer is not kept
        reg.get("layer", "half_layer")
    assert "half" not in {p.name for p in reg.plugins()}
    assert reg.pm.get_plugin("half") is None
    assert reg.get("layer", "good_layer")


def test_a_keyboard_interrupt_the_plugin_raises_is_its_failure(site):
    """Issue 19: not Ctrl-C, the plugin's own raise: named, and the rest load."""
    site("nnplug-ctrlc", "1.0", "ctrlc", "nnplug_t3_ctrlc", source="raise KeyboardInterrupt\n")
    site("nnplug-good", "2.0", "good", "nnplug_t3_good", layer="good_layer")
    reg = Registry()
    (failure,) = reg.failures
    assert (failure.plugin, failure.reason) == ("ctrlc", "KeyboardInterrupt")
    assert reg.get("layer", "good_layer").dist == "nnplug-good"


def test_a_real_ctrl_c_while_a_plugin_imports_is_not_swallowed(site):
    site("nnplug-ctrlc", "1.0", "ctrlc", "nnplug_t3_ctrlc",
         source="import signal\nsignal.raise_signal(signal.SIGINT)\n")
    with pytest.raises(KeyboardInterrupt):
        Registry()


def test_hooks_are_called_through_pluggy_one_plugin_at_a_time():
    calls = []
    reg = Registry(entry_points=False)
    reg.pm.add_hookcall_monitoring(
        lambda name, impls, kwargs: calls.append((name, [i.plugin_name for i in impls])),
        lambda outcome, name, impls, kwargs: None,
    )
    for plugin_name in ("one", "two"):
        plugin = types.SimpleNamespace(
            nnplug_register_layers=hookimpl(lambda register: None),
            nnplug_register_losses=hookimpl(lambda register: None),
        )
        assert reg.add_plugin(plugin, plugin_name, dist=f"nnplug-{plugin_name}")
    assert calls == [
        ("nnplug_register_layers", ["one"]),
        ("nnplug_register_losses", ["one"]),
        ("nnplug_register_layers", ["two"]),
        ("nnplug_register_losses", ["two"]),
    ]


def test_provider_of_names_the_plugin_of_an_instance_or_class(example_registry, example):
    comp = example_registry.provider_of(example.LeakyReLU(alpha=0.2))
    assert (comp.kind, comp.name, comp.plugin, comp.dist, comp.version) == (
        "layer",
        "leaky_relu",
        "leaky_relu",
        "nnplug-leaky-relu",
        "0.2.0",
    )
    assert example_registry.provider_of(example.Huber).qualified_name == "leaky_relu/huber"
    assert example_registry.provider_of(object()) is None

    class Unregistered(example.LeakyReLU):
        pass

    assert example_registry.provider_of(Unregistered()) is None  # exact classes only


# -- what a plugin supplies is printed as one short clean line ---------------------------
@pytest.mark.parametrize(
    "raw,clean",
    [
        ("plain", "plain"),
        ("two\nlines\r\n\tand tab", "two lines and tab"),
        ("\x1b[31mred\x1b[0m text", "red text"),
        ("\x1b]0;title\x07after", "after"),
        ("bell\x07", "bell\\x07"),
        ("rtl\u202eevil", "rtl\\u202eevil"),
        ("   spaced    out  ", "spaced out"),
        ("caf\u00e9 \u00d7 2", "caf\u00e9 \u00d7 2"),
    ],
)
def test_one_line(raw, clean):
    assert one_line(raw) == clean


def test_one_line_cuts_long_text():
    assert one_line("x" * 500, limit=20) == "x" * 19 + "…"


def test_plugin_supplied_text_is_printed_clean(site, use_registry):
    site(
        "nnplug-nasty",
        "1.0",
        "nasty",
        "nnplug_t3_nasty",
        source="raise ImportError('line one\\n\\x1b[31mline two')\n",
    )
    (site.root / "nnplug_nasty-1.0.dist-info" / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: nnplug-\x1b[2Jnasty\nVersion: 1.0\x07\n"
    )

    class Shiny(Layer):
        """\x1b[1mShiny\x1b[0m\tlayer\u202e."""

        name = "shiny"

    reg = use_registry(Registry())
    plugin = types.SimpleNamespace(
        nnplug_register_layers=hookimpl(lambda register: register(Shiny))
    )
    assert reg.add_plugin(plugin, "shiny", dist="nnplug-shiny\n", version="\x1b[5m1.0")
    out = CliRunner().invoke(main, ["plugins"]).output
    assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out
    (line,) = [line for line in out.splitlines() if "nasty" in line]
    assert line == (
        "error: plugin 'nasty' (nnplug-nasty) failed to load: ImportError: line one line two"
    )
    (line,) = [line for line in out.splitlines() if line.strip().startswith("shiny")]
    # (the two dashes: no compiled kernels, no ONNX converter)
    assert line.split() == ["shiny", "nnplug-shiny", "1.0", "-", "-", "Shiny", "layer\\u202e."]


def test_a_component_name_that_cannot_be_typed_is_refused():
    class Weird(types.SimpleNamespace):
        name = "bad\nname"

    reg = Registry(entry_points=False)
    plugin = types.SimpleNamespace(
        nnplug_register_layers=hookimpl(lambda register: register(Weird))
    )
    assert not reg.add_plugin(plugin, "weird")
    assert "needs a class attribute 'name'" in reg.failures[0].reason
    assert "\n" not in reg.failures[0].reason
