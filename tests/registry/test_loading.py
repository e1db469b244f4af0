"""Loading rules with real (fake) distributions on sys.path: dist names and versions,
broken plugins, entry-point name clashes, NNPLUG_DISABLE_PLUGINS, one scan per process."""
import json
import types
from importlib import metadata

import pytest
from click.testing import CliRunner

from nnplug import hookimpl
from nnplug.cli import main
from nnplug.errors import UnknownComponentError
from nnplug.registry import Registry, get_registry, set_registry


def test_third_party_layer_carries_its_distribution(site):
    site("nnplug-extra", "1.2.3", "extra", "nnplug_t3_extra", layer="extra_layer")
    comp = Registry().get("layer", "extra_layer")
    assert (comp.plugin, comp.dist, comp.version) == ("extra", "nnplug-extra", "1.2.3")


@pytest.mark.parametrize("value", ["extra", "nnplug-extra", "NNPLUG_Extra", "x, extra ,y"])
def test_disable_by_entry_point_or_distribution_name(site, monkeypatch, value):
    site("nnplug-extra", "1.2.3", "extra", "nnplug_t3_extra", layer="extra_layer")
    monkeypatch.setenv("NNPLUG_DISABLE_PLUGINS", value)
    reg = Registry()
    assert reg.disabled == ["extra"]
    with pytest.raises(UnknownComponentError):
        reg.get("layer", "extra_layer")
    assert reg.get("layer", "linear").dist == "nnplug"


def test_broken_plugin_is_listed_as_an_error_in_text_and_json(site, use_registry):
    site("nnplug-bad", "0.1", "bad", "nnplug_t3_bad", source="import nnplug_t3_missing_dep\n")
    site("nnplug-good", "2.0", "good", "nnplug_t3_good", layer="good_layer")
    use_registry(Registry())
    text = CliRunner().invoke(main, ["plugins"]).output
    assert ("error: plugin 'bad' (nnplug-bad) failed to load: ModuleNotFoundError: "
            "No module named 'nnplug_t3_missing_dep'") in text
    assert "good_layer     nnplug-good 2.0" in text and "linear" in text
    data = json.loads(CliRunner().invoke(main, ["plugins", "--json"]).output)
    assert data["errors"] == [{"plugin": "bad", "distribution": "nnplug-bad",
                               "reason": "ModuleNotFoundError: No module named "
                                         "'nnplug_t3_missing_dep'"}]
    assert {"name": "good", "distribution": "nnplug-good", "version": "2.0"} in data["plugins"]


def test_two_distributions_claiming_one_entry_point_name_is_an_error(site):
    site("nnplug-shadow", "9.0", "core", "nnplug_t3_shadow", layer="shadow_layer")
    reg = Registry()
    assert reg.get("layer", "linear").dist == "nnplug"  # the first on sys.path loads
    (failure,) = [f for f in reg.failures if f.dist == "nnplug-shadow"]
    assert failure.plugin == "core" and "already used by nnplug" in failure.reason
    with pytest.raises(UnknownComponentError):
        reg.get("layer", "shadow_layer")


def test_entry_points_are_scanned_once_per_process(monkeypatch, use_registry):
    calls = []
    real = metadata.entry_points

    def counting(**kwargs):
        calls.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr(metadata, "entry_points", counting)
    set_registry(None)
    first = get_registry()
    for args in (["plugins"], ["plugins", "--json"], ["gradcheck", "--layers", "relu"]):
        assert CliRunner().invoke(main, args).exit_code == 0
    # numba (loaded when gradcheck checks compiled kernels) scans its own extensions' entry
    # points: only nnplug's group counts here
    ours = [c for c in calls if c.get("group") == "nnplug"]
    assert get_registry() is first and len(ours) == 1


def test_a_misspelt_hook_is_reported_not_silently_ignored():
    plugin = types.SimpleNamespace(nnplug_register_layer=hookimpl(lambda register: None))
    reg = Registry(entry_points=False)
    reg.add_plugin(plugin, "typo", dist="nnplug-typo", version="1")
    (failure,) = reg.failures
    assert failure.dist == "nnplug-typo"
    assert failure.reason == ("unknown hook nnplug_register_layer; did you mean "
                              "nnplug_register_layers?")
