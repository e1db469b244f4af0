"""``nnplug bench --quality``: nnplug's defaults beside scikit-learn's MLP defaults (and a
PyTorch twin of nnplug's network when torch imports), on the same splits, several seeds.

The rows and their data are in :mod:`.quality_rows`; a row whose files are missing is
reported as skipped. Every peer trains on the split nnplug trained on (``run.data``: same
rows, same scaled inputs); regression peers get the same standardised targets, mapped back
for RMSE. See :mod:`.quality_peers`.
"""

from __future__ import annotations

import os
import statistics
import tempfile
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import click

from nnplug_bench.quality_rows import ROWS, Row, Skip, own_data_paths


@dataclass
class Result:
    """Per-seed test metrics of each system on one row (``None``: skipped)."""

    row: str
    metric: str = ""
    values: dict[str, list[float]] = field(default_factory=dict)
    val: list[float] = field(default_factory=list)  # nnplug's best validation metric
    skipped: str | None = None


def run_row(
    row: Row,
    root: Path,
    work: Path,
    seeds: list[int],
    peers: list[str],
    overrides: dict[str, Any] | None = None,
    progress: Callable[[str], None] | None = None,
) -> Result:
    """Train nnplug (defaults + ``overrides``) and each peer on ``row`` for every seed."""
    from nnplug.nn.training import TrainConfig, train
    from nnplug_bench.quality_peers import PEERS

    result = Result(row.name)
    work.mkdir(parents=True, exist_ok=True)
    try:
        options = row.prepare(root, work)
    except Skip as exc:
        result.skipped = str(exc)
        return result
    for seed in seeds:
        with own_data_paths(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # convergence chatter of the peers
            run = train(TrainConfig(**{**options, **(overrides or {})}, seed=seed))
        m = run.metrics
        key = "test_accuracy" if m["task"] == "classification" else "test_rmse"
        result.metric = "accuracy" if key == "test_accuracy" else "rmse"
        result.values.setdefault("nnplug", []).append(float(m[key]))
        result.val.append(float(m["best_val_metric"]))
        for peer in peers:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                value = PEERS[peer](run, seed)
            result.values.setdefault(peer, []).append(value)
        if progress:
            progress(
                f"{row.name} seed {seed}: "
                + ", ".join(f"{k} {v[-1]:.4f}" for k, v in result.values.items())
            )
    return result


def mean_sd(values: list[float], metric: str) -> str:
    """``98.61 ± 0.42`` (accuracy in %) or ``0.5123 ± 0.0101``; RMSE above 100 as whole units."""
    k = 100.0 if metric == "accuracy" else 1.0
    mean = statistics.fmean(values) * k
    sd = (statistics.stdev(values) if len(values) > 1 else 0.0) * k
    digits = 2 if metric == "accuracy" else (0 if abs(mean) >= 100 else 4)
    return f"{mean:.{digits}f} ± {sd:.{digits}f}"


def table(results: list[Result], systems: list[str]) -> list[str]:
    """The printed table: one line per row, ``mean ± sd`` per system."""
    width = max(len(r.title) for r in ROWS)
    lines = [f"{'row':<{width}}  " + "  ".join(f"{s:>20}" for s in systems)]
    titles = {r.name: r.title for r in ROWS}
    for res in results:
        title = titles.get(res.row, res.row)
        if res.skipped:
            lines.append(f"{title:<{width}}  skipped: {res.skipped}")
            continue
        cells = [mean_sd(res.values[s], res.metric) if s in res.values else "-" for s in systems]
        lines.append(f"{title:<{width}}  " + "  ".join(f"{c:>20}" for c in cells))
    return lines


def available_peers() -> list[str]:
    from nnplug_bench.twin import torch_available

    return ["sklearn"] + (["torch"] if torch_available() else [])


def quality_options(fn: Callable) -> Callable:
    """The ``--quality`` flag of ``nnplug bench`` and the options only it uses."""
    for option in reversed(
        [
            click.option(
                "--quality",
                is_flag=True,
                help="Instead of speed: test metrics of nnplug's defaults beside "
                "scikit-learn's MLP (and PyTorch when installed), same splits.",
            ),
            click.option(
                "--data-dir",
                default=None,
                type=click.Path(file_okay=False),
                help="quality: folder with california/ and mnist-t10k/ [default: "
                "$NNPLUG_DATA, else the nnplug cache].",
            ),
            click.option(
                "--seeds",
                default=5,
                show_default=True,
                type=click.IntRange(1),
                help="quality: seeds per row (0, 1, ...).",
            ),
            click.option(
                "--rows",
                default=",".join(r.name for r in ROWS),
                show_default=True,
                help="quality: which rows.",
            ),
        ]
    ):
        fn = option(fn)
    return fn


def run_quality(data_dir: str | None, seeds: int, rows: str) -> None:
    """The whole of ``nnplug bench --quality``."""
    from nnplug.errors import NNPlugError

    names = [r.strip() for r in rows.split(",") if r.strip()]
    unknown = [n for n in names if n not in {r.name for r in ROWS}]
    if unknown or not names:
        raise NNPlugError(
            f"--rows: unknown row '{unknown[0] if unknown else rows}' (rows: "
            f"{', '.join(r.name for r in ROWS)})"
        )
    root = Path(data_dir or os.environ.get("NNPLUG_DATA") or _cache_dir()).expanduser()
    peers = available_peers()
    click.echo(
        f"quality: {seeds} seeds per row, data from {root}; peers: "
        f"{', '.join(peers)} (defaults; same splits and inputs as nnplug)"
    )
    results = []
    with tempfile.TemporaryDirectory(prefix="nnplug-quality-") as tmp:
        for row in (r for r in ROWS if r.name in names):
            results.append(
                run_row(
                    row,
                    root,
                    Path(tmp),
                    list(range(seeds)),
                    peers,
                    progress=lambda s: click.echo(f"  {s}", err=True),
                )
            )
    for line in table(results, ["nnplug", *peers]):
        click.echo(line)


def _cache_dir() -> str:
    import platformdirs

    return platformdirs.user_cache_dir("nnplug")
