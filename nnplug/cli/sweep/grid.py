"""The trials of ``nnplug sweep``: the ``--grid`` text, parsed with the types of ``nnplug
train``'s own options; ``--random N`` sampled from it; each trial's identity and its
``nnplug train`` command line.

Grid syntax: ``NAME=V1,V2;NAME=V1,V2`` -- ``;`` between options, ``,`` between values.
A layer spec is itself a comma list, so ``layers`` (and any value list holding a ``|``)
separates its values with ``|``: ``layers=linear,relu|linear:512,relu``. ``none`` is the
value of an option whose default is unset (``patience=none,5``).

A trial's id is a hash of its complete options (every ``nnplug train`` option, defaults
included, and the dataset's options): the same trial has the same id in every sweep, which
is what ``--resume`` matches.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import shlex
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from math import prod
from typing import Any

import click

from nnplug.errors import NNPlugError

#: more grid points than this must be sampled with --random
MAX_TRIALS = 100_000
#: options whose values are comma lists themselves: their alternatives are split on "|"
PIPE_SEPARATED = ("layers",)


class GridError(NNPlugError):
    """A ``--grid`` that cannot be parsed (exit 2, as for a bad option)."""

    exit_code = 2


@dataclass
class Trial:
    """One ``nnplug train`` run of a sweep (plain data: it travels to worker processes)."""

    params: dict[str, Any]  # the grid's values, by option name
    options: dict[str, Any]  # every TrainConfig option but dataset_options
    dataset_options: dict[str, Any] = field(default_factory=dict)  # the ones given
    id: str = ""

    def __post_init__(self) -> None:
        if not self.id:
            blob = json.dumps([self.options, self.dataset_options], sort_keys=True, default=str)
            self.id = hashlib.sha256(blob.encode()).hexdigest()[:12]

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "params": self.params,
            "options": self.options,
            "dataset_options": self.dataset_options,
        }


def _key(raw: str) -> str:
    return raw.strip().lstrip("-").replace("-", "_")


def convert(param: click.Parameter, raw: str, ctx: click.Context) -> Any:
    """``raw`` as the command line would give it to ``param``; paths made absolute (a
    worker elsewhere, or in another directory, reads the same file)."""
    if raw.strip().lower() == "none" and param.default is None:
        return None
    value = param.type.convert(raw.strip(), param, ctx)
    if isinstance(param.type, click.Path) and value is not None:
        value = os.path.abspath(value)
    return value


def parse_grid(
    text: str,
    params: Mapping[str, click.Parameter],
    ctx: click.Context,
    given: Collection[str] = (),
) -> list[tuple[str, list[Any]]]:
    """``[(option name, [values])]`` from ``--grid`` text; ``params`` are the options a
    grid may vary (by name), ``given`` those set on the command line as well."""
    axes: list[tuple[str, list[Any]]] = []
    for item in (part.strip() for part in text.split(";")):
        if not item:
            continue
        name, eq, values = item.partition("=")
        key = _key(name)
        if not eq or not key:
            raise GridError(f"--grid: '{item}' is not NAME=VALUE,VALUE (e.g. 'lr=0.01,0.05')")
        param = params.get(key)
        if param is None:
            raise GridError(
                f"--grid: '{name.strip()}' is not a training option a sweep can "
                f"vary (those of nnplug train: see 'nnplug sweep --help')"
            )
        if any(key == k for k, _ in axes):
            raise GridError(f"--grid: '{key}' is listed twice")
        if key in given:
            raise GridError(
                f"--grid: '{key}' is also given as --{key.replace('_', '-')}; give it in one place"
            )
        sep = "|" if key in PIPE_SEPARATED or "|" in values else ","
        raws = [v.strip() for v in values.split(sep)]
        if not all(raws):
            raise GridError(f"--grid: '{item}' has an empty value")
        converted = []
        for raw in raws:
            try:
                converted.append(convert(param, raw, ctx))
            except click.BadParameter as exc:
                raise GridError(f"--grid: {key}={raw}: {exc.message}") from None
        if len(set(map(repr, converted))) < len(converted):
            raise GridError(f"--grid: '{item}' lists a value twice")
        axes.append((key, converted))
    if not axes:
        raise GridError("--grid is empty; write e.g. --grid 'lr=0.01,0.05;hidden=128,256'")
    return axes


def points(
    axes: list[tuple[str, list[Any]]], sample: int | None = None, seed: int = 0
) -> list[dict[str, Any]]:
    """Every point of the grid (in order: the last option varies fastest), or ``sample``
    of them drawn without replacement by ``seed`` (kept in grid order)."""
    sizes = [len(values) for _, values in axes]
    total = prod(sizes)
    if sample is None and total > MAX_TRIALS:
        raise GridError(
            f"--grid has {total} points (more than {MAX_TRIALS}); sample some with --random N"
        )
    chosen = (
        range(total)
        if sample is None or sample >= total
        else sorted(random.Random(seed).sample(range(total), sample))
    )
    out = []
    for index in chosen:  # mixed-radix digits of the index, the last option fastest
        point: dict[str, Any] = {}
        for (name, values), size in zip(reversed(axes), reversed(sizes), strict=True):
            index, digit = divmod(index, size)
            point[name] = values[digit]
        out.append(dict(reversed(point.items())))
    return out


def make_trials(
    grid_points: list[dict[str, Any]],
    base: dict[str, Any],
    base_dataset: dict[str, Any],
    dataset_names: set[str],
) -> list[Trial]:
    """One :class:`Trial` per grid point: the base options with the point's values."""
    trials = []
    for point in grid_points:
        options, ds = dict(base), dict(base_dataset)
        for name, value in point.items():
            target = ds if name in dataset_names else options
            target[name] = value
        trials.append(Trial(point, options, {k: v for k, v in ds.items() if v is not None}))
    return trials


def train_command(trial: Trial | Mapping[str, Any], params: list[click.Parameter]) -> str:
    """The ``nnplug train`` command line of a trial: every option that differs from
    ``nnplug train``'s default, and ``--threads`` always (copy-pasteable; paths absolute)."""
    if not isinstance(trial, Trial):
        trial = Trial(trial["params"], trial["options"], trial["dataset_options"], trial["id"])
    values = {**trial.options, **trial.dataset_options}
    words = ["nnplug", "train"]
    for param in params:
        if not isinstance(param, click.Option) or param.name not in values:
            continue
        value = values[param.name]
        if value == param.default and param.name != "threads":
            continue
        if param.is_flag:
            flags = param.opts if value else param.secondary_opts
            words += flags[:1]
        elif value is not None:
            words += [param.opts[0], shlex.quote(str(value))]
    return " ".join(words)
