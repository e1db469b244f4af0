"""Read a user's CSV (header row, numeric features) into arrays, naming the first bad cell."""
from __future__ import annotations

import logging
import math
from pathlib import Path

import numpy as np

from nnplug.errors import DataError

log = logging.getLogger("nnplug.datasets")
MISSING = {"", "na", "n/a", "nan", "null", "none", "?"}


def _cell(value: str) -> tuple[float | None, str]:
    """``(number, "")`` or ``(None, why)`` for one feature cell."""
    text = value.strip()
    if text.lower() in MISSING:
        return None, "missing value"
    try:
        number = float(text)
    except ValueError:
        return None, f"non-numeric value {text[:40]!r}"
    if not math.isfinite(number):
        return None, f"non-finite value {text!r}"
    return number, ""


def read_csv(path: str | Path, target: str, *, features: list[str] | None = None,
             drop_missing: bool = False) -> tuple[np.ndarray, list[str], list[str]]:
    """``(X float64, target strings, feature names)`` from a CSV file with a header row.

    A row with a missing or non-numeric feature (or a missing target) is an error naming
    its line and column, or -- with ``drop_missing`` -- skipped and counted.
    """
    import csv

    path = Path(path)
    try:
        fh = open(path, newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc.strerror or exc}") from None
    with fh:
        reader = csv.reader(fh)
        try:
            header = [h.strip() for h in next(reader)]
        except StopIteration:
            raise DataError(f"{path}: empty file (expected a header row)") from None
        except (csv.Error, UnicodeDecodeError) as exc:
            raise DataError(f"{path}: not a readable CSV file ({exc})") from None
        dupes = sorted({h for h in header if header.count(h) > 1})
        if dupes:
            raise DataError(f"{path}: column name '{dupes[0]}' appears twice in the header")
        if target not in header:
            raise DataError(f"{path}: no column '{target}' for --target; columns: "
                            f"{', '.join(header)}")
        names = features if features else [h for h in header if h != target]
        unknown = [f for f in names if f not in header]
        if unknown:
            raise DataError(f"{path}: no column '{unknown[0]}' in --features; columns: "
                            f"{', '.join(header)}")
        if target in names:
            raise DataError(f"{path}: column '{target}' is both a feature and the target")
        cols = [header.index(f) for f in names]
        t_col = header.index(target)
        rows: list[list[float]] = []
        labels: list[str] = []
        dropped, first_drop, bad_count = 0, "", dict.fromkeys(names, 0)
        try:
            for row in reader:
                line = reader.line_num
                if not row or all(not c.strip() for c in row):
                    continue  # blank line
                if len(row) != len(header):
                    raise DataError(f"{path}: line {line} has {len(row)} fields, the header "
                                    f"has {len(header)}")
                problem = ""
                values = []
                for name, c in zip(names, cols):
                    number, why = _cell(row[c])
                    if number is None:
                        bad_count[name] += 1
                        problem = problem or f"line {line}, column '{name}': {why}"
                    values.append(number)
                label = row[t_col].strip()
                if label.lower() in MISSING:
                    problem = problem or f"line {line}, column '{target}': missing target"
                if problem:
                    if not drop_missing:
                        raise DataError(f"{path}: {problem} (--drop-missing skips such rows, "
                                        f"--features chooses columns)")
                    dropped += 1
                    first_drop = first_drop or problem
                    continue
                rows.append(values)
                labels.append(label)
        except (csv.Error, UnicodeDecodeError) as exc:
            raise DataError(f"{path}: not a readable CSV file near line {reader.line_num} "
                            f"({exc})") from None
    if not rows:
        always_bad = [n for n, k in bad_count.items() if k and k == dropped]
        hint = (f": column '{always_bad[0]}' is not numeric in any row; leave it out with "
                f"--features" if always_bad else "")
        raise DataError(f"{path}: no usable data rows{hint}")
    if dropped:
        log.warning("%s: dropped %d of %d rows with missing or non-numeric values "
                    "(first: %s)", path.name, dropped, dropped + len(rows), first_drop)
    return np.asarray(rows, np.float64).reshape(len(rows), len(names)), labels, list(names)
