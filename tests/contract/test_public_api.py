"""The public surface is what it says it is (thinc's test_import__all__): every name in a
module's ``__all__`` exists, ``from module import *`` works, and nothing public that a module
defines is missing from its ``__all__``. The contract a plugin author imports (the top of
``nnplug/``) and the documented facades must have one."""
import ast
import importlib
import pkgutil
from pathlib import Path

import pytest

import nnplug

CONTRACT = ["nnplug", "nnplug.base", "nnplug.kernels", "nnplug.hookspecs", "nnplug.spec",
            "nnplug.options", "nnplug.errors", "nnplug.backend", "nnplug.counter_rng",
            "nnplug.kernel_testing", "nnplug.testing", "nnplug.registry", "nnplug.sklearn"]


def _modules():
    names = ["nnplug"]
    for info in pkgutil.walk_packages(nnplug.__path__, "nnplug."):
        names.append(info.name)
    return sorted(names)


def _defined_public(module):
    """Names a module itself defines at top level (classes, functions, constants), not
    those it imports."""
    path = Path(module.__file__)
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return {n for n in names if not n.startswith("_") and n != "annotations"}


@pytest.mark.parametrize("name", CONTRACT)
def test_the_contract_and_the_facades_declare_all(name):
    assert hasattr(importlib.import_module(name), "__all__"), name


@pytest.mark.parametrize("name", _modules())
def test_every_name_in_all_exists_and_star_import_works(name):
    module = importlib.import_module(name)
    exported = getattr(module, "__all__", None)
    if exported is None:
        return
    assert len(set(exported)) == len(exported), f"{name}.__all__ repeats a name"
    missing = [n for n in exported if not hasattr(module, n)]
    assert not missing, f"{name}.__all__ lists names that do not exist: {missing}"
    namespace = {}
    exec(f"from {name} import *", namespace)  # noqa: S102 - the test of star imports
    assert set(exported) <= set(namespace)


@pytest.mark.parametrize("name", _modules())
def test_nothing_public_is_missing_from_all(name):
    module = importlib.import_module(name)
    exported = getattr(module, "__all__", None)
    if exported is None:
        return
    forgotten = sorted(_defined_public(module) - set(exported))
    assert not forgotten, f"{name} defines public names not in __all__: {forgotten}"


def test_the_facade_resolves_every_public_name_lazily():
    for name in nnplug.__all__:
        assert getattr(nnplug, name) is not None
    with pytest.raises(AttributeError):
        nnplug.set_backend  # noqa: B018 - listed once, never existed
