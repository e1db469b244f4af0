"""``nnplug train``'s log file: ``--log-file FILE``, or by default a new
``train-<time>.log`` in the user log directory -- a directory kept bounded: the newest
:data:`KEEP_LOGS` logs nnplug wrote there stay, older ones go, and a file nnplug did not
write (another name, a link, another first line) is never touched."""

from __future__ import annotations

import contextlib
import logging
import os
import re
import stat
import time
from pathlib import Path

import click

from nnplug.cli.logfile import LogFile
from nnplug.errors import NNPlugError

#: how many default log files ``nnplug train`` keeps in the default log directory
KEEP_LOGS = 100
#: the first line nnplug writes into every log (after the time stamp)
FIRST_LINE = "nnplug train log"
#: the name of a default log file: its time stamp, and a number when two share a second
LOG_NAME = re.compile(r"train-(\d{8}-\d{6})(?:-(\d{1,4}))?\.log")
#: how a log nnplug wrote starts: a logging time stamp, then the first line (the log of
#: an older nnplug: its configuration)
LOG_START = re.compile(
    rb"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (?:" + FIRST_LINE.encode() + rb"|config TrainConfig\()"
)


def default_log_dir() -> Path:
    """Where the log goes when ``--log-file`` is not given: ``$NNPLUG_LOG_DIR``, else the
    platform's user log directory (``~/.local/state/nnplug/log`` on Linux), never the
    directory the user happens to stand in."""
    from platformdirs import user_log_dir

    return Path(os.environ.get("NNPLUG_LOG_DIR") or user_log_dir("nnplug", appauthor=False))


def default_log_file(number: int = 1) -> Path:
    """``train-<time>.log`` in :func:`default_log_dir` (``train-<time>-N.log`` for the
    ``number``-th run in the same second)."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    suffix = f"-{number}" if number > 1 else ""
    return default_log_dir() / f"train-{stamp}{suffix}.log"


def _new_default_log() -> Path:
    """Create a new default log file (never one of another run) and return its path."""
    default_log_dir().mkdir(parents=True, exist_ok=True)
    for number in range(1, 1000):
        path = default_log_file(number)
        try:
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644))
        except FileExistsError:
            continue
        return path
    raise FileExistsError(f"{path} and 998 others of this second exist")


def make_logger(log_file: str | None) -> tuple[logging.Logger, Path | None]:
    """A logger writing to ``log_file`` (explicit: errors are fatal) or to a new default
    file (if that cannot be created, a warning and no log file); ``''``: no file."""
    logger = logging.getLogger("nnplug.train")
    logger.setLevel(logging.INFO)
    logger.propagate = False
    for h in list(logger.handlers):
        logger.removeHandler(h)
        h.close()
    if log_file == "":
        return logger, None
    try:
        path = Path(log_file) if log_file else _new_default_log()
        handler = LogFile(path, explicit=bool(log_file))
    except OSError as exc:
        where = log_file or default_log_dir()
        if log_file:
            raise NNPlugError(f"cannot open log file {where}: {exc.strerror or exc}") from None
        click.echo(f"Warning: no log file ({where}: {exc.strerror or exc})", err=True)
        return logger, None
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s"))
    logger.addHandler(handler)
    logger.info(FIRST_LINE)
    if not log_file:
        prune_logs(path.parent, keep=KEEP_LOGS, current=path)
    return logger, path


def written_by_nnplug(path: Path) -> bool:
    """A regular file (not a link) of this user, named and begun as nnplug's logs are."""
    if not LOG_NAME.fullmatch(path.name):
        return False
    try:
        st = path.lstat()
        if not stat.S_ISREG(st.st_mode) or st.st_uid != os.getuid():
            return False
        with path.open("rb") as fh:
            return LOG_START.match(fh.read(80)) is not None
    except OSError:
        return False


def prune_logs(directory: Path, *, keep: int, current: Path | None = None) -> list[Path]:
    """Delete the oldest of nnplug's logs in ``directory`` beyond the newest ``keep``
    (``current`` is never deleted); returns what was deleted. Errors are ignored: a log
    that cannot be deleted stays."""
    try:
        names = [p for p in directory.iterdir() if LOG_NAME.fullmatch(p.name)]
    except OSError:
        return []
    if len(names) <= keep:
        return []

    def order(p: Path) -> tuple[str, int]:
        m = LOG_NAME.fullmatch(p.name)
        assert m is not None  # filtered above
        return m.group(1), int(m.group(2) or 1)

    ours = sorted((p for p in names if written_by_nnplug(p)), key=order)
    deleted: list[Path] = []
    for path in ours[: max(0, len(ours) - keep)]:
        if path != current:
            with contextlib.suppress(OSError):
                path.unlink()
                deleted.append(path)
    return deleted


def shown(path: Path) -> str:
    """``path`` as printed: under the home directory as ``~/...``."""
    try:
        return "~/" + Path(os.path.abspath(path)).relative_to(Path.home()).as_posix()
    except (ValueError, RuntimeError):  # not under it, or no home directory
        return str(path)
