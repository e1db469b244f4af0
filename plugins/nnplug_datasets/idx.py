"""The IDX file format of MNIST-style datasets (gzipped or not), read with full validation.

Layout: magic ``00 00 <type> <ndim>`` (big-endian), then ``ndim`` uint32 sizes, then
``prod(sizes)`` items of ``<type>`` -- the data length must equal exactly that.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from nnplug.errors import DataError

GZIP_MAGIC = b"\x1f\x8b"
#: IDX type code -> numpy dtype (multi-byte types are big-endian)
IDX_TYPES = {0x08: np.dtype(np.uint8), 0x09: np.dtype(np.int8), 0x0B: np.dtype(">i2"),
             0x0C: np.dtype(">i4"), 0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}


def read_bytes(path: str | Path) -> bytes:
    """The IDX payload of ``path``: decompressed when the file is gzip (by magic bytes)."""
    import gzip
    import zlib

    path = Path(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DataError(f"cannot read {path}: {exc.strerror or exc}") from None
    if not raw:
        raise DataError(f"{path}: empty file")
    if raw[:2] == GZIP_MAGIC:
        try:
            return gzip.decompress(raw)
        except (EOFError, OSError, zlib.error) as exc:
            raise DataError(f"{path}: corrupt or truncated gzip data ({exc})") from None
    if path.suffix == ".gz":
        raise DataError(f"{path}: not a gzip file (named .gz, starts with {raw[:4].hex()})")
    return raw


def parse_idx(payload: bytes, *, ndim: int, name: str = "IDX data") -> np.ndarray:
    """Parse an uint8 IDX ``payload`` of ``ndim`` dimensions into a read-only array view."""
    if len(payload) < 4:
        raise DataError(f"{name}: too short for an IDX header ({len(payload)} bytes)")
    want = bytes([0, 0, 0x08, ndim])
    if payload[:4] != want:
        kind = "labels" if ndim == 1 else "images"
        raise DataError(f"{name}: wrong magic number 0x{payload[:4].hex()} "
                        f"(IDX uint8 {kind} start with 0x{want.hex()})")
    header = 4 + 4 * ndim
    if len(payload) < header:
        raise DataError(f"{name}: truncated header ({len(payload)} of {header} bytes)")
    dims = tuple(int(d) for d in np.frombuffer(payload, ">u4", count=ndim, offset=4))
    if ndim > 1 and 0 in dims[1:]:
        raise DataError(f"{name}: zero-sized dimension in {dims}")
    expected = int(np.prod(dims, dtype=np.int64))
    have = len(payload) - header
    if have < expected:
        raise DataError(f"{name}: truncated data: header says {'x'.join(map(str, dims))} "
                        f"= {expected} bytes, file has {have}")
    if have > expected:
        raise DataError(f"{name}: {have - expected} unexpected bytes after the "
                        f"{'x'.join(map(str, dims))} data")
    return np.frombuffer(payload, np.uint8, count=expected, offset=header).reshape(dims)


def read_idx(path: str | Path, *, ndim: int) -> tuple[np.ndarray, str]:
    """Read an uint8 IDX file; return ``(array, sha256 of the decompressed payload)``."""
    payload = read_bytes(path)
    digest = hashlib.sha256(payload).hexdigest()
    return parse_idx(payload, ndim=ndim, name=str(path)), digest


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
