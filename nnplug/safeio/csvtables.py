"""CSV tables (:mod:`nnplug.safeio.tables` says what every table gets): a header row,
found or required; columns chosen by name; rows read into 8 bytes per cell, at most
``NNPLUG_MAX_BYTES``, each distinct target text kept once."""

from __future__ import annotations

import csv
from array import array
from collections import Counter
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import IO

import numpy as np

from nnplug.errors import DataError
from nnplug.safeio.limits import check_bytes, max_bytes, open_text
from nnplug.safeio.tables import TEXT, Table, bad_value, cell, is_missing, no_rows
from nnplug.safeio.text import one_line


class CsvFile:
    """An open CSV file and its header: ``with CsvFile(path) as f: table = f.read(...)``.

    ``header=True``: the first non-blank row is the header; ``None``: it is when one of its
    cells is text (neither a number nor a missing value), else it is the first data row.
    Blank lines are skipped; a header may not name a column twice.
    """

    def __init__(self, path: str | Path, what: str = "input file", header: bool | None = True):
        self.path = Path(path)
        self.fh: IO[str] = open_text(self.path, what, DataError)
        self.reader = csv.reader(self.fh)
        self.header: list[str] | None = None
        self.pending: list[list[str]] = []  # a first row that is data, not a header
        self.first_line = self.width = 0
        try:
            self._start(header)
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

    def _start(self, header: bool | None) -> None:
        first = next(self._rows(), None)
        if first is None:
            if header:
                raise DataError(f"{self.path}: empty file (expected a header row)")
            return
        self.first_line, self.width = self.reader.line_num, len(first)
        if header is None and not any(cell(c)[1].startswith(TEXT) for c in first):
            self.pending = [first]
            return
        self.header = [c.strip() for c in first]
        dupes = sorted(h for h, n in Counter(self.header).items() if n > 1)
        if dupes:
            raise DataError(
                f"{self.path}: column name '{one_line(dupes[0], 60)}' appears twice in the header"
            )

    def select(self, target: str | None, features: Sequence[str] | None) -> list[str]:
        """The feature columns by name: ``features`` (default: all but ``target``), checked."""
        names = self.header or []
        columns = one_line(", ".join(names), 300)
        shown = one_line(target, 60)
        if target is not None and target not in names:
            raise DataError(f"{self.path}: no column '{shown}' for --target; columns: {columns}")
        chosen = list(features) if features else [h for h in names if h != target]
        unknown = [f for f in chosen if f not in names]
        if unknown:
            raise DataError(
                f"{self.path}: no column '{one_line(unknown[0], 60)}' in --features; "
                f"columns: {columns}"
            )
        if target in chosen:
            raise DataError(f"{self.path}: column '{shown}' is both a feature and the target")
        if not chosen:
            raise DataError(
                f"{self.path}: no feature columns: the file holds only the target column '{shown}'"
            )
        return chosen

    def read(
        self,
        target: str | None = None,
        features: Sequence[str] | None = None,
        *,
        drop_missing: bool = False,
        hint: str = "",
    ) -> Table:
        """The rest of the file: the columns ``features`` (default: all but ``target``;
        by name only when the file has a header) as ``X``, the ``target`` column's texts
        as ``y``."""
        if self.header is None and (target is not None or features):
            raise ValueError("columns are chosen by name only in a file with a header")
        names = self.select(target, features) if self.header is not None else None
        where = {h: i for i, h in enumerate(self.header or [])}
        cols = [where[n] for n in names] if names else list(range(self.width))
        shown = [f"'{one_line(n, 60)}'" for n in names] if names else [str(c + 1) for c in cols]
        t_col = None if target is None else where[target]
        expected = "the header has" if names else f"line {self.first_line} has"
        missing_target = f"column '{one_line(target, 60)}': missing target"
        values = array("d")
        labels: list[str] = []
        pool: dict[str, str] = {}  # each distinct target text is kept once
        rows, dropped, first_drop, bad = 0, 0, "", [0] * len(cols)
        cap = max_bytes() // 8
        for row in self._rows():
            line = self.reader.line_num
            if len(row) != self.width:
                raise DataError(
                    f"{self.path}: line {line} has {len(row)} fields, {expected} {self.width}"
                )
            problem, row_values = "", []  # the values are used only when all are numbers
            for k, c in enumerate(cols):
                value, why = cell(row[c])
                if value is None:
                    bad[k] += 1
                    problem = problem or f"line {line}, column {shown[k]}: {why}"
                else:
                    row_values.append(value)
            if t_col is not None and is_missing(row[t_col]):
                problem = problem or f"line {line}, {missing_target}"
            if problem:
                if not drop_missing:
                    raise bad_value(self.path, problem, hint)
                dropped, first_drop = dropped + 1, first_drop or problem
                continue
            if len(values) + len(cols) > cap:
                check_bytes(
                    8 * (len(values) + len(cols)),
                    f"{self.path} (more than {rows} rows of {len(cols)} features)",
                )
            values.extend(row_values)
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
        return Table(
            np.frombuffer(values, np.float64).reshape(rows, len(cols)),
            None if t_col is None else np.array(labels, dtype=object),
            names,
            dropped,
            first_drop,
        )


def read_csv(
    path: str | Path,
    what: str = "input file",
    *,
    target: str | None = None,
    features: Sequence[str] | None = None,
    drop_missing: bool = False,
    hint: str = "",
) -> Table:
    """A CSV file with a header row: :meth:`CsvFile.read` of ``CsvFile(path, what)``."""
    with CsvFile(path, what) as f:
        return f.read(target, features, drop_missing=drop_missing, hint=hint)
