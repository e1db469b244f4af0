"""``nnplug sweep`` after option parsing: trials to a pool of workers (local processes,
:mod:`nnplug.cli.sweep.local`, or a Dask cluster, :mod:`nnplug.cli.sweep.cluster`), their records to
the results directory (:mod:`nnplug.cli.sweep.results`) as they finish, the ranked summary
(:mod:`nnplug.cli.sweep.report`) and ``--save-best`` at the end.

Ctrl-C (SIGINT) or SIGTERM: the finished trials stay recorded, the others are cancelled
(local workers are killed and reaped, Dask futures cancelled), the summary of what finished
is printed and the sweep exits with 130 (143 for SIGTERM); ``--resume`` runs the rest.
"""

from __future__ import annotations

import contextlib
import signal
from typing import Any

import click

from nnplug.cli.sweep.grid import Trial, train_command
from nnplug.cli.sweep.report import best, summary, trial_line
from nnplug.cli.sweep.results import Results
from nnplug.cli.sweep.trial import OK
from nnplug.errors import NNPlugError
from nnplug.nn.signals import CommandSignals, Interrupted


def signals_interrupt() -> contextlib.AbstractContextManager[None]:
    """SIGINT and SIGTERM raise :class:`~nnplug.nn.signals.Interrupted` in the block (main
    thread only)."""
    return CommandSignals().installed()


def run_trials(pool: Any, trials: list[Trial], results: Results, *, quiet: bool) -> int | None:
    """Run the trials not in ``results`` yet and record each as it finishes. Returns the
    signal that interrupted the sweep, else None."""
    todo = [t for t in trials if t.id not in results.records]
    done = len(trials) - len(todo)
    seen: set[str] = set()
    try:
        with signals_interrupt(), pool:
            for record in pool.run([t.as_dict() for t in todo]):
                if record["id"] in seen:  # one record per trial, whatever a pool yields
                    continue
                seen.add(record["id"])
                record = results.add(record)
                done += 1
                if not quiet:
                    click.echo(trial_line(record, done, len(trials)))
    except Interrupted as exc:
        return exc.signum
    return None


def save_best(records: list[dict[str, Any]], results: Results, path: str) -> str:
    """Copy the best trial's model file (the model that was scored, not a retrained one)
    to ``path``; returns what was done, in one line."""
    from nnplug.safeio.outputs import atomic_write, check_distinct

    top = best(records)
    if top is None:
        raise NNPlugError(f"no trial trained with a validation metric: nothing to save to {path}")
    source = results.model_path(top["id"])
    if not source.is_file():
        raise NNPlugError(
            f"the best trial {top['id']} has no model file ({source}: no epoch "
            f"completed, or the file was removed): nothing saved to {path}"
        )
    check_distinct([("--save-best", path)], [("best trial's model", source)])
    with atomic_write(path, "wb") as fh:
        fh.write(source.read_bytes())
    return f"saved the best trial's model ({top['id']}) to {path}"


def run(
    pool: Any,
    trials: list[Trial],
    results: Results,
    *,
    params: list[click.Parameter],
    save: str | None,
    quiet: bool,
    note: str,
) -> None:
    """The whole sweep on an open ``results`` directory."""
    before = sum(t.id in results.records for t in trials)
    click.echo(
        f"sweep: {len(trials)} trial(s){f' ({before} already done)' if before else ''}"
        f" on {pool.describe()}; {note}; results in {results.out}"
    )
    stopped = run_trials(pool, trials, results, quiet=quiet)
    records = [results.records[t.id] for t in trials if t.id in results.records]
    top = best(records)
    command = train_command(next(t for t in trials if t.id == top["id"]), params) if top else None
    if records:
        click.echo("\n".join(summary(records, results.params, command)))
    if stopped is not None:
        term = stopped == signal.SIGTERM
        click.echo(
            f"Interrupted{' by SIGTERM' if term else ''}: kept {len(records)} "
            f"finished trial(s) in {results.jsonl}, cancelled the rest; the same "
            f"command with --resume runs them",
            err=True,
        )
        click.get_current_context().exit(143 if term else 130)
    if not any(r["status"] == OK for r in records):
        first = records[0]["error"] if records else "no trial ran"
        raise NNPlugError(f"every trial failed (the first: {first})")
    if save:
        click.echo(save_best(records, results, save))
