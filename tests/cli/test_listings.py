"""``nnplug plugins`` and ``nnplug datasets`` as a new user reads them (issue 20): each
description's first sentence, reStructuredText markup stripped, in aligned columns (the
whole first paragraph in --json); csv and npz listed as reading your file, not as missing
downloads."""

from __future__ import annotations

import json
import re
import types

from click.testing import CliRunner

from nnplug import hookimpl
from nnplug.base import Layer
from nnplug.cli import main
from nnplug.cli.doctext import first_sentence, plain
from nnplug.registry import Registry


def run(*args):
    res = CliRunner().invoke(main, list(args))
    assert res.exit_code == 0, res.output
    return res.output


class Wordy(Layer):
    """Wordy layer: multiplies by ``alpha`` (see :class:`nnplug.base.Layer` and
    `PyTorch <https://pytorch.org>`_), **never** *in place*; e.g. ``wordy:2``. A second
    sentence that the listing leaves out.

    A second paragraph no listing shows.
    """

    name = "wordy"


def test_the_text_is_the_first_sentence_without_markup():
    assert plain("``p`` :class:`nnplug.base.Layer` :func:`x <y.z>` `PyTorch <https://a.b>`_"
                 " **bold** *it* p *= 1 - lr") == (
        "p nnplug.base.Layer x PyTorch bold it p *= 1 - lr")
    assert first_sentence("Handwritten digits (LeCun et al.), 60k train. More here.") == (
        "Handwritten digits (LeCun et al.), 60k train.")
    assert first_sentence("Width ``units``, e.g. ``linear:512``. Next.") == (
        "Width units, e.g. linear:512.")


def test_plugins_lists_whole_first_sentences_in_aligned_columns(use_registry):
    reg = use_registry(Registry())
    plugin = types.SimpleNamespace(
        nnplug_register_layers=hookimpl(lambda register: register(Wordy)))
    reg.add_plugin(plugin, "wordy", dist="nnplug-wordy-layers", version="10.0.1")
    out = run("plugins")
    (line,) = [x for x in out.splitlines() if x.lstrip().startswith("wordy ")]
    assert line.endswith(
        "Wordy layer: multiplies by alpha (see nnplug.base.Layer and PyTorch), never in "
        "place; e.g. wordy:2.")
    rows = [x for x in out.splitlines() if x.startswith("  ")]
    assert len(rows) > 20
    # every row's distribution and description start in the same columns (the compiled
    # kernels and ONNX columns between them are blank for datasets and backends)
    starts = set()
    for x in rows:
        fields = [f for f in re.split(r"\s{2,}", x.strip()) if not f.startswith("[")]
        starts.add((x.index(fields[1]), x.index(fields[-1], x.index(fields[1]) + 1)))
    assert len(starts) == 1, starts
    for x in rows:  # no description is cut: each ends a sentence (or the lr table)
        assert x.rstrip().endswith((".", "]")), x
    assert "``" not in out and ":class:" not in out
    data = json.loads(run("plugins", "--json"))
    (wordy,) = [c for c in data["components"] if c["name"] == "wordy"]
    assert wordy["summary"].startswith("Wordy layer: multiplies by ``alpha`` (see")
    assert wordy["summary"].endswith("A second sentence that the listing leaves out.")
    assert "second paragraph" not in wordy["summary"]


def test_datasets_lists_csv_and_npz_as_your_file(tmp_path):
    out = run("datasets", "--data-dir", str(tmp_path))
    states = dict(re.findall(r"^(\w+) +(?:\w+|by target) +(cached|missing|your file|-) ",
                             out, re.M))
    assert states["csv"] == states["npz"] == "your file"
    assert states["mnist"] == "missing" and states["digits"] == "cached"
    rows = {r["name"]: r for r in json.loads(run("datasets", "--data-dir", str(tmp_path),
                                                 "--json"))}
    for name in ("csv", "npz"):
        assert rows[name]["user_file"] is True
        assert rows[name]["downloadable"] is False and rows[name]["cached"] is False
    assert rows["mnist"]["downloadable"] is True and rows["mnist"]["user_file"] is False
    assert rows["digits"]["downloadable"] is False and rows["digits"]["cached"] is True
    assert run("datasets", "fetch", "csv") == (
        "csv: nothing to download: it reads your own file (--data FILE)\n")
