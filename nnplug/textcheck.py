"""Strict reading of text from files: numbers as people write them in data files, and
strings safe to print on one line.

Python's ``float()`` also accepts Arabic-Indic and full-width digits ("١٢", "１２"),
underscores ("1_000") and surrounding Unicode spaces; a data cell holding those is not
a number here. :func:`printable` makes a value read from a file (a plugin name, a
version) one short printable line, so a file cannot print several lines of its own.
"""

from __future__ import annotations

import math
import re
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


def printable(value: Any, cap: int = 80) -> str:
    """``value`` as one printable line of at most ``cap`` characters: control characters
    and other unprintable ones become ``?``; longer text is cut with ``...``."""
    text = "".join(c if c.isprintable() else "?" for c in str(value))
    return text if len(text) <= cap else text[: cap - 3] + "..."


def is_printable(value: Any, cap: int) -> bool:
    """A string of at most ``cap`` printable characters (no newline, no control)."""
    return isinstance(value, str) and len(value) <= cap and value.isprintable()
