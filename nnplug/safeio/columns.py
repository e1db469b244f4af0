"""The cells of a CSV table's columns while it is read (:mod:`nnplug.safeio.csvtables`):
each distinct text of a column parsed once, and the columns that hold text found.

A column that may still turn out to be text -- every column when the reader looks for
text columns -- keeps a code per cell (4 bytes) into its distinct texts, as long as it has
at most :data:`MAX_LEVELS` of them. A column with more distinct values that holds only
numbers is numeric from then on (a later text cell in it is a bad value); a text column
with more is refused (an id or free text, not categories). A column whose cells are mostly
numbers is numeric: its few texts (a typo, ``"unknown"``) are bad values, found when the
file has been read.
"""

from __future__ import annotations

import math
from array import array
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from nnplug.errors import DataError
from nnplug.safeio.tables import TEXT, cell

#: the most distinct values a text (categorical) column may hold
MAX_LEVELS = 1000
MISSING = "missing value"


#: bytes of one tracked column's records (pool, parsed cells, texts, lines, codes) and of
#: one distinct cell text kept in them: measured 380-710 and about 170 with tracemalloc
#: (CPython 3.11), bounded here
COLUMN_BYTES, LEVEL_BYTES = 768, 256


def state_bytes(columns: int) -> int:
    """The records of ``columns`` tracked columns, before any cell is read."""
    return COLUMN_BYTES * columns


class Columns:
    """Per-column state of one read: ``cell(k, text, line)`` gives ``(value, why)`` as
    :func:`nnplug.safeio.tables.cell` does, except that a text cell of a text column is a
    usable value (NaN here; its code is kept). ``keep_row``/``drop_row`` after each row."""

    def __init__(
        self,
        n: int,
        detect: bool,
        forced: list[bool],
        shown: Sequence[str],
        path: Path,
        hint: str,
    ):
        self.detect, self.forced, self.shown, self.path, self.hint = (
            detect,
            forced,
            shown,
            path,
            hint,
        )
        track = [detect or f for f in forced]
        #: per column: raw cell text -> code (None: the column is numeric for good)
        self.pools: list[dict[str, int] | None] = [{} if t else None for t in track]
        #: per column and code: the parsed cell and its stripped text
        self.parsed: list[list[tuple[float | None, str]]] = [[] for _ in range(n)]
        self.texts: list[list[str]] = [[] for _ in range(n)]
        self.lines: list[list[int]] = [[] for _ in range(n)]  # where each code first was
        self.codes: list[array | None] = [array("i") if t else None for t in track]
        self.is_text = list(forced)
        self.pending: list[tuple[int, int]] = []  # (column, code) of the row being read
        #: the memory this state holds beyond the values read (judged with them against
        #: NNPLUG_MAX_BYTES): the per-column records, each distinct text kept, each code
        self.code_bytes = COLUMN_BYTES * sum(track)

    def cell(self, k: int, raw: str, line: int) -> tuple[float | None, str]:
        pool = self.pools[k]
        if pool is None:
            value, why = cell(raw)
            if why.startswith(TEXT) and self.detect:
                why = f"{why} in a column of more than {MAX_LEVELS} different numbers"
            return value, why
        code = pool.get(raw)
        if code is None:
            code = pool[raw] = len(pool)
            self.code_bytes += LEVEL_BYTES
            parsed = cell(raw)
            if self.forced[k] and parsed[1] != MISSING:
                parsed = (math.nan, "")
            self.parsed[k].append(parsed)
            self.texts[k].append(raw.strip(" \t\r\n"))
            self.lines[k].append(line)
            if parsed[1].startswith(TEXT):
                self.is_text[k] = True
            if len(pool) > MAX_LEVELS and not self.forced[k]:
                self._too_many(k, line)  # a text column: refused; else numeric for good
                return parsed
        self.pending.append((k, code))
        value, why = self.parsed[k][code]
        if self.is_text[k] and why.startswith(TEXT):
            return math.nan, ""
        return value, why

    def _too_many(self, k: int, line: int) -> None:
        if self.is_text[k]:
            hint = f" ({self.hint})" if self.hint else ""
            raise DataError(
                f"{self.path}: column {self.shown[k]} holds text with more than {MAX_LEVELS} "
                f"different values by line {line}: too many to be categories (an id or free "
                f"text?){hint}"
            )
        codes, pool = self.codes[k], self.pools[k]
        self.code_bytes -= 4 * (len(codes) if codes is not None else 0)
        self.code_bytes -= LEVEL_BYTES * (len(pool) if pool is not None else 0)
        self.pools[k] = self.codes[k] = None  # numbers only: numeric for good
        self.parsed[k], self.texts[k], self.lines[k] = [], [], []
        self.pending = [(j, c) for j, c in self.pending if j != k]

    def keep_row(self) -> None:
        for k, code in self.pending:
            codes = self.codes[k]
            if codes is not None:
                codes.append(code)
                self.code_bytes += 4
        self.pending = []

    def drop_row(self) -> None:
        self.pending = []

    def finish(self, X: np.ndarray) -> tuple[dict[int, list[str]], np.ndarray | None, str]:
        """Write each text column's level indices into ``X`` (NaN: missing). Returns its
        levels, and the rows holding text in a column of mostly numbers (a bad value: None
        when there is none) with the first such problem."""
        levels: dict[int, list[str]] = {}
        bad_rows, problem, first = None, "", 0
        for k, is_text in enumerate(self.is_text):
            codes = self.codes[k]
            if not is_text or codes is None or not len(codes):
                continue
            cells = np.frombuffer(codes, np.int32)
            counts = np.bincount(cells, minlength=len(self.texts[k]))
            kinds = [why for _, why in self.parsed[k]]
            text = np.array([why.startswith(TEXT) for why in kinds], bool)
            numeric = np.array([why == "" for why in kinds], bool)
            if not self.forced[k] and counts[numeric].sum() > counts[text].sum():
                rows = text[cells]  # mostly numbers: its texts are bad values
                bad_rows = rows if bad_rows is None else bad_rows | rows
                code = int(min(np.flatnonzero(text & (counts > 0)), key=lambda c: self.lines[k][c]))
                if not problem or self.lines[k][code] < first:
                    first = self.lines[k][code]
                    problem = f"line {first}, column {self.shown[k]}: {kinds[code]}"
                continue
            index: dict[str, int] = {}
            remap = np.full(len(self.texts[k]), np.nan)
            for code, (txt, why) in enumerate(zip(self.texts[k], kinds, strict=True)):
                if why != MISSING:
                    remap[code] = index.setdefault(txt, len(index))
            X[:, k] = remap[cells]
            levels[k] = list(index)
        return levels, bad_rows, problem
