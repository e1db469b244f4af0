"""Where ``nnplug sweep`` keeps its results, in ``--out DIR``:

* ``sweep.jsonl`` -- one JSON record per finished trial, the record of truth (what
  ``--resume`` reads); ``sweep.csv`` -- the same records as a table;
* ``trials/ID.json`` -- each trial's metrics, exactly what ``nnplug train --metrics-out``
  writes; ``models/ID.npz`` -- each trial's best model (``--save-best`` copies the best).

Only the sweep's own process writes here. A trial's files are written (atomically, through
:mod:`nnplug.safeio.outputs`) before its lines, and each line is appended with one ``write`` on a
file opened ``O_APPEND``, then synced: a line is whole or, after a crash mid-write, an
unreadable tail that ``--resume`` drops. On ``--resume`` both files are rewritten
atomically from the readable records, keeping the last record of each trial and dropping
``lost`` ones (run again).
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path
from typing import Any

import click

from nnplug.cli.sweep.trial import LOST
from nnplug.errors import NNPlugError
from nnplug.safeio.outputs import atomic_write, check_output, output_target

JSONL, CSV = "sweep.jsonl", "sweep.csv"
#: the CSV's columns after the grid's parameters
COLUMNS = (
    "status",
    "metric",
    "val_metric",
    "val_loss",
    "test_metric",
    "epochs_run",
    "best_epoch",
    "seconds",
    "train_seconds",
    "backend",
    "blas_threads",
    "worker",
    "error",
)


class Results:
    """The results of one sweep directory (lock it first: a
    :class:`~nnplug.safeio.dirlock.DirLock`)."""

    def __init__(self, out: str | os.PathLike, params: list[str], *, resume: bool):
        self.out = Path(out)
        self.jsonl, self.csv = self.out / JSONL, self.out / CSV
        self.trials, self.models = self.out / "trials", self.out / "models"
        self.resume = resume
        self.params = list(params)
        self.records: dict[str, dict[str, Any]] = {}

    def model_path(self, trial_id: str) -> Path:
        return self.models / f"{trial_id}.npz"

    def check(self) -> None:
        """Before any work: the files can be written; old results only with --resume."""
        for path, what in ((self.jsonl, "results"), (self.csv, "results")):
            check_output(path, what)
        found = [p.name for p in (self.jsonl, self.csv) if p.exists()]
        if found and not self.resume:
            raise NNPlugError(
                f"{self.out} already holds results ({', '.join(found)}); pass "
                f"--resume to skip the trials it has, or choose another --out"
            )

    def open(self) -> dict[str, dict[str, Any]]:
        """Read the old records (``--resume``), rewrite both files from them; return them
        by trial id."""
        self.check()
        records: dict[str, dict[str, Any]] = {}
        skipped = 0
        if self.resume and self.jsonl.exists():
            with open(output_target(self.jsonl)[0], encoding="utf-8", errors="replace") as fh:
                for line in fh:
                    try:
                        record = json.loads(line)
                        records[str(record["id"])] = record
                    except (ValueError, KeyError, TypeError):
                        skipped += 1
        if skipped:
            click.echo(f"note: {self.jsonl}: skipped {skipped} unreadable line(s)", err=True)
        records = {k: r for k, r in records.items() if r.get("status") != LOST}
        for record in records.values():
            self.params += [p for p in record.get("params", {}) if p not in self.params]
        for directory in (self.trials, self.models):
            try:
                directory.mkdir(exist_ok=True)
            except OSError as exc:
                raise NNPlugError(f"cannot create {directory}: {exc.strerror or exc}") from None
        with atomic_write(self.jsonl, "w") as fh:
            fh.writelines(self._json_line(r) for r in records.values())
        with atomic_write(self.csv, "w") as fh:
            fh.write(self._csv_line(None))
            fh.writelines(self._csv_line(r) for r in records.values())
        self.records = dict(records)
        return records

    def add(self, record: dict[str, Any]) -> dict[str, Any]:
        """Keep a finished trial: its metrics and model files, then its lines. Returns the
        record as written (without the metrics and model)."""
        from nnplug.safeio.outputs import write_json

        record = dict(record)
        metrics, model = record.pop("metrics", None), record.pop("model", None)
        if metrics is not None:
            write_json(self.trials / f"{record['id']}.json", metrics)
        if model is not None:
            with atomic_write(self.model_path(record["id"]), "wb") as fh:
                fh.write(model)
        self._append(self.jsonl, self._json_line(record))
        self._append(self.csv, self._csv_line(record))
        self.records[record["id"]] = record
        return record

    @staticmethod
    def _json_line(record: dict[str, Any]) -> str:
        return json.dumps(record, allow_nan=False, default=str) + "\n"

    def _csv_line(self, record: dict[str, Any] | None) -> str:
        buf = io.StringIO()
        writer = csv.writer(buf, lineterminator="\n")
        if record is None:
            writer.writerow(["id", *self.params, *COLUMNS])
        else:
            params = record.get("params", {})
            writer.writerow(
                [
                    record["id"],
                    *(_cell(params.get(p)) for p in self.params),
                    *(_cell(record.get(c)) for c in COLUMNS),
                ]
            )
        return buf.getvalue()

    @staticmethod
    def _append(path: Path, line: str) -> None:
        data = line.encode("utf-8")
        try:
            fd = os.open(output_target(path)[0], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o666)
            try:
                written = os.write(fd, data)
                if written != len(data):
                    raise OSError(28, "short write (no space left on device?)")
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            raise NNPlugError(f"cannot write {path}: {exc.strerror or exc}") from None


def _cell(value: Any) -> Any:
    return "" if value is None else value
