import sys
import textwrap
from pathlib import Path

import pytest


EXAMPLE_DIR = Path(__file__).resolve().parents[2] / "plugins" / "nnplug-leaky-relu"


PLUGIN = '''
from nnplug import hookimpl
from nnplug.base import Layer


class {cls}(Layer):
    """A layer from {dist}."""

    name = "{layer}"

    def forward(self, x):
        return x

    def backward(self, dy):
        return dy


@hookimpl
def nnplug_register_layers(register):
    register({cls})
'''


@pytest.fixture
def site(tmp_path, monkeypatch):
    """``add(dist, version, ep_name, module, layer)`` installs a distribution on sys.path
    (appended, so the real nnplug comes first) and lists it in NNPLUG_LOAD_PLUGINS
    (``load=False``: installed but not listed)."""
    monkeypatch.setattr(sys, "path", [*sys.path, str(tmp_path)])
    monkeypatch.delenv("NNPLUG_DISABLE_PLUGINS", raising=False)
    monkeypatch.setenv("NNPLUG_LOAD_PLUGINS", "")  # the suite's: built-ins only ...
    listed = []

    def add(dist, version, ep_name, module, layer=None, source=None, load=True):
        if load:  # ... plus the plugins this test installs
            listed.append(ep_name)
            monkeypatch.setenv("NNPLUG_LOAD_PLUGINS", ",".join(listed))
        info = tmp_path / f"{dist.replace('-', '_')}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {dist}\n"
                                       f"Version: {version}\n")
        (info / "entry_points.txt").write_text(f"[nnplug]\n{ep_name} = {module}\n")
        if source is None:
            source = PLUGIN.format(cls=f"L{layer}", dist=dist, layer=layer)
        (tmp_path / f"{module}.py").write_text(textwrap.dedent(source))

    add.root = tmp_path
    yield add
    for name in [m for m in sys.modules if m.startswith("nnplug_t3_")]:
        del sys.modules[name]
