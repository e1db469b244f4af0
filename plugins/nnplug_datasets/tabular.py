"""The user's own data: ``csv`` (a file with a header row) and ``npz`` (``X``/``y`` arrays).

Task: ``--task`` or inferred: a non-numeric target, or integers with at most
``MAX_CLASSES`` distinct values (and at most one per two rows) -> classification;
otherwise regression. Split: seeded (stratified for classification) test share, then
validation from the rest. Fitted on the training split only (:mod:`.userdata`): missing
values filled with the median (unless ``--drop-missing``), text columns one-hot encoded,
then the input scaling (``--scale``). ``--exclude`` leaves columns out; a column that looks
like an id is one warning line (:mod:`.columns`). The files are read by nnplug's one table
reader (:mod:`nnplug.safeio.csvtables`, :mod:`nnplug.safeio.npztables`); this module
decides what of them is a dataset.
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
from nnplug.safeio.text import one_line
from nnplug_datasets.columns import warn_about_columns
from nnplug_datasets.userdata import MAX_CLASSES, encode_target, make_data, numeric_values

if TYPE_CHECKING:
    from nnplug.safeio.tables import Table

__all__ = ["CSV", "MAX_CLASSES", "NPZ", "encode_target", "make_data", "numeric_values"]

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
#: the array of an .npz that names the columns of its X arrays
NPZ_NAMES = "feature_names"


def rows_of(path: Path, table: Table) -> tuple[np.ndarray, np.ndarray]:
    """``(X, y)`` of a table read with a target; what was dropped is logged."""
    if table.dropped:
        log.warning("%s: %s", path.name, table.note)
    assert table.y is not None, "the table was read without a target"
    return table.X, table.y


def names_list(value: str | list[str] | None) -> list[str] | None:
    """``"a, b"`` -> ``["a", "b"]`` (an option given as a comma-separated list)."""
    if isinstance(value, str):
        value = [f.strip() for f in value.split(",") if f.strip()]
    return list(value) if value else None


class _UserData(Dataset):
    task = "by target"
    cli_options: tuple[Option, ...] = (
        Option("data", "Your data file.", type="file"),
        Option("task", "The task [default: inferred from the target].", choices=TASKS),
        Option(
            "drop_missing",
            "Skip rows with missing values (counted) instead of filling them with the "
            "training split's median.",
            type=bool,
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
        exclude: str | list[str] | None = None,
    ):
        super().__init__()
        if task is not None and task not in TASKS:
            raise DataError(f"--task must be classification or regression, got '{task}'")
        if not 0 < test_fraction < 1:
            raise DataError("test_fraction must be in (0, 1)")
        self.data, self.task_option = data, task
        self.drop_missing, self.test_fraction = bool(drop_missing), float(test_fraction)
        self.scale = scale  # --scale, checked and applied by nnplug.data.fitting
        self.exclude = names_list(exclude) or []

    def location(self, data_dir: str | None = None) -> str:
        return self.data or "your file (--data FILE)"

    def is_cached(self, data_dir: str | None = None) -> bool:
        return bool(self.data and Path(self.data).is_file())

    def _path(self) -> Path:
        if not self.data:
            raise DataError(f"--dataset {self.name} needs --data FILE")
        return Path(self.data)

    def _data(
        self,
        path: Path,
        parts: dict[str, tuple[np.ndarray, np.ndarray]],
        table: Table,
        *,
        seed: int,
        val_fraction: float,
        meta: dict[str, Any],
    ) -> Data:
        """Warn about id-like columns, then split, encode and scale."""
        from nnplug.safeio.tables import digest

        X = np.concatenate([x for x, _ in parts.values()]) if len(parts) > 1 else table.X
        warn_about_columns(path.name, X, table.columns, table.levels)
        return make_data(
            parts,
            self.task_option,
            seed=seed,
            val_fraction=val_fraction,
            test_fraction=self.test_fraction,
            what=str(path),
            meta={**meta, "source": str(path), "sha256": digest(path), "scale": self.scale},
            names=table.columns,
            levels=table.levels,
            impute=not self.drop_missing,
        )


EXCLUDE = Option("exclude", "Comma-separated columns to leave out (an id, a leak, ...).")


class CSV(_UserData):
    """Your CSV file: --data FILE --target COLUMN (header row; numbers, text columns
    one-hot encoded, gaps filled)."""

    name = "csv"
    shape = "rows x columns"
    cli_options = (
        *_UserData.cli_options,
        Option("target", "The column to predict."),
        Option("features", "Comma-separated feature columns [default: all but the target]."),
        EXCLUDE,
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
        self.features = names_list(features)

    def _read(self) -> Table:
        from nnplug.safeio.csvtables import read_csv

        if not self.target:
            raise DataError("--dataset csv needs --target COLUMN (the column to predict)")
        return read_csv(
            self._path(),
            "--data file",
            target=self.target,
            features=self.features,
            exclude=self.exclude,
            drop_missing=self.drop_missing,
            keep_missing=not self.drop_missing,
            text=True,
            hint="--drop-missing skips such rows, --features or --exclude choose columns",
        )

    def load(
        self, *, seed: int = 42, val_fraction: float = 0.1, data_dir: str | None = None
    ) -> Data:
        path = self._path()
        table = self._read()
        return self._data(
            path,
            {"all": rows_of(path, table)},
            table,
            seed=seed,
            val_fraction=val_fraction,
            meta={"target": self.target},
        )

    def rows(self, *, features: list[str] | None = None, data_dir: str | None = None) -> Any:
        """Every row of the file: the columns ``features`` raw (text columns as texts) and
        the target's texts; rows without a target are skipped (and counted)."""
        from nnplug.safeio.csvtables import CsvFile, quoted

        path = self._path()
        if not self.target:
            raise DataError("--dataset csv needs --target COLUMN (the column to predict)")
        with CsvFile(path, "--data file") as f:
            missing = [n for n in features or () if n not in (f.header or [])]
            if missing:
                raise DataError(
                    f"{path}: the header has no column {quoted(missing)}, which the model "
                    f"needs (the header: {one_line(', '.join(f.header or []), 200)})"
                )
            table = f.read(
                self.target,
                features,
                drop_missing=self.drop_missing,
                keep_missing=not self.drop_missing,
                text=True,
                hint="--drop-missing skips such rows",
            )
        return table, rows_of(path, table)[1]


class NPZ(_UserData):
    """Your .npz file: arrays X and y, or X_train, y_train, X_test, y_test (X_val, y_val);
    optionally feature_names (texts naming X's columns)."""

    name = "npz"
    shape = "X: n x features, y: n"
    cli_options = (*_UserData.cli_options, EXCLUDE)

    def _tables(self) -> dict[str, Table]:
        from nnplug.safeio.npztables import read_arrays

        path = self._path()
        tables = read_arrays(
            path,
            NPZ_LAYOUTS,
            expected="arrays X and y (or X_train, y_train, X_test, y_test)",
            what="--data file",
            drop_missing=self.drop_missing,
            keep_missing=not self.drop_missing,
            names_key=NPZ_NAMES,
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
        if self.exclude:
            tables = {part: self._excluded(path, t) for part, t in tables.items()}
        return tables

    def _excluded(self, path: Path, table: Table) -> Table:
        names = table.columns
        if names is None:
            raise DataError(
                f"{path}: --exclude needs column names: save them in the .npz as "
                f"{NPZ_NAMES} (one text per column of X)"
            )
        have = set(names)
        unknown = [e for e in self.exclude if e not in have]
        if unknown:
            raise DataError(
                f"{path}: no column '{one_line(unknown[0], 60)}' to --exclude; columns: "
                + one_line(", ".join(names), 300)
            )
        keep = [j for j, n in enumerate(names) if n not in self.exclude]
        if not keep:
            raise DataError(f"{path}: no feature columns left after --exclude")
        table.X, table.columns = table.X[:, keep], [names[j] for j in keep]
        return table

    def load(
        self, *, seed: int = 42, val_fraction: float = 0.1, data_dir: str | None = None
    ) -> Data:
        path = self._path()
        tables = self._tables()
        parts = {part: rows_of(path, t) for part, t in tables.items()}
        first = next(iter(tables.values()))
        return self._data(path, parts, first, seed=seed, val_fraction=val_fraction, meta={})

    def rows(self, *, features: list[str] | None = None, data_dir: str | None = None) -> Any:
        """Every row of every part of the archive (``X``, ``y``), its column names kept."""
        from nnplug.safeio.tables import Table

        path = self._path()
        tables = self._tables()
        parts = [rows_of(path, t) for t in tables.values()]
        first = next(iter(tables.values()))
        X = np.concatenate([x.reshape(len(x), -1) for x, _ in parts])
        return Table(X, None, first.columns), np.concatenate([y for _, y in parts])
