"""glibc's allocator tuned for training where the environment tuned it for something else.

Dask's nanny starts every worker with ``MALLOC_TRIM_THRESHOLD_=65536`` (to give freed
memory back to the system). Setting any of glibc's thresholds also switches off its
*dynamic* mmap threshold, so every array of 128 KiB or more is then a fresh ``mmap`` and a
``munmap`` with its page faults: the default digits run took 1.69 s instead of 0.97 s
(measured, ``nnplug train`` with and without that variable). :func:`for_training` raises
the thresholds for the duration of a training run and restores them afterwards, giving
the memory back with ``malloc_trim``. Anywhere else (no such variable, not glibc) it does
nothing.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
from collections.abc import Iterator

#: mallopt parameters (glibc's malloc.h)
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
#: glibc's own default mmap threshold (restored after training)
DEFAULT_MMAP_THRESHOLD = 128 * 1024
#: while training: arrays up to 32 MiB come from the heap, as glibc's dynamic threshold
#: would settle at (its maximum on 64-bit); freed memory is kept up to twice that
TRAINING_MMAP_THRESHOLD = 32 * 1024 * 1024
TRAINING_TRIM_THRESHOLD = 2 * TRAINING_MMAP_THRESHOLD
ENV = "MALLOC_TRIM_THRESHOLD_"


def _libc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL(None)
        libc.mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
        libc.malloc_trim.argtypes = [ctypes.c_size_t]
        return libc
    except (OSError, AttributeError):  # not glibc (musl, macOS, Windows)
        return None


@contextlib.contextmanager
def for_training() -> Iterator[bool]:
    """Within the block, glibc's thresholds suit training (yields whether they were set)."""
    value = os.environ.get(ENV)
    libc = _libc() if value is not None else None
    if value is None or libc is None:
        yield False
        return
    libc.mallopt(M_MMAP_THRESHOLD, TRAINING_MMAP_THRESHOLD)
    libc.mallopt(M_TRIM_THRESHOLD, TRAINING_TRIM_THRESHOLD)
    try:
        yield True
    finally:
        libc.mallopt(M_MMAP_THRESHOLD, DEFAULT_MMAP_THRESHOLD)
        with contextlib.suppress(ValueError):
            libc.mallopt(M_TRIM_THRESHOLD, int(value))
        libc.malloc_trim(0)
