"""Trials in local worker processes (``nnplug sweep`` without ``--scheduler``).

Each worker is a forked child pinned to its own share of the cores
(``os.sched_setaffinity``); each trial in it uses the sweep's BLAS threads (the trial's
``threads`` option, one unless told otherwise). Forking (on Linux) starts a worker in
milliseconds with nnplug, NumPy and the plugins already imported -- the parent is
single-threaded when it forks. A worker runs in its own process group, so Ctrl-C in the
terminal reaches only the sweep, which then stops the workers itself.

The parent hands one trial at a time to an idle worker and waits on every worker's pipe
and process at once: a result is yielded as soon as it arrives; a worker that dies (killed,
out of memory) yields a ``lost`` record for its trial and is replaced.

A worker dies with the sweep, however the sweep ends (``kill -9`` too): it asks the kernel
for SIGKILL when its parent dies (Linux's ``PR_SET_PDEATHSIG``), and holds nothing of the
parent's that would outlive it -- the sweep directory's lock is closed at the fork
(:mod:`nnplug.safeio.dirlock`), and so are the parent's ends of every worker's pipe, so a
worker whose parent is gone reads end-of-file instead of waiting forever.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import multiprocessing
import os
import signal
import sys
from collections import deque
from collections.abc import Iterator, Sequence
from multiprocessing.connection import wait
from typing import Any

from nnplug.cli.sweep.trial import LOST, base_record, run_trial


def cpu_shares(workers: int) -> list[list[int]]:
    """The CPUs of each worker: this process's CPUs cut into ``workers`` contiguous shares
    (with more workers than CPUs, worker i gets CPU i mod n). Empty where the platform
    cannot pin."""
    try:
        cpus = sorted(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return [[] for _ in range(workers)]
    if workers >= len(cpus):
        return [[cpus[i % len(cpus)]] for i in range(workers)]
    bounds = [round(i * len(cpus) / workers) for i in range(workers + 1)]
    return [cpus[bounds[i] : bounds[i + 1]] for i in range(workers)]


def warm_up(trial: dict[str, Any]) -> None:
    """Build the first trial's data and model once here, before forking: the workers then
    start with what a trial imports (scikit-learn for digits, numba for long runs) already
    imported, and a dataset that must be downloaded is downloaded once, not by every worker
    at the same time. An error is left to the trial to report."""
    from nnplug.nn import training

    with contextlib.suppress(Exception):
        training.build(
            training.TrainConfig(**trial["options"], dataset_options=dict(trial["dataset_options"]))
        )


#: prctl's option: the signal a process gets when its parent dies (linux/prctl.h)
PR_SET_PDEATHSIG = 1


def die_with_parent(parent: int) -> None:
    """Have the kernel SIGKILL this process when its parent dies (Linux; elsewhere
    nothing), and die now if the parent ``parent`` is already gone."""
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError, TypeError):
            libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
            libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if os.getppid() != parent:  # died before prctl took effect: reparented already
        os._exit(1)


def _worker(conn: Any, cpus: list[int], parent: int, inherited: list[Any]) -> None:
    """A worker's life: receive a trial, send its record, until told to stop.
    ``inherited``: the parent's ends of the workers' pipes, closed here at once."""
    die_with_parent(parent)
    for end in inherited:
        with contextlib.suppress(OSError):
            end.close()
    os.setpgrp()  # out of the terminal's foreground group: Ctrl-C is the sweep's to handle
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # not the sweep's handler, inherited
    if cpus:
        with contextlib.suppress(OSError):
            os.sched_setaffinity(0, cpus)
    while True:
        try:
            trial = conn.recv()
        except (EOFError, OSError):
            return
        if trial is None:
            return
        conn.send(run_trial(trial))


class Worker:
    def __init__(self, context: Any, cpus: list[int], others: Sequence[Worker] = ()):
        """A new worker process; ``others``: the workers already running (a forked child
        closes its copies of their pipes)."""
        self.cpus = cpus
        self.conn, child = context.Pipe()
        sys.stdout.flush()  # a forked child would print what is still buffered again
        sys.stderr.flush()
        forked = context.get_start_method() == "fork"
        inherited = [self.conn, *(w.conn for w in others)] if forked else []
        self.process = context.Process(
            target=_worker, args=(child, cpus, os.getpid(), inherited), daemon=True
        )
        self.process.start()
        child.close()
        self.trial: dict[str, Any] | None = None

    def give(self, trial: dict[str, Any]) -> bool:
        self.trial = trial
        try:
            self.conn.send(trial)
            return True
        except OSError:  # it died while idle
            return False

    def stop(self) -> None:
        """End the worker now (a running trial is abandoned) and reap it."""
        if self.process.is_alive():
            self.process.kill()
        self.process.join()
        self.conn.close()


class LocalPool:
    """``with LocalPool(workers) as pool: for record in pool.run(trials): ...``"""

    def __init__(self, workers: int):
        self.workers = workers
        method = "fork" if sys.platform.startswith("linux") else "spawn"
        self.context = multiprocessing.get_context(method)
        self.pool: list[Worker] = []

    def describe(self) -> str:
        return f"{self.workers} local worker process(es)"

    def run(self, trials: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        if trials:
            warm_up(trials[0])
        pending = deque(trials)
        shares = cpu_shares(self.workers)[: len(trials)]
        self.pool = []
        for cpus in shares:
            self.pool.append(Worker(self.context, cpus, self.pool))
        while True:
            for i, worker in enumerate(self.pool):
                if worker.trial is None and pending:
                    if not worker.process.is_alive():  # died idle: nothing was lost
                        worker.stop()
                        worker = self.pool[i] = Worker(self.context, worker.cpus, self.pool)
                    if not worker.give(pending.popleft()):
                        yield self._lost(worker)
            busy = [w for w in self.pool if w.trial is not None]
            if not busy:
                return
            ready = wait([w.conn for w in busy] + [w.process.sentinel for w in busy])
            for worker in busy:
                if worker.conn not in ready and worker.process.sentinel not in ready:
                    continue
                try:
                    record = worker.conn.recv() if worker.conn.poll() else None
                except (EOFError, OSError):
                    record = None
                if record is None:
                    yield self._lost(worker)
                else:
                    worker.trial = None
                    yield record

    def _lost(self, worker: Worker) -> dict[str, Any]:
        """The record of the trial whose worker died; a fresh worker takes its place."""
        trial = worker.trial
        assert trial is not None
        worker.stop()
        code = worker.process.exitcode
        how = f"signal {-code}" if code is not None and code < 0 else f"exit code {code}"
        self.pool[self.pool.index(worker)] = Worker(self.context, worker.cpus, self.pool)
        return base_record(trial, LOST, f"its worker process died ({how})")

    def close(self) -> None:
        for worker in self.pool:
            with contextlib.suppress(OSError):
                if worker.trial is None and worker.process.is_alive():
                    worker.conn.send(None)
        for worker in self.pool:
            if worker.trial is None:
                worker.process.join(timeout=5)
            worker.stop()
        self.pool = []

    def __enter__(self) -> LocalPool:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
