"""What ``nnplug sweep`` prints: a line per finished trial, and at the end the trials
ranked by their **validation** metric -- the test metric is shown but never used to rank
or to choose the best (choosing on it would make the test score an optimistic one)."""

from __future__ import annotations

import math
from typing import Any

from nnplug.cli.sweep.trial import OK
from nnplug.safeio.text import one_line

#: metrics where lower is better (every other one: higher is better)
LOWER_IS_BETTER = {"rmse"}


def _fmt(value: Any) -> str:
    if value is None:
        return "none"  # as a grid writes it
    if isinstance(value, float):
        return f"{value:.4g}"
    return one_line(value, 60)


def params_text(params: dict[str, Any]) -> str:
    return " ".join(f"{k}={_fmt(v)}" for k, v in params.items())


def rank_key(record: dict[str, Any]) -> tuple[int, float, float]:
    """Sort key: trials that trained, best validation metric first (ties: the lower
    validation loss, as the Solver picks its best epoch); then those without a validation
    metric (``--val-fraction 0``); then failed and lost ones."""
    value, loss = record.get("val_metric"), record.get("val_loss")
    if record.get("status") != OK:
        return (2, 0.0, 0.0)
    if value is None or not math.isfinite(value):
        return (1, 0.0, 0.0)
    loss = loss if loss is not None and math.isfinite(loss) else math.inf
    return (0, value if record.get("metric") in LOWER_IS_BETTER else -value, loss)


def ranked(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``records`` best first (a stable sort: ties keep the grid's order)."""
    return sorted(records, key=rank_key)


def best(records: list[dict[str, Any]]) -> dict[str, Any] | None:
    """The trial with the best validation metric, if any trained with one."""
    top = ranked(records)[:1]
    return top[0] if top and rank_key(top[0])[0] == 0 else None


def trial_line(record: dict[str, Any], done: int, total: int) -> str:
    """``[3/8] lr=0.05 hidden=256  val_accuracy 0.9861  test_accuracy 0.9778  30 epochs
    0.62s``, or the trial's error."""
    head = f"[{done:>{len(str(total))}}/{total}] {params_text(record['params'])}"
    if record["status"] != OK:
        return f"{head}  {record['status']}: {one_line(record['error'], 300)}"
    metric = record["metric"]
    return (
        f"{head}  val_{metric} {_num(record['val_metric'])}  test_{metric} "
        f"{_num(record['test_metric'])}  {record['epochs_run']} epochs  "
        f"{record['seconds']:.2f}s"
    )


def _num(value: Any) -> str:
    return "-" if value is None else f"{value:.4f}"


def table(records: list[dict[str, Any]], params: list[str]) -> list[str]:
    """The ranked table, one line per trial (``rank`` is ``-`` for trials that failed)."""
    metrics = sorted({r["metric"] for r in records if r.get("metric")}) or ["metric"]
    metric = metrics[0] if len(metrics) == 1 else "metric"
    head = ["rank", "id", *params, f"val_{metric}", f"test_{metric}", "epochs", "seconds", "status"]
    rows = []
    for i, r in enumerate(ranked(records), 1):
        ok = r["status"] == OK
        rows.append(
            [
                str(i) if ok else "-",
                r["id"],
                *(_fmt(r["params"].get(p, "")) for p in params),
                _num(r["val_metric"]),
                _num(r["test_metric"]),
                str(r["epochs_run"] or "-"),
                f"{r['seconds'] or 0:.2f}",
                "ok" if ok else f"{r['status']}: {one_line(r['error'], 120)}",
            ]
        )
    widths = [max(len(row[i]) for row in [head, *rows]) for i in range(len(head) - 1)]
    return [
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=False)) + "  " + row[-1]
        for row in [head, *rows]
    ]


def summary(records: list[dict[str, Any]], params: list[str], command: str | None) -> list[str]:
    """The table, then the best trial and its ``nnplug train`` command line."""
    ranked_by = sorted({r["metric"] for r in records if r.get("metric")})
    by = f"validation {'/'.join(ranked_by)}" if ranked_by else "validation metric"
    out = [
        f"{len(records)} trial(s), ranked by {by} (the test metric is shown, never used to rank):",
        *table(records, params),
    ]
    top = best(records)
    if top is None:
        out.append("no trial trained with a validation metric: no best trial")
    else:
        out += [
            f"best: trial {top['id']} ({params_text(top['params'])}): "
            f"val_{top['metric']} {_num(top['val_metric'])}",
            f"  {command}",
        ]
    return out
