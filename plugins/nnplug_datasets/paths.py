"""Where dataset files live: ``$NNPLUG_DATA``, else ``--data-dir``, else the user cache."""

from __future__ import annotations

import os
from pathlib import Path

DATA_ENV = "NNPLUG_DATA"


def data_root(data_dir: str | os.PathLike | None = None) -> Path:
    """The data root: ``$NNPLUG_DATA`` if set, else ``data_dir``, else ``<user cache>/nnplug``."""
    env = os.environ.get(DATA_ENV, "").strip()
    if env:
        return Path(env).expanduser()
    if data_dir:
        return Path(data_dir).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("nnplug"))


def dataset_dir(name: str, data_dir: str | os.PathLike | None, files: list[str]) -> Path:
    """The directory holding ``files`` of dataset ``name``.

    The root itself when any of the files (or their ``.gz``) is already there -- so
    ``--data-dir`` may point straight at a folder of files -- otherwise ``<root>/<name>``.
    """
    root = data_root(data_dir)
    for f in files:
        if (root / f).exists() or (root / f"{f}.gz").exists():
            return root
    return root / name


def find_file(directory: Path, stem: str) -> Path | None:
    """``stem.gz`` or ``stem`` in ``directory``, whichever exists (gzip preferred)."""
    for candidate in (directory / f"{stem}.gz", directory / stem):
        if candidate.is_file():
            return candidate
    return None
