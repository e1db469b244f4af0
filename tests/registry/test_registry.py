import types
from importlib import metadata

import pytest

from nnplug import hookimpl
from nnplug.base import Layer
from nnplug.errors import PluginConflictError, UnknownComponentError
from nnplug.registry import Registry


class Twin(Layer):
    """A layer whose name clashes with the built-in relu."""

    name = "relu"


def _plugin(**hooks):
    return types.SimpleNamespace(**{k: hookimpl(v) for k, v in hooks.items()})


def test_builtins_arrive_through_entry_points():
    reg = Registry()
    plugins = {p.name: p for p in reg.plugins()}
    assert {"core", "datasets"} <= set(plugins)
    assert plugins["core"].dist == "nnplug"
    linear = reg.get("layer", "linear")
    assert (linear.plugin, linear.dist) == ("core", "nnplug")
    for kind, name in [("loss", "softmax_ce"), ("loss", "mse"), ("optimizer", "sgd"),
                       ("optimizer", "momentum"), ("optimizer", "adam"),
                       ("dataset", "digits"), ("backend", "numpy"), ("layer", "batchnorm")]:
        assert reg.get(kind, name).name == name
    assert reg.failures == []


def test_registry_without_entry_points_is_empty():
    reg = Registry(entry_points=False)
    assert reg.components() == []


def test_unknown_name_lists_what_exists():
    reg = Registry()
    with pytest.raises(UnknownComponentError) as err:
        reg.get("optimizer", "adamm")
    msg = str(err.value)
    assert "Did you mean 'adam'" in msg and "momentum" in msg and "sgd" in msg


def test_duplicate_names_raise_naming_both_and_qualified_name_picks():
    reg = Registry()
    reg.add_plugin(_plugin(nnplug_register_layers=lambda register: register(Twin)),
                   "twinplug", dist="nnplug-twin", version="9.9")
    with pytest.raises(PluginConflictError) as err:
        reg.get("layer", "relu")
    msg = str(err.value)
    assert "nnplug-twin" in msg and "nnplug " in msg + " " and "core/relu" in msg
    assert reg.get("layer", "twinplug/relu").cls is Twin
    assert reg.get("layer", "core/relu").cls is not Twin
    assert len(reg.conflicts()) == 1


def test_failing_plugin_is_reported_and_others_load(monkeypatch):
    real = metadata.entry_points

    def fake_entry_points(group):
        eps = list(real(group=group))
        eps.append(metadata.EntryPoint(name="broken_xyz", value="nnplug_no_such_module_xyz",
                                       group=group))
        return eps

    monkeypatch.setattr(metadata, "entry_points", fake_entry_points)
    monkeypatch.setenv("NNPLUG_LOAD_PLUGINS", "broken_xyz")  # the suite loads built-ins only
    reg = Registry()
    assert [f.plugin for f in reg.failures] == ["broken_xyz"]
    assert "ModuleNotFoundError" in reg.failures[0].reason
    assert reg.get("layer", "linear")  # the rest still loaded


def test_hook_that_raises_is_reported():
    def bad(register):
        raise RuntimeError("boom")

    reg = Registry(entry_points=False)
    reg.add_plugin(_plugin(nnplug_register_layers=bad), "bad")
    assert reg.failures[0].plugin == "bad" and "boom" in reg.failures[0].reason


def test_component_without_name_is_rejected():
    class Nameless(Layer):
        pass

    reg = Registry(entry_points=False)
    reg.add_plugin(_plugin(nnplug_register_layers=lambda register: register(Nameless)), "p")
    assert "needs a class attribute 'name'" in reg.failures[0].reason


def test_disable_env_skips_plugin(monkeypatch):
    monkeypatch.setenv("NNPLUG_DISABLE_PLUGINS", "datasets")
    reg = Registry()
    assert reg.disabled == ["datasets"]
    with pytest.raises(UnknownComponentError):
        reg.get("dataset", "digits")
