"""The interface every engine implements -- an nnplug backend (:mod:`.engines`) or a peer
library (:mod:`.peers`) -- and that the timing loop (:mod:`.rounds`) drives."""

from __future__ import annotations

import contextlib
import time
from typing import Any


class Engine:
    """``prepare()`` once (warm-up: compilation, first touch), then ``epoch()`` repeatedly
    inside ``running()``; ``epoch`` returns the samples it trained on."""

    name = ""
    #: how it trains ("compiled", "per-op", "eager", ...), for the table
    path = ""
    #: BLAS (or intra-op) threads it uses
    threads = 1
    #: seconds the warm-up spent compiling (nnplug's compiled path), and the whole warm-up
    compile_seconds = 0.0
    warmup_seconds = 0.0
    #: a footnote (what differs from the workload), or ""
    note = ""

    def prepare(self) -> None:
        t0 = time.perf_counter()
        with self.running():
            self.epoch()
        self.warmup_seconds = time.perf_counter() - t0

    def epoch(self) -> int:
        raise NotImplementedError

    def running(self) -> contextlib.AbstractContextManager[Any]:
        """The context a measurement runs in (e.g. a thread limit)."""
        return contextlib.nullcontext()

    def describe(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "threads": self.threads,
            "compile_seconds": self.compile_seconds,
            "warmup_seconds": self.warmup_seconds,
            "note": self.note,
        }
