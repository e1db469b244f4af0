"""Class selection: ``--classes 0,1`` keeps those classes and renumbers them 0..k-1."""

from __future__ import annotations

import numpy as np

from nnplug.errors import DataError


def parse_classes(
    value: str | list[int] | tuple[int, ...] | None, n_classes: int, dataset: str
) -> list[int] | None:
    """``"3,5"`` -> ``[3, 5]``, checked against ``0..n_classes-1``; ``None`` keeps all."""
    if value is None or value == "":
        return None
    items = value.split(",") if isinstance(value, str) else list(value)
    try:
        classes = [int(str(v).strip()) for v in items]
    except ValueError:
        raise DataError(f"--classes must be comma-separated class numbers, got '{value}'") from None
    bad = [c for c in classes if not 0 <= c < n_classes]
    if bad:
        raise DataError(f"--classes: {bad[0]} is not a class of {dataset} (0..{n_classes - 1})")
    if len(set(classes)) != len(classes):
        raise DataError(f"--classes lists a class twice: '{value}'")
    if len(classes) < 2:
        raise DataError("--classes needs at least two classes")
    return classes


def select_classes(
    X: np.ndarray, y: np.ndarray, classes: list[int]
) -> tuple[np.ndarray, np.ndarray]:
    """Rows whose label is in ``classes``; label ``classes[i]`` becomes ``i``."""
    lookup = np.full(max(int(y.max(initial=0)), max(classes)) + 1, -1, np.int64)
    lookup[classes] = np.arange(len(classes))
    new = lookup[y]
    keep = new >= 0
    return X[keep], new[keep]


def check_labels(y: np.ndarray, n_classes: int, name: str) -> None:
    """Every label must be in ``0..n_classes-1``."""
    bad = np.flatnonzero(y >= n_classes)
    if len(bad):
        raise DataError(
            f"{name}: label {int(y[bad[0]])} at index {int(bad[0])} is out of "
            f"range (expected 0..{n_classes - 1})"
        )
