"""Builders of hostile and damaged files, written byte by byte where the point is a lie
(npy headers, zip member flags, IDX dimensions) -- independent of the readers under test."""
from __future__ import annotations

import gzip
import json
import struct
import zipfile
import zlib
from pathlib import Path

import numpy as np

META_KEY = "__nnplug__"


def npy_header(shape: tuple[int, ...], descr: str = "<f4", fortran: bool = False) -> bytes:
    """A version 1.0 .npy header declaring ``shape`` (nothing checks it against data)."""
    text = f"{{'descr': '{descr}', 'fortran_order': {fortran}, 'shape': {tuple(shape)!r}, }}"
    pad = 64 - (10 + len(text) + 1) % 64
    text = text + " " * pad + "\n"
    return b"\x93NUMPY\x01\x00" + struct.pack("<H", len(text)) + text.encode("latin1")


def npy_bytes(array: np.ndarray) -> bytes:
    array = np.ascontiguousarray(array)
    return npy_header(array.shape, array.dtype.str) + array.tobytes()


def deflated(prefix: bytes, zeros: int, wbits: int = -15) -> tuple[bytes, int]:
    """``(prefix + zeros zero bytes, deflated; crc32 of the uncompressed bytes)``;
    ``wbits=31`` writes a gzip container instead of a raw stream."""
    comp, block = zlib.compressobj(9, zlib.DEFLATED, wbits), bytes(1 << 22)
    parts, crc, left = [comp.compress(prefix)], zlib.crc32(prefix), zeros
    while left:
        piece = block[:min(left, len(block))]
        parts.append(comp.compress(piece))
        crc = zlib.crc32(piece, crc)
        left -= len(piece)
    parts.append(comp.flush())
    return b"".join(parts), crc


def write_npz(path: Path, members: dict[str, bytes], *, compress: bool = False) -> Path:
    """An .npz (zip) whose members hold exactly the given bytes."""
    method = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    with zipfile.ZipFile(path, "w", method) as zf:
        for name, data in members.items():
            zf.writestr(name if name.endswith(".npy") else f"{name}.npy", data)
    return path


def bomb_npz(path: Path, name: str, nbytes: int, extra: dict[str, bytes] | None = None) -> Path:
    """An .npz whose member ``name`` is an honest float32 array of ``nbytes`` zeros,
    deflated (about 1 KB per MB): what it declares is true -- and too much."""
    header = npy_header((nbytes // 4,))
    data, crc = deflated(header, nbytes)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        for key, member in (extra or {}).items():
            zf.writestr(f"{key}.npy", member)
        info = zipfile.ZipInfo(f"{name}.npy")
        info.compress_type = zipfile.ZIP_DEFLATED
        write_raw_member(zf, info, data, crc, len(header) + nbytes)
    return path


def write_raw_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, data: bytes, crc: int,
               size: int) -> None:
    """Append a member whose (already compressed) bytes and sizes we give."""
    info.CRC, info.compress_size, info.file_size = crc, len(data), size
    info.header_offset = zf.fp.tell()
    zip64 = size > 0xFFFFFFFF
    zf.fp.write(info.FileHeader(zip64))
    zf.fp.write(data)
    zf.filelist.append(info)
    zf.NameToInfo[info.filename] = info
    zf.start_dir = zf.fp.tell()


def set_flags(path: Path, member: str, *, encrypted: bool = False,
              method: int | None = None) -> None:
    """Mark ``member`` encrypted or give it another compression method, in both its local
    header and its central directory entry (the bytes stay as they are)."""
    data = bytearray(path.read_bytes())
    name = (member if member.endswith(".npy") else f"{member}.npy").encode()
    for sig, flag_at, method_at, name_at in ((b"PK\x03\x04", 6, 8, 30),
                                             (b"PK\x01\x02", 8, 10, 46)):
        start = 0
        while (start := data.find(sig, start)) != -1:
            nlen = struct.unpack_from("<H", data, start + (26 if sig == b"PK\x03\x04" else 28))[0]
            if data[start + name_at:start + name_at + nlen] == name:
                if encrypted:
                    flags = struct.unpack_from("<H", data, start + flag_at)[0] | 1
                    struct.pack_into("<H", data, start + flag_at, flags)
                if method is not None:
                    struct.pack_into("<H", data, start + method_at, method)
            start += 4
    path.write_bytes(bytes(data))


def model_parts(path: Path) -> tuple[dict, dict[str, np.ndarray]]:
    """``(header, arrays)`` of a real model or checkpoint file."""
    with np.load(path, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files}
    return json.loads(arrays.pop(META_KEY).tobytes()), arrays


def write_model(path: Path, meta, arrays: dict[str, np.ndarray], *,
                raw_header: bytes | None = None) -> Path:
    """A model/checkpoint file with this header (any JSON value, or raw bytes)."""
    header = raw_header if raw_header is not None else json.dumps(meta).encode()
    members = {META_KEY: npy_bytes(np.frombuffer(header, np.uint8))}
    members.update({k: npy_bytes(v) for k, v in arrays.items()})
    return write_npz(path, members)


def idx_file(path: Path, dims: tuple[int, ...], payload: bytes, *, gz: bool = True) -> Path:
    """An uint8 IDX file declaring ``dims`` whatever ``payload`` holds."""
    data = bytes([0, 0, 8, len(dims)]) + struct.pack(f">{len(dims)}I", *dims) + payload
    path.write_bytes(gzip.compress(data, mtime=0) if gz else data)
    return path


def idx_bomb(path: Path, n_images: int, side: int = 28) -> Path:
    """A gzip IDX whose images are all honest zeros: small file, big payload."""
    head = bytes([0, 0, 8, 3]) + struct.pack(">3I", n_images, side, side)
    path.write_bytes(deflated(head, n_images * side * side, wbits=31)[0])
    return path
