"""BLAS threads: how many each run uses, decided per run from its matrix sizes.

OpenBLAS worker threads spin while they wait for work. Two runs sharing two cores with
two threads each spend their time spinning against each other (measured here: an
8-128-128-1 net fell from 327k samples/s alone to 5k each). Small GEMMs (batch 32-128,
widths up to a few hundred) gain little from a second thread even on an idle machine, so
a run whose largest GEMM is below :data:`SINGLE_THREAD_BELOW` FLOPs uses one thread;
larger ones use every core. ``--threads N`` / ``NNPLUG_THREADS=N`` override the choice
(at most the cores available, with a warning); otherwise a BLAS thread limit in the
environment (``OMP_NUM_THREADS``, ``OPENBLAS_NUM_THREADS``, ``MKL_NUM_THREADS``) caps it --
what joblib's worker processes get (cores // n_jobs: one each for ``GridSearchCV(n_jobs=2)``
on two cores), so parallel scikit-learn searches over nnplug estimators do not
oversubscribe the cores.

The count is a function of the model and the batch only, never of the machine's load:
OpenBLAS sums some products in a thread-dependent order, and a given seed must give the
same weights every time on the same machine.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator
from typing import Any

from nnplug.errors import NNPlugError

THREADS_ENV = "NNPLUG_THREADS"
#: OpenBLAS workers spin 2**N CPU cycles for new work before they sleep (default N = 28,
#: ~0.1 s); two runs on shared cores then burn each other's time. nnplug asks for 2**16
#: (~20 us: enough to bridge the gaps between the GEMMs of one step) before a BLAS loads
#: -- the user's own OPENBLAS_THREAD_TIMEOUT wins
SPIN_ENV, SPIN = "OPENBLAS_THREAD_TIMEOUT", "16"
#: FLOPs (2 m n k) of the largest GEMM of a training step below which one thread is used
SINGLE_THREAD_BELOW = 2 * 256 * 512 * 512
#: limits every BLAS (and joblib's workers) honour; the smallest one set caps the choice
LIMIT_ENVS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")

_controller: Any = None
_modules_seen = 0
#: (where, count) of the thread requests already capped and reported
_capped: set[tuple[str, int]] = set()


def quiet_spinning() -> None:
    """Ask OpenBLAS libraries loaded from now on to spin briefly (:data:`SPIN`). Called
    by the CLI before NumPy is imported and by the numba backend before SciPy's BLAS
    loads; a BLAS already loaded keeps its setting."""
    os.environ.setdefault(SPIN_ENV, SPIN)


#: where Linux states a container's CPU quota: cgroup v2 (``"QUOTA PERIOD"`` or ``"max
#: PERIOD"``), then cgroup v1 (quota and period in two files; a quota of -1: none)
CGROUP_V2 = "/sys/fs/cgroup/cpu.max"
CGROUP_V1 = ("/sys/fs/cgroup/cpu/cpu.cfs_quota_us", "/sys/fs/cgroup/cpu/cpu.cfs_period_us")


def _read(path: str) -> str | None:
    try:
        with open(path, encoding="ascii") as fh:
            return fh.read(100).strip()
    except (OSError, UnicodeDecodeError):
        return None


def cpu_quota() -> int | None:
    """The cores a container's CPU quota grants (rounded up, at least 1), or None when no
    quota is set or none can be read. A container limited to one CPU on a 64-core host
    sees 64 cores in its affinity mask; BLAS threads beyond its quota only wait their turn."""
    quota = period = None
    v2 = _read(CGROUP_V2)
    if v2 is not None:
        fields = v2.split()
        if len(fields) == 2 and fields[0] != "max":
            quota, period = fields
    else:
        quota, period = _read(CGROUP_V1[0]), _read(CGROUP_V1[1])
    try:
        q, p = int(quota or ""), int(period or "")
    except ValueError:
        return None
    if q <= 0 or p <= 0:
        return None
    return max(1, -(-q // p))


def available() -> int:
    """The cores this process may run on: its affinity mask (else ``os.cpu_count()``), at
    most the container's CPU quota (:func:`cpu_quota`)."""
    try:
        cores = max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        cores = max(1, os.cpu_count() or 1)
    quota = cpu_quota()
    return min(cores, quota) if quota is not None else cores


def requested(threads: int | None = None) -> int | None:
    """``threads`` if given, else ``$NNPLUG_THREADS`` (a positive integer), else None;
    at most the cores :func:`available` (more threads only spin against each other: 99999999
    of them made a 0.05 s epoch take 12 s), saying so once per process."""
    source = "--threads"
    if threads is None:
        raw = os.environ.get(THREADS_ENV, "").strip()
        if not raw:
            return None
        try:
            threads = int(raw)
        except ValueError:
            raise NNPlugError(f"{THREADS_ENV} must be a positive integer, got {raw!r}") from None
        source = THREADS_ENV
    if threads < 1:
        raise NNPlugError(f"BLAS threads must be >= 1, got {threads}")
    cores = available()
    if threads > cores:
        if (source, threads) not in _capped:
            _capped.add((source, threads))
            logging.getLogger("nnplug.runtime").warning(
                "Warning: %s %d asks for more BLAS threads than the %d core(s) available; using %d",
                source,
                threads,
                cores,
                cores,
            )
        return cores
    return threads


def environment_cap() -> int | None:
    """The smallest positive BLAS thread limit set in :data:`LIMIT_ENVS`, else None
    (values that are not positive integers are ignored, as the BLAS libraries do)."""
    caps = []
    for name in LIMIT_ENVS:
        try:
            value = int(os.environ.get(name, "").strip())
        except ValueError:
            continue
        if value >= 1:
            caps.append(value)
    return min(caps) if caps else None


def largest_gemm_flops(shapes: list[tuple[int, int]], batch: int) -> int:
    """FLOPs of the largest GEMM in a training step whose weight matrices have these
    ``(in, out)`` shapes (forward x W, backward x^T dz and dz W^T share m n k)."""
    return max((2 * batch * a * b for a, b in shapes), default=0)


def choose(shapes: list[tuple[int, int]], batch: int, threads: int | None = None) -> int:
    """The BLAS threads for a run: the request, else 1 below the measured size, else all
    cores (:func:`available`: the affinity mask, at most a container's CPU quota), at most
    the :func:`environment_cap`."""
    asked = requested(threads)
    if asked is not None:
        return asked
    if largest_gemm_flops(shapes, batch) < SINGLE_THREAD_BELOW:
        return 1
    cores = available()
    return min(cores, environment_cap() or cores)


@contextlib.contextmanager
def limit(threads: int) -> Iterator[None]:
    """Run the block with every loaded BLAS library (NumPy's, and SciPy's that compiled
    kernels call) limited to ``threads``; restored afterwards."""
    global _controller, _modules_seen
    import sys

    from threadpoolctl import ThreadpoolController

    if _controller is None or len(sys.modules) != _modules_seen:
        # rescan (~1 ms): an import since the last scan may have loaded another BLAS
        _controller, _modules_seen = ThreadpoolController(), len(sys.modules)
    with _controller.limit(limits=threads, user_api="blas"):
        yield


def current() -> list[int]:
    """Threads of every loaded BLAS library (for tests and ``nnplug bench``)."""
    from threadpoolctl import threadpool_info

    return [info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"]
