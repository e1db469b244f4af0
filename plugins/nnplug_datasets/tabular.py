"""The user's own data: ``csv`` (a file with a header row) and ``npz`` (``X``/``y`` arrays).

Task: ``--task`` or inferred: a non-numeric target, or integers with at most
``MAX_CLASSES`` distinct values (and at most one per two rows) -> classification;
otherwise regression. Split: seeded (stratified for classification) test share, then
validation from the rest. Features are scaled (``--scale``) by
:mod:`nnplug.data.fitting` with training statistics only. The files are read by nnplug's
one table reader (:mod:`nnplug.safeio.csvtables`, :mod:`nnplug.safeio.npztables`); this
module decides what of them is a dataset.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from nnplug.base import Data, Dataset
from nnplug.data.fitting import SCALE_OPTION
from nnplug.errors import DataError
from nnplug.options import Option
from nnplug.safeio.text import number, one_line

if TYPE_CHECKING:
    from nnplug.safeio.tables import Table

MAX_CLASSES = 20
#: a classification target needs at least this many rows per class on average
MIN_ROWS_PER_CLASS = 2
TASKS = ("classification", "regression")
log = logging.getLogger("nnplug.datasets")
#: an npz dataset's parts and their arrays; what it holds: all, or train + test (+ val)
NPZ_PAIRS = {
    "all": ("X", "y"),
    "train": ("X_train", "y_train"),
    "test": ("X_test", "y_test"),
    "val": ("X_val", "y_val"),
}
NPZ_LAYOUTS = [
    {p: NPZ_PAIRS[p] for p in parts}
    for parts in (("all",), ("train", "test", "val"), ("train", "test"))
]


def numeric_values(raw: np.ndarray) -> np.ndarray | None:
    """``raw`` as float64 when every value is a finite number -- text strictly in ASCII
    (:func:`nnplug.safeio.text.number`: "١٢", "１２", "1_000" are text) -- else None."""
    if raw.dtype.kind in "iubf":
        return raw.astype(np.float64)
    if raw.dtype.kind not in "UO" or raw.size == 0:
        return None
    uniq, inverse = np.unique(
        raw.astype(str) if raw.dtype.kind == "U" else raw, return_inverse=True
    )
    parsed = [number(v) if isinstance(v, str) else None for v in uniq.tolist()]
    if any(v is None for v in parsed):
        return None
    return np.asarray(parsed, np.float64)[inverse].reshape(raw.shape)


def rows_of(path: Path, table: Table) -> tuple[np.ndarray, np.ndarray]:
    """``(X, y)`` of a table read with a target; what was dropped is logged."""
    if table.dropped:
        log.warning("%s: %s", path.name, table.note)
    assert table.y is not None, "the table was read without a target"
    return table.X, table.y


def encode_target(values: Any, task: str | None, what: str) -> tuple[str, np.ndarray, list | None]:
    """``(task, y, class names)``: labels become ``0..k-1`` in sorted order. Integral
    numbers of any size (``1e20``) keep their values: classes are keyed by the float."""
    raw = np.asarray(values)
    if raw.dtype.kind == "O" and not all(isinstance(v, str) for v in raw.ravel().tolist()):
        raw = raw.astype(str)
    numeric = numeric_values(raw)
    if numeric is not None and numeric.ndim == 1 and not np.all(np.isfinite(numeric)):
        bad = int(np.flatnonzero(~np.isfinite(numeric))[0])
        raise DataError(f"{what}: target of row {bad} is {numeric[bad]}")
    integral = numeric is not None and bool(np.all(numeric == np.round(numeric)))
    if task is None:
        k = len(np.unique(numeric)) if numeric is not None else 0
        few = integral and numeric is not None and k <= MAX_CLASSES and k <= len(numeric) // 2
        task = "classification" if numeric is None or few else "regression"
    if task == "regression":
        if numeric is None:
            bad = next((i for i, v in enumerate(raw.ravel().tolist()) if number(str(v)) is None), 0)
            raise DataError(
                f"{what}: --task regression needs a numeric target; row {bad} "
                f"is {one_line(repr(str(raw.ravel()[bad])), 60)}"
            )
        rows = numeric.reshape(len(numeric), -1)
        big = np.abs(rows).max(axis=1, initial=0) > float(np.finfo(np.float32).max)
        if big.any():
            bad = int(np.flatnonzero(big)[0])
            raise DataError(
                f"{what}: target of row {bad} is {np.abs(rows[bad]).max():.3g} in size, "
                f"beyond the float32 range nnplug trains in (3.4e38); rescale the target"
            )
        return task, numeric.astype(np.float32), None
    if raw.ndim != 1:
        raise DataError(f"{what}: classification needs a 1-d target, got shape {raw.shape}")
    if numeric is not None and integral:
        keys = numeric + 0.0  # -0.0 and 0.0 are one class
        uniq = np.unique(keys)
        names = [str(int(k)) for k in uniq]  # exact for any finite float, no int64 overflow
    else:
        keys = raw.astype(str)
        uniq = np.unique(keys)
        names = [str(k) for k in uniq]
    if len(uniq) < 2:
        raise DataError(f"{what}: the target has a single class; nothing to classify")
    check_class_count(len(uniq), len(keys), numeric is not None, what)
    return task, np.searchsorted(uniq, keys).astype(np.int64), names


def check_class_count(k: int, n: int, numeric: bool, what: str) -> None:
    """Refuse a classification target of more than :data:`MAX_CLASSES` classes with
    fewer than :data:`MIN_ROWS_PER_CLASS` rows per class on average (an identifier or a
    measured value, not a label: 100k distinct texts in 100k rows made a 100k-output
    network) -- before anything is built for its ``k`` outputs."""
    if k <= MAX_CLASSES or k * MIN_ROWS_PER_CLASS <= n:
        return
    hint = (
        "; the target is numeric: pass --task regression to predict its value"
        if numeric
        else "; is it an identifier or free text rather than a label?"
    )
    raise DataError(
        f"{what}: the target has {k} distinct values in {n} rows, too many classes to "
        f"learn (at most one per {MIN_ROWS_PER_CLASS} rows){hint}"
    )


def make_data(
    parts: dict[str, tuple[np.ndarray, np.ndarray]],
    task: str | None,
    *,
    seed: int,
    val_fraction: float,
    test_fraction: float,
    what: str,
    meta: dict,
) -> Data:
    """Split (when needed), encode the target, scale features: the :class:`Data` to train on.

    ``parts`` holds ``"all"``, or ``"train"`` + ``"test"`` (+ optional ``"val"``).
    """
    from nnplug.data.fitting import scale_splits
    from nnplug.data.split import holdout

    order = [k for k in ("train", "val", "test", "all") if k in parts]
    width = int(np.prod(parts[order[0]][0].shape[1:]))
    if width == 0:
        raise DataError(
            f"{what}: no feature columns (X has shape {parts[order[0]][0].shape});"
            f" a dataset needs at least one feature besides the target"
        )
    ys = np.concatenate([np.asarray(parts[k][1]) for k in order])
    task, y_all, classes = encode_target(ys, task, what)
    bounds = np.cumsum([0] + [len(parts[k][1]) for k in order])
    y = {k: y_all[bounds[i] : bounds[i + 1]] for i, k in enumerate(order)}
    X = {k: parts[k][0] for k in order}

    stratify = task == "classification"
    if "all" in X:
        rest, test = holdout(y["all"], test_fraction, seed, stratify)
        X["train"], y["train"] = X["all"][rest], y["all"][rest]
        X["test"], y["test"] = X["all"][test], y["all"][test]
    if "val" not in X:
        keep, val = holdout(y["train"], val_fraction, seed + 1, stratify)
        X["val"], y["val"] = X["train"][val], y["train"][val]
        X["train"], y["train"] = X["train"][keep], y["train"][keep]
    if len(X["train"]) < 2 or len(X["test"]) == 0:
        raise DataError(
            f"{what}: too few rows to split ({len(X['train'])} train, {len(X['test'])} test)"
        )
    (X["train"], X["val"], X["test"]), scale, scaling = scale_splits(
        X["train"],
        X["val"],
        X["test"],
        kind=meta.pop("scale", "auto"),
        dataset=what,
        columns=[one_line(str(c), 60) for c in meta.get("feature_names") or []] or None,
    )
    return Data(
        X["train"],
        y["train"],
        X["val"],
        y["val"],
        X["test"],
        y["test"],
        task=task,
        classes=classes,
        scale=scale,
        feature_names=meta.pop("feature_names", None),
        meta=meta,
        scaling=scaling,
    )


class _UserData(Dataset):
    task = "by target"
    cli_options: tuple[Option, ...] = (
        Option("data", "Your data file.", type="file"),
        Option("task", "The task [default: inferred from the target].", choices=TASKS),
        Option(
            "drop_missing", "Skip rows with missing or non-numeric values (counted).", type=bool
        ),
        SCALE_OPTION,
    )

    def __init__(
        self,
        data: str | None = None,
        task: str | None = None,
        drop_missing: bool = False,
        test_fraction: float = 0.2,
        scale: str = "auto",
    ):
        super().__init__()
        if task is not None and task not in TASKS:
            raise DataError(f"--task must be classification or regression, got '{task}'")
        if not 0 < test_fraction < 1:
            raise DataError("test_fraction must be in (0, 1)")
        self.data, self.task_option = data, task
        self.drop_missing, self.test_fraction = bool(drop_missing), float(test_fraction)
        self.scale = scale  # --scale, checked and applied by nnplug.data.fitting

    def location(self, data_dir: str | None = None) -> str:
        return self.data or "your file (--data FILE)"

    def is_cached(self, data_dir: str | None = None) -> bool:
        return bool(self.data and Path(self.data).is_file())

    def _path(self) -> Path:
        if not self.data:
            raise DataError(f"--dataset {self.name} needs --data FILE")
        return Path(self.data)


class CSV(_UserData):
    """Your CSV file: --data FILE --target COLUMN (header row, numeric features)."""

    name = "csv"
    shape = "rows x numeric columns"
    cli_options = (
        *_UserData.cli_options,
        Option("target", "The column to predict."),
        Option("features", "Comma-separated feature columns [default: all but the target]."),
    )

    def __init__(
        self,
        data: str | None = None,
        target: str | None = None,
        features: str | list[str] | None = None,
        **options: Any,
    ):
        super().__init__(data, **options)
        self.target = target
        if isinstance(features, str):
            features = [f.strip() for f in features.split(",") if f.strip()]
        self.features = features or None

    def load(
        self, *, seed: int = 42, val_fraction: float = 0.1, data_dir: str | None = None
    ) -> Data:
        from nnplug.safeio.csvtables import read_csv

        path = self._path()
        if not self.target:
            raise DataError("--dataset csv needs --target COLUMN (the column to predict)")
        table = read_csv(
            path,
            "--data file",
            target=self.target,
            features=self.features,
            drop_missing=self.drop_missing,
            hint="--drop-missing skips such rows, --features chooses columns",
        )
        return make_data(
            {"all": rows_of(path, table)},
            self.task_option,
            seed=seed,
            val_fraction=val_fraction,
            test_fraction=self.test_fraction,
            what=str(path),
            meta={
                "source": str(path),
                "target": self.target,
                "feature_names": table.columns,
                "scale": self.scale,
            },
        )


class NPZ(_UserData):
    """Your .npz file: arrays X and y, or X_train, y_train, X_test, y_test (X_val, y_val)."""

    name = "npz"
    shape = "X: n x features, y: n"

    def load(
        self, *, seed: int = 42, val_fraction: float = 0.1, data_dir: str | None = None
    ) -> Data:
        from nnplug.safeio.npztables import read_arrays

        path = self._path()
        tables = read_arrays(
            path,
            NPZ_LAYOUTS,
            expected="arrays X and y (or X_train, y_train, X_test, y_test)",
            what="--data file",
            drop_missing=self.drop_missing,
            hint="--drop-missing skips such rows",
        )
        for part, table in tables.items():
            if table.X.ndim < 2:
                raise DataError(
                    f"{path}: {NPZ_PAIRS[part][0]} must be 2-d or more (rows x features), "
                    f"has shape {table.X.shape}"
                )
        widths = {t.X.shape[1:] for t in tables.values()}
        if len(widths) != 1:
            raise DataError(f"{path}: the X arrays differ in row shape: {sorted(widths)}")
        parts = {part: rows_of(path, t) for part, t in tables.items()}
        return make_data(
            parts,
            self.task_option,
            seed=seed,
            val_fraction=val_fraction,
            test_fraction=self.test_fraction,
            what=str(path),
            meta={"source": str(path), "scale": self.scale},
        )
