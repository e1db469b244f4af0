"""Trials on a Dask distributed cluster (``nnplug sweep --scheduler tcp://HOST:PORT``).

``distributed`` is imported here only, when ``--scheduler`` is given (``pip install
'nnplug[dask]'``). Each trial is one task running :func:`nnplug.cli.sweep.trial.run_trial` on a
worker, which loads the data itself from the same ``--data-dir``/``--data`` paths (made
absolute by the sweep): the workers need nnplug (and any plugin the sweep uses) installed
and those paths readable.

A lost worker: the scheduler puts the tasks that were running on a worker that died back
in the queue and another worker runs them -- up to ``distributed.scheduler.allowed-failures``
(default 3) deaths per task, after which the task fails with ``KilledWorker`` and the trial
is recorded as ``lost`` (``--resume`` runs it again). Exactly once: every trial is one
future with a key unique to this sweep; the records are written by the sweep's process as
the futures complete, each trial once (a task that ran twice returns one result to us), and
the task itself writes nothing.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from typing import Any

from nnplug.cli.sweep.trial import LOST, base_record, run_trial
from nnplug.errors import NNPlugError
from nnplug.safeio.text import describe_exception

CONNECT_TIMEOUT = "10s"


def _discard(client: Any) -> None:
    """Mark a client whose start failed closed (its ``close`` then does nothing) and stop
    its event-loop thread: nothing was connected, nothing needs closing."""
    with contextlib.suppress(Exception):
        client.status = "closed"
        client._loop_runner.stop()


class DaskPool:
    """``with DaskPool(address) as pool: for record in pool.run(trials): ...``"""

    def __init__(self, address: str):
        try:
            from distributed import Client
        except ImportError:
            raise NNPlugError(
                "--scheduler needs the distributed package: pip install 'nnplug[dask]'"
            ) from None
        self.address = address
        # made in two steps so that a client whose start fails is still ours to close:
        # collected half-started, it would stall for twice the connect timeout, then
        # print a Client.__del__ traceback (a garbage address, a TLS scheme with no TLS)
        self.client = Client.__new__(Client)
        try:
            Client.__init__(self.client, address, timeout=CONNECT_TIMEOUT, set_as_default=False)
        except Exception as exc:  # noqa: BLE001 - OSError, TimeoutError, ValueError (address)
            _discard(self.client)
            raise NNPlugError(
                f"cannot connect to the Dask scheduler at {address}: {describe_exception(exc)}"
            ) from None
        self.futures: dict[Any, dict[str, Any]] = {}

    def describe(self) -> str:
        workers = self.client.scheduler_info().get("workers", {})
        threads = sum(w.get("nthreads", 0) for w in workers.values())
        return f"the Dask cluster at {self.address} ({len(workers)} worker(s), {threads} thread(s))"

    def run(self, trials: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        from distributed import as_completed

        sweep = uuid.uuid4().hex[:8]  # keys unique to this sweep: no clash with another
        self.futures = {
            self.client.submit(
                run_trial, trial, key=f"nnplug-trial-{trial['id']}-{sweep}", pure=False
            ): trial
            for trial in trials
        }
        for future, result in as_completed(
            list(self.futures), loop=self.client.loop, with_results=True, raise_errors=False
        ):
            trial, status = self.futures.pop(future), future.status
            future.release()
            if status == "finished":
                yield result
            else:  # erred: (type, exception, traceback), e.g. KilledWorker; or cancelled
                error = result[1] if isinstance(result, tuple) else result
                yield base_record(trial, LOST, f"on the Dask cluster: {describe_exception(error)}")

    def close(self) -> None:
        """Cancel the trials not finished (running tasks finish on their workers, unrecorded)
        and disconnect."""
        if self.futures:
            self.client.cancel(list(self.futures))
            self.futures = {}
        self.client.close()

    def __enter__(self) -> DaskPool:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
