"""``.npy`` arrays and ``.npz`` archives read within their declared, checked sizes.

``numpy.load`` allocates what an npy header claims and decompresses whatever a zip
member holds; here every size is judged before anything is allocated:

* zip members: encrypted or unknown-compression members are refused; a member's declared
  size must be one its compressed bytes can hold (stored: equal; deflated: at most
  :data:`~nnplug.safeio.limits.DEFLATE_RATIO` times), compressed sizes must fit in the file, and
  what is read must fit ``NNPLUG_MAX_BYTES``;
* npy headers: no object (pickle), structured or zero-size dtypes; the declared shape
  times the item size must equal exactly the bytes that follow the header.

Damage raises :class:`NpyError` (the callers add which file and what it is for); the
limit raises :class:`~nnplug.safeio.limits.LimitError`.
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from collections.abc import Iterable
from typing import IO

import numpy as np

from nnplug.safeio.limits import DEFLATE_RATIO, check_bytes, count, file_size, human, shape_problem

#: dtype kinds an nnplug file may hold: bool, integers, floats, unicode text
KINDS = "biufU"
CHUNK = 1 << 20
ZIP_METHODS = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflated"}


class NpyError(ValueError):
    """The bytes are not a valid, honest .npy/.npz (the message says why)."""


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__


def read_header(fh: IO[bytes]) -> tuple[tuple[int, ...], bool, np.dtype]:
    """``(shape, fortran_order, dtype)`` of the npy stream ``fh`` (positioned at its magic)."""
    fmt = np.lib.format
    try:
        version = fmt.read_magic(fh)
        if version == (1, 0):
            shape, fortran, dtype = fmt.read_array_header_1_0(fh)
        elif version == (2, 0):
            shape, fortran, dtype = fmt.read_array_header_2_0(fh)
        else:
            raise NpyError(f"unsupported .npy format version {version}")
    except NpyError:
        raise
    except Exception as exc:  # noqa: BLE001 - numpy's parser of untrusted header text
        # raises many kinds (ValueError, SyntaxError, tokenize.TokenError, ...)
        raise NpyError(f"not a valid .npy header ({_first_line(exc)})") from None
    if dtype.hasobject:
        raise NpyError("it holds Python objects, which cannot be read without pickle; refused")
    if (
        dtype.kind not in KINDS
        or dtype.fields is not None
        or dtype.subdtype is not None
        or dtype.itemsize == 0
    ):
        raise NpyError(f"unsupported dtype {str(dtype)[:40]}")
    problem = shape_problem(shape, dtype.itemsize)
    if problem:
        raise NpyError(problem)
    return shape, fortran, dtype


def read_array(fh: IO[bytes], size: int, what: str) -> np.ndarray:
    """The array in the npy stream ``fh`` whose total length is ``size`` bytes."""
    shape, fortran, dtype = read_header(fh)
    nbytes = count(shape) * dtype.itemsize
    held = size - fh.tell()
    if nbytes != held:
        raise NpyError(
            f"its header declares shape {shape[:8]} of {dtype} ({human(nbytes)}), "
            f"but {human(max(held, 0))} follow"
        )
    # every row costs at least an index downstream, even in an array of zero-width rows
    check_bytes(max(nbytes, 8 * (shape[0] if shape else 1)), what)
    out = np.empty(count(shape), dtype)
    raw, done = out.view(np.uint8), 0
    while done < nbytes:
        chunk = fh.read(min(CHUNK, nbytes - done))
        if not chunk:
            raise NpyError(f"truncated data ({done} of {nbytes} bytes)")
        raw[done : done + len(chunk)] = np.frombuffer(chunk, np.uint8)
        done += len(chunk)
    if fortran:
        columns: np.ndarray = out.reshape(shape[::-1]).transpose()
        return columns
    return out.reshape(shape)


def read_npy(fh: IO[bytes], what: str) -> np.ndarray:
    """The array of a whole ``.npy`` file opened as ``fh``."""
    return read_array(fh, file_size(fh), what)


def _key(name: str) -> str:
    return name[:-4] if name.endswith(".npy") else name


def check_members(zf: zipfile.ZipFile, archive_size: int) -> dict[str, zipfile.ZipInfo]:
    """``key -> ZipInfo`` after checking every member's flags and declared sizes."""
    members: dict[str, zipfile.ZipInfo] = {}
    packed = 0
    for info in zf.infolist():
        key = _key(info.filename)
        if key in members:
            raise NpyError(f"member '{key[:60]}' appears twice")
        if info.flag_bits & 0x1:
            raise NpyError(
                f"member '{key[:60]}' is encrypted; nnplug reads unencrypted archives only"
            )
        if info.compress_type not in ZIP_METHODS:
            raise NpyError(
                f"member '{key[:60]}' uses compression method "
                f"{info.compress_type}; nnplug reads stored or deflated members"
            )
        stored = info.compress_type == zipfile.ZIP_STORED
        most = info.compress_size if stored else DEFLATE_RATIO * info.compress_size + 1024
        if info.file_size > most or (stored and info.file_size != info.compress_size):
            raise NpyError(
                f"member '{key[:60]}' declares {human(info.file_size)} but holds "
                f"{human(info.compress_size)} of {ZIP_METHODS[info.compress_type]} "
                f"data"
            )
        packed += info.compress_size
        members[key] = info
    if packed > archive_size:
        raise NpyError(
            f"its members declare {human(packed)} of data in a file of "
            f"{human(archive_size)} (overlapping or truncated members)"
        )
    return members


_ZIP_ERRORS = (
    zipfile.BadZipFile,
    zipfile.LargeZipFile,
    zlib.error,
    struct.error,
    EOFError,
    OSError,
    NotImplementedError,
    RuntimeError,
    OverflowError,
    ValueError,
)


def read_members(
    fh: IO[bytes], what: str, keys: Iterable[str] | None = None, caps: dict[str, int] | None = None
) -> tuple[dict[str, zipfile.ZipInfo], dict[str, np.ndarray]]:
    """``(members, arrays)`` of the ``.npz`` opened as ``fh``: the arrays named ``keys``
    (every member when None). Their declared sizes together must fit the limit; ``caps``
    sets a smaller ceiling for some members (e.g. a JSON header)."""
    try:
        with zipfile.ZipFile(fh) as zf:
            members = check_members(zf, file_size(fh))
            wanted = list(members) if keys is None else [k for k in keys if k in members]
            for key, cap in (caps or {}).items():
                if key in members and members[key].file_size > cap:
                    raise NpyError(
                        f"member '{key}' declares {human(members[key].file_size)}, "
                        f"more than the {human(cap)} it may hold"
                    )
            check_bytes(sum(members[k].file_size for k in wanted), what)
            arrays = {}
            for key in wanted:
                with zf.open(members[key]) as member:
                    try:
                        arrays[key] = read_array(member, members[key].file_size, what)
                    except NpyError as exc:
                        raise NpyError(f"array '{key[:60]}': {exc}") from None
            return members, arrays
    except NpyError:
        raise
    except _ZIP_ERRORS as exc:
        raise NpyError(_first_line(exc)) from None
