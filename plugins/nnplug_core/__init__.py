"""nnplug's built-in components, shipped as an ordinary pluggy plugin.

This package is the template for a third-party plugin: components subclass the
bases in :mod:`nnplug.base`, ``plugin.py`` registers them through the hooks in
:mod:`nnplug.hookspecs`, and ``pyproject.toml`` declares the entry point::

    [project.entry-points.nnplug]
    core = "nnplug_core.plugin"
"""
