"""``python -m nnplug_bench run --workload W1 --engine numba [--seconds S]
[--threads N] [--serve]``: build and warm up one engine, print a JSON line saying so,
then measure: once (one JSON line: samples/s), or with ``--serve`` each time a line
``measure`` arrives on stdin, until stdin closes. Used by ``nnplug bench --concurrent``."""

from __future__ import annotations

import argparse
import json
import sys

from nnplug.errors import NNPlugError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nnplug_bench")
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="time one engine on one workload")
    run.add_argument("--workload", required=True)
    run.add_argument("--engine", required=True, help="a backend name, torch or sklearn")
    run.add_argument("--seconds", type=float, default=0.3)
    run.add_argument("--threads", type=int, default=None)
    run.add_argument(
        "--serve", action="store_true", help="measure once per 'measure' line on stdin"
    )
    args = parser.parse_args(argv)
    try:
        return serve(args)
    except (NNPlugError, ValueError) as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return 2


def serve(args: argparse.Namespace) -> int:
    from nnplug_bench.engines import make_engine
    from nnplug_bench.rounds import measure
    from nnplug_bench.workloads import parse_workloads

    (workload,) = parse_workloads(args.workload)
    engine = make_engine(args.engine, workload, args.threads)
    engine.prepare()
    emit({"ready": True, "workload": workload, "engine": args.engine, **engine.describe()})
    commands = sys.stdin if args.serve else ["measure"]
    for line in commands:
        if line.strip() != "measure":
            break
        m = measure(engine, args.seconds)
        emit(
            {
                "samples_per_second": m.rate,
                "samples": m.units,
                "seconds": m.seconds,
                "epochs": m.epochs,
                "path": engine.path,
                "threads": engine.threads,
            }
        )
    return 0


def emit(record: dict) -> None:
    print(json.dumps(record), flush=True)


if __name__ == "__main__":
    sys.exit(main())
