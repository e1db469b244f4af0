"""The documentation covers what the code has, and names only what exists (in the spirit of
datasette's tests/test_docs.py):

* every hook of ``nnplug/hookspecs.py`` is in docs/hooks.md with its exact signature, and no
  page names a hook that does not exist, or a hook with other arguments;
* every option of every built-in command (``nnplug train --help``, with each built-in
  dataset's options, ``evaluate``, ``predict`` ...) is in that command's section of
  docs/cli.md;
* every relative link of README.md and docs/*.md points at a file that exists, and at a
  heading of it when it names one;
* every repository path and every ``nnplug...`` dotted name quoted as code exists;
* README.md stays under 250 lines.

Each check is a function returning its problems, so each is also shown failing on a
broken copy of the text.
"""

from __future__ import annotations

import importlib
import inspect
import re

import pytest
from click.testing import CliRunner
from readme_snippets import REPO, pages, read

from nnplug import hookspecs
from nnplug.cli import COMMANDS, main

#: pages other engineers write, linked before they land: checked once they exist
PENDING: set[str] = set()
README_MAX_LINES = 250
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")
CODE = re.compile(r"`([^`\n]+)`")
FENCED = re.compile(r"^```.*?^```", re.S | re.M)


def prose(text: str) -> str:
    """``text`` without its fenced blocks."""
    return FENCED.sub("", text)


# -- hooks ------------------------------------------------------------------------------------
def hook_signatures() -> dict[str, str]:
    """``{name: "name(arg, ...)"}`` for every hook, from the hookspecs themselves."""
    return {
        name: f"{name}({', '.join(inspect.signature(getattr(hookspecs, name)).parameters)})"
        for name in hookspecs.HOOK_NAMES
    }


def hook_problems(text: str, reference: bool) -> list[str]:
    """Hooks ``text`` names that do not exist or with other arguments; with ``reference``,
    also the hooks it lacks (or lacks with their exact signature)."""
    sigs = hook_signatures()
    problems = []
    text = re.sub(r"\]\([^)]*\)", "]", text)  # link targets: anchors are not names
    for name in sorted(set(re.findall(r"\bnnplug_register_\w+", text))):
        if name not in sigs:
            problems.append(f"{name} is not a hook")
    for call in sorted(set(re.findall(r"\b(nnplug_register_\w+)\(([\w, ]*)\)", text))):
        name, args = call
        if name in sigs and f"{name}({args})" != sigs[name]:
            problems.append(f"{name}({args}) is not the signature {sigs[name]}")
    if reference:
        for sig in sigs.values():
            if f"`{sig}`" not in text:
                problems.append(f"`{sig}` is missing")
    return problems


def test_every_hook_is_in_the_reference_with_its_exact_signature():
    assert hookspecs.HOOK_NAMES and len(hook_signatures()) == len(hookspecs.HOOK_NAMES)
    assert hook_problems(read("docs/hooks.md"), reference=True) == []


@pytest.mark.parametrize("page", pages())
def test_no_page_names_a_hook_that_does_not_exist(page):
    assert hook_problems(read(page), reference=False) == []


def test_the_hook_check_fails_on_a_broken_reference():
    text = read("docs/hooks.md")
    assert hook_problems(text.replace("(cli)", "(group)"), reference=True)
    assert hook_problems(text.replace("nnplug_register_losses", "nnplug_register_loss"), True)
    assert hook_problems(text + "\n`nnplug_register_metrics(register)`\n", reference=False)


# -- the command line ---------------------------------------------------------------------------
def help_flags(*args: str) -> set[str]:
    """Every --flag that ``nnplug ARGS --help`` lists, --help itself aside."""
    res = CliRunner().invoke(main, [*args, "--help"])
    assert res.exit_code == 0, res.output
    options = res.output.split("Options:", 1)[-1].split("Commands:", 1)[0]
    # the option column of each option line (its help text may quote other commands' flags)
    column = " ".join(re.findall(r"^  (-\S.*?)(?:  |$)", options, re.M))
    return set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", column)) - {"--help"}


def section(text: str, heading: str) -> str:
    """The part of ``text`` under the heading ``heading`` (any level), up to the next
    heading of that level or above."""
    m = re.search(rf"^(#+) {re.escape(heading)}\n", text, re.M)
    assert m, f"no heading {heading!r}"
    level = len(m.group(1))
    end = re.search(rf"^#{{1,{level}}} ", text[m.end() :], re.M)
    return text[m.end() : m.end() + end.start() if end else None]


def missing_flags(text: str, flags: set[str]) -> list[str]:
    """The flags ``text`` does not quote as code (`` `--flag`` then not a name character)."""
    return sorted(f for f in flags if not re.search(rf"`{re.escape(f)}(?![\w-])", text))


def dataset_names() -> list[str]:
    from nnplug.registry import get_registry

    return sorted(c.name for c in get_registry().components("dataset"))


def test_every_option_of_nnplug_train_is_in_the_cli_doc():
    doc = section(read("docs/cli.md"), "`nnplug train`")
    flags = help_flags("train") | help_flags("train", "--dataset", "csv")
    assert {"--data", "--target", "--features", "--drop-missing", "--scale", "--task"} <= flags
    assert "--data-dir" in flags and "--no-scale-target" in flags
    assert missing_flags(doc, flags) == []


@pytest.mark.parametrize("dataset", dataset_names())
def test_every_option_a_built_in_dataset_adds_is_in_the_cli_doc(dataset):
    doc = section(read("docs/cli.md"), "`nnplug train`")
    assert missing_flags(doc, help_flags("train", "--dataset", dataset)) == []


@pytest.mark.parametrize(
    "command",
    [[c] for c in sorted(COMMANDS)] + [["datasets", "fetch"]],
    ids=" ".join,
)
def test_every_option_of_every_command_is_in_its_section(command):
    text = read("docs/cli.md")
    doc = section(text, f"`nnplug {command[0]}`")
    if command[0] == "sweep":  # the sweep's own options are in docs/sweep.md's table
        doc += section(read("docs/sweep.md"), "Options")
        flags = help_flags(*command) - help_flags("train")
    else:
        flags = help_flags(*command)
    assert missing_flags(doc, flags) == []


def test_the_option_check_fails_when_an_option_is_left_out():
    doc = section(read("docs/cli.md"), "`nnplug train`")
    flags = help_flags("train", "--dataset", "csv")
    assert missing_flags(doc.replace("`--drop-missing`", "drop-missing"), flags) == [
        "--drop-missing"
    ]
    assert missing_flags(doc.replace("`--data FILE`", "FILE"), flags) == ["--data"]
    assert missing_flags(doc, flags | {"--colour"}) == ["--colour"]


# -- links -------------------------------------------------------------------------------------
def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation but '-' and '_' dropped,
    spaces to '-'."""
    text = re.sub(r"\[([^\]]*)\]\([^)]*\)", r"\1", heading.strip()).lower()
    return re.sub(r"[^\w\- ]", "", text).replace(" ", "-")


def anchors(text: str) -> set[str]:
    out: set[str] = set()
    for heading in re.findall(r"^#+ (.+)$", prose(text), re.M):
        base = slug(heading)
        name, n = base, 0
        while name in out:  # GitHub numbers repeated headings: name, name-1, ...
            n += 1
            name = f"{base}-{n}"
        out.add(name)
    return out


def link_problems(page: str, text: str) -> list[str]:
    problems = []
    here = (REPO / page).parent
    for target in LINK.findall(prose(text)):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target):  # https:, mailto: ...
            continue
        path, _, anchor = target.partition("#")
        file = (here / path).resolve() if path else REPO / page
        rel = file.relative_to(REPO).as_posix() if file.is_relative_to(REPO) else str(file)
        if not file.exists():
            if rel not in PENDING:
                problems.append(f"{target}: {rel} does not exist")
            continue
        if (
            anchor
            and file.suffix == ".md"
            and anchor not in anchors(file.read_text(encoding="utf-8"))
        ):
            problems.append(f"{target}: no heading #{anchor} in {rel}")
    return problems


@pytest.mark.parametrize("page", pages())
def test_every_relative_link_points_at_a_file_and_heading_that_exist(page):
    assert link_problems(page, read(page)) == []


def test_the_link_check_fails_on_a_broken_link():
    text = read("README.md")
    assert link_problems("README.md", text + "\n[x](docs/nowhere.md)\n")
    assert link_problems("README.md", text + "\n[x](docs/cli.md#no-such-heading)\n")
    assert link_problems("README.md", text + "\n[x](#no-such-heading)\n")
    assert link_problems("docs/cli.md", "[x](cli.md#nnplug-train)") == []
    assert link_problems("docs/cli.md", "[x](../README.md#headline-figures)") == []


def test_every_docs_page_is_in_the_readme_list():
    listed = section(read("README.md"), "Documentation")
    for page in [*pages()[1:], *sorted(PENDING)]:
        assert f"]({page})" in listed, page
    assert "](architecture.md)" in read("docs/plugin-guide.md")


# -- names quoted as code ------------------------------------------------------------------------
REPO_PATH = re.compile(r"^(?:plugins|benchmarks|tests|nnplug|docs)/[\w./-]*$")
DOTTED = re.compile(r"^(nnplug(?:_\w+)?(?:\.\w+)+)")


def resolves(dotted: str) -> bool:
    """``nnplug.a.b.c`` names a module, or an attribute of one (``Class.method`` too)."""
    parts = dotted.split(".")
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError:
            continue
        try:
            for attr in parts[i:]:
                obj = getattr(obj, attr)
        except AttributeError:
            return False
        return True
    return False


def name_problems(text: str) -> list[str]:
    problems = []
    for code in set(CODE.findall(prose(text))):
        code = code.strip()
        if REPO_PATH.match(code) and not (REPO / code).exists():
            problems.append(f"`{code}` does not exist")
        m = DOTTED.match(code)
        if m and not resolves(m.group(1)):
            problems.append(f"`{code}`: {m.group(1)} does not exist")
    return sorted(problems)


@pytest.mark.parametrize("page", pages())
def test_every_path_and_dotted_name_quoted_as_code_exists(page):
    assert name_problems(read(page)) == []


def test_the_name_check_fails_on_an_old_module_path():
    assert name_problems("`nnplug.training.train` and `nnplug/threads.py`") == [
        "`nnplug.training.train`: nnplug.training.train does not exist",
        "`nnplug/threads.py` does not exist",
    ]
    assert name_problems("`nnplug.nn.training.train(config)` in `nnplug/nn/training.py`") == []
    assert name_problems("`nnplug.files.model.Model.predictt`")


# -- the README --------------------------------------------------------------------------------
def readme_problems(text: str) -> list[str]:
    lines = text.count("\n")
    return [f"README.md has {lines} lines; move detail to docs/"] * (lines >= README_MAX_LINES)


def test_the_readme_is_under_250_lines():
    assert readme_problems(read("README.md")) == []


def test_the_readme_check_fails_on_a_long_readme():
    assert readme_problems(read("README.md") + "more\n" * README_MAX_LINES)
    assert readme_problems("x\n" * (README_MAX_LINES - 1)) == []
