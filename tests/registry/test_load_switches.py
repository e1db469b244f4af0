"""NNPLUG_LOAD_PLUGINS (only the listed third-party plugins load; the built-ins always do),
its interplay with NNPLUG_DISABLE_PLUGINS, and NNPLUG_TRACE_PLUGINS (hook calls on stderr)."""

import json

import pytest
from click.testing import CliRunner

from nnplug.cli import main
from nnplug.errors import UnknownComponentError
from nnplug.registry import Registry

BUILTINS = {"core", "datasets", "numba"}


@pytest.fixture
def two(site):
    site("nnplug-extra", "1.2.3", "extra", "nnplug_t3_extra", layer="extra_layer", load=False)
    site("nnplug-other", "0.1", "other", "nnplug_t3_other", layer="other_layer", load=False)


def loaded(reg):
    return {p.name for p in reg.plugins()}


def test_unset_loads_every_installed_plugin(two, monkeypatch):
    monkeypatch.delenv("NNPLUG_LOAD_PLUGINS")
    assert loaded(Registry()) >= BUILTINS | {"extra", "other"}  # and whatever else is here


def test_empty_loads_the_builtins_only(two, monkeypatch):
    monkeypatch.setenv("NNPLUG_LOAD_PLUGINS", "")
    reg = Registry()
    assert loaded(reg) == BUILTINS
    assert {"extra", "other"} <= set(reg.not_selected) and reg.failures == []


@pytest.mark.parametrize("value", ["extra", "nnplug-extra", "NNPLUG_Extra", " extra , "])
def test_listed_by_entry_point_or_distribution_name(two, monkeypatch, value):
    monkeypatch.setenv("NNPLUG_LOAD_PLUGINS", value)
    reg = Registry()
    assert loaded(reg) == BUILTINS | {"extra"}
    assert reg.get("layer", "extra_layer").dist == "nnplug-extra"
    with pytest.raises(UnknownComponentError):
        reg.get("layer", "other_layer")


def test_the_zero_option_train_works_when_only_a_third_party_plugin_is_listed(
    two, monkeypatch, use_registry
):
    monkeypatch.setenv("NNPLUG_LOAD_PLUGINS", "extra")
    use_registry(None)
    res = CliRunner().invoke(main, ["train", "--epochs", "1", "--quiet", "--log-file", ""])
    assert res.exit_code == 0, res.output
    assert res.output.startswith("digits: test_accuracy")


def test_a_listed_plugin_that_is_not_installed_is_an_error(two, monkeypatch, use_registry):
    monkeypatch.setenv("NNPLUG_LOAD_PLUGINS", "extra,nnplug-missing")
    reg = use_registry(Registry())
    (failure,) = reg.failures
    assert failure.plugin == "nnplug-missing" and "not installed" in failure.reason
    assert loaded(reg) == BUILTINS | {"extra"}
    out = CliRunner().invoke(main, ["plugins"]).output
    assert (
        "error: plugin 'nnplug-missing' (nnplug-missing) failed to load: listed in "
        "NNPLUG_LOAD_PLUGINS but not installed" in out
    )
    assert "not loaded: plugin 'other' (not listed in NNPLUG_LOAD_PLUGINS)" in out
    data = json.loads(CliRunner().invoke(main, ["plugins", "--json"]).output)
    assert "other" in data["not_loaded"] and "extra" not in data["not_loaded"]


def test_disable_wins_over_load_and_can_drop_a_builtin(two, monkeypatch):
    monkeypatch.setenv("NNPLUG_LOAD_PLUGINS", "extra,other")
    monkeypatch.setenv("NNPLUG_DISABLE_PLUGINS", "other,numba")
    reg = Registry()
    assert loaded(reg) == {"core", "datasets", "extra"}
    assert sorted(reg.disabled) == ["numba", "other"]
    assert reg.failures == []  # listed and disabled is not "not installed"


def test_trace_prints_each_hook_call_and_who_answered(site, monkeypatch, capsys):
    site("nnplug-extra", "1.2.3", "extra", "nnplug_t3_extra", layer="extra_layer")
    site(
        "nnplug-bad",
        "0.1",
        "bad",
        "nnplug_t3_bad",
        source=(
            "from nnplug import hookimpl\n\n@hookimpl\ndef nnplug_register_losses(register):\n"
            "    raise RuntimeError('boom')\n"
        ),
    )
    monkeypatch.setenv("NNPLUG_TRACE_PLUGINS", "1")
    Registry()
    err = capsys.readouterr().err.splitlines()
    assert "nnplug trace: nnplug_register_layers(register) -> extra (nnplug-extra 1.2.3)" in err
    assert "nnplug trace:   extra registered layer 'extra_layer' (Lextra_layer)" in err
    assert "nnplug trace:   core registered layer 'linear' (Linear)" in err
    assert "nnplug trace: nnplug_register_losses(register) -> bad (nnplug-bad 0.1)" in err
    assert "nnplug trace: nnplug_register_losses raised RuntimeError: boom" in err
    assert err.count("nnplug trace: nnplug_register_layers ok") == 2  # core and extra


@pytest.mark.parametrize("value", ["", "0", "false"])
def test_no_trace_unless_asked(site, monkeypatch, capsys, value):
    site("nnplug-extra", "1.2.3", "extra", "nnplug_t3_extra", layer="extra_layer")
    monkeypatch.setenv("NNPLUG_TRACE_PLUGINS", value)
    Registry()
    assert capsys.readouterr().err == ""
