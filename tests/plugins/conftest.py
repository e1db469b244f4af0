from pathlib import Path

import pytest

from nnplug.registry import Registry, get_registry, set_registry

EXAMPLE_DIR = Path(__file__).resolve().parents[2] / "plugins" / "nnplug-leaky-relu"


@pytest.fixture
def use_registry():
    """Make a registry process-wide for one test (the CLI calls ``get_registry()``)."""
    previous = get_registry()

    def use(reg: Registry) -> Registry:
        set_registry(reg)
        return reg

    yield use
    set_registry(previous)
