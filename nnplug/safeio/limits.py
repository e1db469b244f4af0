"""The size-and-sanity layer every reader goes through.

* :func:`max_bytes` -- the most memory one input file may ask for: ``$NNPLUG_MAX_BYTES``
  (``4G``, ``500M``, ``1.5GiB`` or plain bytes; K/M/G/T are powers of 1024), default 2 GiB.
  Readers judge what a file *declares* (zip member sizes, npy headers, IDX dimensions,
  layer widths) against it with :func:`check_bytes` before allocating anything.
* :func:`open_regular` -- open an input for reading only when it is a regular file:
  reading a device or a fifo (``/dev/zero``, a pipe) may never end.
* :func:`network_bytes` -- a lower bound of the memory a stack of layer widths needs.
"""

from __future__ import annotations

import io
import math
import os
import re
import stat
from collections.abc import Callable, Iterable
from typing import IO

from nnplug.errors import NNPlugError

ENV = "NNPLUG_MAX_BYTES"
DEFAULT_MAX_BYTES = 2 << 30
#: zlib cannot expand data more than about 1032-fold; anything claiming more is a lie
DEFLATE_RATIO = 1032
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(?:i?b)?\s*$", re.IGNORECASE)
_UNITS = {"": 1, "k": 1 << 10, "m": 1 << 20, "g": 1 << 30, "t": 1 << 40}


class LimitError(NNPlugError):
    """An input declares more data than ``NNPLUG_MAX_BYTES`` allows."""


def max_bytes() -> int:
    """The limit in bytes (``$NNPLUG_MAX_BYTES`` or the default), read at every call."""
    text = os.environ.get(ENV, "").strip()
    if not text:
        return DEFAULT_MAX_BYTES
    match = _SIZE.match(text)
    if match is None or float(match.group(1)) <= 0:
        raise NNPlugError(
            f"{ENV}={text[:40]!r} is not a size; use e.g. 4G, 500M or a number of bytes"
        )
    return int(float(match.group(1)) * _UNITS[match.group(2).lower()])


def human(n: int | float) -> str:
    """``1536`` -> ``'1.5 KiB'``; exact bytes below 1 KiB."""
    if n < 1024:
        return f"{int(n)} bytes"
    for unit in ("KiB", "MiB", "GiB", "TiB", "PiB"):
        n /= 1024
        if n < 1024 or unit == "PiB":
            break
    return f"{n:.1f} {unit}" if n < 1e6 else f"{n:.3g} {unit}"


def check_bytes(n: int, what: str) -> None:
    """Refuse, in one line naming the limit, when ``what`` needs more than it."""
    limit = max_bytes()
    if n > limit:
        raise LimitError(
            f"{what} needs {human(n)}, more than the {ENV} limit of "
            f"{human(limit)} (raise {ENV} to allow it)"
        )


_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a fifo (pipe)"),
    (stat.S_ISSOCK, "a socket"),
)


def kind_of(mode: int) -> str:
    """'a regular file', 'a directory', 'a character device', ... for an ``st_mode``."""
    if stat.S_ISREG(mode):
        return "a regular file"
    return next((name for test, name in _KINDS if test(mode)), "a special file")


def open_regular(
    path: str | os.PathLike,
    what: str = "input file",
    error: Callable[[str], Exception] = NNPlugError,
) -> IO[bytes]:
    """``open(path, "rb")`` for a regular file; a one-line ``error`` for a missing,
    unreadable or special file. ``O_NONBLOCK`` keeps a fifo from blocking the open."""
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise error(f"{what} {path} not found") from None
    except OSError as exc:
        raise error(f"cannot read {what} {path}: {exc.strerror or exc}") from None
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise error(
                f"{what} {path} is {kind_of(mode)}, not a regular file; nnplug reads "
                f"inputs from regular files only"
            )
        os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def open_text(
    path: str | os.PathLike,
    what: str = "input file",
    error: Callable[[str], Exception] = NNPlugError,
) -> IO[str]:
    """:func:`open_regular` as UTF-8 text (a BOM is skipped) for the ``csv`` module."""
    return io.TextIOWrapper(open_regular(path, what, error), encoding="utf-8-sig", newline="")


def file_size(fh: IO) -> int:
    return os.fstat(fh.fileno()).st_size


def network_bytes(in_features: int, widths: list[int], itemsize: int = 4, batch: int = 1) -> int:
    """A lower bound of the bytes a network needs: the weights between consecutive
    ``widths`` (starting at ``in_features``) plus one batch of their activations."""
    weights, prev = 0, in_features
    for w in widths:
        weights += prev * w + w
        prev = w
    return (weights + batch * (in_features + sum(widths))) * itemsize


def count(shape: Iterable[int]) -> int:
    """Number of items of ``shape`` (Python ints: no overflow)."""
    return math.prod(int(d) for d in shape)


def shape_problem(shape: tuple[int, ...], itemsize: int) -> str | None:
    """Why no array can have ``shape`` (a negative dimension, or more bytes than an index
    can address even when another dimension is 0), or None."""
    if any(d < 0 for d in shape):
        return f"negative dimension in shape {shape[:8]}"
    if count(d for d in shape if d) * itemsize >= 1 << 63:
        return f"shape {shape[:8]} is larger than any array can be"
    return None
