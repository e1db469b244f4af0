"""Columns of a user's table that look like an id, each one warning line (they are still
used; ``--exclude`` leaves a column out): unique integers (or unique texts), strictly
monotone, or named like one (``id``, ``*_id``, ``index``, ``uuid``, ``PatientID``, a blank
or pandas' ``Unnamed: 0``)."""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence

import numpy as np

from nnplug.safeio.text import one_line

log = logging.getLogger("nnplug.datasets")
#: names of id columns (compared in lower case)
ID_NAMES = frozenset(
    {"id", "ids", "index", "idx", "key", "uuid", "guid", "rowid", "row_id", "rownum",
     "row_number", "record_id", "unnamed: 0", ""}
)  # fmt: skip
#: the fewest values a column needs for its values to say it is an id
MIN_ROWS = 20
_CAMEL_ID = re.compile(r"[a-z0-9](?:Id|ID)$")


def named_like_id(name: str) -> bool:
    low = name.strip().lower()
    return (
        low in ID_NAMES
        or low.endswith(("_id", "-id", " id", ".id"))
        or low.startswith(("id_", "id-", "id "))
        or bool(_CAMEL_ID.search(name.strip()))
    )


def id_reasons(name: str | None, x: np.ndarray, text: bool) -> list[str]:
    """Why the column ``x`` (numbers, or level indices when ``text``) looks like an id."""
    reasons = []
    v = np.asarray(x, np.float64)
    v = v[~np.isnan(v)]
    n = len(v)
    if n >= MIN_ROWS:
        if text:
            if len(np.unique(v)) == n:
                reasons.append("unique texts")
        else:
            integral = bool(np.all(v == np.round(v)))
            if integral and v.max() - v.min() + 1 >= n and len(np.unique(v)) == n:
                reasons.append("unique integers")
            d = np.diff(v)
            if (d > 0).all() or (d < 0).all():
                reasons.append("monotone")
    if name is not None and named_like_id(name):
        reasons.append("named like one")
    return reasons


def _shown(names: Sequence[str] | None, j: int) -> str:
    return f"'{one_line(names[j], 60)}'" if names else str(j + 1)


def _value_reasons(X: np.ndarray) -> dict[int, list[str]]:
    """:func:`id_reasons` by values for the columns of ``X`` (numbers, no gap) at once, a
    table may have millions of columns: ``{column: ["unique integers", "monotone"]}`` for
    those that have any."""
    if len(X) < MIN_ROWS:
        return {}
    with np.errstate(invalid="ignore"):
        d = np.diff(X, axis=0)
        monotone = np.asarray((d > 0).all(axis=0) | (d < 0).all(axis=0))
        del d
        s = np.sort(X, axis=0)
        ids = np.asarray((np.diff(s, axis=0) > 0).all(axis=0)) & (s[-1] - s[0] + 1 >= len(X))
        del s
        ids &= (np.round(X) == X).all(axis=0)
    reasons: dict[int, list[str]] = {}
    for j in np.flatnonzero(ids | monotone).tolist():
        reasons[j] = ["unique integers"] * bool(ids[j]) + ["monotone"] * bool(monotone[j])
    return reasons


def warn_about_columns(
    what: str,
    X: np.ndarray,
    names: Sequence[str] | None,
    levels: Mapping[int, Sequence[str]],
) -> None:
    """One warning line per column that looks like an id."""
    if X.ndim != 2:
        return
    # numbers without a gap are judged at once (no copy of a table that needs none)
    plain = ~np.isnan(X).any(axis=0) if X.dtype.kind == "f" else np.ones(X.shape[1], bool)
    plain[list(levels)] = False
    where = np.flatnonzero(plain)
    by_value: dict[int, list[str]] = {}
    if len(X) >= MIN_ROWS and len(where):
        values = np.asarray(X if len(where) == X.shape[1] else X[:, plain], np.float64)
        by_value = {int(where[j]): r for j, r in _value_reasons(values).items()}
    # one by one: the columns with a gap or text, and (by name) every named column
    others = np.flatnonzero(~plain).tolist() if len(X) >= MIN_ROWS else []  # too few rows
    todo = range(X.shape[1]) if names else sorted({*by_value, *others})
    for j in todo:
        name = names[j] if names else None
        if plain[j]:
            named = name is not None and named_like_id(name)
            reasons = by_value.get(j, []) + (["named like one"] if named else [])
        else:
            reasons = id_reasons(name, X[:, j], j in levels)
        if reasons:
            fix = (
                f"leave it out with --exclude {one_line(name, 60)}"
                if name is not None
                else "name the columns (feature_names) to leave it out with --exclude"
            )
            log.warning(
                "%s: column %s looks like an id (%s) and is used as a feature; %s",
                what,
                _shown(names, j),
                ", ".join(reasons),
                fix,
            )
