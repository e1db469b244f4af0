"""Project facts stated once: the version (pyproject -> package metadata), where the default
log goes (the user log directory, not the current directory)."""

import re
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
from click.testing import CliRunner

import nnplug
from nnplug.cli import main
from nnplug.cli.trainlog import default_log_file

REPO = Path(__file__).resolve().parents[2]


def test_the_version_is_stated_once_in_pyproject():
    text = (REPO / "pyproject.toml").read_text()
    (stated,) = re.findall(r'^version = "([^"]+)"', text, re.M)
    assert nnplug.__version__ == metadata.version("nnplug") == stated
    assert CliRunner().invoke(main, ["--version"]).output == f"nnplug, version {stated}\n"
    sources = [p for p in (REPO / "nnplug").rglob("*.py") if f'"{stated}"' in p.read_text()]
    assert sources == []  # no second copy of the number in the code


def test_a_source_checkout_that_was_never_installed_reads_pyproject(tmp_path):
    code = (
        "import sys, importlib.metadata as m\n"
        "def missing(name):\n    raise m.PackageNotFoundError(name)\n"
        "m.version = missing\n"
        "import nnplug\nprint(nnplug.__version__)\n"
    )
    res = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=tmp_path, timeout=60
    )
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == nnplug.__version__


def test_the_default_log_goes_to_the_user_log_directory(monkeypatch, tmp_path):
    from platformdirs import user_log_dir

    monkeypatch.delenv("NNPLUG_LOG_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    path = default_log_file()
    assert path.parent == Path(user_log_dir("nnplug", appauthor=False))
    assert path.is_absolute() and not path.is_relative_to(tmp_path)
    assert re.fullmatch(r"train-\d{8}-\d{6}\.log", path.name)
    monkeypatch.setenv("NNPLUG_LOG_DIR", str(tmp_path / "here"))
    assert default_log_file().parent == tmp_path / "here"


def test_the_tools_the_development_page_runs_come_with_the_dev_extra():
    """Issue 20: tox was used in the docs, but no extra installed it."""
    tomllib = pytest.importorskip("tomllib")
    extras = tomllib.loads((REPO / "pyproject.toml").read_text())["project"][
        "optional-dependencies"]
    page = (REPO / "docs" / "development.md").read_text()
    assert '.venv/bin/pip install -e ".[dev]"' in page
    dev = {re.split(r"[<>=\[ ]", r)[0]: r for r in extras["dev"]}
    assert "tox" in dev and dev["nnplug"] == "nnplug[test,lint]"  # the same project's extras
    provided = {re.split(r"[<>=\[ ]", r)[0] for name in ("dev", "test", "lint")
                for r in extras[name]}
    tools = {"tox": "tox", "ruff": "ruff", "mypy": "mypy", "lint-imports": "import-linter",
             "pytest": "pytest"}
    for tool, package in tools.items():
        if re.search(rf"(^|[ /`]){re.escape(tool)}\b", page, re.M):
            assert package in provided, tool
