"""Checksummed downloads into the cache: try each mirror in turn, verify, rename atomically.

Bytes go to a temporary sibling (``.NAME.XXXX.part``, :func:`nnplug.safeio.outputs.part_file`)
that is renamed to ``NAME`` only after the transfer is complete and the SHA-256 matches;
on any failure (or a kill) the final name never appears, so a later run cannot trust a
partial or wrong file. Parts left by killed runs are swept by the next one.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

from nnplug.errors import DataError, NNPlugError
from nnplug_datasets.idx import payload_sha256

#: ``progress(filename, bytes_done, bytes_total_or_None)``
Progress = Callable[[str, int, "int | None"], None]
CHUNK = 1 << 16


def file_sha256(path: str | os.PathLike) -> str:
    """SHA-256 of a file's bytes, streamed (for downloads checked as they are stored)."""
    import hashlib

    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(CHUNK), b""):
            h.update(chunk)
    return h.hexdigest()


class MirrorFailed(Exception):
    """One mirror could not deliver a verified file (the next one is tried)."""


def download(
    filename: str,
    mirrors: list[str] | tuple[str, ...],
    directory: Path,
    *,
    sha256: str | None,
    verify: Callable[[Path], str] = payload_sha256,
    progress: Progress | None = None,
    timeout: float = 30.0,
) -> Path:
    """Fetch ``filename`` from the first of ``mirrors`` whose copy verifies: a mirror
    ending in ``/`` is a folder (``filename`` is appended), any other the file's own URL.

    ``verify(path)`` computes the digest compared with ``sha256`` (by default the SHA-256
    of the gunzipped payload, so mirrors whose gzip headers differ still verify).
    """
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DataError(f"cannot create {directory}: {exc.strerror or exc}") from None
    errors = []
    for base in mirrors:
        url = base + filename if base.endswith("/") else base
        try:
            return _fetch(url, directory / filename, sha256, verify, progress, timeout)
        except MirrorFailed as exc:
            errors.append(f"{urlsplit(url).netloc or base}: {exc}")
    raise DataError(f"cannot download {filename} ({'; '.join(errors) or 'no mirrors'})")


def _fetch(
    url: str,
    dest: Path,
    sha256: str | None,
    verify: Callable[[Path], str],
    progress: Progress | None,
    timeout: float,
) -> Path:
    from nnplug.safeio.outputs import part_file

    try:
        with part_file(dest) as (fh, tmp):
            _transfer(url, fh, dest.name, progress, timeout)
            fh.flush()
            if sha256 is not None:
                try:
                    digest = verify(tmp)
                except DataError:
                    raise MirrorFailed("corrupt or truncated gzip data") from None
                if digest != sha256:
                    raise MirrorFailed(
                        f"checksum mismatch (sha256 {digest[:12]}..., expected {sha256[:12]}...)"
                    )
            os.replace(tmp, dest)
            return dest
    except DataError:
        raise
    except NNPlugError as exc:  # the part file could not be created
        raise DataError(str(exc)) from None


def _transfer(url: str, fh: IO[Any], name: str, progress: Progress | None, timeout: float) -> None:
    import http.client
    import urllib.error
    import urllib.request

    request = urllib.request.Request(url, headers={"User-Agent": "nnplug"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as resp:
            length = resp.headers.get("Content-Length")
            total = int(length) if length and length.isdigit() else None
            done = 0
            if progress:
                progress(name, 0, total)
            while chunk := resp.read(CHUNK):
                fh.write(chunk)
                done += len(chunk)
                if progress:
                    progress(name, done, total)
    except urllib.error.HTTPError as exc:
        raise MirrorFailed(f"HTTP {exc.code} {exc.reason}") from None
    except urllib.error.URLError as exc:
        raise MirrorFailed(str(exc.reason)) from None
    except (OSError, http.client.HTTPException) as exc:
        raise MirrorFailed(f"{type(exc).__name__}: {exc}") from None
    if total is not None and done != total:
        raise MirrorFailed(f"truncated transfer ({done} of {total} bytes)")
