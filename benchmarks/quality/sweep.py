"""Choose defaults on VALIDATION data: train each configuration of a grid on a quality
row (``nnplug_bench.quality_rows.ROWS``) for several seeds and print the best validation metric,
mean +- sd (never the test metric: the defaults are chosen without looking at it).

    python benchmarks/quality/sweep.py california optim --seeds 5 --data-dir ../shared/data

Each result line is also appended to ``sweep-results.jsonl`` (or ``--out``).
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(1, str(Path(__file__).parent.parent))  # nnplug_bench, installed or not

from grids import GRIDS  # noqa: E402

from nnplug_bench.quality_rows import ROWS, Skip, own_data_paths  # noqa: E402
from nnplug.errors import TrainingDiverged  # noqa: E402
from nnplug.nn.training import TrainConfig, train


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("row", choices=[r.name for r in ROWS])
    ap.add_argument("grid", choices=sorted(GRIDS))
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--data-dir", default="../shared/data")
    ap.add_argument("--only", default=None, help="comma-separated configuration names")
    ap.add_argument("--out", default="sweep-results.jsonl")
    args = ap.parse_args()
    row = next(r for r in ROWS if r.name == args.row)
    configs = GRIDS[args.grid](row.name)
    if args.only:
        keep = set(args.only.split(","))
        configs = {k: v for k, v in configs.items() if k in keep}
    with tempfile.TemporaryDirectory() as tmp:
        try:
            options = row.prepare(Path(args.data_dir), Path(tmp))
        except Skip as exc:
            sys.exit(f"{row.name}: skipped ({exc})")
        for name, overrides in configs.items():
            vals, secs, epochs, losses = [], [], [], []
            for seed in range(args.seeds):
                merged = {**options, **overrides, "dataset_options": {
                    **options.get("dataset_options", {}),
                    **overrides.get("dataset_options", {})}}
                with own_data_paths():
                    try:
                        m = train(TrainConfig(**merged, seed=seed)).metrics
                    except TrainingDiverged as exc:  # keep the best epoch before it
                        m = exc.run.metrics  # type: ignore[attr-defined]
                        print(f"  seed {seed} diverged: {exc}", flush=True)
                vals.append(m["best_val_metric"])
                secs.append(m["train_seconds"])
                epochs.append(m["best_epoch"])
                losses.append(m["history"][m["best_epoch"] - 1]["val_loss"]
                              if m["best_epoch"] else float("nan"))
            k = 100 if m["metric"] == "accuracy" else 1
            mean = float(np.mean(vals)) * k  # nan when a seed diverged in its first epoch
            sd = float(np.std(vals, ddof=1)) * k if len(vals) > 1 else 0.0
            line = (f"{row.name:<11} {name:<28} val {m['metric']} {mean:10.4f} +- {sd:8.4f}  "
                    f"val loss {np.mean(losses):.4f}  best epochs {epochs}  "
                    f"{statistics.fmean(secs):6.2f}s/run")
            print(line, flush=True)
            with open(args.out, "a") as fh:
                fh.write(json.dumps({"row": row.name, "grid": args.grid, "config": name,
                                     "overrides": overrides, "metric": m["metric"],
                                     "val": vals, "val_loss": losses, "train_seconds": secs,
                                     "best_epochs": epochs, "time": time.time()}) + "\n")


if __name__ == "__main__":
    main()
