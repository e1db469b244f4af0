"""docs/architecture.md and the import-linter contracts in pyproject.toml say the same:
every package of nnplug is on the page, and the page's layer list is the layers contract."""
import pkgutil
import re
import tomllib
from pathlib import Path

import nnplug

REPO = Path(__file__).resolve().parents[2]
PAGE = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
CONFIG = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
CONTRACTS = {c["id"]: c for c in CONFIG["tool"]["importlinter"]["contracts"]}


def test_every_package_of_nnplug_is_on_the_page():
    packages = [m.name for m in pkgutil.walk_packages(nnplug.__path__, "nnplug.") if m.ispkg]
    assert packages
    missing = [p for p in packages if f"`{p.split('nnplug.', 1)[1]}`" not in PAGE
               and p not in PAGE]
    assert not missing, f"docs/architecture.md does not name {missing}"


def test_the_layer_list_is_the_layers_contract():
    block = PAGE.split("```", 2)[1]  # the first code block: the layers, top to bottom
    page = re.findall(r"nnplug\.[a-z_.]+", block)
    previous = -1
    for layer in CONTRACTS["layers"]["layers"]:
        modules = [m.strip() for m in re.split(r"[|:]", layer)]
        missing = [m for m in modules if m not in page]
        assert not missing, f"the layer list on the page lacks {missing}"
        where = [page.index(m) for m in modules]
        assert min(where) > previous, f"{layer} is not below the layer above it on the page"
        previous = max(where)


def test_every_contract_is_described():
    for contract_id in CONTRACTS:
        assert f"| `{contract_id}` |" in PAGE, contract_id
