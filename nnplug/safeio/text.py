"""Strict reading of text from files: numbers as people write them in data files, and
strings safe to print on one line.

Python's ``float()`` also accepts Arabic-Indic and full-width digits ("١٢", "１２"),
underscores ("1_000") and surrounding Unicode spaces; a data cell holding those is not
a number here. :func:`one_line` makes a value a plugin or a file supplies (a plugin name,
a version, a class name, an exception message) one short printable line, so neither can
print several lines of its own or drive the terminal: it is the one sanitiser of every
message nnplug prints.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from typing import Any

#: an ASCII decimal number: optional sign, digits with an optional point, an exponent
NUMBER = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_INF = {"inf", "+inf", "-inf", "infinity", "+infinity", "-infinity"}


def number(text: str) -> float | None:
    """The finite number ``text`` spells in ASCII (spaces around it allowed), else None."""
    text = text.strip(" \t")
    if not NUMBER.fullmatch(text):
        return None
    value = float(text)
    return value if math.isfinite(value) else None


def is_infinite(text: str) -> bool:
    """Does ``text`` spell an infinity (``inf``, ``-Infinity``, ``1e999``)?"""
    text = text.strip(" \t")
    return text.lower() in _INF or (bool(NUMBER.fullmatch(text)) and math.isinf(float(text)))


def is_printable(value: Any, cap: int) -> bool:
    """A string of at most ``cap`` printable characters (no newline, no control)."""
    return isinstance(value, str) and len(value) <= cap and value.isprintable()


#: ANSI/VT100 escape sequences (colours, cursor movement, OSC titles): dropped whole
_ESCAPES = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b.?")


def one_line(value: object, limit: int = 200) -> str:
    """``value`` as one short printable line: for anything a plugin or a file supplies.

    Terminal escape sequences are dropped, line breaks and tabs become spaces, other
    control and format characters (e.g. bidi overrides) are shown escaped (``\\x07``,
    ``\\u202e``), runs of spaces collapse, and text beyond ``limit`` characters is cut
    with ``…``.
    """
    raw = str(value)
    window = 8 * limit + 64  # what can reach the line: a million joined names are not read
    more = len(raw) > window
    text = _ESCAPES.sub("", raw[:window] if more else raw)
    out = []
    for ch in text:
        if ch in "\r\n\t\v\f":
            out.append(" ")
        elif unicodedata.category(ch) in ("Cc", "Cf", "Cs", "Co", "Zl", "Zp"):
            out.append(ascii(ch)[1:-1])
        else:
            out.append(ch)
    text = " ".join("".join(out).split())
    return text if len(text) <= limit and not more else text[: max(limit - 1, 0)] + "…"


class ShownNames(Sequence[str]):
    """Column names as messages print them -- ``one_line(name, 60)``, in single quotes
    when ``quoted`` -- each made when a message asks for it: a table may have millions of
    columns and most messages name one."""

    def __init__(self, names: Sequence[str], *, quoted: bool = True) -> None:
        self.names, self.quoted = names, quoted

    def __len__(self) -> int:
        return len(self.names)

    def __getitem__(self, j):
        if isinstance(j, slice):
            return [self[k] for k in range(*j.indices(len(self)))]
        name = one_line(self.names[j], 60)
        return f"'{name}'" if self.quoted else name


def describe_exception(exc: BaseException) -> str:
    """``"ValueError: message"`` on one line (just the type when there is no message)."""
    message = one_line(exc)
    name = type(exc).__name__
    return f"{name}: {message}" if message else name
