"""The IDX file format of MNIST-style datasets (gzipped or not), read with full validation.

Layout: magic ``00 00 <type> <ndim>`` (big-endian), then ``ndim`` uint32 sizes, then
``prod(sizes)`` items of ``<type>`` -- the data length must equal exactly that. The sizes
are judged before anything is allocated (what the file can hold, ``NNPLUG_MAX_BYTES``);
a gzip stream is decompressed straight into the array, never whole into memory first.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import IO

import numpy as np

from nnplug.errors import DataError
from nnplug.safeio.limits import (
    DEFLATE_RATIO,
    check_bytes,
    count,
    file_size,
    open_regular,
    shape_problem,
)

GZIP_MAGIC = b"\x1f\x8b"
CHUNK = 1 << 20
#: IDX type code -> numpy dtype (multi-byte types are big-endian)
IDX_TYPES = {
    0x08: np.dtype(np.uint8),
    0x09: np.dtype(np.int8),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}


class _Payload:
    """The IDX payload of an open file, read through gzip when it starts with its magic;
    counts what it reads and hashes it (the digest covers the decompressed payload)."""

    def __init__(self, fh: IO[bytes], path: Path):
        import gzip

        self.path, self.size = path, file_size(fh)
        if self.size == 0:
            raise DataError(f"{path}: empty file")
        self.gz = fh.read(2) == GZIP_MAGIC
        fh.seek(0)
        if not self.gz and path.suffix == ".gz":
            raise DataError(f"{path}: not a gzip file (named .gz, starts with {fh.read(4).hex()})")
        self.stream = gzip.GzipFile(fileobj=fh, mode="rb") if self.gz else fh
        self.digest, self.done = hashlib.sha256(), 0

    def read(self, n: int) -> bytes:
        import zlib

        try:
            data = self.stream.read(n)
        except (EOFError, OSError, zlib.error) as exc:
            why = "corrupt or truncated gzip data" if self.gz else "cannot read"
            raise DataError(f"{self.path}: {why} ({exc})") from None
        self.digest.update(data)
        self.done += len(data)
        return data

    def most(self) -> int:
        """The most payload bytes the file can hold (zlib expands at most ~1032-fold)."""
        return DEFLATE_RATIO * self.size + 1024 if self.gz else self.size


def read_idx(path: str | Path, *, ndim: int) -> tuple[np.ndarray, str]:
    """Read an uint8 IDX file; return ``(array, sha256 of the decompressed payload)``.

    The dimensions are judged against what the file can hold and ``NNPLUG_MAX_BYTES``
    before the array is allocated; a gzip stream is decompressed straight into it.
    """
    path = Path(path)
    with open_regular(path, "IDX file", DataError) as fh:
        src = _Payload(fh, path)
        head = src.read(4)
        want = bytes([0, 0, 0x08, ndim])
        if len(head) < 4:
            raise DataError(f"{path}: too short for an IDX header ({len(head)} bytes)")
        if head != want:
            kind = "labels" if ndim == 1 else "images"
            raise DataError(
                f"{path}: wrong magic number 0x{head.hex()} "
                f"(IDX uint8 {kind} start with 0x{want.hex()})"
            )
        raw = src.read(4 * ndim)
        if len(raw) < 4 * ndim:
            raise DataError(f"{path}: truncated header ({4 + len(raw)} of {4 + 4 * ndim} bytes)")
        dims = tuple(int(d) for d in np.frombuffer(raw, ">u4"))
        shape = "x".join(map(str, dims))
        if ndim > 1 and 0 in dims[1:]:
            raise DataError(f"{path}: zero-sized dimension in {dims}")
        problem = shape_problem(dims, 1)
        if problem:
            raise DataError(f"{path}: {problem}")
        expected = count(dims)
        header = 4 + 4 * ndim
        if expected > src.most() - header:
            have = src.size - header if not src.gz else f"at most {src.most() - header}"
            raise DataError(
                f"{path}: truncated data: header says {shape} = {expected} bytes, file has {have}"
            )
        if not src.gz and src.size - header > expected:
            raise DataError(
                f"{path}: {src.size - header - expected} unexpected bytes after the {shape} data"
            )
        check_bytes(expected, f"{path} ({shape} IDX data)")
        out, filled = np.empty(expected, np.uint8), 0
        while filled < expected:
            chunk = src.read(min(CHUNK, expected - filled))
            if not chunk:
                raise DataError(
                    f"{path}: truncated data: header says {shape} = {expected} "
                    f"bytes, file has {filled}"
                )
            out[filled : filled + len(chunk)] = np.frombuffer(chunk, np.uint8)
            filled += len(chunk)
        extra = len(src.read(CHUNK))  # only a gzip stream can still hold more
        if extra:
            more = "at least " if extra == CHUNK else ""
            raise DataError(f"{path}: {more}{extra} unexpected bytes after the {shape} data")
    return out.reshape(dims), src.digest.hexdigest()


def payload_sha256(path: str | Path) -> str:
    """SHA-256 of a file's IDX payload (after gunzip), streamed; for download checks."""
    import gzip
    import zlib

    h = hashlib.sha256()
    with open(path, "rb") as fh:
        gz = fh.read(2) == GZIP_MAGIC
    opener = gzip.open if gz else open
    try:
        with opener(path, "rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
    except (EOFError, OSError, zlib.error) as exc:
        raise DataError(f"{path}: corrupt or truncated gzip data ({exc})") from None
    return h.hexdigest()
