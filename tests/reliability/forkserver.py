"""A fork server for the fuzz suite: run the real ``nnplug`` command many times, fast.

Started once (``python forkserver.py``), it imports nnplug, its plugins, NumPy and
scikit-learn, then reads one JSON request per line on stdin. Each request runs in a new
forked child process -- its own address space, capped with ``RLIMIT_AS`` at the server's
size plus ``budget`` bytes, stdout/stderr to files, an alarm against hangs -- through the
same entry point as the ``nnplug`` script (``nnplug.cli:main``). An exception escaping
the command prints its traceback and exits 1, as Python does. The reply is one JSON line:
exit code (``-N`` for a signal) and the child's peak resident memory.

Forking after the imports costs milliseconds where a fresh interpreter costs a second.
"""
from __future__ import annotations

import json
import os
import resource
import signal
import sys
import traceback


def vm_size() -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0  # pragma: no cover


def child(request: dict, cli) -> None:
    code = 1
    try:
        null = os.open(os.devnull, os.O_RDONLY)
        os.dup2(null, 0)
        for fd, path in ((1, request["stdout"]), (2, request["stderr"])):
            os.dup2(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644), fd)
        os.chdir(request["cwd"])
        os.environ.update(request["env"])
        limit = vm_size() + request["budget"]
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        signal.alarm(request["timeout"])
        try:
            cli.main(args=request["argv"], prog_name="nnplug", standalone_mode=True)
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except BaseException:  # noqa: BLE001 - what an uncaught exception does to `nnplug`
            traceback.print_exc()
            code = 1
        sys.stdout.flush()
        sys.stderr.flush()
    finally:
        os._exit(code)


def main() -> None:
    import numpy  # noqa: F401
    import sklearn.model_selection  # noqa: F401
    import sklearn.preprocessing  # noqa: F401

    import nnplug.files.model
    import nnplug.files.checkpoint
    import nnplug.cli.evaluate  # noqa: F401
    import nnplug.cli.predict  # noqa: F401
    import nnplug.cli.train  # noqa: F401
    import nnplug.cli.trainrun  # noqa: F401
    import nnplug.nn.training
    from nnplug import cli
    from nnplug.registry import get_registry

    get_registry()  # entry points scanned once, inherited by every child
    sys.stdout.flush()
    replies = os.fdopen(os.dup(1), "w")
    os.dup2(2, 1)  # anything else printed must not get into the replies
    for line in sys.stdin:
        request = json.loads(line)
        pid = os.fork()
        if pid == 0:
            child(request, cli)
        _, status, usage = os.wait4(pid, 0)
        replies.write(json.dumps({"code": os.waitstatus_to_exitcode(status),
                                  "max_rss_kb": usage.ru_maxrss}) + "\n")
        replies.flush()


if __name__ == "__main__":
    main()
