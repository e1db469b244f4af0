"""Command-line options a component declares for itself (no click needed to declare them).

A dataset lists them in its class attribute ``cli_options``; ``nnplug train --dataset
NAME`` then accepts them and passes each one the user gives to the dataset's constructor
as the keyword ``name``::

    from nnplug.base import Dataset
    from nnplug.options import Option

    class Weather(Dataset):
        name = "weather"
        cli_options = (
            Option("station", "Station code, e.g. 'EGLL'."),
            Option("days", "How many days of history.", type=int),
            Option("fahrenheit", "Temperatures in Fahrenheit.", type=bool),  # a flag
            Option("data", "A local copy of the readings.", type="file"),
        )

        def __init__(self, station="EGLL", days=30, fahrenheit=False, data=None): ...
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from nnplug.errors import NNPlugError

#: what ``Option.type`` may be: a value type, ``bool`` for a flag, ``"file"`` for a path
TYPES: tuple[Any, ...] = (str, int, float, bool, "file")


@dataclass(frozen=True)
class Option:
    """``--NAME`` (``_`` written ``-``) on the command line, keyword ``name`` in Python.

    ``type``: ``str``, ``int``, ``float``, ``bool`` (a flag, True when given) or
    ``"file"`` (a path to a file). ``choices`` limits a ``str`` option to those values.
    The value reaches the constructor only when the user gives the option.
    """

    name: str
    help: str = ""
    type: Any = str
    choices: tuple[str, ...] = ()

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")


def declared_options(cls: Any, what: str) -> tuple[Option, ...]:
    """``cls.cli_options``, checked; a bad declaration is a one-line error naming
    ``what`` (e.g. ``dataset 'weather' from plugin 'wx' (nnplug-wx 1.0)``)."""
    options = getattr(cls, "cli_options", ()) or ()
    if not isinstance(options, (tuple, list)):
        raise NNPlugError(f"{what}: cli_options must be a tuple of nnplug.options.Option")
    seen: set[str] = set()
    for opt in options:
        if not isinstance(opt, Option):
            raise NNPlugError(
                f"{what}: cli_options holds {type(opt).__name__!s}, not nnplug.options.Option"
            )
        if not opt.name.isidentifier() or opt.name.startswith("_"):
            raise NNPlugError(f"{what}: option name {opt.name!r} is not a Python keyword name")
        if opt.type not in TYPES:
            raise NNPlugError(
                f"{what}: option {opt.flag} has type {opt.type!r}; use one of "
                "str, int, float, bool or 'file'"
            )
        if opt.choices and opt.type is not str:
            raise NNPlugError(f"{what}: option {opt.flag} has choices, so its type must be str")
        if opt.name in seen:
            raise NNPlugError(f"{what}: option {opt.flag} is declared twice")
        seen.add(opt.name)
    return tuple(options)


__all__ = [
    "TYPES",
    "Option",
    "declared_options",
]
