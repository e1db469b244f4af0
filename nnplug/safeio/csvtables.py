"""CSV tables (:mod:`nnplug.safeio.tables` says what every table gets): a header row,
found or required; columns chosen by name; rows read into 8 bytes per cell (4 more while a
column may still turn out to be text), at most ``NNPLUG_MAX_BYTES``, each distinct text kept
once."""

from __future__ import annotations

import csv
import math
from array import array
from collections import Counter
from collections.abc import Collection, Iterator, Sequence
from pathlib import Path
from typing import IO

import numpy as np

from nnplug.errors import DataError
from nnplug.safeio.columns import Columns, state_bytes
from nnplug.safeio.limits import check_bytes, max_bytes, open_text
from nnplug.safeio.tables import TEXT, Table, bad_value, cell, is_missing, no_rows
from nnplug.safeio.text import ShownNames, one_line


def quoted(names: Sequence[str], cap: int = 300) -> str:
    """``'a', 'b'`` -- names from a file, each made one printable line."""
    return one_line(", ".join(f"'{one_line(n, 60)}'" for n in names), cap)


class CsvFile:
    """An open CSV file and its header: ``with CsvFile(path) as f: table = f.read(...)``.

    ``header=True``: the first non-blank row is the header; ``None``: it is when one of its
    cells is one of the ``known`` column names, or text (neither a number nor a missing
    value) at a position not in ``text_at`` (where text is data); else it is the first data
    row. Blank lines are skipped; a header may not name a column twice.
    """

    def __init__(
        self,
        path: str | Path,
        what: str = "input file",
        header: bool | None = True,
        *,
        known: Collection[str] = (),
        text_at: Collection[int] = (),
    ):
        self.path = Path(path)
        self.fh: IO[str] = open_text(self.path, what, DataError)
        self.reader = csv.reader(self.fh)
        self.header: list[str] | None = None
        self.pending: list[list[str]] = []  # a first row that is data, not a header
        self.first_line = self.width = 0
        try:
            self._start(header, set(known), set(text_at))
        except BaseException:
            self.fh.close()
            raise

    def __enter__(self) -> CsvFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.fh.close()

    def _rows(self) -> Iterator[list[str]]:
        """The non-blank rows not read yet; a damaged file is a one-line error."""
        yield from self.pending
        self.pending = []
        try:
            for row in self.reader:
                if any(c.strip() for c in row):
                    yield row
        except (csv.Error, UnicodeDecodeError) as exc:
            line = self.reader.line_num  # 0: the first chunk could not be decoded
            near = f" near line {line}" if line else ""
            raise DataError(
                f"{self.path}: not a readable CSV file{near} ({one_line(exc, 100)})"
            ) from None

    def _start(self, header: bool | None, known: set[str], text_at: set[int]) -> None:
        first = next(self._rows(), None)
        if first is None:
            if header:
                raise DataError(f"{self.path}: empty file (expected a header row)")
            return
        self.first_line, self.width = self.reader.line_num, len(first)
        if header is None and not (
            any(c.strip() in known for c in first)
            or any(cell(c)[1].startswith(TEXT) for i, c in enumerate(first) if i not in text_at)
        ):
            self.pending = [first]
            return
        self.header = [c.strip() for c in first]
        dupes = sorted(h for h, n in Counter(self.header).items() if n > 1)
        if len(dupes) == 1:
            raise DataError(
                f"{self.path}: column name '{one_line(dupes[0], 60)}' appears twice in the header"
            )
        if dupes:
            raise DataError(
                f"{self.path}: column names {quoted(dupes)} appear more than once in the header"
            )

    def select(
        self,
        target: str | None,
        features: Sequence[str] | None,
        exclude: Sequence[str] = (),
    ) -> list[str]:
        """The feature columns by name: ``features`` (default: all but ``target``) without
        ``exclude``, checked."""
        names = self.header or []
        columns = one_line(", ".join(names), 300)
        shown = one_line(target, 60)
        if target is not None and target not in names:
            raise DataError(f"{self.path}: no column '{shown}' for --target; columns: {columns}")
        known = set(names)  # (a header may name a million columns: no list lookups)
        chosen = list(features) if features else [h for h in names if h != target]
        unknown = [f for f in chosen if f not in known]
        if unknown:
            raise DataError(
                f"{self.path}: no column '{one_line(unknown[0], 60)}' in --features; "
                f"columns: {columns}"
            )
        unknown = [e for e in exclude if e not in known]
        if unknown:
            raise DataError(
                f"{self.path}: no column {quoted(unknown)} to --exclude; columns: {columns}"
            )
        left_out = set(exclude)
        chosen = [c for c in chosen if c not in left_out]
        if target in chosen:
            raise DataError(f"{self.path}: column '{shown}' is both a feature and the target")
        if not chosen:
            raise DataError(
                f"{self.path}: no feature columns: the file holds only the target column '{shown}'"
                if not exclude
                else f"{self.path}: no feature columns left after --exclude"
            )
        return chosen

    def read(
        self,
        target: str | None = None,
        features: Sequence[str] | None = None,
        *,
        exclude: Sequence[str] = (),
        drop_missing: bool = False,
        keep_missing: bool = False,
        text: bool = False,
        as_text: Collection[str] = (),
        as_text_at: Collection[int] = (),
        hint: str = "",
    ) -> Table:
        """The rest of the file: the columns ``features`` (default: all but ``target``,
        less ``exclude``; by name only when the file has a header) as ``X``, the ``target``
        column's texts as ``y``. ``text``: a column holding text is read as categories
        (:attr:`Table.levels`); the columns named in ``as_text`` (or at the positions
        ``as_text_at`` among those read) are read so whatever they hold. ``keep_missing``:
        a missing feature value is NaN (``drop_missing`` wins)."""
        if self.header is None and (target is not None or features or exclude or as_text):
            raise ValueError("columns are chosen by name only in a file with a header")
        names = self.select(target, features, exclude) if self.header is not None else None
        where = {h: i for i, h in enumerate(self.header or [])}
        cols = [where[n] for n in names] if names else list(range(self.width))
        shown: Sequence[str] = ShownNames(names) if names else [str(c + 1) for c in cols]
        t_col = None if target is None else where[target]
        expected = "the header has" if names else f"line {self.first_line} has"
        missing_target = f"column '{one_line(target, 60)}': missing target"
        keep = keep_missing and not drop_missing
        forced = [
            (names is not None and names[k] in as_text) or k in as_text_at for k in range(len(cols))
        ]
        tracked = sum(text or f for f in forced)
        check_bytes(  # the per-column records, before they are made (a header may name millions)
            8 * len(cols) + state_bytes(tracked),
            f"{self.path}: reading {len(cols)} columns",
        )
        table = Columns(len(cols), text, forced, shown, self.path, hint)
        values = array("d")
        labels: list[str] = []
        pool: dict[str, str] = {}  # each distinct target text is kept once
        rows, dropped, first_drop, bad = 0, 0, "", [0] * len(cols)
        for row in self._rows():
            line = self.reader.line_num
            if len(row) != self.width:
                raise DataError(
                    f"{self.path}: line {line} has {len(row)} fields, {expected} {self.width}"
                )
            problem, row_values = "", []  # the values are used only when all are usable
            for k, c in enumerate(cols):
                value, why = table.cell(k, row[c], line)
                if value is None:
                    if why == "missing value" and keep:
                        value = math.nan
                    else:
                        bad[k] += 1
                        problem = problem or f"line {line}, column {shown[k]}: {why}"
                        continue
                row_values.append(value)
            if t_col is not None and is_missing(row[t_col]):
                if keep and not problem:
                    dropped, first_drop = (
                        dropped + 1,
                        first_drop or f"line {line}, {missing_target}",
                    )
                    table.drop_row()
                    continue
                problem = problem or f"line {line}, {missing_target}"
            if problem:
                if not drop_missing:
                    raise bad_value(self.path, problem, hint)
                dropped, first_drop = dropped + 1, first_drop or problem
                table.drop_row()
                continue
            if 8 * (len(values) + len(cols)) + table.code_bytes > max_bytes():
                check_bytes(
                    8 * (len(values) + len(cols)) + table.code_bytes,
                    f"{self.path} (more than {rows} rows of {len(cols)} features)",
                )
            values.extend(row_values)
            table.keep_row()
            if t_col is not None:
                label = row[t_col].strip()
                labels.append(pool.setdefault(label, label))
            rows += 1
        if not rows:
            always = [shown[k] for k, n in enumerate(bad) if n and n == dropped]
            raise no_rows(
                self.path,
                f": column {always[0]} is not numeric in any row; leave it out with --features"
                if always
                else "",
            )
        X = np.frombuffer(values, np.float64).reshape(rows, len(cols))
        y = None if t_col is None else np.array(labels, dtype=object)
        levels, text_rows, problem = table.finish(X)
        if text_rows is not None:  # text in a column of numbers: a bad value after all
            if not drop_missing:
                raise bad_value(self.path, problem, hint)
            X, y = X[~text_rows], None if y is None else y[~text_rows]
            dropped, first_drop = dropped + int(text_rows.sum()), first_drop or problem
            if not len(X):
                raise no_rows(self.path)
        return Table(X, y, names, dropped, first_drop, levels)


def read_csv(
    path: str | Path,
    what: str = "input file",
    *,
    target: str | None = None,
    features: Sequence[str] | None = None,
    exclude: Sequence[str] = (),
    drop_missing: bool = False,
    keep_missing: bool = False,
    text: bool = False,
    hint: str = "",
) -> Table:
    """A CSV file with a header row: :meth:`CsvFile.read` of ``CsvFile(path, what)``."""
    with CsvFile(path, what) as f:
        return f.read(
            target,
            features,
            exclude=exclude,
            drop_missing=drop_missing,
            keep_missing=keep_missing,
            text=text,
            hint=hint,
        )
