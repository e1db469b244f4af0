"""Two runs at once: is a run still fast when an identical one shares the machine?

For a workload and an engine, two worker subprocesses (``python -m nnplug_bench
run ... --serve``) build and warm up the engine. Each round then times worker A alone,
and A and B started together (the order of the two phases alternates by round); each
concurrent rate is reported as a ratio of the same round's alone rate. The workers use
the default BLAS thread policy unless ``threads`` is given.
"""

from __future__ import annotations

import json
import os
import site
import subprocess
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from nnplug.errors import NNPlugError
from nnplug_bench import stats

#: the workloads the issue's two-runs-at-once targets are set for
CONCURRENT_WORKLOADS = ("W1", "R1")


def worker_env() -> dict[str, str]:
    """This process's environment, with the folder ``nnplug_bench`` was imported from on
    ``PYTHONPATH`` unless it is a site-packages folder: a worker then finds the package
    where this process found it (a source checkout imported through pytest's
    ``pythonpath``, say), installed or not."""
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parent.parent)
    folders = [*site.getsitepackages(), site.USER_SITE]
    installed = {str(Path(p).resolve()) for p in folders if p}
    if root not in installed:
        env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH")) if p)
    return env


class Worker:
    """One ``python -m nnplug_bench run --serve`` subprocess, driven line by line."""

    def __init__(self, workload: str, engine: str, seconds: float, threads: int | None):
        cmd = [
            sys.executable,
            "-m",
            "nnplug_bench",
            "run",
            "--workload",
            workload,
            "--engine",
            engine,
            "--seconds",
            repr(seconds),
            "--serve",
        ]
        if threads is not None:
            cmd += ["--threads", str(threads)]
        self.what = f"{workload} {engine} worker"
        self.err = tempfile.TemporaryFile(mode="w+")  # noqa: SIM115 - closed by close()
        self.proc = subprocess.Popen(
            cmd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.err,
            text=True,
            bufsize=1,
            env=worker_env(),
        )

    def read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            self.proc.wait()
            self.err.seek(0)
            last = (self.err.read().strip().splitlines() or ["no output"])[-1]
            raise NNPlugError(f"{self.what} failed (exit {self.proc.returncode}): {last}")
        reply: dict[str, Any] = json.loads(line)
        return reply

    def start(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write("measure\n")
        self.proc.stdin.flush()

    def close(self) -> None:
        if self.proc.poll() is None:
            try:
                assert self.proc.stdin is not None
                self.proc.stdin.close()
                self.proc.wait(timeout=30)
            except (OSError, subprocess.TimeoutExpired):
                self.proc.kill()
                self.proc.wait()
        self.err.close()


def two_at_once(
    workload: str, engine: str, *, rounds: int, seconds: float, threads: int | None = None
) -> dict[str, Any]:
    """Alone and together rates of ``engine`` on ``workload``, per round."""
    a, b = (Worker(workload, engine, seconds, threads) for _ in range(2))
    try:
        info = a.read()
        b.read()
        alone: list[float] = []
        together: list[tuple[float, float]] = []
        for r in range(rounds):
            for phase in ("alone", "together") if r % 2 == 0 else ("together", "alone"):
                if phase == "alone":
                    a.start()
                    alone.append(a.read()["samples_per_second"])
                else:
                    a.start()
                    b.start()
                    together.append(
                        (a.read()["samples_per_second"], b.read()["samples_per_second"])
                    )
    finally:
        a.close()
        b.close()
    runs = [[t[i] / x for t, x in zip(together, alone, strict=True)] for i in (0, 1)]
    return {
        "workload": workload,
        "engine": engine,
        "threads": info["threads"],
        "path": info["path"],
        "alone": {"samples_per_second": alone, **stats.spread(alone).as_dict()},
        "together": [
            {
                "samples_per_second": [t[i] for t in together],
                "ratio_to_alone": runs[i],
                **stats.spread(runs[i]).as_dict(),
            }
            for i in (0, 1)
        ],
        "worst_ratio": min(min(run) for run in runs),
    }


def run_all(
    workloads: Sequence[str],
    engines: Sequence[str],
    *,
    rounds: int,
    seconds: float,
    threads: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[dict[str, Any]]:
    out = []
    for wl in workloads:
        for engine in engines:
            if progress is not None:
                progress(f"{wl}: two runs at once, {engine}")
            out.append(two_at_once(wl, engine, rounds=rounds, seconds=seconds, threads=threads))
    return out
