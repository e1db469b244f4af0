"""The real ``nnplug`` command in a child process under a memory ceiling."""
from __future__ import annotations

import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

#: address-space ceiling of a child ``nnplug`` (Python, NumPy and scikit-learn take about
#: 0.4 GB of it); hostile files get NNPLUG_MAX_BYTES=16M, so anything near the ceiling
#: means a reader allocated what a file declared
CEILING = 1 << 30
SMALL_LIMIT = "16M"


@dataclass
class Done:
    code: int
    stdout: str
    stderr: str
    max_rss_kb: int

    def one_error(self) -> str:
        """The single ``Error:`` line of a failed command (asserting there is exactly one
        line on stderr and no traceback)."""
        lines = self.stderr.splitlines()
        assert "Traceback" not in self.stderr, self.stderr
        assert len(lines) == 1 and lines[0].startswith("Error: "), self.stderr
        return lines[0]


def nnplug(*args, cwd: Path | None = None, env: dict | None = None, ceiling: int = CEILING,
           timeout: float = 120, limits: dict | None = None) -> Done:
    """Run the real ``nnplug`` command in a child process whose address space is capped at
    ``ceiling`` bytes (plus other ``resource`` ``limits``); return its exit code, output
    and peak resident memory."""
    def cap():
        resource.setrlimit(resource.RLIMIT_AS, (ceiling, ceiling))
        for what, value in (limits or {}).items():
            resource.setrlimit(what, (value, value))

    with tempfile.NamedTemporaryFile("r", suffix=".hwm") as hwm:
        full = {**os.environ, "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1",
                **(env or {}), "NNPLUG_TEST_HWM_FILE": hwm.name}
        done = _run([sys.executable, "-c", CHILD, *map(str, args)], cwd, full, cap, timeout)
        peak = hwm.read().strip()
    # the child's own peak (VmHWM): getrusage's ru_maxrss would also count the pages it
    # shared with this (large) test process between fork and exec
    return Done(done.code, done.stdout, done.stderr, int(peak) if peak else done.max_rss_kb)


#: the child: run the real CLI, then (at exit, also after an error) record its peak
#: resident memory since exec (VmHWM, KiB) where NNPLUG_TEST_HWM_FILE says
CHILD = """\
import atexit, os
def _hwm():
    with open("/proc/self/status") as f:
        kb = next(line.split()[1] for line in f if line.startswith("VmHWM:"))
    with open(os.environ["NNPLUG_TEST_HWM_FILE"], "w") as f:
        f.write(kb)
atexit.register(_hwm)
from nnplug.cli import main
main(prog_name="nnplug")
"""


def _run(cmd, cwd, full, cap, timeout) -> Done:
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        proc = subprocess.Popen(cmd, cwd=cwd, env=full, preexec_fn=cap, stdout=out,
                                stderr=err, stdin=subprocess.DEVNULL, text=True)
        deadline = time.monotonic() + timeout
        while True:  # reap it ourselves: wait4 also gives its peak resident memory
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.monotonic() > deadline:
                proc.kill()
            time.sleep(0.02)
        code = proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Done(code, out.read(), err.read(), usage.ru_maxrss)


