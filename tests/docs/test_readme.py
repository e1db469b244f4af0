"""Every code block of the documentation (README.md and docs/*.md) is tested where it lives:

* a block that shows one of the example plugin's files (first line ``# plugins/...``) is that
  file, verbatim; the plugin guide's snippets are complete enough to build a plugin from, and
  that plugin works: its own tests pass, nnplug finds it when it is installed, trains with it
  and runs its command;
* every other Python block runs, page by page in one namespace, in a folder holding the
  ``model.npz`` and ``model.onnx`` the pages talk about;
* every ``nnplug`` command line of a shell block names a command that exists and only
  options that command has (with the options of the dataset it names), and every repository
  path a shell block names exists.
"""

import json
import os
import re
import shlex
import shutil
import subprocess
import sys

import pytest
from click.testing import CliRunner
from fakedist import env_with, write_dist
from readme_snippets import (
    EXAMPLE,
    PLUGIN_GUIDE,
    REPO,
    WHOLE,
    blocks,
    build_from_readme,
    pages,
    project,
    read,
    source_of,
    sourced_blocks,
    tomllib,
)

from nnplug.cli import COMMANDS, main
from nnplug.testing import assert_layer_conforms

#: commands the pages show that other distributions add: the benchmarks distribution in
#: benchmarks/ (nnplug bench) and the example plugin; their lines are checked only while the
#: command is built in
ELSEWHERE = {"bench", "leaky-relu-demo"}
#: how a repository path starts, in a shell command
REPO_PATH = re.compile(r"^(?:\./)?(?:plugins|benchmarks|tests|nnplug|docs)/[\w./-]*$")


def contains_run(haystack, needle):
    return any(
        haystack[i : i + len(needle)] == needle for i in range(len(haystack) - len(needle) + 1)
    )


# -- the example plugin's files ------------------------------------------------------------
def test_the_guide_shows_project_file_hooks_layer_command_and_tests():
    blocks_ = dict(sourced_blocks(PLUGIN_GUIDE))
    assert WHOLE | {EXAMPLE + "nnplug_leaky_relu/layer.py"} <= set(blocks_)
    pyproject = blocks_[EXAMPLE + "pyproject.toml"]
    for table in ("[build-system]", "[project]", "[project.entry-points.nnplug]"):
        assert table in pyproject
    assert "@hookimpl" in blocks_[EXAMPLE + "nnplug_leaky_relu/plugin.py"]
    layer = blocks_[EXAMPLE + "nnplug_leaky_relu/layer.py"]
    assert "class LeakyReLU(Layer):" in layer and len(layer) <= 45
    assert any("kernels = LayerKernels(" in line for line in layer)
    assert "@kernel" in blocks_[EXAMPLE + "nnplug_leaky_relu/kernels.py"]
    tests = blocks_[EXAMPLE + "tests/test_conformance.py"]
    assert "import pytest" in tests and any("assert_layer_conforms(" in t for t in tests)


@pytest.mark.parametrize("path,lines", sourced_blocks(), ids=lambda v: str(v)[:60])
def test_snippet_is_verbatim_from_its_file(path, lines):
    assert lines, path
    text = (REPO / path).read_text().splitlines()
    if path in WHOLE:
        assert lines == text, f"the docs' snippet of {path} is not the whole file; copy it again"
    else:
        assert contains_run(text, lines), (
            f"the docs' snippet of {path} no longer matches the file; copy it again"
        )


def test_the_entry_point_and_version_in_the_docs_are_the_ones_pip_installs():
    text = (REPO / EXAMPLE / "pyproject.toml").read_text()
    assert 'leaky_relu = "nnplug_leaky_relu.plugin"' in text
    assert (REPO / EXAMPLE / "nnplug_leaky_relu/plugin.py").exists()
    version = next(
        line.split('"')[1] for line in text.splitlines() if line.startswith("version = ")
    )
    assert f"nnplug-leaky-relu {version}" in read(PLUGIN_GUIDE)
    for page in pages():  # no page quotes another version of it
        stated = set(re.findall(r"nnplug-leaky-relu (\d+(?:\.\d+)+)", read(page)))
        assert stated <= {version}, (page, stated)


def test_the_layer_snippet_runs_on_its_own():
    (lines,) = [lines for path, lines in sourced_blocks() if path.endswith("/layer.py")]
    namespace = {}
    exec(compile("\n".join(lines), "docs: layer.py", "exec"), namespace)
    assert_layer_conforms(namespace["LeakyReLU"], {"alpha": 0.2})


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    return build_from_readme(tmp_path_factory.mktemp("readme"))


def test_the_plugin_built_from_the_guide_passes_its_own_tests(built):
    env = env_with(built, PYTHONPATH=str(built))
    res = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=built,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert res.returncode == 0, res.stdout + res.stderr
    assert " passed" in res.stdout and "failed" not in res.stdout


@pytest.mark.skipif(tomllib is None, reason="tomllib: Python 3.11+")
def test_the_plugin_built_from_the_guide_works_once_installed(built, tmp_path):
    """Installed as its pyproject says (name, version, entry points), nnplug finds it,
    trains with it and runs its command. (test_pip_install.py pip-installs it for real.)"""
    meta = project(built)
    site = write_dist(
        tmp_path / "site", meta["name"], meta["version"], meta["entry-points"]["nnplug"]
    )
    env = env_with(site, NNPLUG_LOAD_PLUGINS=meta["name"])
    env["PYTHONPATH"] = f"{site}:{built}"

    def nnplug(*args):
        res = subprocess.run(
            [sys.executable, "-c", "from nnplug.cli import main; main()", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
            cwd=tmp_path,
        )
        assert res.returncode == 0, res.stdout + res.stderr
        return res.stdout

    data = json.loads(nnplug("plugins", "--json"))
    assert data["errors"] == []
    ours = {
        (c["kind"], c["name"])
        for c in data["components"]
        if c["distribution"] == meta["name"] and c["version"] == meta["version"]
    }
    assert ours == {("layer", "leaky_relu"), ("layer", "gelu"), ("loss", "huber"),
                    ("optimizer", "rmsprop")}
    assert [c["name"] for c in data["commands"]] == ["leaky-relu-demo"]
    out = nnplug(
        "train",
        "--layers",
        "linear,leaky_relu",
        "--optimizer",
        "rmsprop",
        "--lr",
        "0.001",
        "--epochs",
        "2",
        "--quiet",
        "--log-file",
        "",
    )
    assert out.startswith("digits: test_accuracy")
    assert nnplug("leaky-relu-demo").rstrip().endswith("PASS")


# -- Python blocks run ---------------------------------------------------------------------
def python_blocks(page):
    return [body for lang, body in blocks(page) if lang == "python" and not source_of(body)]


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """The files the pages' Python blocks read: model.npz (a short digits run, as ``nnplug
    train --save model.npz`` writes it) and model.onnx (``nnplug export``)."""
    folder = tmp_path_factory.mktemp("docfiles")
    runner = CliRunner()
    args = ["train", "--epochs", "2", "--save", str(folder / "model.npz")]
    res = runner.invoke(main, [*args, "--quiet", "--log-file", ""])
    assert res.exit_code == 0, res.output
    res = runner.invoke(main, ["export", str(folder / "model.npz"), str(folder / "model.onnx")])
    assert res.exit_code == 0, res.output
    return folder


@pytest.mark.parametrize("page", [p for p in pages() if python_blocks(p)])
def test_python_blocks_run(page, files, tmp_path, monkeypatch):
    for name in ("model.npz", "model.onnx"):
        shutil.copy(files / name, tmp_path / name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(REPO / EXAMPLE))  # the example plugin's package
    namespace = {"__name__": "docs"}
    for i, body in enumerate(python_blocks(page), 1):
        exec(compile(body, f"{page}, Python block {i}", "exec"), namespace)


# -- shell blocks: commands that exist, with options they have ------------------------------
def command_lines(page):
    """``(line, argv)`` of every command of the page's shell blocks (continuations joined,
    comments dropped)."""
    out = []
    for lang, body in blocks(page):
        if lang not in ("bash", "sh", "console"):
            continue
        for line in body.replace("\\\n", " ").splitlines():
            argv = shlex.split(line, comments=True)
            while argv and re.fullmatch(r"[A-Z_]+=.*", argv[0]):  # VAR=value nnplug ...
                argv = argv[1:]
            if argv:
                out.append((line.strip(), argv))
    return out


def help_flags(*args):
    """Every --flag the ``--help`` of ``nnplug ARGS`` lists (None: no such command)."""
    res = CliRunner().invoke(main, [*args, "--help"])
    if res.exit_code != 0:
        return None
    options = res.output.split("Options:", 1)[-1].split("Commands:", 1)[0]
    # the option column of each option line (its help text may quote other commands' flags)
    column = " ".join(re.findall(r"^  (-\S.*?)(?:  |$)", options, re.M))
    return set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", column))


def check_nnplug(argv):
    """The problems of one ``nnplug ...`` command line ([] when it is fine)."""
    words = [a for a in argv[1:] if not a.startswith("-")]
    if not words or argv[1].startswith("-"):  # nnplug --version / --help
        return [] if set(argv[1:]) <= {"--version", "--help"} else [f"{argv[1:]}"]
    command = argv[1]
    path = [command]
    if command == "datasets" and len(argv) > 2 and argv[2] == "fetch":
        path.append("fetch")
    if command not in COMMANDS:
        return [] if command in ELSEWHERE else [f"no built-in command '{command}'"]
    dataset = next((argv[i + 1] for i, a in enumerate(argv[:-1]) if a == "--dataset"), None)
    extra = ["--dataset", dataset] if dataset and command in ("train", "sweep") else []
    known = help_flags(*path, *extra)
    if known is None:
        return [f"nnplug {' '.join(path + extra)} --help fails"]
    given = {a.split("=", 1)[0] for a in argv[2:] if a.startswith("--")}
    return [f"{flag} is not an option of nnplug {' '.join(path)}" for flag in given - known]


@pytest.mark.parametrize("page", [p for p in pages() if command_lines(p)])
def test_command_lines_use_commands_and_options_that_exist(page):
    problems = []
    for line, argv in command_lines(page):
        if argv[0] == "nnplug":
            problems += [f"{line}: {p}" for p in check_nnplug(argv)]
        for word in argv[1:]:
            if REPO_PATH.match(word) and not (REPO / word).exists():
                problems.append(f"{line}: {word} does not exist")
    assert problems == [], "\n".join(problems)


def test_the_command_check_catches_a_wrong_option_and_command():
    assert check_nnplug(["nnplug", "train", "--epochs", "2"]) == []
    assert check_nnplug(["nnplug", "train", "--dataset", "csv", "--target", "y"]) == []
    assert check_nnplug(["nnplug", "train", "--target", "y"])  # digits has no --target
    assert check_nnplug(["nnplug", "train", "--epoch", "2"])
    assert check_nnplug(["nnplug", "evaluat", "--model", "m.npz"])
    assert check_nnplug(["nnplug", "datasets", "fetch", "mnist", "--data-dir", "d"]) == []


def test_the_test_suite_command_is_the_one_ci_runs():
    """The README's test command runs pytest the way .ci/run does."""
    readme = read("README.md")
    command = (
        'python3 -m venv .venv && .venv/bin/pip install -q -e ".[test]" '
        "&& .venv/bin/python -m pytest"
    )
    assert command in readme
    ci = (REPO / ".ci" / "run").read_text()
    assert ".venv/bin/python -m pytest" in ci and os.access(REPO / ".ci" / "run", os.R_OK)
