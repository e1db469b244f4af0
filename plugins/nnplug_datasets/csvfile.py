"""Read a user's CSV (header row, numeric features) into arrays, naming the first bad cell."""

from __future__ import annotations

import logging
from array import array
from collections import Counter
from pathlib import Path

import numpy as np

from nnplug.errors import DataError
from nnplug.safeio import text as safetext
from nnplug.safeio.limits import check_bytes, max_bytes, open_text

log = logging.getLogger("nnplug.datasets")
MISSING = {"", "na", "n/a", "nan", "null", "none", "?"}


def _cell(value: str) -> tuple[float | None, str]:
    """``(number, "")`` or ``(None, why)`` for one feature cell (ASCII numbers only)."""
    text = value.strip(" \t\r\n")  # ASCII spaces only: a Unicode space is not part of a number
    if text.lower() in MISSING:
        return None, "missing value"
    number = safetext.number(text)
    if number is not None:
        return number, ""
    if safetext.is_infinite(text):
        return None, f"non-finite value {text!r}"
    return None, f"non-numeric value {safetext.one_line(repr(text), 42)}"


def read_csv(
    path: str | Path, target: str, *, features: list[str] | None = None, drop_missing: bool = False
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """``(X float64, target strings, feature names)`` from a CSV file with a header row.

    A row with a missing or non-numeric feature (or a missing target) is an error naming
    its line and column, or -- with ``drop_missing`` -- skipped and counted. Memory stays
    a small multiple of the file: 8 bytes per feature cell (at most ``NNPLUG_MAX_BYTES``
    in all), one pointer per target cell, each distinct target text kept once.
    """
    import csv

    path = Path(path)
    cells_cap = max_bytes() // 8
    with open_text(path, "--data file", DataError) as fh:
        reader = csv.reader(fh)
        try:
            header = [h.strip() for h in next(reader)]
        except StopIteration:
            raise DataError(f"{path}: empty file (expected a header row)") from None
        except (csv.Error, UnicodeDecodeError) as exc:
            raise DataError(f"{path}: not a readable CSV file ({exc})") from None
        dupes = sorted(h for h, n in Counter(header).items() if n > 1)
        if dupes:
            raise DataError(
                f"{path}: column name '{safetext.one_line(dupes[0], 60)}' "
                f"appears twice in the header"
            )
        index = {h: i for i, h in enumerate(header)}
        columns = safetext.one_line(", ".join(header), 300)
        shown = safetext.one_line(target, 60)
        if target not in index:
            raise DataError(f"{path}: no column '{shown}' for --target; columns: {columns}")
        names = features if features else [h for h in header if h != target]
        unknown = [f for f in names if f not in index]
        if unknown:
            raise DataError(
                f"{path}: no column '{safetext.one_line(unknown[0], 60)}' in "
                f"--features; columns: {columns}"
            )
        if target in names:
            raise DataError(f"{path}: column '{shown}' is both a feature and the target")
        if not names:
            raise DataError(
                f"{path}: no feature columns: the file holds only the target column '{shown}'"
            )
        cols, t_col = [index[f] for f in names], index[target]
        values = array("d")
        labels: list[str] = []
        pool: dict[str, str] = {}  # each distinct target text is kept once
        dropped, first_drop, bad_count = 0, "", dict.fromkeys(names, 0)
        try:
            for row in reader:
                line = reader.line_num
                if not row or all(not c.strip() for c in row):
                    continue  # blank line
                if len(row) != len(header):
                    raise DataError(
                        f"{path}: line {line} has {len(row)} fields, the header has {len(header)}"
                    )
                problem = ""
                row_values: list[float] = []  # used only when every cell is a number
                for name, c in zip(names, cols, strict=True):
                    number, why = _cell(row[c])
                    if number is None:
                        bad_count[name] += 1
                        problem = problem or (
                            f"line {line}, column '{safetext.one_line(name, 60)}': {why}"
                        )
                    else:
                        row_values.append(number)
                label = row[t_col].strip()
                if label.lower() in MISSING:
                    problem = problem or f"line {line}, column '{shown}': missing target"
                if problem:
                    if not drop_missing:
                        raise DataError(
                            f"{path}: {problem} (--drop-missing skips such rows, "
                            f"--features chooses columns)"
                        )
                    dropped += 1
                    first_drop = first_drop or problem
                    continue
                if len(values) + len(names) > cells_cap:
                    check_bytes(
                        8 * (len(values) + len(names)),
                        f"{path} (more than {len(labels)} rows of {len(names)} features)",
                    )
                values.extend(row_values)
                labels.append(pool.setdefault(label, label))
        except (csv.Error, UnicodeDecodeError) as exc:
            raise DataError(
                f"{path}: not a readable CSV file near line {reader.line_num} ({exc})"
            ) from None
    if not labels:
        always_bad = [n for n, k in bad_count.items() if k and k == dropped]
        hint = (
            f": column '{safetext.one_line(always_bad[0], 60)}' is not numeric in any row; "
            f"leave it out with --features"
            if always_bad
            else ""
        )
        raise DataError(f"{path}: no usable data rows{hint}")
    if dropped:
        log.warning(
            "%s: dropped %d of %d rows with missing or non-numeric values (first: %s)",
            path.name,
            dropped,
            dropped + len(labels),
            first_drop,
        )
    X = np.frombuffer(values, np.float64).reshape(len(labels), len(names))
    return X, np.array(labels, dtype=object), list(names)
