"""The real ``nnplug sweep`` in a child process (its local workers are forked: never from
the test process, which may hold threads -- a Dask cluster's), and reading its results."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

CHILD = "import sys; sys.argv[0] = 'nnplug'; from nnplug.cli import main; main()"
#: small trials: digits, 16 wide, 3 epochs
TINY = ["--hidden", "16", "--epochs", "3"]


def command(*args) -> list[str]:
    return [sys.executable, "-c", CHILD, "sweep", *map(str, args)]


def child_env(**extra: str) -> dict[str, str]:
    return {**os.environ, "PYTHONUNBUFFERED": "1", **extra}


def sweep(*args, cwd: Path, env: dict | None = None, timeout: float = 300
          ) -> subprocess.CompletedProcess:
    """``nnplug sweep ARGS`` in a child process."""
    return subprocess.run(command(*args), cwd=cwd, env=env or child_env(), text=True,
                          capture_output=True, timeout=timeout)


def records(out: Path) -> list[dict]:
    """The records of ``out/sweep.jsonl``, in file order."""
    return [json.loads(line) for line in (out / "sweep.jsonl").read_text().splitlines()]


def pid_of(record: dict) -> int:
    return int(record["worker"].rsplit(":", 1)[1])


def one_error(stderr: str) -> str:
    lines = stderr.splitlines()
    assert "Traceback" not in stderr, stderr
    assert len(lines) == 1 and lines[0].startswith("Error: "), stderr
    return lines[0]
