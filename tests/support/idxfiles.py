"""Test helpers: write IDX files byte by byte (independent of the reader under test)."""
from __future__ import annotations

import gzip
import hashlib
import struct
from pathlib import Path

import numpy as np

STEMS = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
         "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")


def idx_bytes(array: np.ndarray) -> bytes:
    """uint8 IDX: magic 00 00 08 ndim, big-endian uint32 sizes, then the bytes."""
    array = np.ascontiguousarray(array, np.uint8)
    header = bytes([0, 0, 8, array.ndim]) + struct.pack(f">{array.ndim}I", *array.shape)
    return header + array.tobytes()


def write_idx(path: Path, array: np.ndarray, *, gz: bool | None = None) -> str:
    """Write ``array`` to ``path`` (gzipped when the name ends in .gz); return payload sha256."""
    payload = idx_bytes(array)
    gz = path.name.endswith(".gz") if gz is None else gz
    path.write_bytes(gzip.compress(payload, mtime=0) if gz else payload)
    return hashlib.sha256(payload).hexdigest()


def fake_mnist(directory: Path, *, n_train: int = 60, n_test: int = 20, side: int = 28,
               seed: int = 0, gz: bool = True, classes: int = 10) -> dict[str, str]:
    """Four small, valid IDX files (class-dependent blobs); return stem -> payload sha256."""
    rng = np.random.default_rng(seed)
    directory.mkdir(parents=True, exist_ok=True)
    sums = {}
    for split, n in (("train", n_train), ("t10k", n_test)):
        y = (np.arange(n) % classes).astype(np.uint8)
        rng.shuffle(y)
        X = rng.integers(0, 60, (n, side, side)).astype(np.uint8)
        for i, label in enumerate(y):
            r = (int(label) * side) // classes
            X[i, r:r + max(1, side // classes), :] = 255
        for stem, arr in ((f"{split}-images-idx3-ubyte", X), (f"{split}-labels-idx1-ubyte", y)):
            name = f"{stem}.gz" if gz else stem
            sums[stem] = write_idx(directory / name, arr, gz=gz)
    return sums
