from pathlib import Path

import pytest

from nnplug.registry import Registry, get_registry, set_registry

EXAMPLE_DIR = Path(__file__).resolve().parents[2] / "plugins" / "nnplug-leaky-relu"


@pytest.fixture
def example(monkeypatch):
    """The example plugin's package, importable from the source tree (not installed)."""
    monkeypatch.syspath_prepend(str(EXAMPLE_DIR))
    import nnplug_leaky_relu.plugin

    return nnplug_leaky_relu


@pytest.fixture
def example_registry(example):
    """The installed plugins plus the example, registered as pip would (dist and version)."""
    reg = Registry()
    reg.add_plugin(example.plugin, "leaky_relu", dist="nnplug-leaky-relu", version="0.2.0")
    return reg


@pytest.fixture
def use_registry():
    """Make a registry process-wide for one test (the CLI calls ``get_registry()``)."""
    previous = get_registry()

    def use(reg: Registry) -> Registry:
        set_registry(reg)
        return reg

    yield use
    set_registry(previous)
